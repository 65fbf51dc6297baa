//! `io`: cooperative scheduling; a thread runs until it blocks.

use super::{Decision, GiveUp, Policy, PolicyError, SchedView, round_robin};
use rand_chacha::ChaCha8Rng;

/// `io`: cooperative; switch only when the running thread blocks.
#[derive(Clone)]
pub struct Io;

impl Policy for Io {
    fn at_check_point(
        &mut self,
        _v: &SchedView<'_>,
        _rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        Ok(Decision::Continue)
    }
    fn choose(
        &mut self,
        v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        _rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        Ok(round_robin(v.current, c))
    }
    fn describe(&self) -> String {
        "io".into()
    }
    fn quiet_until(&self) -> Option<(u64, u64)> {
        Some((u64::MAX, u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    #[test]
    fn never_preempts_and_hands_over_round_robin() {
        let mut p = Io;
        let mut r = rng(0);
        for checks in [1, 100, 1_000_000] {
            assert_eq!(
                p.at_check_point(&view(0, &[1], checks, 0), &mut r),
                Ok(Decision::Continue)
            );
        }
        assert_eq!(p.quiet_until(), Some((u64::MAX, u64::MAX)));
        assert_eq!(
            p.choose(&view(1, &[], 0, 0), &[0, 1, 2], GiveUp::Io, &mut r),
            Ok(2)
        );
        assert_eq!(
            p.choose(&view(2, &[], 0, 0), &[0, 1], GiveUp::Io, &mut r),
            Ok(0)
        );
    }
}
