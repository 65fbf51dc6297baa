//! `slice:D`: CPython 3.2+'s switch interval: a drop request after the interval, with a little jitter.

use super::{Decision, GiveUp, Policy, PolicyError, SchedView, format_duration, pick};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `slice:D`: CPython 3.2+. A waiting thread raises a drop request after the switch interval;
/// the holder yields at its next check point and the GIL goes to a waiter (seeded choice). The
/// interval gets a small jitter, drawn once per slice.
#[derive(Clone)]
pub struct Slice {
    interval_ns: Option<u64>,
    jitter: Option<(u64, u64)>,
}

impl Slice {
    /// The slice policy with the program's own switch interval (`sys.setswitchinterval`).
    #[must_use]
    pub fn profile_default() -> Self {
        Slice {
            interval_ns: None,
            jitter: None,
        }
    }

    /// The slice policy with an interval given on the command line (`slice:1ms`), in ns.
    #[must_use]
    pub fn fixed(interval_ns: u64) -> Self {
        Slice {
            interval_ns: Some(interval_ns),
            jitter: None,
        }
    }
}

impl Policy for Slice {
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        let interval = v.switch_interval_ns;
        let start = v.held_since_ns.max(v.waiting_since_ns);
        let deadline = match self.jitter {
            Some((s, d)) if s == start => d,
            _ => {
                // The waiter's timed wait wakes a little late: up to +10% of the interval.
                let extra = rng.gen_range(0..=interval / 10);
                let d = start.saturating_add(interval).saturating_add(extra);
                self.jitter = Some((start, d));
                d
            }
        };
        if v.now_ns >= deadline {
            self.jitter = None;
            return Ok(Decision::SwitchTo(pick(rng, v.others)));
        }
        Ok(Decision::Continue)
    }
    fn choose(
        &mut self,
        _v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        self.jitter = None;
        Ok(pick(rng, c))
    }
    fn quiet_until(&self) -> Option<(u64, u64)> {
        self.jitter.map(|(_, d)| (u64::MAX, d))
    }
    fn describe(&self) -> String {
        match self.interval_ns {
            Some(ns) => format!("slice:{}", format_duration(ns)),
            None => "slice:5ms".into(),
        }
    }
}

impl Slice {
    /// The interval this policy was given on the command line, if any.
    #[must_use]
    pub fn fixed_interval(&self) -> Option<u64> {
        self.interval_ns
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    #[test]
    fn a_drop_request_comes_after_the_interval_plus_at_most_a_tenth() {
        for seed in 0..20 {
            let mut p = Slice::profile_default();
            let mut r = rng(seed);
            assert_eq!(
                p.at_check_point(&view(0, &[1], 1, 4_999_999), &mut r),
                Ok(Decision::Continue)
            );
            let (_, deadline) = p
                .quiet_until()
                .expect("a promise of quiet until the deadline");
            assert!((5_000_000..=5_500_000).contains(&deadline), "{deadline}");
            assert_eq!(
                p.at_check_point(&view(0, &[1], 2, deadline), &mut r),
                Ok(Decision::SwitchTo(1))
            );
        }
    }

    #[test]
    fn describes_its_interval() {
        assert_eq!(Slice::profile_default().describe(), "slice:5ms");
        assert_eq!(Slice::fixed(1_000).describe(), "slice:1us");
        assert_eq!(Slice::fixed(2_000_000).fixed_interval(), Some(2_000_000));
    }
}
