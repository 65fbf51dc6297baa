//! The natives under `threading` and `_thread`: locks, and the thread bookkeeping the bundled
//! `threading` module calls (start, join, idents, `release_save` for `Condition`).

use super::*;

/// `_gilsim_thread.allocate_lock`, `_gilsim_thread.RLock`.
pub(super) fn allocate_lock(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, .. } = c;
    let st = LockState {
        reentrant: id == N::ThreadRLock,
        ..LockState::default()
    };
    Ok(Some(Value::Obj(m.heap.alloc(Obj::Lock(st)))))
}

/// `lock.acquire`, `lock.__enter__`.
pub(super) fn lock_acquire(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call {
        id, args, kwargs, ..
    } = c;
    let a0 = arg(&args, 0);
    let Some(lock) = lock_of(m, a0) else {
        return Err(m.raise("TypeError", "not a lock"));
    };
    let blocking = match (id, kw(&kwargs, "blocking").or(args.get(1).copied())) {
        (N::LockAcquire, Some(v)) => m.truthy(v)?,
        _ => true,
    };
    let timeout = match (id, kw(&kwargs, "timeout").or(args.get(2).copied())) {
        (N::LockAcquire, Some(v)) if v != Value::None => {
            let t = to_float(m, v)?;
            if t < 0.0 {
                None
            } else {
                Some((t * 1e9) as u64)
            }
        }
        _ => None,
    };
    if blocking && m.profile.uncontended_acquire_releases_gil() {
        // 2.7 releases the GIL around every blocking acquire, taken or not: the OS
        // may hand it to another thread right after (the policy sees the release).
        m.gil_released = true;
    }
    acquire(m, lock, blocking, timeout, id == N::LockEnter)
}

/// `lock.release`, `lock.__exit__`.
pub(super) fn lock_release(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let Some(lock) = lock_of(m, a0) else {
        return Err(m.raise("TypeError", "not a lock"));
    };
    let me = m.current;
    let site = m.site_prev();
    let (ok, now_free, reentrant) = match m.heap.get_mut(lock) {
        Obj::Lock(l) => {
            if l.owner.is_none() || (l.reentrant && l.owner != Some(me)) {
                (false, false, l.reentrant)
            } else {
                l.count = l.count.saturating_sub(1);
                if l.count == 0 {
                    l.owner = None;
                }
                (true, l.count == 0, l.reentrant)
            }
        }
        _ => (false, false, false),
    };
    if !ok {
        let msg = if reentrant {
            "cannot release un-acquired lock"
        } else {
            "release unlocked lock"
        };
        return Err(m.raise("RuntimeError", msg));
    }
    if now_free {
        if let Some(d) = m.detect.as_mut() {
            d.release(site.thread, lock);
        }
        m.wake_lock_waiters(lock);
    }
    Ok(Some(if id == N::LockExit {
        Value::Bool(false)
    } else {
        Value::None
    }))
}

/// `lock.locked`.
pub(super) fn lock_locked(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let Some(lock) = lock_of(m, a0) else {
        return Err(m.raise("TypeError", "not a lock"));
    };
    Ok(Some(Value::Bool(
        matches!(m.heap.get(lock), Obj::Lock(l) if l.owner.is_some()),
    )))
}

/// `_gilsim_thread.new_ident`.
pub(super) fn new_ident(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let id = m.threads.len() as u32;
    m.threads.push(VThread {
        id,
        name: Rc::from(format!("Thread-{id}").as_str()),
        frames: Vec::new(),
        state: ThreadState::Done,
        exc_info: Value::None,
        resume: None,
        ready_since: 0,
        clock: 0,
        obj: a0,
        wake_value: None,
        timeout_at: None,
        daemon: false,
        started: false,
    });
    Ok(Some(Value::Int(i64::from(id))))
}

/// `_gilsim_thread.default_name`.
pub(super) fn default_name(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a1 = arg(&args, 1);
    let n = m.next_thread_name;
    m.next_thread_name += 1;
    // 3.10+ add the target's name: `Thread-1 (worker)`.
    // CPython reads `target.__name__`: a function's, or a bound method's function's.
    let target = match a1 {
        Value::Obj(o) if m.profile.at_least(3, 10) => match m.heap.get(o) {
            Obj::Function(f) => Some(f.name.clone()),
            Obj::Native(n) => Some(Rc::from(n.id.name())),
            Obj::Class(c) => Some(c.name.clone()),
            Obj::Method {
                func: Value::Obj(f),
                ..
            } => match m.heap.get(*f) {
                Obj::Function(f) => Some(f.name.clone()),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    Ok(Some(match target {
        Some(t) => m.new_str(format!("Thread-{n} ({t})")),
        None => m.new_str(format!("Thread-{n}")),
    }))
}

/// `_gilsim_thread.start`.
pub(super) fn start(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let tid = to_int(m, a0, "start")?;
    let valid =
        usize::try_from(tid).is_ok_and(|t| t < m.threads.len() && t > 0 && !m.threads[t].started);
    let callable = matches!(a1, Value::Obj(o) if matches!(m.heap.get(o), Obj::Method { func: Value::Obj(f), .. } if matches!(m.heap.get(*f), Obj::Function(_))));
    if !valid || !callable {
        return Err(m.raise(
            "RuntimeError",
            "threads can only be started once, from threading.Thread",
        ));
    }
    let tid = tid as u32;
    let func = a1;
    let name = m.str_of(arg(&args, 2));
    let daemon = m.truthy(arg(&args, 3))?;
    let Value::Obj(fo) = func else { unreachable!() };
    let (recv, f) = match m.heap.get(fo) {
        Obj::Method { receiver, func } => (*receiver, *func),
        _ => (Value::Null, func),
    };
    let Value::Obj(fobj) = f else { unreachable!() };
    let cur = m.current;
    m.current = tid;
    let frame = m.function_frame(
        fobj,
        if recv == Value::Null {
            Vec::new()
        } else {
            vec![recv]
        },
        Vec::new(),
        OnReturn::ThreadExit,
    );
    m.current = cur;
    let frame = frame?;
    let now = m.now;
    let th = &mut m.threads[tid as usize];
    th.frames = vec![frame];
    th.state = ThreadState::Runnable;
    m.others_valid_for = None;
    let th = &mut m.threads[tid as usize];
    th.name = Rc::from(name.as_str());
    th.daemon = daemon;
    th.started = true;
    th.ready_since = now;
    let site = m.site_prev();
    if let Some(d) = m.detect.as_mut() {
        d.start(site.thread, tid);
    }
    // Thread.start() waits, with the GIL released, until the new thread has run.
    Err(Flow::Block(Wait::Started { thread: tid }))
}

/// `_gilsim_thread.join`.
pub(super) fn join(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let tid = to_int(m, a0, "join")? as u32;
    if tid == m.current {
        return Err(m.raise("RuntimeError", "cannot join current thread"));
    }
    // A thread between `Thread.start`'s `_started = True` and its `_thread.start`
    // is not done: it has not begun (CPython's joiner waits for it there too).
    let done = m
        .threads
        .get(tid as usize)
        .is_none_or(|t| t.started && t.state == ThreadState::Done);
    Ok(Some(if done {
        let site = m.site_prev();
        if let Some(d) = m.detect.as_mut() {
            d.join(site.thread, tid);
        }
        Value::None
    } else {
        let deadline = match a1 {
            Value::Null | Value::None => None,
            t => Some(m.now + (to_float(m, t)?.max(0.0) * 1e9) as u64),
        };
        return Err(Flow::Block(Wait::Join {
            thread: tid,
            deadline,
        }));
    }))
}

/// `_gilsim_thread.at_least(major, minor)`: whether the profile is that version or later (the
/// bundled modules' version differences).
pub(super) fn at_least(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let major = to_int(m, arg(&c.args, 0), "at_least")?;
    let minor = to_int(m, arg(&c.args, 1), "at_least")?;
    let (Ok(major), Ok(minor)) = (u32::try_from(major), u32::try_from(minor)) else {
        return Ok(Some(Value::Bool(true)));
    };
    Ok(Some(Value::Bool(m.profile.at_least(major, minor))))
}

/// `_gilsim_thread.excepthook(name, exc)`: "Exception in thread NAME:" and the traceback;
/// `_gilsim_thread.report(header, exc)`: the header as given, then the traceback (what
/// CPython's logging writes for a failing done-callback or pool initializer).
pub(super) fn excepthook(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, id, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    if m.traceback_unseen(a1) {
        return Ok(Some(Value::None));
    }
    let name = m.str_of(a0);
    if id == N::ThreadReport {
        let text = format!("{name}\n{}", m.format_traceback(a1));
        m.stderr.extend_from_slice(text.as_bytes());
        return Ok(Some(Value::None));
    }
    let mut text = m.profile.thread_exception_header(&name);
    text.push('\n');
    text.push_str(&m.format_traceback(a1));
    // 2.7's Thread.__bootstrap_inner writes "%s\n" % format_exc(): a blank line after.
    if m.profile.version == gilsim_compiler::profile::Version::Py27 {
        text.push('\n');
    }
    m.stderr.extend_from_slice(text.as_bytes());
    Ok(Some(Value::None))
}

/// `_gilsim_thread.is_alive`.
pub(super) fn is_alive(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let tid = to_int(m, a0, "is_alive")? as u32;
    let alive = m
        .threads
        .get(tid as usize)
        .is_some_and(|t| t.started && t.state != ThreadState::Done);
    let done = m
        .threads
        .get(tid as usize)
        .is_some_and(|t| t.state == ThreadState::Done);
    // Seeing a thread finished orders everything it did before, as join() does.
    if done {
        let me = m.current;
        if let Some(d) = m.detect.as_mut() {
            d.join(me, tid);
        }
    }
    Ok(Some(Value::Bool(alive)))
}

/// `_gilsim_thread.current`.
pub(super) fn current(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    let cur = m.current as usize;
    let obj = m.threads[cur].obj;
    if obj == Value::None {
        return Err(m.unsupported("threading.current_thread() in the main thread (not simulated yet); use threading.get_ident()"));
    }
    Ok(Some(obj))
}

/// `_gilsim_thread.get_ident`.
pub(super) fn get_ident(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Int(ident_of(m.current))))
}

/// `_gilsim_thread.register_main`.
pub(super) fn register_main(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    m.threads[0].obj = a0;
    // `_MainThread`'s base is `Thread`: remembered for the reprs of threads.
    if let Value::Obj(o) = a0
        && let Obj::Instance(i) = m.heap.get(o)
        && let Obj::Class(c) = m.heap.get(i.class)
    {
        m.thread_class = c.mro.get(1).copied();
    }
    Ok(Some(Value::None))
}

/// `_gilsim_thread.register_local(cls)`: the class whose instances keep per-thread
/// attributes (`threading.local`).
pub(super) fn register_local(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Value::Obj(o) = arg(&c.args, 0)
        && matches!(m.heap.get(o), Obj::Class(_))
    {
        m.local_class = Some(o);
    }
    Ok(Some(Value::None))
}

/// `_gilsim_thread.is_owned`.
pub(super) fn is_owned(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let Some(lock) = lock_of(m, a0) else {
        return Err(m.raise("TypeError", "not a lock"));
    };
    let me = m.current;
    Ok(Some(Value::Bool(match m.heap.get(lock) {
        Obj::Lock(l) if l.reentrant => l.owner == Some(me),
        Obj::Lock(l) => l.owner.is_some(),
        _ => false,
    })))
}

/// `_gilsim_thread.release_save`.
pub(super) fn release_save(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    // Condition.wait: release the lock completely, remembering an RLock's depth.
    let Some(lock) = lock_of(m, a0) else {
        return Err(m.raise("TypeError", "not a lock"));
    };
    let site = m.site_prev();
    let count = match m.heap.get_mut(lock) {
        Obj::Lock(l) => {
            let c = l.count;
            l.owner = None;
            l.count = 0;
            c
        }
        _ => 0,
    };
    if let Some(d) = m.detect.as_mut() {
        d.release(site.thread, lock);
    }
    m.wake_lock_waiters(lock);
    Ok(Some(Value::Int(i64::from(count))))
}

/// `_gilsim_thread.acquire_restore`.
pub(super) fn acquire_restore(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let Some(lock) = lock_of(m, a0) else {
        return Err(m.raise("TypeError", "not a lock"));
    };
    let count = to_int(m, a1, "acquire_restore")?.max(1) as u32;
    acquire(m, lock, true, None, false)?;
    if let Obj::Lock(l) = m.heap.get_mut(lock) {
        l.count = count;
    }
    Ok(Some(Value::None))
}

/// `_gilsim_thread.active_count`.
pub(super) fn active_count(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Int(
        m.threads
            .iter()
            .filter(|t| t.started && t.state != ThreadState::Done)
            .count() as i64,
    )))
}

/// `lock.acquire()`: succeeds, fails, or blocks the thread.
fn acquire(
    m: &mut Machine,
    lock: ObjId,
    blocking: bool,
    timeout: Option<u64>,
    _enter: bool,
) -> Res<Option<Value>> {
    let me = m.current;
    let site = m.site_prev();
    let here = m.user_tb_prev();
    let got = match m.heap.get_mut(lock) {
        Obj::Lock(l) => match l.owner {
            None => {
                l.owner = Some(me);
                l.count = 1;
                l.acquired_at = Some(here);
                true
            }
            Some(o) if o == me && l.reentrant => {
                l.count += 1;
                true
            }
            _ => false,
        },
        _ => false,
    };
    if got {
        m.th().timeout_at = None;
        if let Some(d) = m.detect.as_mut() {
            d.acquire(site.thread, lock);
        }
        return Ok(Some(Value::Bool(true)));
    }
    if !blocking {
        return Ok(Some(Value::Bool(false)));
    }
    // A waiter woken by a release retries; its deadline stays the one it started with.
    let now = m.now;
    let deadline = timeout.map(|t| *m.th().timeout_at.get_or_insert(now + t));
    Err(Flow::Block(Wait::Lock { lock, deadline }))
}

/// The process id gilsim's simulated interpreter reports: the main thread's native id.
pub(crate) const VIRTUAL_PID: i64 = 41_807;

/// The ident CPython would show for thread `tid` (`threading.get_ident()`, `Thread.ident`):
/// a pthread address, fixed here so that runs reproduce. Each thread's stack is 8 MiB and a
/// guard page below the previous one's, as glibc lays them out.
#[must_use]
pub(crate) fn ident_of(tid: u32) -> i64 {
    const MAIN: i64 = 140_245_912_680_256;
    const FIRST: i64 = 140_245_895_104_256;
    if tid == 0 {
        MAIN
    } else {
        FIRST - i64::from(tid - 1) * 8_392_704
    }
}

/// The native id (`Thread.native_id`, `threading.get_native_id()`) of thread `tid`: the
/// main thread's is the process id, as on Linux.
fn native_id_of(tid: u32) -> i64 {
    VIRTUAL_PID + i64::from(tid)
}

/// `_gilsim_thread.ident_of(tid)`, `_gilsim_thread.native_id(tid)`: a thread's ident or
/// native id by gilsim's number.
pub(super) fn ident(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let tid = to_int(m, arg(&c.args, 0), "ident_of")?;
    let tid = u32::try_from(tid).unwrap_or(0);
    Ok(Some(Value::Int(if c.id == N::ThreadNativeId {
        native_id_of(tid)
    } else {
        ident_of(tid)
    })))
}

/// `threading.get_native_id()`: the running thread's simulated native id.
pub(super) fn get_native_id(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Int(native_id_of(m.current))))
}

/// `_gilsim_thread.enumerate()`: the thread objects alive, the main thread first.
pub(super) fn enumerate(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    let alive: Vec<Value> = m
        .threads
        .iter()
        .filter(|t| t.started && t.state != ThreadState::Done && t.obj != Value::None)
        .map(|t| t.obj)
        .collect();
    Ok(Some(Value::Obj(m.heap.alloc(Obj::List(alive)))))
}

/// `_gilsim_thread.deprecated(message)`: the DeprecationWarning 3.10+ print for threading's
/// camelCase names, at the line of the learner's code that called the deprecated function
/// (CPython's `stacklevel=2`), once per line and message as the default filter does. Calls from
/// gilsim's own modules warn nothing (CPython ignores DeprecationWarning outside `__main__`).
pub(super) fn deprecated(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if !m.profile.at_least(3, 10) {
        return Ok(Some(Value::None));
    }
    let msg: Rc<str> = Rc::from(m.str_of(arg(&c.args, 0)).as_str());
    let th = &m.threads[m.current as usize];
    let Some(caller) = th.frames.len().checked_sub(2).map(|k| &th.frames[k]) else {
        return Ok(Some(Value::None));
    };
    if caller.unit != 0 {
        return Ok(Some(Value::None));
    }
    let code = &caller.code.obj;
    let line = code
        .lines
        .get(caller.pc.saturating_sub(1) as usize)
        .copied()
        .unwrap_or(code.first_line);
    if !m.warned.insert((line, msg.clone())) {
        return Ok(Some(Value::None));
    }
    let program = &m.units[0].program;
    let text = program
        .source
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or("")
        .trim();
    let out = format!(
        "{}:{line}: DeprecationWarning: {msg}\n  {text}\n",
        program.filename
    );
    m.stderr.extend_from_slice(out.as_bytes());
    Ok(Some(Value::None))
}

/// The repr of a `threading.Thread` (or subclass) instance, as CPython writes it:
/// `<Thread(Thread-1, started daemon 140…)>`; `None` for any other value.
pub(crate) fn thread_repr(m: &mut Machine, v: Value) -> Option<String> {
    let thread_class = m.thread_class?;
    let Value::Obj(o) = v else { return None };
    let Obj::Instance(i) = m.heap.get(o) else {
        return None;
    };
    let cls = i.class;
    let tid = match i.dict.get_str("_ident") {
        Some(Value::Int(t)) => u32::try_from(t).ok()?,
        _ => return None,
    };
    let name = i.dict.get_str("name");
    let daemon = i.dict.get_str("daemon");
    if !m.is_subclass(cls, thread_class) {
        return None;
    }
    let class_name = m.class_name(cls);
    let name = name.map_or_else(String::new, |n| m.str_of(n));
    let th = m.threads.get(tid as usize)?;
    let status = if !th.started {
        "initial"
    } else if th.state == ThreadState::Done {
        "stopped"
    } else {
        "started"
    };
    let mut s = format!("<{class_name}({name}, {status}");
    if daemon.is_some_and(|d| d == Value::Bool(true)) {
        s.push_str(" daemon");
    }
    if th.started {
        s.push_str(&format!(" {}", ident_of(tid)));
    }
    s.push_str(")>");
    Some(s)
}
