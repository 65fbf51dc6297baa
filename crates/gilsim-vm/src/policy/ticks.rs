//! `ticks:N`: CPython 2.7's global ticker, where the releasing thread often wins the GIL back.

use super::{Decision, Policy, PolicyError, SchedView, pick};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `ticks:N`: CPython 2.7. Every N ticks the holder releases and re-takes the GIL; a seeded draw
/// (the OS) decides who gets it, often the same thread again. `sys.setcheckinterval` changes N.
#[derive(Clone)]
pub struct Ticks {
    n: u64,
    /// `checks_total` when the ticker last fired: 2.7's `_Py_Ticker` is one global counter,
    /// reset only when it fires, so a thread that takes the GIL after another blocked goes on
    /// with the ticks that were left.
    last_fire: u64,
}

impl Ticks {
    /// The ticker firing every `n` check points (until `sys.setcheckinterval`).
    #[must_use]
    pub fn new(n: u64) -> Self {
        Ticks { n, last_fire: 0 }
    }
}

impl Policy for Ticks {
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        let n = if v.check_interval > 0 {
            v.check_interval
        } else {
            self.n
        };
        let fired = v.checks_total >= self.last_fire + n;
        if fired {
            self.last_fire = v.checks_total;
        }
        if fired || v.gil_released {
            // The releasing thread is already running and usually wins the race again.
            if rng.gen_bool(0.5) {
                return Ok(Decision::Continue);
            }
            return Ok(Decision::SwitchTo(pick(rng, v.others)));
        }
        Ok(Decision::Continue)
    }
    fn describe(&self) -> String {
        format!("ticks:{}", self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    /// Whether the ticker lets a switch happen at `checks_total` (over many seeds).
    fn may_switch(p: &Ticks, v: &SchedView<'_>) -> bool {
        (0..64).any(|seed| {
            let mut q = p.clone();
            q.at_check_point(v, &mut rng(seed)) != Ok(Decision::Continue)
        })
    }

    #[test]
    fn the_global_ticker_fires_every_n_check_points_and_often_keeps_the_thread() {
        let p = Ticks::new(100);
        assert!(!may_switch(&p, &view(0, &[1], 99, 0)));
        assert!(may_switch(&p, &view(0, &[1], 100, 0)));
        // When it fires, the releasing thread wins the GIL back about half the time.
        let kept = (0..1000)
            .filter(|&seed| {
                Ticks::new(100).at_check_point(&view(0, &[1], 100, 0), &mut rng(seed))
                    == Ok(Decision::Continue)
            })
            .count();
        assert!((400..600).contains(&kept), "{kept}");
    }

    #[test]
    fn setcheckinterval_and_a_released_gil_open_a_switch() {
        let p = Ticks::new(100);
        let mut v = view(0, &[1], 10, 0);
        v.check_interval = 10;
        assert!(may_switch(&p, &v));
        let mut v = view(0, &[1], 5, 0);
        v.gil_released = true;
        assert!(may_switch(&p, &v));
    }
}
