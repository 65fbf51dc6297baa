//! The machine: heap, virtual threads, frames, the GIL, the virtual clock, and the run loop.
//!
//! One real thread runs every virtual thread, one instruction at a time. After each completed
//! instruction the profile says whether the position is a check point; if it is, the policy
//! decides whether the running thread keeps the GIL. A thread that blocks (lock, join, sleep,
//! simulated I/O) gives the GIL up and the policy picks who runs next. Builtins that run Python
//! code or block never nest an interpreter loop: they push frames or suspend the instruction.

mod run;
mod thread;

pub(crate) use run::{check_fires, wake_from};
pub use thread::{ThreadState, Threads, VThread, VecPool, Wait};

pub use crate::explore::Choice;
use crate::explore::analyses::{
    AttrWrites, NATIVE_ATTR_WRITES, backward_jumps_from, frozen_globals, main_private_lists,
    main_private_names,
};
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
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

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

/// Exploration: the choice points the machine stops at instead of asking its policy.
#[derive(Clone, Debug)]
pub(crate) struct Exploration {
    /// Exploration: stop at every point where more than one thread could run next, instead
    /// of asking the policy (see [`Machine::run_to_choice`]).
    pub(crate) on: bool,
    /// Exploration also switches at check points inside gilsim's own modules.
    pub(crate) inside_modules: bool,
    /// Exploration skips a check point when the running thread's next instructions up to
    /// its next check point are its own business (see `local_until_next_check`).
    pub(crate) reduce: bool,
    /// The choice the machine stopped at, in exploration.
    pub(crate) choice: Option<Choice>,
    /// In exploration: the attribute names any code of the run may write (see
    /// [`AttrWrites`]); `None` outside exploration.
    pub(crate) attr_writes: Option<Rc<AttrWrites>>,
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
    /// The schedule followed so far.
    pub recorder: Recorder,
    /// Optional trace collection.
    pub tracer: Option<Tracer>,
    /// The detectors, when on (`None`: no detection, nothing observed).
    pub detect: Option<Box<crate::detect::Detector>>,
    /// Interned strings (names, constants).
    pub interned: Rc<BTreeMap<Rc<str>, ObjId>>,
    /// The profile specialises C-call sites (3.11+), so calls are classified as they run.
    pub(crate) specialises: bool,
    /// 3.11+: generic executions of each specialisable call site (unit, code, pc packed), up
    /// to the profile's warm-up; part of the state, as CPython's inline caches are.
    pub(crate) spec: Rc<BTreeMap<u64, u8>>,
    /// The `NotImplemented` singleton (a builtin, so always reachable).
    pub(crate) not_implemented: Value,
    /// The interned names `__enter__` and `__exit__`, looked up by every `with`.
    pub(crate) with_names: (Value, Value),
    /// Exit code requested by `sys.exit` in the main thread.
    pub(crate) exit_code: Option<i32>,
    /// Whether the main thread ended with an uncaught exception.
    pub(crate) main_raised: bool,
    /// Id of the next Python-level thread (`Thread-N` numbering).
    pub(crate) next_thread_name: u32,
    /// The DeprecationWarnings already shown, by (line, message): as CPython's default
    /// filter shows each once per location of `__main__`.
    pub(crate) warned: BTreeSet<(u32, Rc<str>)>,
    /// The bundled `threading.Thread` class, once `threading` is imported (reprs of threads).
    pub(crate) thread_class: Option<ObjId>,
    /// Whether the main thread has run `threading._shutdown` (the exit hooks) at its end.
    pub(crate) shutdown_ran: bool,
    /// The bundled `threading.local` class, once `threading` is imported: its instances keep
    /// one attribute dict per thread.
    pub(crate) local_class: Option<ObjId>,
    /// Threads blocked in `Thread.start()` until their new thread runs.
    starting: u32,
    /// The earliest virtual time at which a timed wait (sleep, I/O, a timeout) ends.
    pub(crate) next_wake: u64,
    /// Depth of nested container comparisons (bounded like recursion).
    pub(crate) nesting: u32,
    /// Vectors of retired frames, reused by new ones (calls allocate nothing in the steady state).
    pub(crate) vec_pool: VecPool,
    // ----- The GIL and the scheduler: who holds it since when, the counts the policies read,
    // ----- and the runnable set. (Flat, not a sub-struct: grouping these hot fields cost the
    // ----- run loop 4-5% on the counter.)
    /// `sys.getswitchinterval()` in ns.
    pub(crate) switch_interval_ns: u64,
    /// The check interval the program set (2.7's `sys.setcheckinterval`); 0 while it has not,
    /// so that `ticks:N` uses its own N.
    pub(crate) check_interval: u64,
    /// When the running thread took the GIL.
    pub(crate) held_since: u64,
    /// Check points passed since the running thread took the GIL.
    pub(crate) checks_since_switch: u64,
    /// Check points passed by every thread before the running one took the GIL.
    pub(crate) checks_before_switch: u64,
    /// Instructions since the running thread took the GIL.
    pub(crate) instrs_since_switch: u64,
    /// Reusable buffer for runnable ids.
    pub(crate) others_buf: Vec<u32>,
    /// The policy's last promise of quiet (see [`Policy::quiet_until`]).
    pub(crate) quiet: Option<(u64, u64)>,
    /// `others_buf` (and `waiting_since_cache`) are up to date for this running thread.
    pub(crate) others_valid_for: Option<u32>,
    pub(crate) waiting_since_cache: u64,
    // ----- Exploration.
    /// Exploration state.
    pub(crate) exploring: Exploration,
    // ----- What the last instruction did, for the check rule and the exception machinery:
    // ----- set by one instruction, read and reset by the run loop. (Flat for the same reason.)
    /// The last conditional jump tested an exact bool (3.9 fast path).
    pub(crate) last_test_was_bool: bool,
    /// 2.7: the last instruction released and re-took the GIL (a blocking `Lock.acquire`).
    pub(crate) gil_released: bool,
    /// The last instruction returned from a frame marked `check_on_return`.
    pub(crate) return_checks: bool,
    /// 3.11+: the last CALL went to a C callee that checks after it returns.
    pub(crate) call_checks: bool,
    /// Set when a repr inside a native met an instance with its own `__repr__`/`__str__`,
    /// which cannot run there: the instruction is refused instead of printing the wrong text.
    pub(crate) deep_dunder: Option<String>,
    /// A handler was entered by the last instruction.
    pub(crate) entered_handler: bool,
    /// The exception being unwound is a re-raise (its traceback already has this frame).
    pub(crate) reraising: bool,
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

/// Virtual cost of one instruction, in nanoseconds.
#[inline]
#[must_use]
pub fn instr_cost(op: Op) -> u64 {
    COSTS[op as usize]
}

impl Machine {
    /// The switch interval in force at the end of the run: the profile's default unless the
    /// program called `sys.setswitchinterval`.
    #[must_use]
    pub fn switch_interval_ns(&self) -> u64 {
        self.switch_interval_ns
    }

    /// How long the run took in virtual time. With a GIL that is the one clock; without one
    /// (3.13t), every thread kept its own, and the run took as long as the one that got
    /// furthest.
    #[must_use]
    pub fn virtual_time(&self) -> u64 {
        self.threads
            .iter()
            .map(|t| t.clock)
            .fold(self.now, u64::max)
    }

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
            recorder: Recorder::default(),
            tracer: None,
            detect: None,
            interned: Rc::new(BTreeMap::new()),
            specialises: profile.specialise_after().is_some(),
            spec: Rc::new(BTreeMap::new()),
            not_implemented: Value::None,
            with_names: (Value::None, Value::None),
            exit_code: None,
            main_raised: false,
            next_thread_name: 1,
            warned: BTreeSet::new(),
            thread_class: None,
            shutdown_ran: false,
            local_class: None,
            replay: None,
            starting: 0,
            next_wake: u64::MAX,
            vec_pool: VecPool::default(),
            nesting: 0,

            switch_interval_ns: profile.default_switch_interval_ns(),
            check_interval: 0,
            held_since: 0,
            checks_since_switch: 0,
            checks_before_switch: 0,
            instrs_since_switch: 0,
            others_buf: Vec::new(),
            quiet: None,
            others_valid_for: None,
            waiting_since_cache: 0,
            exploring: Exploration {
                on: false,
                inside_modules: false,
                reduce: true,
                choice: None,
                attr_writes: None,
            },

            last_test_was_bool: false,
            call_checks: false,
            return_checks: false,
            gil_released: false,
            deep_dunder: None,
            entered_handler: false,
            reraising: false,
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
            clock: 0,
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
        let Ok(program) = gilsim_compiler::compile_bundled(
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
