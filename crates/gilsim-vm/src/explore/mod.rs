//! Exploration inside the machine: the choice points it stops at, and which of them it can
//! skip because a switch there cannot change what any thread sees (the partial-order reduction
//! that gilsim-explore relies on). The static analyses of the program live in [`analyses`],
//! the look-ahead over a thread's next instructions in [`lookahead`].

pub(crate) mod analyses;
mod lookahead;

use lookahead::Look;

pub(crate) use analyses::{AttrWrites, observes_liveness, observes_starts};

use crate::machine::{Machine, RunEnd, ThreadState, wake_from};
use crate::object::dict::HKey;
use crate::object::frame::{Frame, OnReturn};
use crate::object::value::{Obj, Value};
use crate::policy::GiveUp;
use crate::trace::SwitchReason;
use gilsim_compiler::Program;
use gilsim_compiler::profile::CheckAfter;
use std::rc::Rc;

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

impl Machine {
    /// Puts the machine in exploration mode: instead of asking its policy, it stops at every
    /// point where more than one thread could run next ([`Machine::run_to_choice`]), and time
    /// becomes a choice: a sleeping thread or a timed wait may end at any such point. The
    /// detectors and the tracer are turned off. `full`: offer every check point, inside
    /// gilsim's own modules too, with no reduction (the exact schedule count).
    pub fn set_explore(&mut self, full: bool) {
        self.exploring.on = true;
        self.exploring.inside_modules = full;
        self.exploring.reduce = !full;
        if self.exploring.attr_writes.is_none() {
            // The loaded units (the program, the helpers) and every bundled module, since any
            // may be imported later.
            let bundled: Vec<Program> = crate::bundled::python_modules()
                .filter_map(|(name, src)| {
                    gilsim_compiler::compile_bundled(src, &format!("{name}.py"), &self.profile).ok()
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
            self.exploring.attr_writes = Some(Rc::new(writes));
        }
        self.heap.mark_stable();
        self.detect = None;
        self.tracer = None;
        self.next_wake = u64::MAX;
    }

    /// The choice the machine stopped at (after [`Machine::run_to_choice`] returned `None`),
    /// taken: the explorer answers it with [`Machine::answer`] on a copy per option.
    pub fn take_choice_point(&mut self) -> Option<Choice> {
        self.exploring.choice.take()
    }

    /// The choice the machine stopped at, if any.
    #[must_use]
    pub fn choice_point(&self) -> Option<&Choice> {
        self.exploring.choice.as_ref()
    }

    /// In exploration: runs until the run ends (`Some`) or a choice is due (`None`; it is in
    /// [`Machine::choice`], to be answered with [`Machine::choose`]).
    pub fn run_to_choice(&mut self) -> Option<RunEnd> {
        loop {
            if let Some(end) = self.run_slice() {
                return Some(end);
            }
            if self.exploring.choice.is_some() {
                return None;
            }
        }
    }

    /// Answers the pending choice: thread `t` (one of its options) runs next.
    pub fn choose(&mut self, t: u32) {
        let Some(c) = self.exploring.choice.take() else {
            return;
        };
        self.take_choice(t, c.running, c.why);
    }

    /// Answers choice `c`, taken out of this machine (or a copy of it) before: thread `t`
    /// (one of its options) runs next.
    pub fn answer(&mut self, c: &Choice, t: u32) {
        self.exploring.choice = None;
        self.take_choice(t, c.running, c.why);
    }

    pub(crate) fn take_choice(&mut self, t: u32, running: Option<u32>, why: Option<GiveUp>) {
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
        self.exploring
            .attr_writes
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
            .exploring
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
        if self
            .exploring
            .attr_writes
            .as_ref()
            .is_none_or(|w| w.observes_starts)
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
    pub(crate) fn woken_quietly(&self, tid: u32) -> bool {
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

    /// The threads whose timed wait could end now (time is a choice in exploration).
    pub(crate) fn timed_waiters(&self) -> impl Iterator<Item = u32> + '_ {
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
    pub(crate) fn offer_choice(&mut self) -> bool {
        if !self.exploring.inside_modules
            && self.threads[self.current as usize]
                .frames
                .last()
                .is_some_and(|f| self.units[f.unit as usize].bundled)
            && !self.entered_unchecked()
            && !self.in_observable_bootstrap()
        {
            return false;
        }
        if self.exploring.reduce && self.local_until_next_check() {
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
        self.exploring.choice = Some(Choice {
            options,
            running: Some(self.current),
            why: None,
        });
        true
    }
}
