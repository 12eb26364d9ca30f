//! Records read from the core's serde forms (key events, stats): the form Python receives as
//! dicts, so both bindings follow the core's names and no field is copied by hand.

use std::time::Duration;

use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize};

/// The binding's record for a core value, through the core's serialized form; `None` when the
/// record cannot read it (a variant newer than this binding, which the tests rule out for
/// every variant the core has today).
pub(crate) fn from_core<C: Serialize, F: DeserializeOwned>(core: &C) -> Option<F> {
    match serde_json::to_value(core).and_then(serde_json::from_value) {
        Ok(f) => Some(f),
        Err(e) => {
            log::error!(
                "teleport-jwt-ffi: cannot read the core's {}: {e}",
                std::any::type_name::<C>()
            );
            None
        }
    }
}

/// A duration the core writes as seconds (a float).
pub(crate) fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    Duration::try_from_secs_f64(f64::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// An optional duration the core writes as seconds.
pub(crate) fn some_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    Option::<f64>::deserialize(d)?
        .map(|s| Duration::try_from_secs_f64(s).map_err(serde::de::Error::custom))
        .transpose()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use teleport_jwt::events::KeyEvent as Core;
    use teleport_jwt::{Reason, VerifyError};

    use crate::events::KeyEvent;

    #[test]
    fn every_core_key_event_reads_with_its_values() {
        let (entry, secs) = ("e".to_owned(), Duration::from_millis(1500));
        let error = VerifyError::new(Reason::KeySourceUnavailable, "down");
        let pairs = [
            (
                Core::KeySetChanged {
                    trust_entry: entry.clone(),
                    added: vec!["a".into()],
                    removed: vec![],
                },
                KeyEvent::KeySetChanged {
                    trust_entry: entry.clone(),
                    added: vec!["a".into()],
                    removed: vec![],
                },
            ),
            (
                Core::FetchFailed {
                    trust_entry: entry.clone(),
                    error,
                    serving_stale: true,
                },
                KeyEvent::FetchFailed {
                    trust_entry: entry.clone(),
                    code: "key_source_unavailable".into(),
                    detail: "down".into(),
                    serving_stale: true,
                },
            ),
            (
                Core::ServingStaleStarted {
                    trust_entry: entry.clone(),
                    keys_age: secs,
                    remaining: secs,
                },
                KeyEvent::ServingStaleStarted {
                    trust_entry: entry.clone(),
                    keys_age: secs,
                    remaining: secs,
                },
            ),
            (
                Core::ServingStaleEnded {
                    trust_entry: entry.clone(),
                    stale_for: secs,
                },
                KeyEvent::ServingStaleEnded {
                    trust_entry: entry.clone(),
                    stale_for: secs,
                },
            ),
            (
                Core::MaxStaleExceeded {
                    trust_entry: entry.clone(),
                    keys_age: secs,
                    max_stale: secs,
                },
                KeyEvent::MaxStaleExceeded {
                    trust_entry: entry.clone(),
                    keys_age: secs,
                    max_stale: secs,
                },
            ),
            (
                Core::FetchRecovered {
                    trust_entry: entry.clone(),
                    failed_attempts: 3,
                },
                KeyEvent::FetchRecovered {
                    trust_entry: entry,
                    failed_attempts: 3,
                },
            ),
        ];
        for (core, expected) in pairs {
            assert_eq!(super::from_core::<_, KeyEvent>(&core), Some(expected));
        }
    }

    #[test]
    fn a_core_field_the_record_lacks_fails_these_tests() {
        let mut event = serde_json::json!({
            "event": "fetch_recovered", "trust_entry": "e", "failed_attempts": 1,
        });
        assert!(serde_json::from_value::<KeyEvent>(event.clone()).is_ok());
        event["newer"] = 2.into();
        assert!(serde_json::from_value::<KeyEvent>(event).is_err());
        let mut key = serde_json::json!({"kid": null, "algorithm": "ES256"});
        assert!(serde_json::from_value::<crate::stats::KeyInfo>(key.clone()).is_ok());
        key["newer"] = 2.into();
        assert!(serde_json::from_value::<crate::stats::KeyInfo>(key).is_err());
    }

    #[test]
    #[cfg(feature = "testing")]
    fn stats_read_with_their_key_sources() {
        let mock = teleport_jwt::mock::MockTeleport::start_with(teleport_jwt::mock::MockOptions {
            algorithm: teleport_jwt::Algorithm::ES256,
            ..Default::default()
        })
        .unwrap();
        let v = teleport_jwt::Verifier::teleport_jwt(teleport_jwt::TeleportJwt {
            proxy_url: mock.proxy_url(),
            cluster_name: mock.cluster_name(),
            audience: "mcp+http://127.0.0.1:8000/mcp".into(),
            options: teleport_jwt::VerifierOptions {
                ca_pem: Some(mock.ca_pem()),
                ..Default::default()
            },
        })
        .unwrap();
        v.verify(&mock.mint(&Default::default()).unwrap()).unwrap();
        let s = crate::stats::VerifierStats::from(v.stats());
        assert_eq!((s.accepted, s.refused.len()), (1, Reason::ALL.len()));
        let source = &s.key_sources[0];
        assert_eq!((source.fetches_ok, source.keys.len()), (1, 1));
        assert_eq!(source.keys[0].algorithm, teleport_jwt::Algorithm::ES256);
        assert!(source.keys_age.is_some() && source.fetch_duration_sum > Duration::ZERO);
        assert_eq!(source.fetch_duration_buckets.last(), Some(&1));
    }
}
