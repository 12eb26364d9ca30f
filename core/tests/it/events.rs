//! Key events: a first fetch, a rotation, an outage with stale keys serving, a recovery; and
//! nothing on the request path of tokens whose keys are cached. Against the mock Teleport.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use teleport_jwt::events::{KeyEvent, KeyEvents};
use teleport_jwt::mock::{Ca, Failure};
use teleport_jwt::{Algorithm, CachePolicy, ManualClock, TrustEntry, Verifier};

use crate::common::*;

#[derive(Default)]
struct Recorded(Mutex<Vec<KeyEvent>>);

impl KeyEvents for Recorded {
    fn on_event(&self, event: &KeyEvent) {
        self.0.lock().push(event.clone());
    }
}

impl Recorded {
    fn take(&self) -> Vec<KeyEvent> {
        std::mem::take(&mut *self.0.lock())
    }
}

#[test]
fn rotation_outage_and_recovery_are_reported_once_each() {
    let m = mock(Algorithm::ES256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let events = Arc::new(Recorded::default());
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options_for(&m))
        .clock(clock.clone())
        .key_events(events.clone())
        .build()
        .unwrap();
    let entry = m.cluster_name();
    let first = m.signing_key_id(Ca::Jwt);
    v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    match events.take().as_slice() {
        [KeyEvent::KeySetChanged {
            trust_entry,
            added,
            removed,
        }] => {
            assert_eq!(trust_entry, &entry);
            assert!(added.contains(&first) && removed.is_empty(), "{added:?}");
        }
        other => panic!("first fetch: {other:?}"),
    }
    for _ in 0..20 {
        v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    }
    assert_eq!(
        events.take(),
        vec![],
        "no event on the request path of cached keys"
    );

    m.rotate_now(Ca::Jwt);
    let second = m.signing_key_id(Ca::Jwt);
    v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    match events.take().as_slice() {
        [KeyEvent::KeySetChanged { added, removed, .. }] => {
            assert!(
                added.contains(&second) && removed.contains(&first),
                "{added:?} {removed:?}"
            );
        }
        other => panic!("rotation: {other:?}"),
    }

    m.set_failure(Failure::Status(503));
    clock.advance(Duration::from_secs(601));
    v.verify(&m.mint(&spec_at(T0 + 601)).unwrap()).unwrap();
    wait_until("the failed refresh's events", || events.0.lock().len() >= 2);
    match events.take().as_slice() {
        [KeyEvent::FetchFailed {
            error,
            serving_stale,
            ..
        }, KeyEvent::ServingStaleStarted {
            keys_age,
            remaining,
            ..
        }] => {
            assert_eq!(error.reason(), teleport_jwt::Reason::KeySourceUnavailable);
            assert!(serving_stale);
            assert_eq!(keys_age.as_secs(), 601);
            assert_eq!(remaining.as_secs(), 24 * 3600 - 601);
        }
        other => panic!("outage: {other:?}"),
    }

    m.set_failure(Failure::None);
    clock.advance(Duration::from_secs(31));
    v.verify(&m.mint(&spec_at(T0 + 632)).unwrap()).unwrap();
    wait_until("the recovery's events", || events.0.lock().len() >= 2);
    assert_eq!(
        events.take(),
        vec![
            KeyEvent::ServingStaleEnded {
                trust_entry: entry.clone(),
                stale_for: Duration::from_secs(31)
            },
            KeyEvent::FetchRecovered {
                trust_entry: entry,
                failed_attempts: 1
            }
        ]
    );
}

#[test]
fn keys_past_max_stale_are_reported_once_and_tokens_refused() {
    let m = mock(Algorithm::RS256);
    let clock = Arc::new(ManualClock::at_unix(T0));
    let events = Arc::new(Recorded::default());
    let mut options = options_for(&m);
    options.cache = CachePolicy {
        max_age: Duration::from_secs(600),
        cooldown: Duration::from_secs(30),
        max_stale: Duration::from_secs(900),
        ..CachePolicy::default()
    };
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options)
        .clock(clock.clone())
        .key_events(events.clone())
        .build()
        .unwrap();
    let entry = m.cluster_name();
    v.verify(&m.mint(&spec_at(T0)).unwrap()).unwrap();
    events.take();

    // Stale from 601 s on; the keys serve until they are 900 s old.
    m.set_failure(Failure::Refuse);
    clock.advance(Duration::from_secs(601));
    v.verify(&m.mint(&spec_at(T0 + 601)).unwrap()).unwrap();
    wait_until("stale serving to start", || events.0.lock().len() >= 2);
    assert!(matches!(
        events.take().as_slice(),
        [
            KeyEvent::FetchFailed {
                serving_stale: true,
                ..
            },
            KeyEvent::ServingStaleStarted { .. }
        ]
    ));
    assert!(v.stats().key_sources[0].serving_stale);

    // Past max_stale: the next request's fetch fails too, and its token is refused.
    clock.advance(Duration::from_secs(300));
    let late = m.mint(&spec_at(T0 + 901)).unwrap();
    assert_reason(v.verify(&late), teleport_jwt::Reason::KeySourceUnavailable);
    wait_until("max_stale to be reported", || events.0.lock().len() >= 3);
    assert_eq!(
        events.take()[1..],
        [
            KeyEvent::ServingStaleEnded {
                trust_entry: entry.clone(),
                stale_for: Duration::from_secs(300)
            },
            KeyEvent::MaxStaleExceeded {
                trust_entry: entry.clone(),
                keys_age: Duration::from_secs(901),
                max_stale: Duration::from_secs(900)
            }
        ]
    );
    let k = &v.stats().key_sources[0];
    assert!(!k.serving_stale, "keys past max_stale do not serve");
    assert_eq!(k.keys_age_seconds, Some(901.0));

    // Further failures say only that they failed.
    clock.advance(Duration::from_secs(31));
    assert_reason(v.verify(&late), teleport_jwt::Reason::KeySourceUnavailable);
    wait_until("the next failure", || !events.0.lock().is_empty());
    assert!(matches!(
        events.take().as_slice(),
        [KeyEvent::FetchFailed {
            serving_stale: false,
            ..
        }]
    ));

    // Recovery.
    m.set_failure(Failure::None);
    clock.advance(Duration::from_secs(31));
    v.verify(&m.mint(&spec_at(T0 + 963)).unwrap()).unwrap();
    assert!(events.take().iter().any(|e| matches!(
        e,
        KeyEvent::FetchRecovered {
            failed_attempts: 3,
            ..
        }
    )));
}

struct Panics;

impl KeyEvents for Panics {
    fn on_event(&self, _: &KeyEvent) {
        panic!("a receiver with a bug");
    }
}

#[test]
fn a_panicking_receiver_does_not_break_verification() {
    let m = mock(Algorithm::RS256);
    let v = Verifier::builder()
        .trust(TrustEntry::teleport_jwt(
            &m.proxy_url(),
            m.cluster_name(),
            AUD,
        ))
        .options(options_for(&m))
        .key_events(Arc::new(Panics))
        .build()
        .unwrap();
    assert!(v.verify(&m.mint(&Default::default()).unwrap()).is_ok());
    assert!(v.verify(&m.mint(&Default::default()).unwrap()).is_ok());
}
