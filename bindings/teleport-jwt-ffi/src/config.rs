//! Configuration: [`VerifierOptions`] (every field optional; unset means the core's default)
//! and [`TrustEntry`] (the two Teleport presets and the general form).
//!
//! Defaults live in the core only: an unset field keeps the value of
//! `teleport_jwt::VerifierOptions::default()`, and [`default_verifier_options`] shows them.

use std::sync::Arc;
use std::time::Duration;

use teleport_jwt::{HeaderRule, TrustEntry as CoreTrustEntry, VerifierBuilder};

use crate::clock::{ForeignClock, VerifierClock};
use crate::error::VerifyError;
use crate::events::{ForeignListener, KeyEventListener};
use crate::http::{ForeignFetcher, HttpFetcher};
use crate::keys::KeysFrom;
use crate::policy::PermissionsFrom;

/// The Kotlin/Swift type of each kind of setting (`teleport_jwt::api::OptionKind`).
macro_rules! setting_type {
    (Duration) => { Duration };
    (Count) => { i64 };
    (Flag) => { bool };
    (Text) => { String };
    (HeaderRules) => { Vec<String> };
}

/// Declares [`VerifierOptions`] from the core's description of the settings (each with its
/// doc, its kind and the field of the core's options it sets) plus this binding's plug-ins,
/// and both conversions ([`Setting`]): to the core's options, and the core's defaults shown as
/// a record ([`default_verifier_options`]).
macro_rules! verifier_options {
    ($( $(#[$doc:meta])* $field:ident: $kind:ident => $($core:ident).+, )*) => {
        /// Options shared by every trust entry of a verifier. Leave a field unset (`null`/`nil`)
        /// for the core's default, which is the safe one.
        #[derive(Default, uniffi::Record)]
        pub struct VerifierOptions {
            $( $(#[$doc])* #[uniffi(default)] pub $field: Option<setting_type!($kind)>, )*
            /// Fetch keys with this client instead of the built-in one.
            #[uniffi(default)]
            pub http_fetcher: Option<Arc<dyn HttpFetcher>>,
            /// Use this clock instead of the system's (tests).
            #[uniffi(default)]
            pub clock: Option<Arc<dyn VerifierClock>>,
            /// Where `authorize` gets permissions from: a `Policy` or the application's own
            /// `PermissionMapper` (unset: `authorize` fails with `invalid_config`; `verify` is
            /// unaffected).
            #[uniffi(default)]
            pub permissions_from: Option<PermissionsFrom>,
            /// Hears key-set changes, fetch failures and recoveries (never on the request path of
            /// a token whose keys are cached).
            #[uniffi(default)]
            pub key_events: Option<Arc<dyn KeyEventListener>>,
        }

        /// The core's default options, every field filled in (no fetcher, no clock, no
        /// permission mapper, no listener).
        #[uniffi::export]
        pub fn default_verifier_options() -> VerifierOptions {
            let d = teleport_jwt::VerifierOptions::default();
            VerifierOptions {
                $( $field: Setting::from_core(d.$($core).+), )*
                ..Default::default()
            }
        }

        impl VerifierOptions {
            /// The core's options for the settings (taken out of `self`; plug-ins stay).
            fn take_settings(&mut self) -> Result<teleport_jwt::VerifierOptions, VerifyError> {
                let mut o = teleport_jwt::VerifierOptions::default();
                $( if let Some(v) = self.$field.take() {
                    o.$($core).+ = v.to_core(stringify!($field))?;
                } )*
                Ok(o)
            }
        }
    };
}

teleport_jwt::describe_verifier_settings!(verifier_options);

/// One setting as Kotlin and Swift hold it (`Self`) and as the core does (`C`).
trait Setting<C>: Sized {
    /// The core's value, or `invalid_config` naming `field`.
    fn to_core(self, field: &str) -> Result<C, VerifyError>;
    /// The binding's value (`None` where the core has none).
    fn from_core(c: C) -> Option<Self>;
}

/// Durations and flags cross as they are.
impl<T> Setting<T> for T {
    fn to_core(self, _: &str) -> Result<T, VerifyError> {
        Ok(self)
    }
    fn from_core(c: T) -> Option<T> {
        Some(c)
    }
}

/// A count is signed in Kotlin and Swift (Java has no unsigned types); negative is a
/// mistake, never "unlimited".
impl Setting<usize> for i64 {
    fn to_core(self, field: &str) -> Result<usize, VerifyError> {
        usize::try_from(self).map_err(|_| VerifyError::InvalidConfig {
            message: format!("{field} = {self} is not a count (0 or more)"),
        })
    }
    fn from_core(c: usize) -> Option<i64> {
        Some(i64::try_from(c).unwrap_or(i64::MAX))
    }
}

/// Header rules as their text (`HeaderRule`'s `parse` and `Display`).
impl Setting<Vec<HeaderRule>> for Vec<String> {
    fn to_core(self, _: &str) -> Result<Vec<HeaderRule>, VerifyError> {
        Ok(self
            .iter()
            .map(|s| HeaderRule::parse(s))
            .collect::<Result<_, _>>()?)
    }
    fn from_core(c: Vec<HeaderRule>) -> Option<Self> {
        Some(c.iter().map(ToString::to_string).collect())
    }
}

/// The CA bundle, optional in the core as well.
impl Setting<Option<String>> for String {
    fn to_core(self, _: &str) -> Result<Option<String>, VerifyError> {
        Ok(Some(self))
    }
    fn from_core(c: Option<String>) -> Option<String> {
        c
    }
}

impl VerifierOptions {
    /// A core builder holding these options (fetcher, clock, permission mapper and listener
    /// included), without entries.
    pub(crate) fn into_builder(mut self) -> Result<VerifierBuilder, VerifyError> {
        let mut builder = teleport_jwt::Verifier::builder().options(self.take_settings()?);
        if let Some(f) = self.http_fetcher {
            builder = builder.http_fetcher(Arc::new(ForeignFetcher(f)));
        }
        if let Some(c) = self.clock {
            builder = builder.clock(Arc::new(ForeignClock(c)));
        }
        if let Some(p) = self.permissions_from {
            builder = builder.permission_mapper(p.into_core());
        }
        if let Some(l) = self.key_events {
            builder = builder.key_events(Arc::new(ForeignListener(l)));
        }
        Ok(builder)
    }
}

/// One trusted issuer: a Teleport preset, or the general form (any issuer, audiences, keys).
/// A token's `iss` picks its entry.
#[derive(uniffi::Enum)]
pub enum TrustEntry {
    /// Classic Teleport JWTs of one cluster: `iss` = `cluster_name`, keys at
    /// `<proxy_url>/.well-known/jwks.json`.
    TeleportJwt {
        /// The proxy's public address, e.g. `https://teleport.example.com`.
        proxy_url: String,
        /// The cluster name: the `iss` of classic tokens.
        cluster_name: String,
        /// The app's `uri` exactly as configured in Teleport.
        audience: String,
        /// A name for logs and `Identity.trustEntry` (default: the issuer).
        #[uniffi(default)]
        name: Option<String>,
        /// Whether `iat` must be present (default: the preset's).
        #[uniffi(default)]
        require_iat: Option<bool>,
    },
    /// Teleport ID tokens: `iss` = the proxy URL (`:443` stripped), keys through OIDC
    /// discovery, `iat` required.
    TeleportIdToken {
        /// The proxy's public address.
        proxy_url: String,
        /// The app's `uri` exactly as configured in Teleport.
        audience: String,
        /// A name for logs and `Identity.trustEntry` (default: the issuer).
        #[uniffi(default)]
        name: Option<String>,
        /// Whether `iat` must be present (default: the preset's).
        #[uniffi(default)]
        require_iat: Option<bool>,
    },
    /// Any issuer: the exact `iss`, accepted audiences and where the keys come from.
    General {
        /// The exact `iss` value, compared byte for byte.
        issuer: String,
        /// Accepted audiences; never empty.
        audiences: Vec<String>,
        /// Where the keys come from.
        keys: KeysFrom,
        /// A name for logs and `Identity.trustEntry` (default: the issuer).
        #[uniffi(default)]
        name: Option<String>,
        /// Whether `iat` must be present (default false).
        #[uniffi(default)]
        require_iat: Option<bool>,
    },
}

impl From<TrustEntry> for CoreTrustEntry {
    fn from(e: TrustEntry) -> Self {
        let (mut entry, name, require_iat) = match e {
            TrustEntry::TeleportJwt {
                proxy_url,
                cluster_name,
                audience,
                name,
                require_iat,
            } => (
                CoreTrustEntry::teleport_jwt(&proxy_url, cluster_name, audience),
                name,
                require_iat,
            ),
            TrustEntry::TeleportIdToken {
                proxy_url,
                audience,
                name,
                require_iat,
            } => (
                CoreTrustEntry::teleport_id_token(&proxy_url, audience),
                name,
                require_iat,
            ),
            TrustEntry::General {
                issuer,
                audiences,
                keys,
                name,
                require_iat,
            } => (
                CoreTrustEntry::new(issuer, audiences, keys.into()),
                name,
                require_iat,
            ),
        };
        if let Some(r) = require_iat {
            entry.require_iat = r;
        }
        match name {
            Some(n) => entry.named(n),
            None => entry,
        }
    }
}
