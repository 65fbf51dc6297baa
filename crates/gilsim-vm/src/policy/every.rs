//! `every:N` and `every:N:random`: a preemption every N check points, as CPython 2 did with a fixed tick count.

use super::{Decision, GiveUp, Policy, PolicyError, SchedView, pick, round_robin};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `every:N` (`:random`): preempt after N check points, next thread round-robin (or random).
#[derive(Clone)]
pub struct Every {
    n: u64,
    random: bool,
    budget: Option<u64>,
}

impl Every {
    /// A preemption every `n` check points; `random`: after a seeded 1..=n, to a seeded thread.
    #[must_use]
    pub fn new(n: u64, random: bool) -> Self {
        Every {
            n,
            random,
            budget: None,
        }
    }
}

impl Policy for Every {
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        let budget = *self.budget.get_or_insert_with(|| {
            if self.random {
                rng.gen_range(1..=self.n)
            } else {
                self.n
            }
        });
        if v.checks_since_switch >= budget {
            self.budget = None;
            let next = if self.random {
                pick(rng, v.others)
            } else {
                round_robin(v.current, v.others)
            };
            return Ok(Decision::SwitchTo(next));
        }
        Ok(Decision::Continue)
    }
    fn choose(
        &mut self,
        v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        self.budget = None;
        Ok(if self.random {
            pick(rng, c)
        } else {
            round_robin(v.current, c)
        })
    }
    fn describe(&self) -> String {
        if self.random {
            format!("every:{}:random", self.n)
        } else {
            format!("every:{}", self.n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    #[test]
    fn switches_round_robin_after_n_check_points() {
        let mut p = Every::new(3, false);
        let mut r = rng(0);
        for checks in 1..3 {
            let d = p.at_check_point(&view(1, &[0, 2], checks, 0), &mut r);
            assert_eq!(d, Ok(Decision::Continue), "check {checks}");
        }
        assert_eq!(
            p.at_check_point(&view(1, &[0, 2], 3, 0), &mut r),
            Ok(Decision::SwitchTo(2))
        );
        // After the last thread, the first again.
        assert_eq!(
            p.at_check_point(&view(2, &[0, 1], 3, 0), &mut r),
            Ok(Decision::SwitchTo(0))
        );
        assert_eq!(
            p.choose(&view(2, &[], 0, 0), &[0, 1], GiveUp::Blocked, &mut r),
            Ok(0)
        );
    }

    #[test]
    fn the_random_variant_switches_within_n_check_points() {
        let mut p = Every::new(4, true);
        let mut r = rng(3);
        for _ in 0..20 {
            let at = (1..=4)
                .find(|&c| p.at_check_point(&view(0, &[1], c, 0), &mut r) != Ok(Decision::Continue))
                .expect("a switch by the 4th check point");
            assert!((1..=4).contains(&at));
        }
    }
}
