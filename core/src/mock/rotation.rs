//! The keys of one signing authority and Teleport's CA rotation phases.
//!
//! | phase | signs with | published |
//! |---|---|---|
//! | standby | the one key | 1 key (2 entries) |
//! | init | old (active) | old + new |
//! | update_clients / update_servers | new (next) | old + new |
//! | rollback | old (active) | old + new |
//! | standby after completion | new | new only |

use std::sync::Arc;

use super::keys::MockKey;
use super::{KeyChoice, MockError, RotationPhase};
use crate::alg::Algorithm;

impl RotationPhase {
    /// True for the phases that sign with the next key.
    const fn signs_with_next(self) -> bool {
        matches!(
            self,
            RotationPhase::UpdateClients | RotationPhase::UpdateServers
        )
    }
}

/// The key material and rotation phase of one CA.
#[derive(Debug)]
pub(crate) struct CaState {
    active: Arc<MockKey>,
    next: Option<Arc<MockKey>>,
    phase: RotationPhase,
    /// The algorithm of keys generated from now on (a suite change shows at rotation).
    next_algorithm: Algorithm,
}

impl CaState {
    /// A CA in standby with a fresh key of `alg`.
    pub(crate) fn new(alg: Algorithm, short_ec: bool) -> Result<Self, MockError> {
        Ok(CaState {
            active: Arc::new(MockKey::generate(alg, short_ec)?),
            next: None,
            phase: RotationPhase::Standby,
            next_algorithm: alg,
        })
    }

    /// The current phase.
    pub(crate) fn phase(&self) -> RotationPhase {
        self.phase
    }

    /// The algorithm new keys of this CA will use.
    pub(crate) fn next_algorithm(&self) -> Algorithm {
        self.next_algorithm
    }

    /// Sets the algorithm new keys will use.
    pub(crate) fn set_next_algorithm(&mut self, alg: Algorithm) {
        self.next_algorithm = alg;
    }

    /// The key tokens are signed with in the current phase.
    pub(crate) fn signing_key(&self) -> Arc<MockKey> {
        match (&self.next, self.phase.signs_with_next()) {
            (Some(next), true) => Arc::clone(next),
            _ => Arc::clone(&self.active),
        }
    }

    /// The active or next key.
    pub(crate) fn key(&self, which: KeyChoice) -> Option<Arc<MockKey>> {
        match which {
            KeyChoice::Active => Some(Arc::clone(&self.active)),
            KeyChoice::Next => self.next.clone(),
        }
    }

    /// The keys published now, active first.
    pub(crate) fn published(&self) -> Vec<Arc<MockKey>> {
        let mut keys = vec![Arc::clone(&self.active)];
        keys.extend(self.next.clone());
        keys
    }

    /// True when entering `phase` needs a freshly generated next key.
    pub(crate) fn needs_next_key(&self, phase: RotationPhase) -> bool {
        phase != RotationPhase::Standby && self.next.is_none()
    }

    /// Enters `phase`; `fresh` is used as the next key when one is needed and none exists.
    pub(crate) fn set_phase(&mut self, phase: RotationPhase, fresh: Option<MockKey>) {
        if phase == RotationPhase::Standby {
            if let Some(next) = self.next.take() {
                if self.phase.signs_with_next() {
                    self.active = next;
                }
            }
        } else if self.next.is_none() {
            // Without a fresh key (a caller bug) the CA stays in its current phase.
            match fresh {
                Some(key) => self.next = Some(Arc::new(key)),
                None => return,
            }
        }
        self.phase = phase;
    }

    /// Completes a rotation: the next key (or, with none, `fresh`) becomes the only key.
    pub(crate) fn complete(&mut self, fresh: Option<MockKey>) {
        if let Some(next) = self.next.take() {
            self.active = next;
        } else if let Some(key) = fresh {
            self.active = Arc::new(key);
        }
        self.phase = RotationPhase::Standby;
    }

    /// Grace period 0: `fresh` replaces every key at once.
    pub(crate) fn replace(&mut self, fresh: MockKey) {
        self.active = Arc::new(fresh);
        self.next = None;
        self.phase = RotationPhase::Standby;
    }

    /// True when a next key exists.
    pub(crate) fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// The JWKS document as Teleport publishes it: every key with its `kid`, each followed by a
    /// twin with `"kid": ""` when `blank_twin`.
    pub(crate) fn jwks_json(&self, blank_twin: bool) -> String {
        let mut entries = Vec::new();
        for key in self.published() {
            entries.push(key.jwk_json(key.kid()));
            if blank_twin {
                entries.push(key.jwk_json(""));
            }
        }
        format!("{{\"keys\":[{}]}}", entries.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Result<Option<MockKey>, MockError> {
        MockKey::generate(Algorithm::ES256, false).map(Some)
    }

    #[test]
    fn phases_follow_teleport_table() -> Result<(), MockError> {
        let mut ca = CaState::new(Algorithm::ES256, false)?;
        let old = ca.signing_key().kid().to_string();
        assert_eq!(ca.published().len(), 1);

        ca.set_phase(RotationPhase::Init, fresh()?);
        let new = ca
            .key(KeyChoice::Next)
            .map(|k| k.kid().to_string())
            .unwrap_or_default();
        assert_ne!(old, new);
        assert_eq!(ca.signing_key().kid(), old);
        assert_eq!(ca.published().len(), 2);

        ca.set_phase(RotationPhase::UpdateClients, None);
        assert_eq!(ca.signing_key().kid(), new);
        ca.set_phase(RotationPhase::UpdateServers, None);
        assert_eq!(ca.signing_key().kid(), new);
        ca.set_phase(RotationPhase::Rollback, None);
        assert_eq!(ca.signing_key().kid(), old);
        assert_eq!(ca.published().len(), 2);
        ca.set_phase(RotationPhase::Standby, None);
        assert_eq!(ca.signing_key().kid(), old);
        assert_eq!(ca.published().len(), 1);

        ca.set_phase(RotationPhase::UpdateServers, fresh()?);
        let newer = ca.signing_key().kid().to_string();
        ca.set_phase(RotationPhase::Standby, None);
        assert_eq!(ca.signing_key().kid(), newer);
        assert_eq!(ca.published().len(), 1);
        Ok(())
    }
}
