//! The phases of a run: what the controller does to the mock, and when.
//!
//! A controller thread walks the mock through these phases (lengths for 60 s; they scale with
//! `--seconds`), sampling the mock's JWKS request count and the verifier's fetch count at each
//! boundary. Steps count from the end of the previous step (an RSA key generation can take
//! seconds on a loaded machine), and a phase that changed keys lasts at least
//! `cooldown + fetch timeout + 0.5 s` after its last change, so that the verifier can hold the
//! new key before an outage begins; the run may thus last a little longer than `--seconds`.
//!
//! 1. `healthy` (8 s): standby, one key.
//! 2. `rotate-grace` (16 s): `init` (new key published, old one signs), then `update_clients`
//!    and `update_servers` (new key signs, both published), then `complete_rotation` (old key
//!    removed), 4 s apart.
//! 3. `rotate-now` (8 s): `rotate_now` (grace period 0: a new key replaces the old at once) at
//!    the start and again after 4 s.
//! 4. `forged-kid-rotate` (8 s): the workers' unknown-kid tokens are sent as bad-sig ones
//!    instead; 3 s later (the refetch budget has refilled) the controller verifies one token
//!    with a made-up kid and at once rotates with grace period 0; 4 s later unknown-kid tokens
//!    resume. The new key's tokens should see no transient refusal: the forged kid spent one
//!    of the budget's two refetches, the new key takes the other.
//! 5. `hang` (8 s): `Failure::Hang`, every request held unanswered.
//! 6. `fail-500` (6 s): `Failure::Status(500)`.
//! 7. `fail-refuse` (6 s): `Failure::Refuse`, connections refused (the mock counts no request).
//! 8. `recovery` (8 s): `Failure::None`.

use std::time::Duration;

use teleport_jwt::mock::{Failure, RotationPhase};

/// One step of a phase: what the controller does to the mock (or tells the workers).
#[derive(Debug, Clone)]
pub(crate) enum Action {
    Rotation(RotationPhase),
    CompleteRotation,
    RotateNow,
    Fail(Failure),
    Heal,
    /// Workers send their unknown-kid share as bad-sig tokens instead (true), or as before.
    QuietForgery(bool),
    /// The controller verifies one token with a made-up kid (spending an unknown-kid refetch).
    ForgedKid,
}

/// One phase. Times are in units of 1/60 of `--seconds` (one second by default) and count
/// from the end of the previous step, because generating an RSA key for a rotation can take
/// seconds on a loaded machine and must not eat into the time the verifier gets to react.
pub(crate) struct PhasePlan {
    pub(crate) name: &'static str,
    /// Each action after this many units.
    pub(crate) steps: Vec<(f64, Action)>,
    /// Units from the last step to the end of the phase.
    pub(crate) tail: f64,
}

impl PhasePlan {
    pub(crate) fn units(&self) -> f64 {
        self.steps.iter().map(|s| s.0).sum::<f64>() + self.tail
    }

    pub(crate) fn changes_keys(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s.1,
                Action::Rotation(_) | Action::CompleteRotation | Action::RotateNow
            )
        })
    }
}

/// The eight phases, in order (see the module docs).
pub(crate) fn plan() -> Vec<PhasePlan> {
    let p = |name, steps, tail| PhasePlan { name, steps, tail };
    vec![
        p("healthy", vec![], 8.0),
        p(
            "rotate-grace",
            vec![
                (0.0, Action::Rotation(RotationPhase::Init)),
                (4.0, Action::Rotation(RotationPhase::UpdateClients)),
                (4.0, Action::Rotation(RotationPhase::UpdateServers)),
                (4.0, Action::CompleteRotation),
            ],
            4.0,
        ),
        p(
            "rotate-now",
            vec![(0.0, Action::RotateNow), (4.0, Action::RotateNow)],
            4.0,
        ),
        // Issue 21 finding 4: one forged kid right before a grace-0 rotation must not get the
        // new key's tokens refused. The workers' own forged kids pause (they would keep the
        // budget spent, which bounds the delay by the interval instead), the budget refills,
        // then one forged kid, then the rotation at once.
        p(
            "forged-kid-rotate",
            vec![
                (0.0, Action::QuietForgery(true)),
                (3.0, Action::ForgedKid),
                (0.0, Action::RotateNow),
                (4.0, Action::QuietForgery(false)),
            ],
            1.0,
        ),
        p("hang", vec![(0.0, Action::Fail(Failure::Hang))], 8.0),
        p(
            "fail-500",
            vec![(0.0, Action::Fail(Failure::Status(500)))],
            6.0,
        ),
        p(
            "fail-refuse",
            vec![(0.0, Action::Fail(Failure::Refuse))],
            6.0,
        ),
        p("recovery", vec![(0.0, Action::Heal)], 8.0),
    ]
}

/// The length of one plan unit, so that the whole plan lasts `seconds`.
pub(crate) fn unit(plan: &[PhasePlan], seconds: f64) -> Duration {
    let total_units: f64 = plan.iter().map(PhasePlan::units).sum();
    Duration::from_secs_f64(seconds / total_units)
}
