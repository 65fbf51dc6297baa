//! `pct:D[:K]`: probabilistic concurrency testing: random priorities and D−1 change points.

use super::{Decision, GiveUp, Policy, PolicyError, SchedView};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `pct:D[:K]`: PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010). Each thread
/// gets a random priority when first seen; the highest-priority runnable thread runs. D−1
/// change points are drawn among the first K check points (default 1000); at the i-th, the
/// running thread's priority drops below every initial one. A bug of depth D is found with
/// probability at least 1/(n·K^(D−1)) per run, for n threads.
#[derive(Clone)]
pub struct Pct {
    depth: u32,
    horizon: u64,
    /// Change points (check-point counts), ascending; drawn on first use.
    changes: Option<Vec<u64>>,
    /// Priorities by thread (higher runs).
    prio: std::collections::BTreeMap<u32, u64>,
    /// Check points seen.
    count: u64,
}

impl Pct {
    /// A PCT policy for bug depth `depth`, with change points among the first `horizon`
    /// check points.
    #[must_use]
    pub fn new(depth: u32, horizon: u64) -> Self {
        Pct {
            depth,
            horizon,
            changes: None,
            prio: std::collections::BTreeMap::new(),
            count: 0,
        }
    }

    fn priority(&mut self, t: u32, rng: &mut ChaCha8Rng) -> u64 {
        let base = u64::from(self.depth);
        *self
            .prio
            .entry(t)
            .or_insert_with(|| base + 1 + rng.gen_range(0..1u64 << 40))
    }

    /// The highest-priority thread among `candidates` (ties: the lower id).
    fn best(&mut self, candidates: &[u32], rng: &mut ChaCha8Rng) -> u32 {
        let mut best = candidates[0];
        let mut best_p = self.priority(best, rng);
        for &c in &candidates[1..] {
            let p = self.priority(c, rng);
            if p > best_p {
                best = c;
                best_p = p;
            }
        }
        best
    }
}

impl Policy for Pct {
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError> {
        if self.changes.is_none() {
            let mut c: Vec<u64> = (1..self.depth)
                .map(|_| rng.gen_range(1..=self.horizon))
                .collect();
            c.sort_unstable();
            self.changes = Some(c);
        }
        self.count += 1;
        let changes = self.changes.as_deref().unwrap_or(&[]);
        if let Some(i) = changes.iter().position(|&c| c == self.count) {
            // The i-th change point: the running thread drops below every initial priority.
            self.priority(v.current, rng);
            self.prio
                .insert(v.current, u64::from(self.depth) - 1 - i as u64);
        }
        let mut all = Vec::with_capacity(v.others.len() + 1);
        all.push(v.current);
        all.extend_from_slice(v.others);
        let best = self.best(&all, rng);
        Ok(if best == v.current {
            Decision::Continue
        } else {
            Decision::SwitchTo(best)
        })
    }
    fn choose(
        &mut self,
        _v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        Ok(self.best(c, rng))
    }
    fn describe(&self) -> String {
        if self.horizon == 1000 {
            format!("pct:{}", self.depth)
        } else {
            format!("pct:{}:{}", self.depth, self.horizon)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{rng, view};
    use super::*;

    #[test]
    fn without_change_points_the_highest_priority_thread_always_runs() {
        let mut p = Pct::new(1, 10);
        let mut r = rng(5);
        let first = p
            .choose(&view(0, &[], 0, 0), &[0, 1, 2], GiveUp::Start, &mut r)
            .unwrap();
        for checks in 1..50 {
            let d = p
                .at_check_point(&view(first, &[], checks, 0), &mut r)
                .unwrap();
            assert_eq!(d, Decision::Continue);
        }
        let others: Vec<u32> = [0, 1, 2].into_iter().filter(|&t| t != first).collect();
        assert_eq!(
            p.at_check_point(&view(first, &others, 50, 0), &mut r),
            Ok(Decision::Continue)
        );
    }

    #[test]
    fn a_change_point_demotes_the_running_thread_once() {
        // Depth 2, horizon 1: the one change point is the first check point.
        let mut p = Pct::new(2, 1);
        let mut r = rng(9);
        let first = p
            .choose(&view(0, &[], 0, 0), &[0, 1], GiveUp::Start, &mut r)
            .unwrap();
        let other = 1 - first;
        assert_eq!(
            p.at_check_point(&view(first, &[other], 1, 0), &mut r),
            Ok(Decision::SwitchTo(other))
        );
        assert_eq!(
            p.at_check_point(&view(other, &[first], 2, 0), &mut r),
            Ok(Decision::Continue)
        );
        assert_eq!(p.describe(), "pct:2:1");
        assert_eq!(Pct::new(3, 1000).describe(), "pct:3");
    }
}
