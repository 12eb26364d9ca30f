//! The keyword options of every `Verifier` constructor: the core's settings (from its
//! description, `teleport_jwt::describe_verifier_settings!`, docs included) and Python's own
//! plug-ins. Also the options section of `help(tj.Verifier)`, built from the same docs, so
//! each option is documented once, in the core (Python's plug-ins here).

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use teleport_jwt::clock::system_time_from_unix;
use teleport_jwt::events::KeyEvents;
use teleport_jwt::policy::PermissionMapper;
use teleport_jwt::{Clock, HeaderRule, HttpFetcher, ManualClock, VerifierOptions};

use crate::convert::seconds;
use crate::errors;
use crate::plugins::{PyHttpFetcher, PyKeyEvents};

/// The keyword options Python adds to the core's settings, with their docs: its plug-ins and
/// the test clock.
const PLUGIN_OPTIONS: &[(&str, &str)] = &[
    (
        "http_fetcher",
        "An object with `get(url, timeout, max_body_bytes) -> (status, body)` that makes the key \
         fetches instead of the built-in HTTPS client; the core still checks the URL before and \
         the status and size after.",
    ),
    (
        "fixed_time",
        "Tests and replays only: a clock stopped at this Unix time (seconds).",
    ),
    (
        "permissions",
        "A `Policy` or any permission mapper (an object with `permissions(identity)`), for \
         `authorize*()`.",
    ),
    (
        "key_events",
        "A callable receiving the key events (key-set changes, fetch failures, stale keys) as \
         dicts.",
    ),
];

/// A core setting's value from a Python keyword argument (`name` for messages): a duration in
/// float seconds, a count, a switch, text, or header rules as their text.
trait FromKeyword: Sized {
    fn from_keyword(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Self>;
}

impl FromKeyword for Duration {
    fn from_keyword(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Self> {
        seconds(value.py(), value.extract()?, name)
    }
}

impl FromKeyword for usize {
    fn from_keyword(value: &Bound<'_, PyAny>, _: &str) -> PyResult<Self> {
        value.extract()
    }
}

impl FromKeyword for bool {
    fn from_keyword(value: &Bound<'_, PyAny>, _: &str) -> PyResult<Self> {
        value.extract()
    }
}

/// Text (the CA bundle, optional in the core).
impl FromKeyword for Option<String> {
    fn from_keyword(value: &Bound<'_, PyAny>, _: &str) -> PyResult<Self> {
        value.extract()
    }
}

impl FromKeyword for Vec<HeaderRule> {
    fn from_keyword(value: &Bound<'_, PyAny>, _: &str) -> PyResult<Self> {
        let specs: Vec<String> = value.extract()?;
        specs
            .iter()
            .map(|s| HeaderRule::parse(s))
            .collect::<Result<_, _>>()
            .map_err(|e| errors::to_py(value.py(), &e))
    }
}

/// From the core's list of settings: `set_setting`.
macro_rules! py_settings {
    ($( $(#[doc = $doc:literal])* $name:ident: $kind:ident => $($field:ident).+, )*) => {
        /// Sets the core setting named `name` (flattened: `cache_max_age`) to `value`; false
        /// when no setting has that name.
        fn set_setting(
            o: &mut VerifierOptions,
            name: &str,
            value: &Bound<'_, PyAny>,
        ) -> PyResult<bool> {
            match name {
                $( stringify!($name) => {
                    o.$($field).+ = FromKeyword::from_keyword(value, stringify!($name))?
                } )*
                _ => return Ok(false),
            }
            Ok(true)
        }
    };
}

teleport_jwt::describe_verifier_settings!(py_settings);

/// `(name, doc)` of every keyword option: the core's settings with the core's docs
/// (`teleport_jwt::api::option_doc`), then Python's plug-ins.
pub(crate) fn documented() -> impl Iterator<Item = (&'static str, String)> {
    let core = teleport_jwt::api::VERIFIER_OPTIONS.iter().map(|(name, _)| {
        (
            *name,
            teleport_jwt::api::option_doc(name).unwrap_or_default(),
        )
    });
    core.chain(PLUGIN_OPTIONS.iter().copied())
        .map(|(name, doc)| (name, doc.split_whitespace().collect::<Vec<_>>().join(" ")))
}

/// Every keyword option, for the error message on an unknown one.
fn option_names() -> String {
    documented()
        .map(|(name, _)| name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The heading of the options section of `help(tj.Verifier)`.
const HELP_HEADING: &str = "Keyword options of every constructor (unset: the core's default):";

/// `base` (the class's doc) followed by the options section: each option as `    name: doc`,
/// wrapped at 96 columns (100 in the stub) with continuation lines indented by 8.
pub(crate) fn verifier_help(base: &str) -> String {
    let mut out = format!("{}\n\n{HELP_HEADING}", base.trim_end());
    for (name, doc) in documented() {
        let mut line = format!("    {name}:");
        for word in doc.split(' ') {
            if line.len() + 1 + word.len() > 96 {
                out.push('\n');
                out.push_str(&line);
                line = "       ".to_owned();
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push('\n');
        out.push_str(&line);
    }
    out
}

/// What the keyword options configure besides `VerifierOptions`.
#[derive(Default)]
pub(crate) struct Plugins {
    pub(crate) fetcher: Option<Arc<dyn HttpFetcher>>,
    pub(crate) clock: Option<Arc<dyn Clock>>,
    pub(crate) mapper: Option<Arc<dyn PermissionMapper>>,
    pub(crate) events: Option<Arc<dyn KeyEvents>>,
}

/// The core's options and the plug-ins from the keyword arguments (`None` is unset).
pub(crate) fn options_from(
    py: Python<'_>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<(VerifierOptions, Plugins)> {
    let mut o = VerifierOptions::default();
    let mut plugins = Plugins::default();
    let Some(kwargs) = kwargs else {
        return Ok((o, plugins));
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if value.is_none() || set_setting(&mut o, &key, &value)? {
            continue;
        }
        match key.as_str() {
            "http_fetcher" => plugins.fetcher = Some(Arc::new(PyHttpFetcher::new(&value)?)),
            "permissions" => plugins.mapper = Some(crate::policy::mapper_of(&value)?),
            "key_events" if value.is_callable() => {
                plugins.events = Some(Arc::new(PyKeyEvents(value.clone().unbind())))
            }
            "key_events" => {
                return Err(PyTypeError::new_err(
                    "key_events must be a callable taking one dict",
                ))
            }
            "fixed_time" => {
                let at =
                    system_time_from_unix(value.extract()?).map_err(|e| errors::to_py(py, &e))?;
                let clock = ManualClock::at_unix(0);
                clock.set(at);
                plugins.clock = Some(Arc::new(clock));
            }
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}; options are {}",
                    option_names()
                )))
            }
        }
    }
    Ok((o, plugins))
}
