//! Key events: a first fetch, a rotation, an outage with stale keys serving, a recovery; and
//! nothing on the request path of tokens whose keys are cached. Against the mock Teleport.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use parking_lot::Mutex;
use teleport_jwt::events::{KeyEvent, KeyEvents};
use teleport_jwt::mock::{Ca, Failure};
use teleport_jwt::{Algorithm, ManualClock, TrustEntry, Verifier};

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
    wait_until("the failed refresh's event", || !events.0.lock().is_empty());
    match events.take().as_slice() {
        [KeyEvent::FetchFailed {
            error,
            serving_stale,
            ..
        }] => {
            assert_eq!(error.reason(), teleport_jwt::Reason::KeySourceUnavailable);
            assert!(serving_stale);
        }
        other => panic!("outage: {other:?}"),
    }

    m.set_failure(Failure::None);
    clock.advance(Duration::from_secs(31));
    v.verify(&m.mint(&spec_at(T0 + 632)).unwrap()).unwrap();
    wait_until("the recovery's event", || !events.0.lock().is_empty());
    assert_eq!(
        events.take(),
        vec![KeyEvent::FetchRecovered {
            trust_entry: entry,
            failed_attempts: 1
        }]
    );
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
