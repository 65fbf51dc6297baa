//! `parallel`: CPython 3.13t without a GIL; any runnable thread may complete the next instruction.

use super::{Decision, Policy, PolicyError, SchedView};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `parallel`: CPython 3.13t, no GIL. Every running thread advances on its own core; at each
/// instruction boundary (every boundary is a check point under 3.13t) a seeded draw picks which
/// runnable thread completes the next instruction, the running one included.
#[derive(Clone)]
pub struct Parallel;

impl Policy for Parallel {
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        let k = rng.gen_range(0..=v.others.len());
        if k == v.others.len() {
            return Ok(Decision::Continue);
        }
        Ok(Decision::SwitchTo(v.others[k]))
    }
    fn describe(&self) -> String {
        "parallel".into()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    #[test]
    fn any_runnable_thread_may_complete_the_next_instruction() {
        let mut p = Parallel;
        let mut r = rng(1);
        let seen: std::collections::BTreeSet<Option<u32>> = (0..200)
            .map(
                |_| match p.at_check_point(&view(0, &[1, 2], 1, 0), &mut r) {
                    Ok(Decision::Continue) => None,
                    Ok(Decision::SwitchTo(t)) => Some(t),
                    Err(e) => panic!("{e:?}"),
                },
            )
            .collect();
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            [None, Some(1), Some(2)]
        );
    }
}
