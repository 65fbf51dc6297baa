//! Exhaustive exploration of a program's interleavings, with state caching.
//!
//! The machine runs in exploration mode: it stops at every point where more than one thread
//! could run next — a check point of the profile with another thread runnable, a thread giving
//! the GIL up with several waiting, a sleep or timeout that could end now — and the explorer
//! tries every option, forking the machine. Each state is keyed canonically
//! ([`Machine::state_key`]); a state met again is not explored again, its summary is reused.
//! A summary says, for every outcome reachable from the state, how many schedules reach it
//! and the fewest preemptions any of them needs, with the option to take for that witness.
//! The set of outcomes is complete; a state reachable from itself (a spin loop) makes the
//! number of schedules infinite, which the report then says.
//!
//! **Partial-order reduction.** Unless `full` (`--no-reduction`), the machine offers no choice where a
//! switch cannot change what any thread sees (see `gilsim_vm`'s `explore` module): at a check
//! point whose next instructions, up to the following check point, touch only the running
//! thread's own state (its locals, constants, a `range` of its own, module names and lists
//! only the main thread reaches, globals frozen after the module body stored them); at check
//! points inside gilsim's own modules, which synchronise internally; and before a join or
//! start that hands the GIL on anyway. Such a switch commutes with the instructions it would
//! have preceded, so every outcome stays reachable; the schedule counts are then counts of
//! the reduced graph, and `full` gives the profile's exact count.
//!
//! A *schedule* is one path of choices from the start to the end of the run; a *preemption*
//! is a choice, at a check point, of another thread than the running one. With
//! `max_preemptions` (CHESS's bound) only schedules within the bound are explored, and the
//! remaining budget is part of the state key.

// Only the CLI prints: a library reports through its return values (errors are data).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod sweep;

use gilsim_vm::machine::{Choice, Machine, RunEnd};
use gilsim_vm::run::outcome_of;
use num_bigint::BigUint;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// What to explore and how far.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Explore only schedules with at most this many preemptions.
    pub max_preemptions: Option<u32>,
    /// Stop (with a partial report) after this many distinct states.
    pub max_states: Option<u64>,
    /// Offer a choice at every check point, including inside gilsim's own modules and
    /// before instructions that only touch the running thread's own data: the full graph,
    /// whose schedule count is the profile's exact count (small programs only).
    pub full: bool,
    /// Stop (with a partial report) at this wall-clock moment: a cut-off that depends on the
    /// machine's speed, so the report says its result is not reproducible.
    pub deadline: Option<std::time::Instant>,
}

/// One final outcome of the program. Outcomes compare by status, exit code, stdout and the
/// globals' JSON text.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    /// finished / exception / deadlock / step_limit / unsupported.
    pub status: String,
    /// Process exit code.
    pub exit_code: i32,
    /// The program's stdout.
    pub stdout: String,
    /// Final module globals as plain data, by name.
    pub globals: BTreeMap<String, serde_json::Value>,
    /// `globals` as JSON text: what outcomes compare by.
    #[serde(skip)]
    globals_text: String,
}

impl Outcome {
    /// The outcome part of a run record's outcome.
    #[must_use]
    pub fn from_record(o: gilsim_vm::record::Outcome) -> Outcome {
        let globals_text = serde_json::to_string(&o.globals).unwrap_or_default();
        Outcome {
            status: o.status,
            exit_code: o.exit_code,
            stdout: o.stdout,
            globals: o.globals,
            globals_text,
        }
    }

    fn order(&self) -> (&str, i32, &str, &str) {
        (
            &self.status,
            self.exit_code,
            &self.stdout,
            &self.globals_text,
        )
    }
}

impl PartialEq for Outcome {
    fn eq(&self, other: &Self) -> bool {
        self.order() == other.order()
    }
}

impl Eq for Outcome {}

impl PartialOrd for Outcome {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Outcome {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.order().cmp(&other.order())
    }
}

/// An outcome with how it is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeRow {
    /// The outcome.
    pub outcome: Outcome,
    /// The number of schedules that reach it (a lower bound when the report is not exact).
    pub schedules: BigUint,
    /// The fewest preemptions of a schedule that reaches it.
    pub preemptions: u32,
    /// That schedule, as the choices taken (the option chosen at each choice point).
    pub choices: Vec<u32>,
    /// That schedule in schedule text (`0:120 1:3 …`), for `gilsim run --schedule`.
    pub schedule: String,
}

/// The result of an exploration.
#[derive(Clone, Debug)]
pub struct Report {
    /// Whether every schedule (within the bound) was explored.
    pub exhaustive: bool,
    /// The preemption bound, if any.
    pub bound: Option<u32>,
    /// Distinct states (choice points) visited.
    pub states: u64,
    /// Runs that ended (distinct end states reached).
    pub ends: u64,
    /// Schedules explored, summed over outcomes.
    pub schedules: BigUint,
    /// Whether `schedules` is exact: false when the search was cut short or a state can
    /// reach itself (infinitely many schedules).
    pub schedules_exact: bool,
    /// Whether some state can reach itself (a loop that can spin forever under some schedule).
    pub cyclic: bool,
    /// Whether every check point was a choice ([`Options::full`]).
    pub full: bool,
    /// Why the search stopped early, if it did.
    pub stopped: Option<String>,
    /// Whether it stopped at [`Options::deadline`]: the one cut-off that depends on the
    /// machine, so the partial result is not reproducible.
    pub timed_out: bool,
    /// The outcomes, in order of their first witness's preemptions, then of the outcome.
    pub outcomes: Vec<OutcomeRow>,
}

impl Report {
    /// The report of a search that never began: the deadline had passed before its turn.
    #[must_use]
    pub fn out_of_time() -> Report {
        Report {
            exhaustive: false,
            bound: None,
            states: 0,
            ends: 0,
            schedules: BigUint::default(),
            schedules_exact: false,
            cyclic: false,
            full: false,
            stopped: Some("not explored: --max-time ran out before this version's turn".into()),
            timed_out: true,
            outcomes: Vec::new(),
        }
    }
}

/// A number of schedules: a machine integer while it fits, a wide one beyond (counts are
/// exact however large; most states' counts are small, and a small one allocates nothing).
#[derive(Clone, Debug)]
enum Count {
    Small(u128),
    Big(Rc<BigUint>),
}

impl Count {
    const ONE: Count = Count::Small(1);

    fn add(&mut self, other: &Count) {
        if let (Count::Small(a), Count::Small(b)) = (&*self, other)
            && let Some(sum) = a.checked_add(*b)
        {
            *self = Count::Small(sum);
            return;
        }
        *self = Count::Big(Rc::new(self.to_big() + other.to_big()));
    }

    fn to_big(&self) -> BigUint {
        match self {
            Count::Small(n) => BigUint::from(*n),
            Count::Big(b) => (**b).clone(),
        }
    }
}

/// What is known of one state: per outcome, (schedules, fewest preemptions, option for it).
/// Shared: a state met again hands its summary to every parent without copying it.
type Summary = Rc<[(u32, Count, u32, u32)]>;

/// Hashes a state key (already a 128-bit hash) by folding it: no second hash function.
#[derive(Default)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u128(&mut self, k: u128) {
        self.0 = (k as u64) ^ ((k >> 64) as u64);
    }
}

type KeyMap<V> = HashMap<u128, V, std::hash::BuildHasherDefault<KeyHasher>>;

enum Memo {
    /// Being explored (on the current path).
    Open,
    /// Done.
    Done(Summary),
}

struct Explorer {
    opts: Options,
    memo: KeyMap<Memo>,
    outcomes: Vec<Outcome>,
    outcome_ids: BTreeMap<Outcome, u32>,
    ends: KeyMap<u32>,
    cyclic: bool,
    stopped: Option<String>,
    /// Whether `stopped` is the wall-clock deadline.
    timed_out: bool,
    progress: Option<Box<dyn FnMut(u64)>>,
}

/// One node of the search path.
struct Node {
    key: u128,
    /// The state, until its last option takes it.
    machine: Option<Machine>,
    /// The pending choice, taken out of the machine (its clones need not copy it).
    choice: Choice,
    next: usize,
    budget: Option<u32>,
    /// Per outcome id, in id order: (id, schedules, fewest preemptions, option for them).
    summary: Vec<(u32, Count, u32, u32)>,
}

impl Explorer {
    fn key(&self, m: &Machine, budget: Option<u32>) -> u128 {
        let k = m.state_key();
        match budget {
            Some(b) => {
                k ^ (u128::from(b) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
            }
            None => k,
        }
    }

    /// The summary of an end state.
    fn end_summary(&mut self, m: &mut Machine, end: &RunEnd) -> Summary {
        let key = m.state_key();
        let id = if let Some(&id) = self.ends.get(&key) {
            id
        } else {
            let outcome = Outcome::from_record(outcome_of(m, end));
            let next = self.outcomes.len() as u32;
            let id = *self.outcome_ids.entry(outcome.clone()).or_insert(next);
            if id == next {
                self.outcomes.push(outcome);
            }
            self.ends.insert(key, id);
            id
        };
        Rc::from([(id, Count::ONE, 0, u32::MAX)])
    }

    /// Runs `m` to its next choice or its end. `first`: this is the first choice, where the
    /// heap is marked stable (everything made before it is common to every state: from
    /// there on only what changes needs describing in a key).
    fn advance(
        &mut self,
        mut m: Machine,
        budget: Option<u32>,
        first: bool,
    ) -> Result<Node, Summary> {
        match m.run_to_choice() {
            Some(end) => Err(self.end_summary(&mut m, &end)),
            None => {
                if first {
                    m.heap.mark_stable();
                }
                let key = self.key(&m, budget);
                let choice = m
                    .take_choice_point()
                    .expect("[gilsim internal bug] a choice is pending");
                Ok(Node {
                    key,
                    machine: Some(m),
                    choice,
                    next: 0,
                    budget,
                    summary: Vec::new(),
                })
            }
        }
    }

    fn merge(into: &mut Vec<(u32, Count, u32, u32)>, s: &Summary, extra: u32, option: u32) {
        for (id, count, pre, _) in s.iter() {
            let pre = pre.saturating_add(extra);
            match into.binary_search_by_key(id, |e| e.0) {
                Ok(i) => {
                    let e = &mut into[i];
                    e.1.add(count);
                    if pre < e.2 {
                        e.2 = pre;
                        e.3 = option;
                    }
                }
                Err(i) => into.insert(i, (*id, count.clone(), pre, option)),
            }
        }
    }

    fn explore(&mut self, start: Machine) -> Summary {
        let budget = self.opts.max_preemptions;
        let mut path: Vec<Node> = Vec::new();
        let root = match self.advance(start, budget, true) {
            Ok(n) => n,
            Err(s) => return s,
        };
        self.memo.insert(root.key, Memo::Open);
        path.push(root);
        let mut result: Summary = Rc::from([]);
        while let Some(node) = path.last_mut() {
            if node.next >= node.choice.options.len() || self.stopped.is_some() {
                let node = path.pop().expect("node");
                let summary: Summary = node.summary.into();
                self.memo.insert(node.key, Memo::Done(summary.clone()));
                match path.last_mut() {
                    Some(parent) => {
                        let option = parent.choice.options[parent.next - 1];
                        let extra = u32::from(is_preemption(parent.choice.running, option));
                        Self::merge(&mut parent.summary, &summary, extra, option);
                    }
                    None => result = summary,
                }
                continue;
            }
            let option = node.choice.options[node.next];
            node.next += 1;
            let pre = is_preemption(node.choice.running, option);
            let budget = match node.budget {
                Some(b) if pre && b == 0 => continue,
                Some(b) => Some(b - u32::from(pre)),
                None => None,
            };
            let Some(state) = node.machine.as_ref() else {
                continue;
            };
            let mut child = if node.next == node.choice.options.len() {
                // The last option takes the machine itself: no copy.
                node.machine.take().expect("state")
            } else {
                state.clone()
            };
            child.answer(&node.choice, option);
            match self.advance(child, budget, false) {
                Err(end) => {
                    let node = path.last_mut().expect("node");
                    Self::merge(&mut node.summary, &end, u32::from(pre), option);
                }
                Ok(next) => match self.memo.get(&next.key) {
                    Some(Memo::Done(s)) => {
                        let s = s.clone();
                        let node = path.last_mut().expect("node");
                        Self::merge(&mut node.summary, &s, u32::from(pre), option);
                    }
                    Some(Memo::Open) => {
                        // A state that reaches itself: infinitely many schedules.
                        self.cyclic = true;
                    }
                    None => {
                        if let Some(max) = self.opts.max_states
                            && self.memo.len() as u64 >= max
                        {
                            self.stopped = Some(format!(
                                "stopped after {max} states (--max-states); the outcomes are those found so far"
                            ));
                            continue;
                        }
                        self.memo.insert(next.key, Memo::Open);
                        if self.memo.len().is_multiple_of(1024) {
                            if let Some(p) = &mut self.progress {
                                p(self.memo.len() as u64);
                            }
                            if let Some(at) = self.opts.deadline
                                && std::time::Instant::now() >= at
                            {
                                self.stopped = Some(format!(
                                    "stopped by --max-time after {} states: a wall-clock cut-off, so another machine or run may get further (not reproducible); shrink the program with --shrink 2 or -D",
                                    self.memo.len()
                                ));
                                self.timed_out = true;
                            }
                        }
                        path.push(next);
                    }
                },
            }
        }
        result
    }
}

fn is_preemption(running: Option<u32>, option: u32) -> bool {
    running.is_some_and(|r| r != option)
}

/// Explores every schedule of `start` (a machine not yet run) within `opts`; `progress` is
/// called now and then with the number of states so far.
#[must_use]
pub fn explore(
    mut start: Machine,
    opts: &Options,
    progress: Option<Box<dyn FnMut(u64)>>,
) -> Report {
    start.set_explore(opts.full);
    let mut ex = Explorer {
        opts: opts.clone(),
        memo: KeyMap::default(),
        outcomes: Vec::new(),
        outcome_ids: BTreeMap::new(),
        ends: KeyMap::default(),
        cyclic: false,
        stopped: None,
        timed_out: false,
        progress,
    };
    let initial = start.clone();
    // Witnesses are rebuilt from `initial` by replaying their choices: the search itself
    // need not record schedules (each fork would copy its schedule so far).
    start.recorder.turn_off();
    let root = ex.explore(start);
    let mut total = BigUint::from(0u32);
    let mut rows: Vec<OutcomeRow> = root
        .iter()
        .map(|(id, count, pre, _)| {
            total += count.to_big();
            let (choices, schedule) = ex.witness(initial.clone(), *id);
            OutcomeRow {
                outcome: ex.outcomes[*id as usize].clone(),
                schedules: count.to_big(),
                preemptions: *pre,
                choices,
                schedule,
            }
        })
        .collect();
    rows.sort_by(|a, b| (a.preemptions, &a.outcome).cmp(&(b.preemptions, &b.outcome)));
    let exhaustive = ex.stopped.is_none();
    Report {
        exhaustive,
        bound: opts.max_preemptions,
        states: ex.memo.len() as u64,
        ends: ex.ends.len() as u64,
        schedules: total,
        schedules_exact: exhaustive && !ex.cyclic,
        cyclic: ex.cyclic,
        full: opts.full,
        stopped: ex.stopped,
        timed_out: ex.timed_out,
        outcomes: rows,
    }
}

impl Explorer {
    /// The choices of the fewest-preemption schedule to outcome `id`, following the summaries.
    fn witness(&self, mut m: Machine, id: u32) -> (Vec<u32>, String) {
        let mut budget = self.opts.max_preemptions;
        let mut choices = Vec::new();
        while m.run_to_choice().is_none() {
            if choices.is_empty() {
                // As the search did at its first choice.
                m.heap.mark_stable();
            }
            let c = m.choice_point().cloned().expect("choice");
            let key = self.key(&m, budget);
            let Some(Memo::Done(s)) = self.memo.get(&key) else {
                break;
            };
            let Some(&(_, _, _, option)) = s.iter().find(|e| e.0 == id) else {
                break;
            };
            if is_preemption(c.running, option) {
                budget = budget.map(|b| b.saturating_sub(1));
            }
            choices.push(option);
            m.choose(option);
        }
        let schedule = m.recorder.schedule(m.steps).to_string();
        (choices, schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gilsim_compiler::Profile;
    use gilsim_vm::run::{RunConfig, machine_for};
    use std::collections::BTreeSet;

    fn machine(src: &str) -> Machine {
        let profile = Profile::default();
        let program = gilsim_compiler::compile(src, "t.py", &profile).expect("compiles");
        let cfg = RunConfig::new("t.py", profile);
        machine_for(program, &cfg).expect("a machine")
    }

    fn run(src: &str, full: bool, max_preemptions: Option<u32>) -> Report {
        let opts = Options {
            full,
            max_preemptions,
            ..Options::default()
        };
        explore(machine(src), &opts, None)
    }

    /// The outcomes as `stdout` texts.
    fn printed(r: &Report) -> BTreeSet<String> {
        r.outcomes
            .iter()
            .map(|o| o.outcome.stdout.clone())
            .collect()
    }

    const COUNTER: &str = "import threading\ni = 0\ndef w():\n    global i\n    for _ in range(2):\n        i += 1\n\
        ts = [threading.Thread(target=w) for _ in range(2)]\nfor t in ts:\n    t.start()\n\
        for t in ts:\n    t.join()\nprint(i)\n";

    #[test]
    fn the_reduction_keeps_every_outcome_and_visits_fewer_states() {
        let locked = COUNTER
            .replace("i = 0\n", "i = 0\nlock = threading.Lock()\n")
            .replace(
                "        i += 1\n",
                "        with lock:\n            i += 1\n",
            );
        let check_then_act = "import threading\nstock = 1\nsold = []\ndef buy(n):\n    global stock\n    \
            if stock > 0:\n        stock -= 1\n        sold.append(n)\n\
            ts = [threading.Thread(target=buy, args=(n,)) for n in 'ab']\nfor t in ts:\n    t.start()\n\
            for t in ts:\n    t.join()\nprint(stock, sorted(sold))\n";
        for (src, want) in [
            (COUNTER, &["2\n", "3\n", "4\n"][..]),
            (locked.as_str(), &["4\n"][..]),
            // Both buy the last one (-1), or both read 1 and both store 0: a lost update.
            (
                check_then_act,
                &[
                    "-1 ['a', 'b']\n",
                    "0 ['a', 'b']\n",
                    "0 ['a']\n",
                    "0 ['b']\n",
                ][..],
            ),
        ] {
            let reduced = run(src, false, None);
            let full = run(src, true, None);
            assert!(reduced.exhaustive && full.exhaustive);
            let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(printed(&full), want, "{src}");
            assert_eq!(printed(&reduced), printed(&full), "{src}");
            assert!(
                reduced.states < full.states,
                "{} !< {}",
                reduced.states,
                full.states
            );
        }
    }

    #[test]
    fn no_preemption_means_the_threads_run_one_after_the_other() {
        let r = run(COUNTER, false, Some(0));
        assert_eq!(printed(&r), BTreeSet::from(["4\n".to_string()]));
        // One preemption, inside one thread's `i += 1`, lets the other thread's two
        // increments land in between and be overwritten; losing just one takes two.
        let r = run(COUNTER, false, Some(1));
        assert_eq!(
            printed(&r),
            BTreeSet::from(["2\n".to_string(), "4\n".to_string()])
        );
    }

    #[test]
    fn every_outcome_has_a_witness_that_reproduces_it() {
        let r = run(COUNTER, false, None);
        for row in &r.outcomes {
            let mut m = machine(COUNTER);
            m.set_explore(false);
            let mut options = row.choices.iter();
            let end = loop {
                if let Some(end) = m.run_to_choice() {
                    break end;
                }
                m.choose(*options.next().expect("the witness covers every choice"));
            };
            let o = gilsim_vm::run::outcome_of(&mut m, &end);
            assert_eq!(o.stdout, row.outcome.stdout);
        }
    }
}
