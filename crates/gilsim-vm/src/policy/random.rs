//! `random:P`: at each check point, a switch with probability P.

use super::{Decision, Policy, PolicyError, SchedView, pick};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `random:P`: at each check point, switch with probability P to a random other thread.
#[derive(Clone)]
pub struct RandomP {
    p: f64,
}

impl RandomP {
    /// A switch with probability `p` at each check point.
    #[must_use]
    pub fn new(p: f64) -> Self {
        RandomP { p }
    }
}

impl Policy for RandomP {
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        if rng.gen_bool(self.p) {
            return Ok(Decision::SwitchTo(pick(rng, v.others)));
        }
        Ok(Decision::Continue)
    }
    fn describe(&self) -> String {
        format!("random:{}", self.p)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    #[test]
    fn switches_with_its_probability() {
        let mut r = rng(2);
        let v = view(0, &[1], 1, 0);
        assert_eq!(
            RandomP::new(0.0).at_check_point(&v, &mut r),
            Ok(Decision::Continue)
        );
        assert_eq!(
            RandomP::new(1.0).at_check_point(&v, &mut r),
            Ok(Decision::SwitchTo(1))
        );
        let mut p = RandomP::new(0.25);
        let n = (0..4000)
            .filter(|_| p.at_check_point(&v, &mut r) != Ok(Decision::Continue))
            .count();
        assert!((800..1200).contains(&n), "{n}");
    }
}
