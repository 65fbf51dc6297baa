//! The machine: heap, virtual threads, frames, the GIL, the virtual clock, and the run loop.
//!
//! One real thread runs every virtual thread, one instruction at a time. After each completed
//! instruction the profile says whether the position is a check point; if it is, the policy
//! decides whether the running thread keeps the GIL. A thread that blocks (lock, join, sleep,
//! simulated I/O) gives the GIL up and the policy picks who runs next. Builtins that run Python
//! code or block never nest an interpreter loop: they push frames or suspend the instruction.

use crate::object::dict::{Dict, HKey};
use crate::object::frame::{Code, Frame, OnReturn, Unit};
use crate::object::heap::Heap;
use crate::object::native::NativeId;
use crate::object::value::{Class, Instance, Module, Obj, ObjId, TbEntry, TypeTag, Value};
use crate::policy::replay::Replay;
use crate::policy::schedule::Recorder;
use crate::policy::{Decision, GiveUp, Policy, SchedView};
use crate::trace::{SwitchReason, Tracer};
use gilsim_compiler::profile::CheckAfter;
use gilsim_compiler::{Const, Op, Profile, Program};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What a blocked thread waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// A lock held by another thread (optionally with a timeout).
    Lock {
        /// The lock.
        lock: ObjId,
        /// When the timeout expires.
        deadline: Option<u64>,
    },
    /// Another thread's end.
    Join {
        /// The thread.
        thread: u32,
        /// When `join(timeout)` gives up.
        deadline: Option<u64>,
    },
    /// `time.sleep`.
    Sleep {
        /// Wake-up time.
        until: u64,
    },
    /// Simulated I/O.
    Io {
        /// Completion time.
        until: u64,
    },
    /// `Thread.start()`: the new thread has not run yet.
    Started {
        /// The new thread.
        thread: u32,
    },
}

impl Wait {
    fn wake_time(self) -> Option<u64> {
        match self {
            Wait::Lock { deadline, .. } => deadline,
            Wait::Join { deadline, .. } => deadline,
            Wait::Started { .. } => None,
            Wait::Sleep { until } | Wait::Io { until } => Some(until),
        }
    }
}

/// A virtual thread's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    /// Wants or holds the GIL.
    Runnable,
    /// Waiting.
    Blocked(Wait),
    /// Finished.
    Done,
}

/// A virtual thread.
#[derive(Clone, Debug)]
pub struct VThread {
    /// Thread id: main is 0, then in order of creation.
    pub id: u32,
    /// Thread name (`MainThread`, `Thread-1`).
    pub name: Rc<str>,
    /// The frames, innermost last.
    pub frames: Vec<Frame>,
    /// State.
    pub state: ThreadState,
    /// The exception being handled (`sys.exc_info()`), None if none.
    pub exc_info: Value,
    /// The result a suspended instruction completes with when the thread resumes.
    pub resume: Option<Value>,
    /// When it last became runnable (for the drop request).
    pub ready_since: u64,
    /// The Python `Thread` object, if any.
    pub obj: Value,
    /// The value a timed wait completes with (simulated I/O results).
    pub wake_value: Option<Value>,
    /// When the running `acquire(timeout=…)` gives up; kept across retries after wake-ups.
    pub timeout_at: Option<u64>,
    /// Daemon threads do not keep the program alive.
    pub daemon: bool,
    /// Whether `start_new_thread` has run for it.
    pub started: bool,
}

/// Spare value vectors for new frames. A clone of the machine starts with none: the pool is
/// a cache, and copying it would cost the explorer an allocation per spare vector per fork.
#[derive(Debug, Default)]
pub struct VecPool(pub(crate) Vec<Vec<Value>>);

impl Clone for VecPool {
    fn clone(&self) -> Self {
        VecPool::default()
    }
}

/// The threads by id, each shared copy-on-write between clones of a machine: the explorer
/// forks machines at every choice, and a fork usually runs one thread before it is keyed and
/// dropped, so only that thread is copied. Reading goes through [`Index`](std::ops::Index);
/// writing through [`IndexMut`](std::ops::IndexMut) copies the thread first if it is shared.
#[derive(Clone, Debug, Default)]
pub struct Threads(Vec<Rc<VThread>>);

impl Threads {
    /// The number of threads (finished ones included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no thread.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a thread (its id is its index).
    pub fn push(&mut self, t: VThread) {
        self.0.push(Rc::new(t));
    }

    /// The thread with this id, if any.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&VThread> {
        self.0.get(i).map(|t| &**t)
    }

    /// The threads in id order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &VThread> + ExactSizeIterator {
        self.0.iter().map(|t| &**t)
    }
}

impl std::ops::Index<usize> for Threads {
    type Output = VThread;
    #[inline]
    fn index(&self, i: usize) -> &VThread {
        &self.0[i]
    }
}

impl std::ops::IndexMut<usize> for Threads {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut VThread {
        Rc::make_mut(&mut self.0[i])
    }
}

impl<'a> IntoIterator for &'a Threads {
    type Item = &'a VThread;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, Rc<VThread>>, fn(&Rc<VThread>) -> &VThread>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|t| &**t)
    }
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The program finished (exit code 0, or `sys.exit(n)`).
    Finished,
    /// The main thread raised an uncaught exception.
    Exception,
    /// Every live thread is blocked forever.
    Deadlock,
    /// The step limit was reached.
    StepLimit,
    /// The program used something gilsim does not support (exit 2).
    Unsupported,
    /// A replayed schedule could not be followed.
    ScheduleError,
}

/// The end of a run.
#[derive(Clone, Debug)]
pub struct RunEnd {
    /// How it ended.
    pub status: Status,
    /// The process exit code CPython would give (3 for deadlock, 4 for the step limit).
    pub exit_code: i32,
    /// For deadlocks: what each blocked thread waits for; for unsupported constructs and
    /// schedule errors: the message.
    pub detail: Vec<String>,
    /// Where the run stopped (unsupported construct), if known: (line, col).
    pub location: Option<(u32, u32)>,
}

/// Control flow out of an instruction.
#[derive(Debug)]
pub enum Flow {
    /// A Python exception (an exception instance).
    Raise(Value),
    /// The instruction cannot complete now: the thread waits.
    Block(Wait),
    /// The thread gives the GIL up but stays runnable (`sleep(0)`, `Thread.start()` waiting for
    /// the new thread), completing with `None`.
    Yield(GiveUp),
    /// The run must stop.
    Stop(RunEnd),
}

/// Result type inside the machine.
pub type Res<T> = Result<T, Flow>;

/// Limits of a run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Instructions in all threads.
    pub max_steps: u64,
    /// Frames per thread (RecursionError beyond).
    pub max_depth: usize,
    /// Live heap objects (MemoryError beyond).
    pub max_objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 100_000_000,
            max_depth: 1000,
            max_objects: 5_000_000,
        }
    }
}

/// Per-purpose random streams split from the one seed.
#[derive(Clone, Debug)]
pub struct Streams {
    /// Scheduling decisions.
    pub sched: ChaCha8Rng,
    /// The program's `random` module.
    pub program: ChaCha8Rng,
    /// Simulated I/O latency and status.
    pub io: ChaCha8Rng,
}

impl Streams {
    /// Splits a seed into independent streams.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mk = |stream: u64| {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            r.set_stream(stream);
            r
        };
        Streams {
            sched: mk(1),
            program: mk(2),
            io: mk(3),
        }
    }
}

/// Builtin classes by tag, and the exception classes by name.
#[derive(Clone, Debug, Default)]
pub struct Types {
    /// Builtin classes.
    pub by_tag: BTreeMap<TypeTag, ObjId>,
    /// Exception classes.
    pub exc: BTreeMap<&'static str, ObjId>,
}

/// The machine. Cloning it copies the whole state (the explorer forks runs this way); code
/// is shared.
#[derive(Clone)]
pub struct Machine {
    /// The profile.
    pub profile: Profile,
    /// The heap.
    pub heap: Heap,
    /// Compiled units; 0 is the user's program. Shared between clones (only an import adds
    /// one).
    pub units: Rc<Vec<Unit>>,
    /// Threads by id.
    pub threads: Threads,
    /// The running thread.
    pub current: u32,
    /// Virtual time in nanoseconds.
    pub now: u64,
    /// Instructions completed in all threads.
    pub steps: u64,
    /// Thread switches.
    pub switches: u64,
    /// Limits.
    pub limits: Limits,
    /// The program's stdout.
    pub stdout: Vec<u8>,
    /// The program's stderr (tracebacks).
    pub stderr: Vec<u8>,
    /// Builtin classes.
    pub types: Rc<Types>,
    /// The `builtins` module.
    pub builtins: ObjId,
    /// Imported modules by name.
    pub modules: Rc<BTreeMap<String, ObjId>>,
    /// The `__main__` module.
    pub main_module: ObjId,
    /// The policy.
    pub policy: Box<dyn Policy>,
    /// A schedule followed first (`--schedule`, replay); the policy decides once it runs out.
    pub replay: Option<Replay>,
    /// Random streams.
    pub streams: Streams,
    /// `sys.getswitchinterval()` in ns.
    pub switch_interval_ns: u64,
    /// The check interval the program set (2.7's `sys.setcheckinterval`); 0 while it has not,
    /// so that `ticks:N` uses its own N.
    pub check_interval: u64,
    /// The schedule followed so far.
    pub recorder: Recorder,
    /// Optional trace collection.
    pub tracer: Option<Tracer>,
    /// The detectors, when on (`None`: no detection, nothing observed).
    pub detect: Option<Box<crate::detect::Detector>>,
    /// Interned strings (names, constants).
    pub interned: Rc<BTreeMap<Rc<str>, ObjId>>,
    /// When the running thread took the GIL.
    pub held_since: u64,
    /// Check points passed since the running thread took the GIL.
    pub checks_since_switch: u64,
    /// Check points passed by every thread before the running one took the GIL.
    pub checks_before_switch: u64,
    /// Instructions since the running thread took the GIL.
    pub instrs_since_switch: u64,
    /// The last conditional jump tested an exact bool (3.9 fast path).
    pub(crate) last_test_was_bool: bool,
    /// 2.7: the last instruction released and re-took the GIL (a blocking `Lock.acquire`).
    pub(crate) gil_released: bool,
    /// The last instruction returned from a frame marked `check_on_return`.
    pub(crate) return_checks: bool,
    /// 3.11+: the last CALL went to a C callee that checks after it returns.
    pub(crate) call_checks: bool,
    /// The profile specialises C-call sites (3.11+), so calls are classified as they run.
    pub(crate) specialises: bool,
    /// 3.11+: generic executions of each specialisable call site (unit, code, pc packed), up
    /// to the profile's warm-up; part of the state, as CPython's inline caches are.
    pub(crate) spec: Rc<BTreeMap<u64, u8>>,
    /// The `NotImplemented` singleton (a builtin, so always reachable).
    pub(crate) not_implemented: Value,
    /// The interned names `__enter__` and `__exit__`, looked up by every `with`.
    pub(crate) with_names: (Value, Value),
    /// Set when a repr inside a native met an instance with its own `__repr__`/`__str__`,
    /// which cannot run there: the instruction is refused instead of printing the wrong text.
    pub(crate) deep_dunder: Option<String>,
    /// A handler was entered by the last instruction.
    pub(crate) entered_handler: bool,
    /// The exception being unwound is a re-raise (its traceback already has this frame).
    pub(crate) reraising: bool,
    /// Exit code requested by `sys.exit` in the main thread.
    pub(crate) exit_code: Option<i32>,
    /// Whether the main thread ended with an uncaught exception.
    pub(crate) main_raised: bool,
    /// Id of the next Python-level thread (`Thread-N` numbering).
    pub(crate) next_thread_name: u32,
    /// Reusable buffer for runnable ids.
    others_buf: Vec<u32>,
    /// Threads blocked in `Thread.start()` until their new thread runs.
    starting: u32,
    /// The earliest virtual time at which a timed wait (sleep, I/O, a timeout) ends.
    next_wake: u64,
    /// Depth of nested container comparisons (bounded like recursion).
    pub(crate) nesting: u32,
    /// Vectors of retired frames, reused by new ones (calls allocate nothing in the steady state).
    pub(crate) vec_pool: VecPool,
    /// The policy's last promise of quiet (see [`Policy::quiet_until`]).
    pub(crate) quiet: Option<(u64, u64)>,
    /// `others_buf` (and `waiting_since_cache`) are up to date for this running thread.
    pub(crate) others_valid_for: Option<u32>,
    waiting_since_cache: u64,
    /// Exploration: stop at every point where more than one thread could run next, instead
    /// of asking the policy (see [`Machine::run_to_choice`]).
    pub(crate) explore: bool,
    /// Exploration also switches at check points inside gilsim's own modules.
    pub explore_inside_modules: bool,
    /// Exploration skips a check point when the running thread's next instructions up to
    /// its next check point are its own business (see `local_until_next_check`).
    pub explore_reduce: bool,
    /// The choice the machine stopped at, in exploration.
    pub choice: Option<Choice>,
    /// In exploration: the attribute names any code of the run may write (see
    /// [`AttrWrites`]); `None` outside exploration.
    pub(crate) attr_writes: Option<Rc<AttrWrites>>,
}

/// A point where, in exploration, more than one thread could run next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The threads that may run next, ascending: runnable threads and threads whose timed
    /// wait (sleep, I/O, a timeout) may end now. At a check point the running thread is among
    /// them (it keeps the GIL).
    pub options: Vec<u32>,
    /// The running thread, at a check point; `None` when it gave the GIL up.
    pub running: Option<u32>,
    /// Why it gave the GIL up, when it did.
    pub why: Option<GiveUp>,
}

/// Names through which code could reach a module's namespace without naming each entry:
/// while any of them appears anywhere in the program, no module name is private.
const NAMESPACE_DOORS: &[&str] = &[
    "globals",
    "vars",
    "locals",
    "dir",
    "eval",
    "exec",
    "compile",
    "__import__",
    "__dict__",
    "__globals__",
    "__main__",
    "__builtins__",
    "builtins",
    "modules",
    "importlib",
    "inspect",
];

/// Per name of the learner's module body (`program.codes[0].names`): whether it is a
/// module-level name only the module body can touch. Only the main thread runs the module
/// body, so a load or store of such a name (by `LOAD_NAME`/`STORE_NAME` there) commutes with
/// everything every other thread does, and exploration need not offer a switch before it.
///
/// A name is private when no other code object of the program (function, lambda, class body,
/// comprehension) has it in its name table at all (attribute names included: an
/// over-approximation, which only costs reduction), and the program mentions none of the
/// [`NAMESPACE_DOORS`] through which a namespace can be read or written wholesale. Bundled
/// modules have their own namespaces and cannot name the learner's.
#[must_use]
pub fn main_private_names(program: &Program) -> Vec<bool> {
    let Some(module) = program.codes.first() else {
        return Vec::new();
    };
    let mentions = |n: &str| {
        program
            .codes
            .iter()
            .any(|c| c.names.iter().chain(&c.varnames).any(|x| x == n))
    };
    if NAMESPACE_DOORS.iter().any(|d| mentions(d)) {
        return vec![false; module.names.len()];
    }
    let shared: std::collections::BTreeSet<&str> = program.codes[1..]
        .iter()
        .flat_map(|c| c.names.iter().chain(&c.freevars).map(String::as_str))
        .collect();
    module
        .names
        .iter()
        .map(|n| !shared.contains(n.as_str()))
        .collect()
}

/// The lookahead's working copies: the followed frame's stack, the locals and module names it
/// stored, and where each iterator it followed stands now.
#[derive(Default)]
struct Scratch {
    stack: Vec<Value>,
    locals: Vec<(usize, Value)>,
    names: Vec<(usize, Value)>,
    iters: Vec<(ObjId, i64)>,
    seqs: Vec<(ObjId, usize)>,
}

/// What exploration's lookahead finds a thread's next instructions do (see
/// `Machine::look_ahead`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    /// They reach a check point touching nothing another thread could see.
    Local,
    /// They reach a point where the thread gives the GIL up, touching nothing another thread
    /// could see on the way.
    Gives,
    /// They may touch what another thread sees (or the lookahead cannot tell).
    Visible,
}

/// What exploration's lookahead holds for a `range` it followed the making of: an id no
/// object has.
const FRESH_RANGE: Value = Value::Obj(ObjId(u32::MAX));

/// Per module-level name of the learner's program that only its module body stores: the
/// index just past that body's last store of it (0 if it stores none: the builtin is what
/// the name finds). Once the main thread's module body is past that index, and past every
/// backward jump that could lead to it again, the name keeps its value for the rest of the
/// run, so a function's `LOAD_GLOBAL` of it commutes with everything every thread does
/// ([`Machine::global_frozen`]). Names some function or class body stores (`global x`) or
/// deletes are left out, and so is every name while the program mentions one of the
/// [`NAMESPACE_DOORS`]. (Every other unit is a bundled module, which cannot name the
/// learner's.)
#[must_use]
pub fn frozen_globals(program: &Program) -> BTreeMap<&str, u32> {
    use gilsim_compiler::Op::{DELETE_GLOBAL, DELETE_NAME, STORE_GLOBAL, STORE_NAME};
    let mut after = BTreeMap::new();
    let Some(module) = program.codes.first() else {
        return after;
    };
    let doors = program.codes.iter().any(|c| {
        c.names
            .iter()
            .chain(&c.varnames)
            .any(|x| NAMESPACE_DOORS.contains(&x.as_str()))
    });
    if doors {
        return after;
    }
    let stored_elsewhere: std::collections::BTreeSet<&str> = program.codes[1..]
        .iter()
        .flat_map(|c| {
            c.instrs.iter().filter_map(move |i| {
                matches!(i.op, STORE_GLOBAL | DELETE_GLOBAL)
                    .then(|| c.names.get(i.arg as usize).map(String::as_str))
                    .flatten()
            })
        })
        .collect();
    for c in &program.codes[1..] {
        for n in &c.names {
            if !stored_elsewhere.contains(n.as_str()) {
                after.insert(n.as_str(), 0);
            }
        }
    }
    for (k, i) in module.instrs.iter().enumerate() {
        // (A module-level `global x` makes the body's own stores STORE_GLOBAL.)
        if matches!(
            i.op,
            STORE_NAME | DELETE_NAME | STORE_GLOBAL | DELETE_GLOBAL
        ) && let Some(n) = module.names.get(i.arg as usize)
            && let Some(a) = after.get_mut(n.as_str())
        {
            *a = k as u32 + 1;
        }
    }
    after
}

/// Per instruction index of `code`: the lowest target of a backward jump at or after it.
fn backward_jumps_from(code: &gilsim_compiler::CodeObject) -> Vec<u32> {
    let mut out = vec![u32::MAX; code.instrs.len() + 1];
    for k in (0..code.instrs.len()).rev() {
        let i = code.instrs[k];
        let here = if i.op.is_jump() && (i.arg as usize) <= k {
            i.arg
        } else {
            u32::MAX
        };
        out[k] = here.min(out[k + 1]);
    }
    out
}

/// List methods that neither hand the list itself to other code nor run any (`sort`'s `key`
/// sees the items only).
const LIST_METHODS: &[&str] = &[
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "index", "count",
];

/// Per name of the learner's module body: whether it is a private name (`private`, from
/// [`main_private_names`]) that binds only lists no other thread can reach. That holds when
/// every store of it in the module body stores a list made right there — `BUILD_LIST`, or a
/// comprehension called on its iterator (`GET_ITER` then `CALL_FUNCTION 1`; the list a
/// comprehension builds is nameable by no code) — and every load of it is followed by
/// `GET_ITER` or by one of the [`LIST_METHODS`], so the list is never passed anywhere. Then
/// `for t in threads:` reads a list only the main thread can see, and the exploration's
/// lookahead follows its `FOR_ITER` as it follows a `range`. The lookahead still checks that
/// the iterator's sequence is a list bound to such a name.
#[must_use]
pub fn main_private_lists(program: &Program, private: &[bool]) -> Vec<bool> {
    use gilsim_compiler::Op::*;
    let Some(module) = program.codes.first() else {
        return Vec::new();
    };
    let mut ok: Vec<bool> = private.to_vec();
    ok.resize(module.names.len(), false);
    let mut stored = vec![false; module.names.len()];
    let ins = &module.instrs;
    for (k, i) in ins.iter().enumerate() {
        let a = i.arg as usize;
        let prev = |back: usize| k.checked_sub(back).map(|j| ins[j].op);
        match i.op {
            STORE_NAME | DELETE_NAME if a < ok.len() => {
                let fresh = i.op == STORE_NAME
                    && (prev(1) == Some(BUILD_LIST)
                        || (prev(1) == Some(CALL_FUNCTION)
                            && ins[k - 1].arg == 1
                            && prev(2) == Some(GET_ITER)));
                if !fresh {
                    ok[a] = false;
                }
                stored[a] = true;
            }
            LOAD_NAME if a < ok.len() => {
                let next = ins.get(k + 1);
                let contained = next.is_some_and(|n| {
                    n.op == GET_ITER
                        || (n.op == LOAD_METHOD
                            && module
                                .names
                                .get(n.arg as usize)
                                .is_some_and(|m| LIST_METHODS.contains(&m.as_str())))
                });
                if !contained {
                    ok[a] = false;
                }
            }
            // Any other use of the name (a global access, an import into it) disqualifies it.
            LOAD_GLOBAL | STORE_GLOBAL | DELETE_GLOBAL | IMPORT_NAME | IMPORT_FROM
                if a < ok.len() =>
            {
                ok[a] = false;
            }
            _ => {}
        }
    }
    // A name never stored by the module body binds no list of its own.
    ok.iter().zip(stored).map(|(o, s)| *o && s).collect()
}

/// Names through which code can write attributes without naming them in a `STORE_ATTR`, or
/// change where an attribute lookup looks: while any appears, every attribute counts as
/// written.
const ATTR_DOORS: &[&str] = &[
    "setattr",
    "delattr",
    "vars",
    "__dict__",
    "__setattr__",
    "__delattr__",
    "__class__",
    "__bases__",
    "__mro__",
];

/// Attributes gilsim's natives write themselves (exceptions' chaining and arguments, a
/// generator's return value).
const NATIVE_ATTR_WRITES: &[&str] = &[
    "args",
    "value",
    "_returned",
    "__cause__",
    "__context__",
    "__suppress_context__",
    "__traceback__",
];

/// The attribute names that some code of a run may write: every `STORE_ATTR`/`DELETE_ATTR`
/// name of the learner's program and of every bundled module (loaded or not: any may be
/// imported later), and those the natives write. An attribute whose name is not among them
/// keeps its value for the whole run wherever it is found, so reading it — `t.start`, the
/// method of a bundled class — commutes with everything every thread does, and the
/// exploration's lookahead follows it like a local. With any of the [`ATTR_DOORS`] in the
/// program, every name counts as written.
#[derive(Debug, Default)]
pub struct AttrWrites {
    names: std::collections::BTreeSet<String>,
    any: bool,
    /// Whether the learner's code may ask whether a thread is still alive (see
    /// [`observes_liveness`]): then a thread's end is visible, not only to its joiners.
    pub observes_liveness: bool,
    /// Whether code other than the learner's module body may see that a thread has started
    /// (see [`observes_starts`]), or liveness is observed: then `t.start()` is a step of its
    /// own.
    pub observes_starts: bool,
}

/// Attributes through which code can see whether a thread has started: `start()` and
/// `join()` raise on a thread in the wrong state, `ident` is None before the start.
const START_DOORS: &[&str] = &["start", "join", "ident", "native_id", "_started", "_ident"];

/// Whether code of the learner's `program` other than its module body (which only the main
/// thread runs, in order) may see that a thread has started: it names one of the
/// [`START_DOORS`], as a name, an attribute or a string constant.
#[must_use]
pub fn observes_starts(program: &Program) -> bool {
    program
        .codes
        .iter()
        .skip(1)
        .any(|c| c.names.iter().any(|n| START_DOORS.contains(&n.as_str())))
        || program.codes.iter().any(|c| {
            c.consts.iter().any(|k| {
            matches!(k, gilsim_compiler::Const::Str(s) if START_DOORS.contains(&s.as_str()))
        })
        })
}

/// Names through which code can see whether a thread has ended, other than by joining it.
const LIVENESS_DOORS: &[&str] = &[
    "is_alive",
    "isAlive",
    "active_count",
    "activeCount",
    "_active",
    "_thread",
    "_shutdown",
];

/// Whether the learner's `program` may ask whether a thread is still alive: it names one of
/// the [`LIVENESS_DOORS`] (as a name, an attribute or a string constant, as `getattr` would
/// take it), takes `enumerate` from a module (`threading.enumerate()`; the builtin is a
/// plain global).
#[must_use]
pub fn observes_liveness(program: &Program) -> bool {
    use gilsim_compiler::Op::{IMPORT_FROM, LOAD_ATTR, LOAD_METHOD};
    program.codes.iter().any(|c| {
        c.names.iter().any(|n| LIVENESS_DOORS.contains(&n.as_str()))
            || c.consts.iter().any(|k| {
                matches!(k, gilsim_compiler::Const::Str(s)
                    if s == "enumerate" || LIVENESS_DOORS.contains(&s.as_str()))
            })
            || c.instrs.iter().any(|i| {
                matches!(i.op, IMPORT_FROM | LOAD_ATTR | LOAD_METHOD)
                    && c.names
                        .get(i.arg as usize)
                        .is_some_and(|n| n == "enumerate")
            })
    })
}

impl AttrWrites {
    /// The analysis over these programs.
    #[must_use]
    pub fn of(programs: &[&Program]) -> AttrWrites {
        use gilsim_compiler::Op::{DELETE_ATTR, STORE_ATTR};
        let mut w = AttrWrites::default();
        w.names
            .extend(NATIVE_ATTR_WRITES.iter().map(|n| (*n).to_string()));
        for code in programs.iter().flat_map(|p| &p.codes) {
            if code.names.iter().any(|n| ATTR_DOORS.contains(&n.as_str())) {
                w.any = true;
            }
            for i in &code.instrs {
                if matches!(i.op, STORE_ATTR | DELETE_ATTR)
                    && let Some(n) = code.names.get(i.arg as usize)
                {
                    w.names.insert(n.clone());
                }
            }
        }
        w
    }

    /// Whether some code may write an attribute called `name`.
    #[must_use]
    pub fn may_write(&self, name: &str) -> bool {
        self.any || self.names.contains(name)
    }
}

/// Virtual cost of one instruction, in nanoseconds (documented in docs/how-it-works.md).
#[must_use]
const fn cost_of(op: Op) -> u64 {
    use Op::*;
    match op {
        NOP | LOAD_FAST | LOAD_CONST | STORE_FAST | POP_TOP | ROT_TWO | ROT_THREE | ROT_FOUR
        | DUP_TOP | DUP_TOP_TWO | JUMP_FORWARD | JUMP_ABSOLUTE | POP_BLOCK => 6,
        POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE | JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP
        | IS_OP => 8,
        LOAD_GLOBAL | STORE_GLOBAL | LOAD_NAME | STORE_NAME | LOAD_DEREF | STORE_DEREF
        | FOR_ITER => 12,
        LOAD_ATTR | STORE_ATTR | LOAD_METHOD | BINARY_SUBSCR | STORE_SUBSCR | COMPARE_OP
        | CONTAINS_OP => 20,
        CALL_FUNCTION | CALL_METHOD | CALL_FUNCTION_KW | CALL_FUNCTION_EX | MAKE_FUNCTION => 60,
        IMPORT_NAME | LOAD_BUILD_CLASS => 200,
        _ => 15,
    }
}

/// The cost table, one entry per opcode.
static COSTS: [u64; 256] = {
    let mut t = [15u64; 256];
    let mut i = 0;
    while i < 256 {
        if let Some(op) = Op::from_u8(i as u8) {
            t[i] = cost_of(op);
        }
        i += 1;
    }
    t
};

/// Ends a thread's timed wait: its sleep or I/O is over, or its timeout expired (a timed
/// `acquire` then returns False).
fn wake_from(th: &mut VThread, w: Wait, now: u64) {
    th.state = ThreadState::Runnable;
    th.ready_since = now;
    let default = match w {
        Wait::Lock { .. } => Value::Bool(false),
        _ => Value::None,
    };
    th.resume = Some(th.wake_value.take().unwrap_or(default));
    th.timeout_at = None;
}

/// What [`Machine::run_hot`] stopped at.
enum Hot {
    /// It ran an instruction whose aftermath needs the run loop; `check` as [`Machine::step`]
    /// returns it.
    Ran(bool),
    /// The next instruction is not a hot one (nothing of it ran).
    Cold,
    /// The step limit is reached.
    Limit,
}

/// Whether a check rule fires after an instruction: `bool_test` says the conditional jump
/// tested an exact bool, `jumped` that control did not fall through, `call_checks` that the
/// CALL reached a C callee that checks.
#[inline(always)]
pub(crate) fn check_fires(
    kind: CheckAfter,
    bool_test: bool,
    jumped: bool,
    call_checks: bool,
) -> bool {
    match kind {
        CheckAfter::Never => false,
        CheckAfter::Always => true,
        CheckAfter::UnlessBool => !bool_test,
        CheckAfter::IfJumped => jumped,
        CheckAfter::AfterNativeCall => call_checks,
    }
}

/// Virtual cost of one instruction, in nanoseconds.
#[inline]
#[must_use]
pub fn instr_cost(op: Op) -> u64 {
    COSTS[op as usize]
}

impl Machine {
    /// Builds a machine for a compiled program.
    #[must_use]
    pub fn new(
        program: Program,
        profile: Profile,
        policy: Box<dyn Policy>,
        seed: u64,
        limits: Limits,
    ) -> Machine {
        let mut m = Machine {
            profile,
            heap: Heap::new(limits.max_objects),
            units: Rc::default(),
            threads: Threads::default(),
            current: 0,
            now: 0,
            steps: 0,
            switches: 0,
            limits,
            stdout: Vec::new(),
            stderr: Vec::new(),
            types: Rc::new(Types::default()),
            builtins: ObjId(0),
            modules: Rc::default(),
            main_module: ObjId(0),
            policy,
            streams: Streams::new(seed),
            switch_interval_ns: profile.default_switch_interval_ns(),
            check_interval: 0,
            recorder: Recorder::default(),
            tracer: None,
            detect: None,
            interned: Rc::new(BTreeMap::new()),
            held_since: 0,
            checks_since_switch: 0,
            checks_before_switch: 0,
            instrs_since_switch: 0,
            last_test_was_bool: false,
            call_checks: false,
            return_checks: false,
            gil_released: false,
            specialises: profile.specialise_after().is_some(),
            spec: Rc::new(BTreeMap::new()),
            not_implemented: Value::None,
            with_names: (Value::None, Value::None),
            deep_dunder: None,
            entered_handler: false,
            reraising: false,
            exit_code: None,
            main_raised: false,
            next_thread_name: 1,
            others_buf: Vec::new(),
            replay: None,
            quiet: None,
            starting: 0,
            next_wake: u64::MAX,
            vec_pool: VecPool::default(),
            nesting: 0,
            others_valid_for: None,
            waiting_since_cache: 0,
            explore: false,
            explore_inside_modules: false,
            explore_reduce: true,
            choice: None,
            attr_writes: None,
        };
        crate::natives::install(&mut m);
        m.with_names = (m.intern("__enter__"), m.intern("__exit__"));
        // The attribute names natives set on exceptions, interned now: interning a new text
        // later copies the whole table in every explored state that does it.
        for name in NATIVE_ATTR_WRITES.iter().chain(&["name", "obj"]) {
            m.intern(name);
        }
        let unit = m.load_unit(program, false);
        m.install_helpers();
        let main = m.new_module("__main__");
        m.main_module = main;
        let frame = m.module_frame(unit, main, OnReturn::ThreadExit);
        m.threads.push(VThread {
            id: 0,
            name: "MainThread".into(),
            frames: vec![frame],
            state: ThreadState::Runnable,
            exc_info: Value::None,
            resume: None,
            ready_since: 0,
            obj: Value::None,
            wake_value: None,
            timeout_at: None,
            daemon: false,
            started: true,
        });
        m
    }

    /// Compiles-in a program as a unit; returns its index.
    pub fn load_unit(&mut self, program: Program, bundled: bool) -> u16 {
        let mut codes = Vec::with_capacity(program.codes.len());
        let unit_idx = self.units.len() as u16;
        let (private, lists) = if bundled || unit_idx != 0 {
            (Vec::new(), Vec::new())
        } else {
            let p = main_private_names(&program);
            let l = main_private_lists(&program, &p);
            (p, l)
        };
        let frozen = if bundled || unit_idx != 0 {
            BTreeMap::new()
        } else {
            frozen_globals(&program)
        };
        for (ci, c) in program.codes.iter().enumerate() {
            let consts = c
                .consts
                .iter()
                .map(|k| self.const_value(unit_idx, k))
                .collect();
            let name_objs: Vec<Value> = c.names.iter().map(|n| self.intern(n)).collect();
            // Keys share the interned text, so dict lookups by name usually match by pointer.
            let names = c
                .names
                .iter()
                .map(|n| HKey::Str(self.interned_text(n)))
                .collect();
            let check = (0..c.instrs.len())
                .map(|pc| self.profile.check_at(&c.instrs, pc))
                .collect();
            let skip_before = c
                .instrs
                .iter()
                .map(|i| self.profile.skips_check_before(*i))
                .collect();
            let (private_name, private_list) = if ci == 0 && private.len() == c.names.len() {
                (private.clone(), lists.clone())
            } else {
                (vec![false; c.names.len()], vec![false; c.names.len()])
            };
            let frozen_after = c
                .names
                .iter()
                .map(|n| match frozen.get(n.as_str()) {
                    Some(a) if ci != 0 => *a,
                    _ => u32::MAX,
                })
                .collect();
            let back_from = if ci == 0 && !bundled && unit_idx == 0 {
                backward_jumps_from(c)
            } else {
                Vec::new()
            };
            let mut jump_target = Vec::new();
            if !bundled {
                jump_target.resize(c.instrs.len() + 1, false);
                for i in c.instrs.iter().filter(|i| i.op.is_jump()) {
                    if let Some(t) = jump_target.get_mut(i.arg as usize) {
                        *t = true;
                    }
                }
            }
            codes.push(Rc::new(Code {
                private_name,
                private_list,
                frozen_after,
                back_from,
                jump_target,
                obj: c.clone(),
                consts,
                names,
                name_objs,
                check,
                skip_before,
                global_hint: c
                    .names
                    .iter()
                    .map(|_| std::cell::Cell::new(u32::MAX))
                    .collect(),
                global_loc: c
                    .names
                    .iter()
                    .map(|_| std::cell::Cell::new(u32::MAX))
                    .collect(),
            }));
        }
        Rc::make_mut(&mut self.units).push(Unit {
            program: Rc::new(program),
            codes,
            bundled,
        });
        unit_idx
    }

    fn const_value(&mut self, unit: u16, c: &Const) -> Value {
        match c {
            Const::None => Value::None,
            Const::Bool(b) => Value::Bool(*b),
            Const::Int(i) => Value::Int(*i),
            Const::BigInt(s) => {
                let b: num_bigint::BigInt = s.parse().unwrap_or_default();
                Value::Obj(self.heap.alloc(Obj::BigInt(Rc::new(b))))
            }
            Const::Float(f) => Value::Float(*f),
            Const::Str(s) => self.intern(s),
            Const::Ellipsis => Value::None,
            Const::Tuple(items) => {
                let vals: Vec<Value> = items.iter().map(|k| self.const_value(unit, k)).collect();
                Value::Obj(self.heap.alloc(Obj::Tuple(vals.into())))
            }
            Const::Code(id) => {
                // Code constants are referenced by MAKE_FUNCTION through the unit.
                Value::Int(i64::from(unit) << 32 | i64::from(*id))
            }
        }
    }

    /// A str object for `s`, shared with every other use of the same text.
    pub fn intern(&mut self, s: &str) -> Value {
        if let Some(o) = self.interned.get(s) {
            return Value::Obj(*o);
        }
        let rc: Rc<str> = Rc::from(s);
        let o = self.heap.alloc(Obj::Str(rc.clone()));
        Rc::make_mut(&mut self.interned).insert(rc, o);
        Value::Obj(o)
    }

    /// The shared text of an interned string (interning it first if needed).
    pub fn interned_text(&mut self, s: &str) -> Rc<str> {
        self.intern(s);
        self.interned
            .get_key_value(s)
            .map_or_else(|| Rc::from(s), |(k, _)| k.clone())
    }

    /// A new str object.
    pub fn new_str(&mut self, s: impl Into<Rc<str>>) -> Value {
        Value::Obj(self.heap.alloc(Obj::Str(s.into())))
    }

    /// Builds the functions of [`crate::bundled::BUILTINS_HELPERS`] into the `_gilsim_helpers`
    /// module, without running a module body (the helpers are plain `def`s).
    fn install_helpers(&mut self) {
        let Ok(program) = gilsim_compiler::compile(
            crate::bundled::BUILTINS_HELPERS,
            "builtins.py",
            &self.profile,
        ) else {
            return;
        };
        let unit = self.load_unit(program, true);
        let module = self.new_module("_gilsim_helpers");
        // A private native of the helpers: a finished generator's return value.
        let returned = self.native(crate::object::native::NativeId::GeneratorReturned, None);
        let k = self.intern("_returned");
        if let Obj::Module(m) = self.heap.get_mut(module) {
            m.dict.insert(HKey::Str(Rc::from("_returned")), k, returned);
        }
        let codes: Vec<(u32, String)> = self.units[unit as usize].codes[0]
            .obj
            .consts
            .iter()
            .filter_map(|c| match c {
                Const::Code(id) => Some((
                    *id,
                    self.units[unit as usize].codes[*id as usize]
                        .obj
                        .name
                        .clone(),
                )),
                _ => None,
            })
            .collect();
        for (code, name) in codes {
            let rc: Rc<str> = Rc::from(name.as_str());
            let f = self
                .heap
                .alloc(Obj::Function(Box::new(crate::object::value::Function {
                    unit,
                    code,
                    name: rc.clone(),
                    qualname: rc,
                    globals: module,
                    defaults: Vec::new(),
                    kwdefaults: None,
                    closure: Vec::new(),
                    dict: None,
                })));
            let k = self.intern(&name);
            if let Obj::Module(m) = self.heap.get_mut(module) {
                m.dict
                    .insert(HKey::Str(Rc::from(name.as_str())), k, Value::Obj(f));
            }
        }
    }

    /// A helper of [`crate::bundled::BUILTINS_HELPERS`] by name.
    pub(crate) fn helper(&self, name: &str) -> Option<Value> {
        let m = *self.modules.get("_gilsim_helpers")?;
        match self.heap.get(m) {
            Obj::Module(md) => md.dict.get_str(name),
            _ => None,
        }
    }

    /// Whether a value is a generator object.
    #[must_use]
    pub fn is_generator(&self, v: Value) -> bool {
        matches!(v, Value::Obj(o) if matches!(self.heap.get(o), Obj::Generator(_)))
    }

    /// A new module object registered under `name`.
    pub fn new_module(&mut self, name: &str) -> ObjId {
        let mut dict = Dict::new();
        let n = self.intern(name);
        dict.insert(HKey::Str(Rc::from("__name__")), self.intern("__name__"), n);
        let o = self.heap.alloc(Obj::Module(Box::new(Module {
            name: Rc::from(name),
            dict,
        })));
        Rc::make_mut(&mut self.modules).insert(name.to_string(), o);
        o
    }

    /// The frame that runs a unit's module code.
    pub fn module_frame(&mut self, unit: u16, module: ObjId, on_return: OnReturn) -> Frame {
        let code = self.units[unit as usize].codes[0].clone();
        Frame {
            unit,
            code_idx: 0,
            stack: Vec::with_capacity(16),
            locals: Vec::new(),
            cells: Vec::new(),
            blocks: Vec::new(),
            globals: module,
            names: None,
            on_return,
            generator: None,
            check_on_return: false,
            pc: 0,
            code,
        }
    }

    /// The running thread.
    #[inline]
    pub(crate) fn th(&mut self) -> &mut VThread {
        &mut self.threads[self.current as usize]
    }

    /// The running frame.
    #[inline]
    pub(crate) fn fr(&mut self) -> &mut Frame {
        let t = self.current as usize;
        self.threads[t]
            .frames
            .last_mut()
            .expect("[gilsim internal bug] no frame")
    }

    /// The builtin class for a tag.
    #[must_use]
    pub fn type_obj(&self, tag: TypeTag) -> ObjId {
        self.types.by_tag[&tag]
    }

    /// A new exception instance of a builtin exception class.
    pub fn new_exc(&mut self, class: &str, msg: &str) -> Value {
        let cls = self.types.exc[class];
        let args = if msg.is_empty() {
            Vec::new()
        } else {
            vec![self.new_str(msg)]
        };
        self.exc_instance(cls, args)
    }

    /// An exception instance of `cls` with `args`.
    pub fn exc_instance(&mut self, cls: ObjId, args: Vec<Value>) -> Value {
        let first = args.first().copied();
        let t = Value::Obj(self.heap.alloc(Obj::Tuple(args.into())));
        let mut dict = Dict::new();
        let k = self.intern("args");
        dict.insert(HKey::Str(Rc::from("args")), k, t);
        // StopIteration.value: the generator's return value (its first argument).
        if self.is_subclass(cls, self.types.exc["StopIteration"]) {
            let k = self.intern("value");
            dict.insert(
                HKey::Str(Rc::from("value")),
                k,
                first.unwrap_or(Value::None),
            );
        }
        Value::Obj(self.heap.alloc(Obj::Instance(Box::new(Instance {
            class: cls,
            dict,
            traceback: Vec::new(),
            payload: None,
        }))))
    }

    /// A `Flow::Raise` of a new builtin exception.
    pub fn raise(&mut self, class: &str, msg: impl AsRef<str>) -> Flow {
        Flow::Raise(self.new_exc(class, msg.as_ref()))
    }

    /// Stops the run as unsupported, pointing at the current instruction.
    pub fn unsupported(&mut self, msg: impl Into<String>) -> Flow {
        let loc = self.user_location();
        Flow::Stop(RunEnd {
            status: Status::Unsupported,
            exit_code: 2,
            detail: vec![msg.into()],
            location: loc,
        })
    }

    /// (line, col) of the innermost frame of the running thread that runs the user's code.
    #[must_use]
    pub fn user_location(&self) -> Option<(u32, u32)> {
        let th = self.threads.get(self.current as usize)?;
        th.frames.iter().rev().find(|f| f.unit == 0).map(|f| {
            // The pc has moved past the instruction being executed (or the call in progress).
            let pc = (f.pc as usize)
                .saturating_sub(1)
                .min(f.code.obj.lines.len().saturating_sub(1));
            (
                f.code.obj.lines.get(pc).copied().unwrap_or(0),
                f.code.obj.cols.get(pc).map_or(1, |p| p.col),
            )
        })
    }

    /// Is `cls` a subclass of `base`?
    #[must_use]
    pub fn is_subclass(&self, cls: ObjId, base: ObjId) -> bool {
        match self.heap.get(cls) {
            Obj::Class(c) => c.mro.contains(&base),
            _ => false,
        }
    }

    /// The class of a value.
    #[must_use]
    pub fn class_of(&self, v: Value) -> ObjId {
        let tag = match v {
            Value::Null | Value::None => TypeTag::NoneType,
            Value::Bool(_) => TypeTag::Bool,
            Value::Int(_) => TypeTag::Int,
            Value::Float(_) => TypeTag::Float,
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Instance(i) => return i.class,
                Obj::Str(_) => TypeTag::Str,
                Obj::BigInt(_) => TypeTag::Int,
                Obj::List(_) => TypeTag::List,
                Obj::Tuple(_) => TypeTag::Tuple,
                Obj::Dict(_) => TypeTag::Dict,
                Obj::Set(_) => TypeTag::Set,
                Obj::Function(_) => TypeTag::Function,
                Obj::Cell(_) => TypeTag::Cell,
                Obj::Class(_) => TypeTag::Type,
                Obj::Method { .. } => TypeTag::Method,
                Obj::Native(_) => TypeTag::BuiltinFunction,
                Obj::Module(_) => TypeTag::Module,
                Obj::Range { .. } => TypeTag::Range,
                Obj::Iter(_) => TypeTag::Iterator,
                Obj::Slice(..) => TypeTag::Slice,
                Obj::Lock(l) => {
                    if l.reentrant {
                        TypeTag::RLock
                    } else {
                        TypeTag::Lock
                    }
                }
                Obj::Generator(_) => TypeTag::Generator,
                Obj::Wrapper(t, _) => *t,
                Obj::Property { .. } => TypeTag::Property,
                Obj::Super { .. } => TypeTag::Super,
                Obj::View(k, _) => match k {
                    crate::object::value::ViewKind::Keys => TypeTag::DictKeys,
                    crate::object::value::ViewKind::Values => TypeTag::DictValues,
                    crate::object::value::ViewKind::Items => TypeTag::DictItems,
                },
            },
        };
        self.type_obj(tag)
    }

    /// The class's name.
    #[must_use]
    pub fn class_name(&self, cls: ObjId) -> Rc<str> {
        match self.heap.get(cls) {
            Obj::Class(c) => c.name.clone(),
            _ => Rc::from("?"),
        }
    }

    /// The name of a value's type.
    #[must_use]
    pub fn type_name(&self, v: Value) -> Rc<str> {
        self.class_name(self.class_of(v))
    }

    /// Builds a class object.
    pub fn make_class(
        &mut self,
        name: Rc<str>,
        qualname: Rc<str>,
        bases: Vec<ObjId>,
        dict: Dict,
    ) -> Res<ObjId> {
        let object = self.type_obj(TypeTag::Object);
        let bases = if bases.is_empty() {
            vec![object]
        } else {
            bases
        };
        // C3 linearisation.
        let mut seqs: Vec<Vec<ObjId>> = Vec::new();
        let mut builtin = TypeTag::Object;
        for b in &bases {
            match self.heap.get(*b) {
                Obj::Class(c) => {
                    seqs.push(c.mro.clone());
                    if c.builtin != TypeTag::Object {
                        builtin = c.builtin;
                    }
                }
                _ => {
                    let msg = "bases must be classes".to_string();
                    return Err(self.raise("TypeError", msg));
                }
            }
        }
        seqs.push(bases.clone());
        let mut mro_tail = Vec::new();
        loop {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                break;
            }
            let cand = seqs
                .iter()
                .map(|s| s[0])
                .find(|c| !seqs.iter().any(|s| s[1..].contains(c)));
            let Some(c) = cand else {
                return Err(self.raise(
                    "TypeError",
                    "Cannot create a consistent method resolution order (MRO)",
                ));
            };
            mro_tail.push(c);
            for s in &mut seqs {
                if s[0] == c {
                    s.remove(0);
                }
            }
        }
        let id = self.heap.alloc(Obj::Class(Box::new(Class {
            name,
            qualname,
            bases,
            mro: Vec::new(),
            dict,
            builtin,
        })));
        let mut mro = vec![id];
        mro.extend(mro_tail);
        if let Obj::Class(c) = self.heap.get_mut(id) {
            c.mro = mro;
        }
        Ok(id)
    }

    /// Looks a name up along a class's MRO.
    #[must_use]
    pub fn class_lookup(&self, cls: ObjId, name: &HKey) -> Option<Value> {
        let Obj::Class(c) = self.heap.get(cls) else {
            return None;
        };
        for k in &c.mro {
            if let Obj::Class(kc) = self.heap.get(*k)
                && let Some(v) = kc.dict.get(name)
            {
                return Some(v);
            }
        }
        None
    }

    // ----- the run loop -----

    /// Runs until the program ends, deadlocks, or hits a limit.
    pub fn run(&mut self) -> RunEnd {
        loop {
            if let Some(end) = self.run_slice() {
                return end;
            }
        }
    }

    // ----- exploration -----

    /// Puts the machine in exploration mode: instead of asking its policy, it stops at every
    /// point where more than one thread could run next ([`Machine::run_to_choice`]), and time
    /// becomes a choice: a sleeping thread or a timed wait may end at any such point. The
    /// detectors and the tracer are turned off.
    pub fn set_explore(&mut self) {
        self.explore = true;
        if self.attr_writes.is_none() {
            // The loaded units (the program, the helpers) and every bundled module, since any
            // may be imported later.
            let bundled: Vec<Program> = crate::bundled::ALL
                .iter()
                .filter_map(|name| {
                    let src = crate::bundled::source(name)?;
                    gilsim_compiler::compile(src, &format!("{name}.py"), &self.profile).ok()
                })
                .collect();
            let programs: Vec<&Program> = self
                .units
                .iter()
                .map(|u| &*u.program)
                .chain(&bundled)
                .collect();
            let mut writes = AttrWrites::of(&programs);
            writes.observes_liveness = self
                .units
                .iter()
                .any(|u| !u.bundled && observes_liveness(&u.program));
            writes.observes_starts = writes.observes_liveness
                || writes.any
                || self
                    .units
                    .iter()
                    .any(|u| !u.bundled && observes_starts(&u.program));
            self.attr_writes = Some(Rc::new(writes));
        }
        self.heap.mark_stable();
        self.detect = None;
        self.tracer = None;
        self.next_wake = u64::MAX;
    }

    /// In exploration: runs until the run ends (`Some`) or a choice is due (`None`; it is in
    /// [`Machine::choice`], to be answered with [`Machine::choose`]).
    pub fn run_to_choice(&mut self) -> Option<RunEnd> {
        loop {
            if let Some(end) = self.run_slice() {
                return Some(end);
            }
            if self.choice.is_some() {
                return None;
            }
        }
    }

    /// Answers the pending choice: thread `t` (one of its options) runs next.
    pub fn choose(&mut self, t: u32) {
        let Some(c) = self.choice.take() else {
            return;
        };
        self.take_choice(t, c.running, c.why);
    }

    /// Answers choice `c`, taken out of this machine (or a copy of it) before: thread `t`
    /// (one of its options) runs next.
    pub fn answer(&mut self, c: &Choice, t: u32) {
        self.choice = None;
        self.take_choice(t, c.running, c.why);
    }

    fn take_choice(&mut self, t: u32, running: Option<u32>, why: Option<GiveUp>) {
        let now = self.now;
        if let ThreadState::Blocked(w) = self.threads[t as usize].state
            && w.wake_time().is_some()
        {
            wake_from(&mut self.threads[t as usize], w, now);
            self.others_valid_for = None;
        }
        if running == Some(t) {
            return;
        }
        let reason = match why {
            None => SwitchReason::Interval,
            Some(GiveUp::Blocked) => SwitchReason::Blocked,
            Some(GiveUp::Sleep) => SwitchReason::Sleep,
            Some(GiveUp::Start) => SwitchReason::Start,
            Some(GiveUp::Io) => SwitchReason::Io,
            Some(GiveUp::Exit) => SwitchReason::Exit,
        };
        self.switch_to(t, reason);
    }

    /// Whether the running thread is at the entry check point of a bundled module's function
    /// that the learner's code called with no check point just before the call (3.11+
    /// check on entry and not before a CALL). A switch there is one just before the call,
    /// after whatever the learner's code did since its last check point: not the same as
    /// one at the learner's next check point, since the function may read what other
    /// threads change (`t.is_alive()`, `q.qsize()`). When a check point comes just before
    /// the call (3.9), the entry adds nothing.
    fn entered_unchecked(&self) -> bool {
        use gilsim_compiler::Op::{NOP, RESUME};
        let frames = &self.threads[self.current as usize].frames;
        let [.., caller, top] = frames.as_slice() else {
            return false;
        };
        let fresh = top.generator.is_none()
            && top.code.obj.instrs[..top.pc as usize]
                .iter()
                .all(|i| matches!(i.op, RESUME | NOP));
        if !fresh || self.units[caller.unit as usize].bundled {
            return false;
        }
        let code = &caller.code;
        let Some(call) = (caller.pc as usize).checked_sub(1) else {
            return false;
        };
        let checked_before = call >= 1
            && code.check.get(call - 1) == Some(&CheckAfter::Always)
            && !code.skip_before.get(call).copied().unwrap_or(true)
            && !code.jump_target.get(call).copied().unwrap_or(true);
        !checked_before
    }

    /// Whether the running thread is in `threading`'s bootstrap only (before or after its
    /// target) where a switch there is not the same as one at a later check point of the
    /// learner's code: when some code may ask whether a thread is alive (after all it did,
    /// the thread is still alive until its end), or when the thread runs none of the
    /// learner's code at all (`target=out.append`, `target=ev.set`): then these are its only
    /// check points.
    fn in_observable_bootstrap(&self) -> bool {
        let frames = &self.threads[self.current as usize].frames;
        let Some(boot) = frames.first().filter(|f| {
            self.in_threading(f, "Thread._bootstrap_inner")
                && matches!(f.on_return, OnReturn::ThreadExit)
        }) else {
            return false;
        };
        if !frames.iter().all(|f| self.units[f.unit as usize].bundled) {
            return false;
        }
        self.attr_writes
            .as_ref()
            .is_none_or(|w| w.observes_liveness)
            || !self.runs_learner_code(boot)
    }

    /// Whether the thread whose bootstrap frame is `boot` runs a function of the learner's
    /// (its class's own `run`, or `Thread.run` with such a target, plain or bound).
    fn runs_learner_code(&self, boot: &Frame) -> bool {
        let learner = |v: Value| {
            let func = match v {
                Value::Obj(o) => match self.heap.get(o) {
                    Obj::Method { func, .. } => *func,
                    _ => v,
                },
                _ => return false,
            };
            matches!(func, Value::Obj(o)
                if matches!(self.heap.get(o), Obj::Function(f) if !self.units[f.unit as usize].bundled))
        };
        let Some(Value::Obj(t)) = boot.locals.first().copied() else {
            return false;
        };
        let Obj::Instance(inst) = self.heap.get(t) else {
            return false;
        };
        match self.class_lookup(inst.class, &HKey::Str(Rc::from("run"))) {
            Some(run) if learner(run) => true,
            Some(run) if self.is_bundled_function(run, "threading.py", "Thread.run") => {
                inst.dict.get_str("_target").is_some_and(learner)
            }
            _ => false,
        }
    }

    /// Whether the module-level name `a` of frame `f`'s code keeps its value for the rest of
    /// the run: no code but the learner's module body stores it ([`frozen_globals`]), and
    /// the main thread's module body is past its last store and every backward jump to it,
    /// or done.
    fn global_frozen(&self, f: &Frame, a: usize) -> bool {
        let after = f.code.frozen_after.get(a).copied().unwrap_or(u32::MAX);
        if after == u32::MAX || f.globals != self.main_module {
            return false;
        }
        let main = &self.threads[0];
        if main.state == ThreadState::Done {
            return true;
        }
        let Some(body) = main.frames.first() else {
            return false;
        };
        if body.unit != 0 || body.code_idx != 0 || body.names.is_some() {
            return false;
        }
        let again = body.code.back_from.get(body.pc as usize).copied();
        body.pc >= after && again.is_some_and(|t| t >= after)
    }

    /// Whether frame `f` runs `threading`'s function `qualname` (not a generator).
    fn in_threading(&self, f: &Frame, qualname: &str) -> bool {
        let unit = &self.units[f.unit as usize];
        unit.bundled
            && unit.program.filename == "threading.py"
            && f.generator.is_none()
            && f.code.obj.qualname == qualname
    }

    /// Whether `v` is the function `qualname` of the bundled module `file`.
    fn is_bundled_function(&self, v: Value, file: &str, qualname: &str) -> bool {
        let Value::Obj(o) = v else { return false };
        let Obj::Function(func) = self.heap.get(o) else {
            return false;
        };
        let unit = &self.units[func.unit as usize];
        unit.bundled && unit.program.filename == file && &*func.qualname == qualname
    }

    /// Whether returning from frame `depth` of thread `tid` (its innermost, once any above it
    /// has returned) ends the thread and does
    /// nothing else another thread could see: the frames below it are `threading`'s own
    /// `Thread._bootstrap_inner` (at the bottom, its return ending the thread) and maybe
    /// `Thread.run`, which only return. The thread's end then wakes its joiners, and it
    /// commutes with everything any other thread does, unless some code asks whether a
    /// thread is alive ([`AttrWrites::observes_liveness`]): a joiner that runs first only
    /// blocks until it (see `joins_quietly`). So a switch just before the return is the same as
    /// the choice of the next thread that the end offers.
    fn returns_to_exit(&self, tid: u32, depth: usize) -> bool {
        if self
            .attr_writes
            .as_ref()
            .is_none_or(|w| w.observes_liveness)
        {
            return false;
        }
        let frames = &self.threads[tid as usize].frames;
        let Some((f, below)) = frames[..=depth].split_last() else {
            return false;
        };
        if below.is_empty()
            || below.len() > 2
            || f.generator.is_some()
            || !f.blocks.is_empty()
            || !matches!(f.on_return, OnReturn::Push)
        {
            return false;
        }
        below.iter().enumerate().all(|(k, fr)| {
            if k == 0 {
                self.in_threading(fr, "Thread._bootstrap_inner")
                    && matches!(fr.on_return, OnReturn::ThreadExit)
            } else {
                self.in_threading(fr, "Thread.run") && matches!(fr.on_return, OnReturn::Push)
            }
        })
    }

    /// For `func(recv)` about to be called by thread `me`: whether it is `threading`'s
    /// `Thread.join` without a timeout on a started thread other than `me`, and so touches
    /// nothing but that thread's end: `Some(true)` when that thread is done (the call
    /// returns None at once), `Some(false)` when it is not (the call blocks until it is).
    /// Blocking first and waking at the end reaches the same state as ending first and
    /// returning at once, so the call commutes with everything but the end, which offers
    /// the next choice itself. `None`: any other call. (The thread's `_started` and
    /// `_ident` are read as they are now: only `Thread.__init__` sets them, and a thread
    /// initialised again while another joins it is not considered.)
    fn joins_quietly(&self, me: u32, func: Value, recv: Value) -> Option<bool> {
        if !self.is_bundled_function(func, "threading.py", "Thread.join") {
            return None;
        }
        let Value::Obj(o) = recv else { return None };
        let Obj::Instance(inst) = self.heap.get(o) else {
            return None;
        };
        let field = |n: &str| inst.dict.get_str(n);
        if field("_started") != Some(Value::Bool(true)) {
            return None;
        }
        let Some(Value::Int(tid)) = field("_ident") else {
            return None;
        };
        let th = self.threads.get(usize::try_from(tid).ok()?)?;
        if th.id == me || !th.started {
            return None;
        }
        Some(th.state == ThreadState::Done)
    }

    /// For `func(recv)` about to be called: whether it is `threading`'s `Thread.start` of a
    /// thread not started yet, in a program where no other thread can see a thread start
    /// ([`AttrWrites::observes_starts`]). The call then only makes that thread runnable and
    /// waits, giving the GIL up, until it has run: it commutes with everything the other
    /// threads do, and the wait offers the next choice itself.
    fn starts_quietly(&self, func: Value, recv: Value) -> bool {
        if self.attr_writes.as_ref().is_none_or(|w| w.observes_starts)
            || !self.is_bundled_function(func, "threading.py", "Thread.start")
        {
            return false;
        }
        let Value::Obj(o) = recv else { return false };
        let Obj::Instance(inst) = self.heap.get(o) else {
            return false;
        };
        inst.dict.get_str("_started") == Some(Value::Bool(false))
    }

    /// Whether thread `tid`, runnable, was woken from a `t.join()` or `t.start()` called by the
    /// learner's code, and what it does next, up to where it gives the GIL up again (blocks or
    /// ends), touches nothing another thread could see (see `look_ahead`). Then it may as well
    /// run now, when the GIL is free: the states where it runs later are the same with its
    /// quiet steps taken first.
    fn woken_quietly(&self, tid: u32) -> bool {
        use gilsim_compiler::Op::{LOAD_CONST, POP_TOP, RETURN_CONST, RETURN_VALUE};
        let th = &self.threads[tid as usize];
        if th.state != ThreadState::Runnable || th.resume != Some(Value::None) {
            return false;
        }
        let [.., caller, top] = th.frames.as_slice() else {
            return false;
        };
        if !(self.in_threading(top, "Thread.join") || self.in_threading(top, "Thread.start"))
            || self.units[caller.unit as usize].bundled
            || !matches!(top.on_return, OnReturn::Push)
        {
            return false;
        }
        // The woken call is the function's last statement: it returns None next.
        let code = &top.code;
        let rest = &code.obj.instrs[top.pc as usize + 1..];
        let none =
            |i: &gilsim_compiler::Instr| code.consts.get(i.arg as usize) == Some(&Value::None);
        let returns_none = match rest {
            [a, b, c, ..] if a.op == POP_TOP && b.op == LOAD_CONST && none(b) => {
                c.op == RETURN_VALUE
            }
            [a, b, ..] if a.op == POP_TOP && b.op == RETURN_CONST => none(b),
            _ => false,
        };
        returns_none && self.look_ahead(tid, true, true) == Look::Gives
    }

    /// Whether the running thread's next instructions, up to its next check point, touch
    /// nothing another thread could see or change (locals, constants, arithmetic on plain
    /// values, jumps, a `range` iterator of its own). Then a switch here is the same as a
    /// switch at that next check point, and exploration offers only the later one. Decided
    /// by following the actual values, reading and changing nothing.
    fn local_until_next_check(&self) -> bool {
        self.look_ahead(self.current, false, false) != Look::Visible
    }

    /// Follows thread `tid`'s next instructions (see `local_until_next_check`): `Local` when
    /// they reach a check point touching nothing another thread could see, `Gives` when they
    /// reach a point where the thread gives the GIL up (a quiet join or start, its end),
    /// `Visible` otherwise or when in doubt. `woken`: the thread's innermost frame is a
    /// woken `join`/`start` about to return None, and the following starts in its caller
    /// (see `woken_quietly`). `through`: go on past check points.
    fn look_ahead(&self, tid: u32, woken: bool, through: bool) -> Look {
        // Buffers reused from one lookahead to the next (one runs at nearly every check
        // point of an exploration).
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
        }
        SCRATCH.with(|s| {
            let mut s = s.take();
            s.stack.clear();
            s.locals.clear();
            s.names.clear();
            s.iters.clear();
            s.seqs.clear();
            let look = self.look_ahead_with(tid, woken, through, &mut s);
            SCRATCH.with(|back| back.replace(s));
            look
        })
    }

    fn look_ahead_with(&self, tid: u32, woken: bool, through: bool, s: &mut Scratch) -> Look {
        use gilsim_compiler::Op::*;
        let frames = &self.threads[tid as usize].frames;
        let depth = frames.len().saturating_sub(1 + usize::from(woken));
        let Some(f) = frames.get(depth) else {
            return Look::Visible;
        };
        let code = &f.code;
        let Scratch {
            stack,
            locals,
            names,
            iters: iter_next,
            seqs: seq_next,
        } = s;
        stack.extend_from_slice(&f.stack);
        if woken {
            stack.push(Value::None);
        }
        let module_body = f.unit == 0 && f.code_idx == 0 && f.names.is_none();
        // What module name `n` binds now, after the stores this lookahead has followed.
        let binding = |names: &[(usize, Value)], n: usize| {
            names
                .iter()
                .rev()
                .find(|(i, _)| *i == n)
                .map(|(_, v)| *v)
                .or_else(|| match self.heap.get(f.globals) {
                    Obj::Module(m) => m.dict.get(&code.names[n]),
                    _ => None,
                })
        };
        // Whether `list` is what one of the module body's private list names binds now.
        let bound_privately = |names: &[(usize, Value)], list: ObjId| {
            code.private_list
                .iter()
                .enumerate()
                .any(|(n, &l)| l && binding(names, n) == Some(Value::Obj(list)))
        };
        let mut pc = f.pc as usize;
        for _ in 0..if through { 512 } else { 64 } {
            let Some(ins) = code.obj.instrs.get(pc) else {
                return Look::Visible;
            };
            // A `range` followed here is only ever iterated: anything else would look
            // into an object that does not exist.
            if ins.op != GET_ITER && stack.contains(&FRESH_RANGE) {
                return Look::Visible;
            }
            let a = ins.arg as usize;
            let mut next = pc + 1;
            let mut bool_test = false;
            match ins.op {
                NOP => {}
                LOAD_CONST => stack.push(code.consts[a]),
                LOAD_FAST => {
                    let v = locals
                        .iter()
                        .rev()
                        .find(|(i, _)| *i == a)
                        .map_or(f.locals[a], |(_, v)| *v);
                    if v == Value::Null {
                        return Look::Visible;
                    }
                    stack.push(v);
                }
                STORE_FAST => {
                    let Some(v) = stack.pop() else {
                        return Look::Visible;
                    };
                    locals.push((a, v));
                }
                // A method no code ever assigns, of an instance that does not hold it
                // itself: what `LOAD_METHOD` finds cannot change (see `AttrWrites`).
                LOAD_METHOD
                    if self
                        .attr_writes
                        .as_ref()
                        .is_some_and(|w| !w.may_write(&code.obj.names[a])) =>
                {
                    let Some(Value::Obj(o)) = stack.last().copied() else {
                        return Look::Visible;
                    };
                    let Obj::Instance(inst) = self.heap.get(o) else {
                        return Look::Visible;
                    };
                    if inst.dict.contains(&code.names[a]) {
                        return Look::Visible;
                    }
                    match self.class_lookup(inst.class, &code.names[a]) {
                        Some(func) if self.is_python_function(func) => {
                            stack.pop();
                            stack.push(func);
                            stack.push(Value::Obj(o));
                        }
                        _ => return Look::Visible,
                    }
                }
                // A module-level name only the module body (so only this thread) touches.
                LOAD_NAME if module_body && code.private_name[a] => {
                    let found = binding(names, a).or_else(|| match self.heap.get(self.builtins) {
                        Obj::Module(m) => m.dict.get(&code.names[a]),
                        _ => None,
                    });
                    // Unbound: the NameError is the thread's own, but let it run as usual.
                    let Some(v) = found else { return Look::Visible };
                    stack.push(v);
                }
                STORE_NAME if module_body && code.private_name[a] => {
                    let Some(v) = stack.pop() else {
                        return Look::Visible;
                    };
                    names.push((a, v));
                }
                POP_TOP => {
                    stack.pop();
                }
                DUP_TOP => {
                    let Some(v) = stack.last().copied() else {
                        return Look::Visible;
                    };
                    stack.push(v);
                }
                ROT_TWO => {
                    let n = stack.len();
                    if n < 2 {
                        return Look::Visible;
                    }
                    stack.swap(n - 1, n - 2);
                }
                JUMP_FORWARD | JUMP_ABSOLUTE => next = a,
                RESUME | PUSH_NULL | PRECALL | END_FOR | END_FOR_POP | TO_BOOL | SETUP_LOOP
                | SHOWN | POP_LOOP => {}
                COPY => {
                    let Some(v) = stack.len().checked_sub(a).map(|i| stack[i]) else {
                        return Look::Visible;
                    };
                    stack.push(v);
                }
                SWAP => {
                    let n = stack.len();
                    if n < a || a == 0 {
                        return Look::Visible;
                    }
                    stack.swap(n - 1, n - a);
                }
                BINARY_ADD | INPLACE_ADD | BINARY_SUBTRACT | INPLACE_SUBTRACT | COMPARE_OP => {
                    let (Some(Value::Int(r)), Some(Value::Int(l))) = (stack.pop(), stack.pop())
                    else {
                        return Look::Visible;
                    };
                    let v = match ins.op {
                        BINARY_ADD | INPLACE_ADD => l.checked_add(r).map(Value::Int),
                        BINARY_SUBTRACT | INPLACE_SUBTRACT => l.checked_sub(r).map(Value::Int),
                        _ => match a {
                            0 => Some(Value::Bool(l < r)),
                            1 => Some(Value::Bool(l <= r)),
                            2 => Some(Value::Bool(l == r)),
                            3 => Some(Value::Bool(l != r)),
                            4 => Some(Value::Bool(l > r)),
                            5 => Some(Value::Bool(l >= r)),
                            _ => None,
                        },
                    };
                    let Some(v) = v else { return Look::Visible };
                    stack.push(v);
                }
                POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE => {
                    let Some(Value::Bool(b)) = stack.pop() else {
                        return Look::Visible;
                    };
                    bool_test = true;
                    if b == (ins.op == POP_JUMP_IF_TRUE) {
                        next = a;
                    }
                }
                // `iter()` of a list, tuple, str or range reads none of its contents (the
                // iterator does, at each FOR_ITER): it makes a new object only this frame
                // holds. It is followed no further (3.9's GET_ITER ends in a check point).
                GET_ITER
                    if stack.last() == Some(&FRESH_RANGE)
                        || matches!(stack.last(), Some(Value::Obj(o))
                        if matches!(self.heap.get(*o), Obj::List(_) | Obj::Tuple(_) | Obj::Str(_) | Obj::Range { .. })) =>
                {
                    stack.pop();
                    stack.push(Value::None);
                }
                // A list only this thread can see (see `main_private_lists`), iterated.
                FOR_ITER
                    if module_body
                        && matches!(stack.last(), Some(Value::Obj(o))
                        if matches!(self.heap.get(*o), Obj::Iter(crate::object::value::IterState::Seq { .. }))) =>
                {
                    let Some(Value::Obj(o)) = stack.last().copied() else {
                        return Look::Visible;
                    };
                    let Obj::Iter(crate::object::value::IterState::Seq { seq, index }) =
                        self.heap.get(o)
                    else {
                        return Look::Visible;
                    };
                    let Obj::List(items) = self.heap.get(*seq) else {
                        return Look::Visible;
                    };
                    if !bound_privately(names, *seq) {
                        return Look::Visible;
                    }
                    let at = seq_next.iter().position(|(i, _)| *i == o);
                    let cur = at.map_or(*index, |k| seq_next[k].1);
                    match items.get(cur) {
                        Some(v) => {
                            match at {
                                Some(k) => seq_next[k].1 = cur + 1,
                                None => seq_next.push((o, cur + 1)),
                            }
                            stack.push(*v);
                        }
                        None => {
                            stack.pop();
                            next = a;
                        }
                    }
                }
                // A module-level name that can no longer change (see `frozen_globals`).
                LOAD_GLOBAL if self.global_frozen(f, a) => {
                    let found = [f.globals, self.builtins].into_iter().find_map(|d| {
                        match self.heap.get(d) {
                            Obj::Module(m) => m.dict.get(&code.names[a]),
                            _ => None,
                        }
                    });
                    // Unbound: the NameError is the thread's own, but let it run as usual.
                    let Some(v) = found else { return Look::Visible };
                    stack.push(v);
                }
                // `range(n)` (up to 3 ints): a new object only this frame holds, which only a
                // `GET_ITER` may use (as on a range already made).
                CALL_FUNCTION if (1..=3).contains(&a) && stack.len() > a => {
                    let n = stack.len();
                    let is_range = matches!(stack[n - a - 1], Value::Obj(o)
                        if matches!(self.heap.get(o),
                            Obj::Native(nat) if nat.id == NativeId::Range && nat.receiver.is_none()));
                    let ints = stack[n - a..].iter().all(|v| matches!(v, Value::Int(_)));
                    if !is_range || !ints || (a == 3 && stack[n - 1] == Value::Int(0)) {
                        return Look::Visible;
                    }
                    stack.truncate(n - a - 1);
                    stack.push(FRESH_RANGE);
                }
                // The thread's target returning into `threading`'s bootstrap, which only
                // returns in turn: the rest of the way is the thread's exit (see
                // `returns_to_exit`), after which exploration offers the next thread anyway.
                RETURN_VALUE | RETURN_CONST if self.returns_to_exit(tid, depth) => {
                    return Look::Gives;
                }
                // `t.join()` of a started thread other than this one (see `joins_quietly`): it
                // returns at once if `t` is done, else blocks, which hands the GIL on anyway.
                CALL_METHOD if a == 0 && stack.len() >= 2 => {
                    let n = stack.len();
                    if self.starts_quietly(stack[n - 2], stack[n - 1]) {
                        return Look::Gives;
                    }
                    match self.joins_quietly(tid, stack[n - 2], stack[n - 1]) {
                        Some(true) => {
                            stack.truncate(n - 2);
                            stack.push(Value::None);
                        }
                        Some(false) => return Look::Gives,
                        None => return Look::Visible,
                    }
                }
                FOR_ITER => {
                    // A range iterator on this frame's stack is the frame's own.
                    let Some(Value::Obj(o)) = stack.last().copied() else {
                        return Look::Visible;
                    };
                    let Obj::Iter(crate::object::value::IterState::Range {
                        next: n,
                        stop,
                        step,
                    }) = self.heap.get(o)
                    else {
                        return Look::Visible;
                    };
                    let at = iter_next.iter().position(|(i, _)| *i == o);
                    let cur = at.map_or(*n, |k| iter_next[k].1);
                    if (*step > 0 && cur < *stop) || (*step < 0 && cur > *stop) {
                        let after = cur.saturating_add(*step);
                        match at {
                            Some(k) => iter_next[k].1 = after,
                            None => iter_next.push((o, after)),
                        }
                        stack.push(Value::Int(cur));
                    } else {
                        stack.pop();
                        next = a;
                    }
                }
                _ => return Look::Visible,
            }
            let check = check_fires(code.check[pc], bool_test, next != pc + 1, true)
                && !code.skip_before.get(next).copied().unwrap_or(false);
            if check && !through {
                return Look::Local;
            }
            pc = next;
        }
        Look::Visible
    }

    /// The threads whose timed wait could end now (time is a choice in exploration).
    fn timed_waiters(&self) -> impl Iterator<Item = u32> + '_ {
        self.threads.iter().filter_map(|t| match t.state {
            ThreadState::Blocked(w) if w.wake_time().is_some() => Some(t.id),
            _ => None,
        })
    }

    /// In exploration, at a check point of the running thread: stops for a choice when
    /// another thread could run. Returns whether it did. Unless `explore_inside_modules`,
    /// check points inside gilsim's own modules (`threading`, `queue`…) are passed: those
    /// modules synchronise internally, so a switch inside them is equivalent to one at the
    /// learner's next check point.
    fn offer_choice(&mut self) -> bool {
        if !self.explore_inside_modules
            && self.threads[self.current as usize]
                .frames
                .last()
                .is_some_and(|f| self.units[f.unit as usize].bundled)
            && !self.entered_unchecked()
            && !self.in_observable_bootstrap()
        {
            return false;
        }
        if self.explore_reduce && self.local_until_next_check() {
            return false;
        }
        let mut options: Vec<u32> = self
            .threads
            .iter()
            .filter(|t| t.state == ThreadState::Runnable)
            .map(|t| t.id)
            .collect();
        options.extend(self.timed_waiters());
        if options.len() <= 1 {
            return false;
        }
        options.sort_unstable();
        self.choice = Some(Choice {
            options,
            running: Some(self.current),
            why: None,
        });
        true
    }

    #[inline]
    fn view_others(&mut self) {
        if self.others_valid_for == Some(self.current) {
            return;
        }
        self.quiet = None;
        let mut buf = std::mem::take(&mut self.others_buf);
        buf.clear();
        for th in &self.threads {
            if th.id != self.current && th.state == ThreadState::Runnable {
                buf.push(th.id);
            }
        }
        self.waiting_since_cache = self.waiting_since(&buf);
        self.others_buf = buf;
        self.others_valid_for = Some(self.current);
    }

    fn waiting_since(&self, others: &[u32]) -> u64 {
        others
            .iter()
            .map(|&t| self.threads[t as usize].ready_since)
            .min()
            .unwrap_or(self.now)
    }

    /// The line of the running thread's next instruction in the learner's program (0 while it
    /// runs inside gilsim's own modules): what a `T@LINE` schedule entry waits for.
    fn next_line(&self) -> u32 {
        let th = &self.threads[self.current as usize];
        th.frames.last().filter(|f| f.unit == 0).map_or(0, |f| {
            f.code.obj.lines.get(f.pc as usize).copied().unwrap_or(0)
        })
    }

    fn make_view<'a>(&self, others: &'a [u32], at_check_point: bool) -> SchedView<'a> {
        SchedView {
            current: self.current,
            others,
            now_ns: self.now,
            held_since_ns: self.held_since,
            waiting_since_ns: if self.others_valid_for == Some(self.current) {
                self.waiting_since_cache
            } else {
                self.waiting_since(others)
            },
            checks_since_switch: self.checks_since_switch,
            checks_total: self.checks_before_switch + self.checks_since_switch,
            gil_released: self.gil_released,
            instrs_since_switch: self.instrs_since_switch,
            switch_interval_ns: self.switch_interval_ns,
            check_interval: self.check_interval,
            next_line: if self.replay.is_some() {
                self.next_line()
            } else {
                0
            },
            at_check_point,
        }
    }

    /// Runs instructions of the current thread until something needs the scheduler.
    /// Returns `Some` when the run is over.
    fn run_slice(&mut self) -> Option<RunEnd> {
        let counts = self.replay.is_some();
        // The hot loop keeps no trace rows and tells a counting policy nothing.
        let hot_ok = self.tracer.is_none() && !counts;
        loop {
            if self.steps >= self.limits.max_steps {
                return Some(RunEnd {
                    status: Status::StepLimit,
                    exit_code: 4,
                    detail: Vec::new(),
                    location: None,
                });
            }
            if self.heap.gc_due() || self.heap.over_memory() {
                self.collect_garbage();
                if self.heap.over_memory() {
                    // The program holds more than a run may use: MemoryError where it runs.
                    let exc = self.new_exc("MemoryError", "");
                    if let Err(flow) = self.handle_exception(exc)
                        && let Flow::Stop(end) = flow
                    {
                        return Some(end);
                    }
                    if self.threads[self.current as usize].state == ThreadState::Done
                        && let Some(end) = self.give_up(GiveUp::Exit)
                    {
                        return Some(end);
                    }
                    continue;
                }
            }
            let t = self.current;
            let result = if hot_ok && !self.start_awaited(t) {
                match self.run_hot() {
                    Hot::Ran(check) => Ok(check),
                    Hot::Cold => self.step(),
                    Hot::Limit => continue,
                }
            } else {
                self.step()
            };
            match result {
                Ok(check) => {
                    self.steps += 1;
                    if self.now >= self.next_wake {
                        // A sleeper's time has come: it wants the GIL again.
                        self.wake_timed();
                    }
                    if self.starting > 0 {
                        self.wake_starters(t);
                    }
                    self.instrs_since_switch += 1;
                    if let Some(r) = self.replay.as_mut() {
                        r.completed(t);
                    }
                    let ended = self.threads[t as usize].state == ThreadState::Done;
                    if ended {
                        if let Some(end) = self.give_up(GiveUp::Exit) {
                            return Some(end);
                        }
                        return None;
                    }
                    if check {
                        self.checks_since_switch += 1;
                    }
                    if self.replay.as_ref().is_some_and(|r| !r.finished()) {
                        // A schedule is being followed: it decides after every instruction.
                        self.view_others();
                        let others = std::mem::take(&mut self.others_buf);
                        let view = self.make_view(&others, check);
                        let decision = self
                            .replay
                            .as_mut()
                            .expect("a schedule")
                            .after_instruction(&view);
                        self.others_buf = others;
                        match decision {
                            Ok(Decision::Continue) => {}
                            Ok(Decision::SwitchTo(_)) if !check => {
                                let msg = self.no_switch_here_message();
                                return Some(self.schedule_error(msg));
                            }
                            Ok(Decision::SwitchTo(n)) => {
                                self.switch_to(n, SwitchReason::Interval);
                                return None;
                            }
                            Err(e) => return Some(self.schedule_error(e.0)),
                        }
                    } else if check {
                        if self.explore {
                            if self.offer_choice() {
                                return None;
                            }
                            continue;
                        }
                        self.view_others();
                        if self.others_buf.is_empty() {
                            continue;
                        }
                        if let Some((checks, time)) = self.quiet
                            && self.checks_since_switch < checks
                            && self.now < time
                        {
                            continue;
                        }
                        let others = std::mem::take(&mut self.others_buf);
                        let view = self.make_view(&others, true);
                        let decision = self.policy.at_check_point(&view, &mut self.streams.sched);
                        self.gil_released = false;
                        self.others_buf = others;
                        self.quiet = self.policy.quiet_until();
                        match decision {
                            Ok(Decision::Continue) => {}
                            Ok(Decision::SwitchTo(n)) => {
                                self.switch_to(n, SwitchReason::Interval);
                                return None;
                            }
                            Err(e) => return Some(self.schedule_error(e.0)),
                        }
                    }
                }
                Err(Flow::Block(wait)) => {
                    if let Some(at) = wait.wake_time()
                        && !self.explore
                    {
                        self.next_wake = self.next_wake.min(at);
                    }
                    self.recorder.gave_up(self.steps);
                    let th = self.th();
                    th.state = ThreadState::Blocked(wait);
                    self.others_valid_for = None;
                    if self.detect.is_some()
                        && matches!(wait, Wait::Lock { .. } | Wait::Join { .. })
                    {
                        self.check_wait_cycle(t);
                    }
                    let why = match wait {
                        Wait::Sleep { .. } => GiveUp::Sleep,
                        Wait::Io { .. } => GiveUp::Io,
                        Wait::Started { .. } => {
                            self.starting += 1;
                            GiveUp::Start
                        }
                        _ => GiveUp::Blocked,
                    };
                    if let Some(end) = self.give_up(why) {
                        return Some(end);
                    }
                    return None;
                }
                Err(Flow::Yield(why)) => {
                    self.recorder.gave_up(self.steps);
                    self.others_valid_for = None;
                    let now = self.now;
                    let th = self.th();
                    th.resume = Some(Value::None);
                    th.ready_since = now;
                    if let Some(end) = self.give_up(why) {
                        return Some(end);
                    }
                    return None;
                }
                Err(Flow::Stop(end)) => return Some(end),
                Err(Flow::Raise(_)) => {
                    unreachable!("[gilsim internal bug] exceptions are handled in step")
                }
            }
        }
    }

    /// Runs the running thread's hot instructions back to back, doing for each exactly what
    /// [`Machine::step`] and the run loop would, as long as nothing needs the scheduler: no
    /// check point where the policy must be asked, no sleeper due, no step limit. Stops before
    /// the first instruction [`exec_hot`](crate::exec::exec_hot) does not take, or after an
    /// instruction whose aftermath needs the run loop (it then reports like `step`).
    fn run_hot(&mut self) -> Hot {
        // One loop per detection setting, so the loop without detectors carries none of their
        // code.
        if self.detect.is_some() {
            self.run_hot_loop::<true>()
        } else {
            self.run_hot_loop::<false>()
        }
    }

    #[inline(always)]
    fn run_hot_loop<const DETECT: bool>(&mut self) -> Hot {
        self.gil_released = false;
        self.view_others();
        // In exploration a thread in a timed wait could also run at any check point.
        let alone =
            self.others_buf.is_empty() && !(self.explore && self.timed_waiters().next().is_some());
        let (quiet_checks, quiet_time) = self.quiet.unwrap_or((0, 0));
        let (max_steps, next_wake) = (self.limits.max_steps, self.next_wake);
        let t = self.current as usize;
        let Some(f) = self.threads[t].frames.last_mut() else {
            return Hot::Cold;
        };
        let code = Rc::clone(&f.code);
        // Only the learner's frames are watched; the frame does not change inside the loop.
        let mut detect = if DETECT && f.unit == 0 {
            self.detect.as_deref_mut()
        } else {
            None
        };
        // The counters live in registers while the loop runs and go back on every exit.
        let (mut now, mut steps) = (self.now, self.steps);
        let (mut instrs, mut checks) = (self.instrs_since_switch, self.checks_since_switch);
        let end = loop {
            if steps >= max_steps {
                break Hot::Limit;
            }
            let pc = f.pc as usize;
            let ins = code.obj.instrs[pc];
            f.pc += 1;
            if !crate::exec::exec_hot::<DETECT>(
                ins.op,
                ins.arg,
                f,
                &code,
                &mut self.heap,
                detect.as_deref_mut(),
                (t as u32, steps),
                &mut self.last_test_was_bool,
            ) {
                f.pc -= 1;
                break Hot::Cold;
            }
            now += instr_cost(ins.op);
            let check = check_fires(
                code.check[pc],
                self.last_test_was_bool,
                f.pc as usize != pc + 1,
                self.call_checks,
            ) && !code
                .skip_before
                .get(f.pc as usize)
                .copied()
                .unwrap_or(false);
            if now >= next_wake
                || (check && !alone && (checks + 1 >= quiet_checks || now >= quiet_time))
            {
                break Hot::Ran(check);
            }
            steps += 1;
            instrs += 1;
            checks += u64::from(check);
        };
        self.now = now;
        self.steps = steps;
        self.instrs_since_switch = instrs;
        self.checks_since_switch = checks;
        end
    }

    fn no_switch_here_message(&self) -> String {
        let th = &self.threads[self.current as usize];
        let (line, op) = th.frames.last().map_or((0, "?"), |f| {
            let pc = f.pc as usize;
            let prev = pc.saturating_sub(1);
            (
                f.code.obj.lines.get(prev).copied().unwrap_or(0),
                f.code.obj.instrs.get(prev).map_or("?", |i| i.view.name()),
            )
        });
        format!(
            "the schedule asks for a switch after {op} (line {line}) of thread {}, where CPython {} cannot switch threads; move the switch to a check point (see `gilsim dis`)",
            self.current,
            self.profile.name()
        )
    }

    fn schedule_error(&self, msg: String) -> RunEnd {
        RunEnd {
            status: Status::ScheduleError,
            exit_code: 5,
            detail: vec![msg],
            location: None,
        }
    }

    /// Makes `n` the running thread.
    pub(crate) fn switch_to(&mut self, n: u32, reason: SwitchReason) {
        let from = self.current;
        if n != from {
            self.switches += 1;
        }
        if let Some(tr) = &mut self.tracer {
            tr.switch(self.steps, from, n, reason);
        }
        self.recorder.switch(n, self.steps);
        self.others_valid_for = None;
        self.current = n;
        self.held_since = self.now;
        self.checks_before_switch += self.checks_since_switch;
        self.checks_since_switch = 0;
        self.instrs_since_switch = 0;
    }

    /// The running thread gave up the GIL; pick the next one (advancing the clock if all
    /// sleep). Returns `Some` when the run is over.
    fn give_up(&mut self, why: GiveUp) -> Option<RunEnd> {
        loop {
            // Daemon threads do not keep the program alive, runnable or not.
            if self.program_over() {
                return Some(self.finish());
            }
            let mut candidates: Vec<u32> = self
                .threads
                .iter()
                .filter(|t| t.state == ThreadState::Runnable)
                .map(|t| t.id)
                .collect();
            if self.explore {
                // Any runnable thread may take the GIL, and any timed wait may end first.
                candidates.extend(self.timed_waiters());
                candidates.sort_unstable();
                // A thread woken from a quiet join or start runs first, up to where it gives
                // the GIL up again (see `woken_quietly`).
                if candidates.len() > 1
                    && self.explore_reduce
                    && !self.explore_inside_modules
                    && let Some(&w) = candidates.iter().find(|&&w| self.woken_quietly(w))
                {
                    self.take_choice(w, None, Some(why));
                    return None;
                }
                match candidates.len() {
                    0 => return Some(self.deadlock()),
                    1 => self.take_choice(candidates[0], None, Some(why)),
                    _ => {
                        self.choice = Some(Choice {
                            options: candidates,
                            running: None,
                            why: Some(why),
                        });
                    }
                }
                return None;
            }
            if candidates.is_empty() {
                if self.program_over() {
                    return Some(self.finish());
                }
                // Advance the clock to the next timed wake-up.
                let next = self
                    .threads
                    .iter()
                    .filter_map(|t| match t.state {
                        ThreadState::Blocked(w) => w.wake_time(),
                        _ => None,
                    })
                    .min();
                let Some(at) = next else {
                    return Some(self.deadlock());
                };
                self.now = self.now.max(at);
                self.wake_timed();
                continue;
            }
            candidates.sort_unstable();
            self.view_others();
            let others = std::mem::take(&mut self.others_buf);
            let view = self.make_view(&others, false);
            let chosen = match self
                .replay
                .as_mut()
                .map(|r| r.choose(&view, &candidates, why))
            {
                Some(Ok(Some(t))) => Ok(t),
                Some(Err(e)) => Err(e),
                Some(Ok(None)) | None => {
                    self.policy
                        .choose(&view, &candidates, why, &mut self.streams.sched)
                }
            };
            self.others_buf = others;
            let choice = match chosen {
                Ok(c) => c,
                Err(e) => return Some(self.schedule_error(e.0)),
            };
            let reason = match why {
                GiveUp::Blocked => SwitchReason::Blocked,
                GiveUp::Sleep => SwitchReason::Sleep,
                GiveUp::Start => SwitchReason::Start,
                GiveUp::Io => SwitchReason::Io,
                GiveUp::Exit => SwitchReason::Exit,
            };
            self.switch_to(choice, reason);
            return None;
        }
    }

    /// Wakes threads whose timed wait has expired.
    pub(crate) fn wake_timed(&mut self) {
        let now = self.now;
        self.next_wake = u64::MAX;
        // By index, reading first: only a thread that wakes is written (and so copied).
        for k in 0..self.threads.len() {
            let ThreadState::Blocked(w) = self.threads[k].state else {
                continue;
            };
            let Some(at) = w.wake_time() else { continue };
            if at > now {
                self.next_wake = self.next_wake.min(at);
                continue;
            }
            wake_from(&mut self.threads[k], w, now);
            self.others_valid_for = None;
        }
    }

    /// Wakes the threads waiting for `lock` (they retry; the first to run gets it).
    pub(crate) fn wake_lock_waiters(&mut self, lock: ObjId) {
        self.others_valid_for = None;
        let now = self.now;
        for k in 0..self.threads.len() {
            if let ThreadState::Blocked(Wait::Lock { lock: l, .. }) = self.threads[k].state
                && l == lock
            {
                let th = &mut self.threads[k];
                th.state = ThreadState::Runnable;
                th.ready_since = now;
            }
        }
    }

    /// Whether a thread blocked in `start()` waits for `t` to run its first instruction.
    fn start_awaited(&self, t: u32) -> bool {
        self.starting > 0
            && self
                .threads
                .iter()
                .any(|th| th.state == ThreadState::Blocked(Wait::Started { thread: t }))
    }

    /// `t` has run an instruction: a thread blocked in `start()` for it goes on.
    fn wake_starters(&mut self, t: u32) {
        let now = self.now;
        for k in 0..self.threads.len() {
            if self.threads[k].state == ThreadState::Blocked(Wait::Started { thread: t }) {
                let th = &mut self.threads[k];
                th.state = ThreadState::Runnable;
                th.ready_since = now;
                th.resume = Some(Value::None);
                self.starting -= 1;
                self.others_valid_for = None;
            }
        }
    }

    /// Called when a thread finishes: joiners wake.
    pub(crate) fn thread_finished(&mut self, id: u32) {
        let now = self.now;
        self.threads[id as usize].state = ThreadState::Done;
        self.others_valid_for = None;
        self.threads[id as usize].frames.clear();
        for k in 0..self.threads.len() {
            if let ThreadState::Blocked(Wait::Join { thread, .. }) = self.threads[k].state
                && thread == id
            {
                let th = &mut self.threads[k];
                th.state = ThreadState::Runnable;
                th.ready_since = now;
                th.resume = Some(Value::None);
                // The joiner returns from join(): everything the thread did happened before.
                if let Some(d) = self.detect.as_mut() {
                    d.join(th.id, id);
                }
            }
        }
    }

    /// The program is over when the main thread and every non-daemon thread are done.
    fn program_over(&self) -> bool {
        self.threads
            .iter()
            .all(|t| t.state == ThreadState::Done || (t.daemon && t.id != 0))
    }

    fn finish(&mut self) -> RunEnd {
        if let Some(code) = self.exit_code {
            return RunEnd {
                status: Status::Finished,
                exit_code: code,
                detail: Vec::new(),
                location: None,
            };
        }
        if self.main_raised {
            return RunEnd {
                status: Status::Exception,
                exit_code: 1,
                detail: Vec::new(),
                location: None,
            };
        }
        RunEnd {
            status: Status::Finished,
            exit_code: 0,
            detail: Vec::new(),
            location: None,
        }
    }

    fn deadlock(&mut self) -> RunEnd {
        let mut detail = Vec::new();
        for th in &self.threads {
            if let ThreadState::Blocked(w) = th.state {
                let line = th
                    .frames
                    .iter()
                    .rev()
                    .find(|f| f.unit == 0)
                    .map_or(0, Frame::line);
                // The call of gilsim's own modules the learner's code is in (`Condition.wait`).
                let user = th.frames.iter().rposition(|f| f.unit == 0);
                let called = user
                    .and_then(|i| th.frames.get(i + 1))
                    .filter(|f| f.unit != 0)
                    .map(|f| f.code.obj.qualname.clone());
                let what = match w {
                    Wait::Lock { lock, .. } => {
                        let owner = match self.heap.get(lock) {
                            Obj::Lock(l) => l.owner,
                            _ => None,
                        };
                        match owner {
                            // Condition.wait() blocks on a lock of its own until notify().
                            Some(o) if o == th.id && called.is_some() => format!(
                                "another thread to wake it from {}() (a notify, set, put or release that never comes)",
                                called.clone().unwrap_or_default()
                            ),
                            Some(o) => format!(
                                "a lock held by thread {o} ({})",
                                self.threads[o as usize].name
                            ),
                            None => "a lock".to_string(),
                        }
                    }
                    Wait::Join { thread, .. } => format!(
                        "thread {thread} ({}) to finish",
                        self.threads[thread as usize].name
                    ),
                    Wait::Started { thread } => format!(
                        "thread {thread} ({}) to start",
                        self.threads[thread as usize].name
                    ),
                    Wait::Sleep { .. } | Wait::Io { .. } => "time to pass".to_string(),
                };
                detail.push(format!(
                    "thread {} ({}) waits at line {line} for {what}",
                    th.id, th.name
                ));
            }
        }
        RunEnd {
            status: Status::Deadlock,
            exit_code: 3,
            detail,
            location: None,
        }
    }

    fn collect_garbage(&mut self) {
        let mut roots = Vec::new();
        for th in &self.threads {
            for f in &th.frames {
                f.refs(&mut roots);
            }
            roots.push(th.exc_info);
            roots.extend(th.resume);
            roots.extend(th.wake_value);
            roots.push(th.obj);
        }
        roots.extend(self.modules.values().map(|m| Value::Obj(*m)));
        roots.extend(self.interned.values().map(|m| Value::Obj(*m)));
        roots.extend(self.types.by_tag.values().map(|m| Value::Obj(*m)));
        roots.extend(self.types.exc.values().map(|m| Value::Obj(*m)));
        roots.push(Value::Obj(self.builtins));
        for u in self.units.iter() {
            for c in &u.codes {
                roots.extend_from_slice(&c.consts);
                roots.extend_from_slice(&c.name_objs);
            }
        }
        // Name the locks the races mention while they live: the collector may free them.
        let unnamed = self.detect.as_ref().map(|d| d.unnamed_race_locks());
        for lock in unnamed.unwrap_or_default() {
            let name = self.object_name(lock);
            if let Some(d) = self.detect.as_mut() {
                d.lock_names.insert(lock, name);
            }
        }
        self.heap.collect(&roots);
        if let Some(d) = &mut self.detect {
            let heap = &self.heap;
            d.collected(|id| heap.is_live(id));
        }
    }

    /// Looks up a native by id as a callable value.
    pub fn native(&mut self, id: NativeId, receiver: Option<Value>) -> Value {
        Value::Obj(
            self.heap
                .alloc(Obj::Native(crate::object::value::Native { id, receiver })),
        )
    }

    /// Where the running thread is in the learner's program: the instruction being executed
    /// by its innermost frame of unit 0 (a call into gilsim's modules, when inside one).
    pub(crate) fn user_tb_prev(&self) -> TbEntry {
        let th = &self.threads[self.current as usize];
        let f = th
            .frames
            .iter()
            .rev()
            .find(|f| f.unit == 0)
            .or(th.frames.last())
            .expect("[gilsim internal bug] thread without frame");
        TbEntry {
            unit: f.unit,
            code: f.code_idx,
            pc: f.pc.saturating_sub(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The module-body names of `src` that `which` flags, sorted.
    fn flagged_module_names(
        src: &str,
        which: fn(&gilsim_compiler::Program) -> Vec<bool>,
    ) -> Vec<String> {
        let p = gilsim_compiler::compile(src, "t.py", &gilsim_compiler::Profile::default())
            .expect("compiles");
        let mut names: Vec<String> = p.codes[0]
            .names
            .iter()
            .zip(which(&p))
            .filter(|(_, f)| *f)
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn only_names_no_other_code_can_reach_are_private_to_the_module_body() {
        let private = |src: &str| flagged_module_names(src, main_private_names);
        let src = "import threading\nn = 0\nmine = 1\ndef w():\n    global n\n    n += 1\n\
                   t = threading.Thread(target=w)\nt.start()\nmine = mine + n\nt.join()\n";
        // `n` is named by `w`, `Thread` and `start` are attribute names of the module body
        // (harmless: only LOAD_NAME/STORE_NAME consult the flags).
        assert_eq!(
            private(src),
            ["Thread", "join", "mine", "start", "t", "threading", "w"]
        );
        // A name in a class body or a lambda is shared too.
        let src = "k = 1\nclass C:\n    j = k\nf = lambda: f\n";
        assert_eq!(private(src), ["C"]);
        // Any door to a namespace as a whole makes every name shared.
        for door in [
            "globals()",
            "vars()",
            "sys.modules",
            "x.__dict__",
            "f.__globals__",
        ] {
            let src = format!("import sys\nx = 1\ndef f():\n    return {door}\n");
            assert!(private(&src).is_empty(), "{door}");
        }
    }

    #[test]
    fn only_lists_made_and_kept_by_the_module_body_are_private() {
        let lists = |src: &str| {
            flagged_module_names(src, |p| main_private_lists(p, &main_private_names(p)))
        };
        let src = "import threading\n\
                   a = [threading.Thread() for _ in range(3)]\n\
                   b = []\nb.append(1)\nc = []\nprint(c)\nd = list(range(2))\ne = []\nf = (e,)\n\
                   for x in a:\n    pass\nfor x in b:\n    pass\n";
        // `c` is passed to print, `d` is made by a call, `e` is put in a tuple; `f`, `x`
        // and the module's other names never bind a list made by BUILD_LIST or a comprehension.
        assert_eq!(lists(src), ["a", "b"]);
    }

    #[test]
    fn attributes_count_as_written_when_any_code_may_write_them() {
        let writes = |src: &str| {
            let p = gilsim_compiler::compile(src, "t.py", &gilsim_compiler::Profile::default())
                .expect("compiles");
            AttrWrites::of(&[&p])
        };
        let w =
            writes("class C:\n    def m(self):\n        self.x = 1\n        del self.y\nC.k = 2\n");
        for name in ["x", "y", "k", "args", "__cause__"] {
            assert!(w.may_write(name), "{name}");
        }
        assert!(!w.may_write("m"));
        for door in [
            "setattr(o, 'm', 1)",
            "vars(o)",
            "o.__dict__",
            "o.__class__ = C",
        ] {
            let w = writes(&format!(
                "class C:\n    def m(self):\n        pass\no = C()\n{door}\n"
            ));
            assert!(w.may_write("m"), "{door}");
        }
    }
}
