//! Switch policies: at each check point, keep running or switch, and to whom.
//!
//! The profile decides *where* a switch may happen; a policy decides *whether* and *to whom*.
//! Each policy is a small type implementing [`Policy`]; replay of a recorded schedule is just
//! another policy. Policies draw randomness only from the scheduling stream they are given.

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
    /// Only a replayed schedule fails, when it cannot be followed.
    fn at_check_point(
        &mut self,
        v: &SchedView<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<Decision, PolicyError>;

    /// The running thread gave up the GIL (`why`), or a thread must be picked at start: choose
    /// who runs next among `candidates` (non-empty, ascending; includes the previous thread
    /// when it is still runnable, e.g. after `sleep(0)`).
    ///
    /// # Errors
    /// Only a replayed schedule fails, when it cannot be followed.
    fn choose(
        &mut self,
        v: &SchedView<'_>,
        candidates: &[u32],
        why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError>;

    /// The resolved policy string stored in the run record (`slice:5ms`).
    fn describe(&self) -> String;

    /// Whether the policy counts instructions ([`Policy::on_completed`] must be called).
    fn wants_instruction_counts(&self) -> bool {
        false
    }

    /// One instruction of `thread` completed (replay counts them).
    fn on_completed(&mut self, _thread: u32) {}

    /// Instruction-counting policies (replay) decide after every completed instruction, at
    /// check points and elsewhere (`v.at_check_point` says which); a `SwitchTo` where there is
    /// no check point is reported as a schedule that cannot be followed.
    ///
    /// # Errors
    /// A schedule that cannot be followed.
    fn after_instruction(&mut self, _v: &SchedView<'_>) -> Result<Decision, PolicyError> {
        Ok(Decision::Continue)
    }

    /// Whether a replayed schedule was followed to its end.
    fn schedule_finished(&self) -> bool {
        true
    }

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
            Ok(Box::new(Every {
                n,
                random,
                budget: None,
            }))
        }
        "ticks" => {
            let n: u64 = rest
                .parse()
                .map_err(|_| format!("ticks:N needs a whole number N ≥ 1, not `{rest}`"))?;
            if n == 0 {
                return Err("ticks:N needs N ≥ 1".into());
            }
            Ok(Box::new(Ticks {
                n,
                next_tick: None,
                last_fire: 0,
            }))
        }
        "slice" => {
            let ns = parse_duration(rest)?;
            Ok(Box::new(Slice {
                interval_ns: Some(ns),
                jitter: None,
            }))
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
            Ok(Box::new(RandomP { p }))
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

/// `every:N` (`:random`): preempt after N check points, next thread round-robin (or random).
#[derive(Clone)]
pub struct Every {
    n: u64,
    random: bool,
    budget: Option<u64>,
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

/// `ticks:N`: CPython 2.7. Every N ticks the holder releases and re-takes the GIL; a seeded draw
/// (the OS) decides who gets it, often the same thread again. `sys.setcheckinterval` changes N.
#[derive(Clone)]
pub struct Ticks {
    n: u64,
    next_tick: Option<u64>,
    /// `checks_total` when the ticker last fired: 2.7's `_Py_Ticker` is one global counter,
    /// reset only when it fires, so a thread that takes the GIL after another blocked goes on
    /// with the ticks that were left.
    last_fire: u64,
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
    fn choose(
        &mut self,
        _v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        Ok(pick(rng, c))
    }
    fn describe(&self) -> String {
        format!("ticks:{}", self.n)
    }
    fn quiet_until(&self) -> Option<(u64, u64)> {
        self.next_tick.map(|t| (t, u64::MAX))
    }
}

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
    fn choose(
        &mut self,
        _v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        Ok(pick(rng, c))
    }
    fn describe(&self) -> String {
        "parallel".into()
    }
}

/// `random:P`: at each check point, switch with probability P to a random other thread.
#[derive(Clone)]
pub struct RandomP {
    p: f64,
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
    fn choose(
        &mut self,
        _v: &SchedView<'_>,
        c: &[u32],
        _why: GiveUp,
        rng: &mut ChaCha8Rng,
    ) -> Result<u32, PolicyError> {
        Ok(pick(rng, c))
    }
    fn describe(&self) -> String {
        format!("random:{}", self.p)
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
}
