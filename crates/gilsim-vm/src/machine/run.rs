//! The run loop: instructions of the running thread until a check point, a block or the end;
//! the policy's decisions; hand-overs of the GIL, wake-ups, deadlock and the end of the run,
//! and the collector's roots.

use super::*;

/// Ends a thread's timed wait: its sleep or I/O is over, or its timeout expired (a timed
/// `acquire` then returns False).
pub(crate) fn wake_from(th: &mut VThread, w: Wait, now: u64) {
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

impl Machine {
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
    pub(crate) fn run_slice(&mut self) -> Option<RunEnd> {
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
                                self.switch_to(n, SwitchReason::Schedule);
                                return None;
                            }
                            Err(e) => return Some(self.schedule_error(e.0)),
                        }
                    } else if check {
                        if self.exploring.on {
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
                        && !self.exploring.on
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
    /// the first instruction [`exec_hot`](crate::interp::exec::exec_hot) does not take, or after an
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
        let alone = self.others_buf.is_empty()
            && !(self.exploring.on && self.timed_waiters().next().is_some());
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
            if !crate::interp::exec::exec_hot::<DETECT>(
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
        if !self.profile.has_gil() && n != from {
            // No GIL: the threads run at once, each on its own core, so the one that runs
            // next goes on from its own time (or from when it was woken), not from ours.
            self.threads[from as usize].clock = self.now;
            let next = &self.threads[n as usize];
            self.now = next.clock.max(next.ready_since);
        }
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
            if self.exploring.on {
                // Any runnable thread may take the GIL, and any timed wait may end first.
                candidates.extend(self.timed_waiters());
                candidates.sort_unstable();
                // A thread woken from a quiet join or start runs first, up to where it gives
                // the GIL up again (see `woken_quietly`).
                if candidates.len() > 1
                    && self.exploring.reduce
                    && !self.exploring.inside_modules
                    && let Some(&w) = candidates.iter().find(|&&w| self.woken_quietly(w))
                {
                    self.take_choice(w, None, Some(why));
                    return None;
                }
                match candidates.len() {
                    0 => return Some(self.deadlock()),
                    1 => self.take_choice(candidates[0], None, Some(why)),
                    _ => {
                        self.exploring.choice = Some(Choice {
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
            if !self.profile.has_gil() {
                // On its own core it woke when its wait ended, whatever another core's time.
                self.threads[k].ready_since = at;
            }
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
                // Where: the learner's line, or (a thread running only gilsim's own code, such
                // as an executor's worker) the module function it is in.
                let place = match th.frames.iter().rev().find(|f| f.unit == 0) {
                    Some(f) => format!("at line {}", f.line()),
                    None => th
                        .frames
                        .iter()
                        .find(|f| {
                            !matches!(
                                &*f.code.obj.qualname,
                                "Thread._bootstrap_inner" | "Thread.run"
                            )
                        })
                        .or(th.frames.first())
                        .map_or_else(String::new, |f| {
                            let module = self.units[f.unit as usize]
                                .program
                                .filename
                                .trim_end_matches(".py")
                                .to_string();
                            format!("in {}() of {module}", f.code.obj.qualname)
                        }),
                };
                // The call of gilsim's own modules the learner's code is in (`Condition.wait`),
                // or for a thread with no code of the learner's, its innermost call.
                let user = th.frames.iter().rposition(|f| f.unit == 0);
                let called = match user {
                    Some(i) => th
                        .frames
                        .get(i + 1)
                        .filter(|f| f.unit != 0)
                        .map(|f| f.code.obj.qualname.clone()),
                    None => th.frames.last().map(|f| f.code.obj.qualname.clone()),
                };
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
                    "thread {} ({}) waits {place} for {what}",
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
}
