//! Switch policies: at each check point, keep running or switch, and to whom.
//!
//! The profile decides *where* a switch may happen; a policy decides *whether* and *to whom*.
//! Each policy is a small type implementing [`Policy`], one per file; a recorded schedule
//! ([`replay::Replay`]) is followed before the policy takes over. Policies draw randomness
//! only from the scheduling stream they are given.

mod every;
mod io;
mod parallel;
mod pct;
mod random;
pub mod replay;
pub mod schedule;
mod slice;
mod ticks;

pub use every::Every;
pub use io::Io;
pub use parallel::Parallel;
pub use pct::Pct;
pub use random::RandomP;
pub use slice::Slice;
pub use ticks::Ticks;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// What the scheduler knows at a decision.
#[derive(Clone, Copy, Debug)]
pub struct SchedView<'a> {
    /// The running thread.
    pub current: u32,
    /// Runnable threads other than the running one, ascending ids.
    pub others: &'a [u32],
    /// Virtual time, nanoseconds.
    pub now_ns: u64,
    /// When the running thread took the GIL.
    pub held_since_ns: u64,
    /// The earliest time one of `others` started waiting for the GIL.
    pub waiting_since_ns: u64,
    /// Check points the running thread passed since it took the GIL.
    pub checks_since_switch: u64,
    /// Check points passed by all threads since the run began (2.7's global ticker).
    pub checks_total: u64,
    /// The running thread just released and re-took the GIL itself (2.7's blocking
    /// `Lock.acquire`): the OS may have handed it to another thread.
    pub gil_released: bool,
    /// Instructions the running thread completed since it took the GIL.
    pub instrs_since_switch: u64,
    /// `sys.getswitchinterval()` in nanoseconds.
    pub switch_interval_ns: u64,
    /// The check interval the program set (2.7 ticks), 0 while it has not.
    pub check_interval: u64,
    /// The source line of the next instruction of the running thread.
    pub next_line: u32,
    /// Whether the running thread sits at a check point right now.
    pub at_check_point: bool,
}

/// Why the running thread gave up the GIL without a policy decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveUp {
    /// It blocked (lock, join, queue, event).
    Blocked,
    /// It went to sleep.
    Sleep,
    /// It waits for simulated I/O.
    Io,
    /// `Thread.start()` waits, with the GIL released, until the new thread has run.
    Start,
    /// It finished.
    Exit,
}

/// A policy's answer at a check point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Keep running the current thread.
    Continue,
    /// Switch to this thread.
    SwitchTo(u32),
}

/// An error a policy reports (a hand-written schedule that cannot be followed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(pub String);

/// A copy of a policy in its current state (machines are cloned by the explorer); every
/// `Clone` policy has it.
pub trait PolicyClone {
    /// The copy.
    fn clone_box(&self) -> Box<dyn Policy>;
}

impl<T: Policy + Clone + 'static> PolicyClone for T {
    fn clone_box(&self) -> Box<dyn Policy> {
        Box::new(self.clone())
    }
}

/// A switch policy.
pub trait Policy: PolicyClone {
    /// At a check point of the running thread, with other runnable threads present: keep
    /// running or switch.
    ///
    /// # Errors
    /// A policy that cannot decide (none of the built-in ones fails).
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError>;

    /// The running thread gave up the GIL (`why`), or a thread must be picked at start: choose
    /// who runs next among `candidates` (non-empty, ascending; includes the previous thread
    /// when it is still runnable, e.g. after `sleep(0)`). By default a seeded pick, as the OS
    /// wakes one of the waiters.
    ///
    /// # Errors
    /// A policy that cannot decide (none of the built-in ones fails).
    fn choose(
        &mut self,
        v: &SchedView<'_>,
        candidates: &[u32],
        why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        let _ = (v, why);
        Ok(pick(rng, candidates))
    }

    /// The resolved policy string stored in the run record (`slice:5ms`).
    fn describe(&self) -> String;

    /// After a `Continue`, the policy's promise that it would answer `Continue` again at
    /// every check point until `checks_since_switch` reaches the first number or virtual
    /// time reaches the second, as long as the set of runnable threads and the switch
    /// interval stay the same. The machine then skips those calls. `None`: ask every time.
    fn quiet_until(&self) -> Option<(u64, u64)> {
        None
    }
}

impl Clone for Box<dyn Policy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// Parses a policy string.
///
/// # Errors
/// A message saying what the accepted forms are.
pub fn parse_policy(text: &str) -> Result<Box<dyn Policy>, String> {
    let text = text.trim();
    let (name, rest) = text.split_once(':').unwrap_or((text, ""));
    let bad = || {
        format!(
            "unknown policy `{text}`; use every:N, every:N:random, ticks:N, slice:5ms, parallel, io, random:P or pct:D"
        )
    };
    match name {
        "every" => {
            let (n, random) = match rest.split_once(':') {
                Some((n, "random")) => (n, true),
                Some(_) => return Err(bad()),
                None => (rest, false),
            };
            let n: u64 = n
                .parse()
                .map_err(|_| format!("every:N needs a whole number N ≥ 1, not `{n}`"))?;
            if n == 0 {
                return Err("every:N needs N ≥ 1".into());
            }
            Ok(Box::new(Every::new(n, random)))
        }
        "ticks" => {
            let n: u64 = rest
                .parse()
                .map_err(|_| format!("ticks:N needs a whole number N ≥ 1, not `{rest}`"))?;
            if n == 0 {
                return Err("ticks:N needs N ≥ 1".into());
            }
            Ok(Box::new(Ticks::new(n)))
        }
        "slice" => {
            let ns = parse_duration(rest)?;
            Ok(Box::new(Slice::fixed(ns)))
        }
        "io" => Ok(Box::new(Io)),
        "parallel" if rest.is_empty() => Ok(Box::new(Parallel)),
        "random" => {
            let p: f64 = rest.parse().map_err(|_| {
                format!("random:P needs a probability between 0 and 1, not `{rest}`")
            })?;
            if !(0.0..=1.0).contains(&p) {
                return Err(format!(
                    "random:P needs a probability between 0 and 1, not {p}"
                ));
            }
            Ok(Box::new(RandomP::new(p)))
        }
        "pct" => {
            let (d, k) = rest.split_once(':').unwrap_or((rest, "1000"));
            let depth: u32 = d
                .parse()
                .ok()
                .filter(|d| *d >= 1)
                .ok_or_else(|| format!("pct:D needs a bug depth D ≥ 1, not `{d}`"))?;
            let horizon: u64 = k.parse().ok().filter(|k| *k >= 1).ok_or_else(|| {
                format!("pct:D:K needs K ≥ 1 check points for the change points, not `{k}`")
            })?;
            Ok(Box::new(Pct::new(depth, horizon)))
        }
        _ => Err(bad()),
    }
}

/// Parses `5ms`, `100us`, `1s`, `250ns` into nanoseconds.
///
/// # Errors
/// When the text is not a number followed by ns, us, ms or s.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ns") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix("us").or_else(|| t.strip_suffix("µs")) {
        (n, 1e3)
    } else if let Some(n) = t.strip_suffix("ms") {
        (n, 1e6)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1e9)
    } else {
        return Err(format!("a duration needs a unit (ns, us, ms, s): `{t}`"));
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a duration: `{t}`"))?;
    if v <= 0.0 || !v.is_finite() {
        return Err(format!("a duration must be positive: `{t}`"));
    }
    Ok((v * mult).round().max(1.0) as u64)
}

/// Formats nanoseconds the way `slice:` accepts them.
#[must_use]
pub fn format_duration(ns: u64) -> String {
    if ns.is_multiple_of(1_000_000_000) {
        format!("{}s", ns / 1_000_000_000)
    } else if ns.is_multiple_of(1_000_000) {
        format!("{}ms", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}

/// A seeded pick among `from` (non-empty).
fn pick(rng: &mut ChaCha8Rng, from: &[u32]) -> u32 {
    from[rng.gen_range(0..from.len())]
}

/// Next thread after `current` in id order, wrapping.
fn round_robin(current: u32, candidates: &[u32]) -> u32 {
    candidates
        .iter()
        .copied()
        .find(|&c| c > current)
        .unwrap_or(candidates[0])
}

/// Helpers for the policies' unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::SchedView;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A view of thread `current` with `others` waiting, `checks` check points into its turn
    /// (and in all), at virtual time `now_ns`, under a 5 ms switch interval.
    pub(crate) fn view(current: u32, others: &[u32], checks: u64, now_ns: u64) -> SchedView<'_> {
        SchedView {
            current,
            others,
            now_ns,
            held_since_ns: 0,
            waiting_since_ns: 0,
            checks_since_switch: checks,
            checks_total: checks,
            gil_released: false,
            instrs_since_switch: checks,
            switch_interval_ns: 5_000_000,
            check_interval: 0,
            next_line: 1,
            at_check_point: true,
        }
    }

    /// A scheduling stream.
    pub(crate) fn rng(seed: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_describe_themselves() {
        for p in [
            "every:5",
            "every:3:random",
            "ticks:100",
            "slice:5ms",
            "io",
            "random:0.25",
        ] {
            assert_eq!(parse_policy(p).unwrap().describe(), p);
        }
        assert!(parse_policy("every:0").is_err());
        assert!(parse_policy("random:2").is_err());
        assert!(
            parse_policy("slice:5")
                .err()
                .is_some_and(|e| e.contains("unit"))
        );
        assert_eq!(parse_duration("250us").unwrap(), 250_000);
    }

    #[test]
    fn the_default_choice_is_a_seeded_pick_among_the_candidates() {
        let v = testing::view(0, &[1, 2], 0, 0);
        let picks = |seed| {
            let mut p = parse_policy("random:0.5").unwrap();
            let mut rng = testing::rng(seed);
            (0..50)
                .map(|_| p.choose(&v, &[1, 2, 3], GiveUp::Blocked, &mut rng).unwrap())
                .collect::<Vec<_>>()
        };
        let a = picks(7);
        assert!(
            [1, 2, 3].iter().all(|t| a.contains(t)),
            "every candidate is reachable"
        );
        assert!(
            a.iter().all(|t| [1, 2, 3].contains(t)),
            "only candidates are picked"
        );
        assert_eq!(a, picks(7), "the same seed picks the same threads");
    }

    #[test]
    fn durations_print_as_they_parse() {
        for d in ["5ms", "250us", "1s", "7ns"] {
            assert_eq!(format_duration(parse_duration(d).unwrap()), d);
        }
        assert!(parse_duration("0ms").is_err());
        assert!(parse_duration("nanms").is_err());
    }
}
