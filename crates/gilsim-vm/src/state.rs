//! The canonical key of a machine state, for the explorer's state caching.
//!
//! Two states get the same key exactly when their futures are the same: the key covers the
//! threads (frames, stacks, locals, what each waits for), every heap object reachable from
//! them and from the modules, the lock owners, the positions of the program's random and I/O
//! streams, and the output so far. It leaves out what cannot change the future: the virtual
//! clock and deadlines (the explorer treats time as nondeterminism), step and switch counters,
//! the recorded schedule, and where each lock was acquired. Heap objects are numbered in the
//! order a breadth-first walk from the roots first meets them, so two states that allocated
//! the same objects in another order (or in other slots) still compare equal.

use crate::dict::Fnv;
use crate::machine::{Frame, Machine, OnReturn, ThreadState, Wait};
use crate::value::{IterState, Obj, ObjId, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Feeds the state into two independent 64-bit hashes (128 bits in all).
struct Key<'a> {
    m: &'a Machine,
    a: std::hash::DefaultHasher,
    b: Fnv,
    /// Canonical numbers of the objects met so far.
    ids: HashMap<ObjId, u32, BuildHasherDefault<Fnv>>,
    /// Objects numbered but not yet walked, in number order.
    queue: Vec<ObjId>,
}

impl Key<'_> {
    fn u64(&mut self, x: u64) {
        self.a.write_u64(x);
        self.b.write_u64(x.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }

    fn bytes(&mut self, s: &[u8]) {
        self.u64(s.len() as u64);
        self.a.write(s);
        self.b.write(s);
    }

    fn obj(&mut self, o: ObjId) {
        let next = self.ids.len() as u32;
        let n = *self.ids.entry(o).or_insert_with(|| {
            self.queue.push(o);
            next
        });
        self.u64(u64::from(n));
    }

    fn value(&mut self, v: Value) {
        match v {
            Value::Null => self.u64(1),
            Value::None => self.u64(2),
            Value::Bool(b) => self.u64(3 + u64::from(b)),
            Value::Int(i) => {
                self.u64(5);
                self.u64(i as u64);
            }
            Value::Float(f) => {
                self.u64(6);
                self.u64(f.to_bits());
            }
            Value::Obj(o) => {
                self.u64(7);
                self.obj(o);
            }
        }
    }

    fn values(&mut self, vs: &[Value]) {
        self.u64(vs.len() as u64);
        for v in vs {
            self.value(*v);
        }
    }

    fn frame(&mut self, f: &Frame) {
        self.u64(u64::from(f.unit));
        self.u64(u64::from(f.code_idx));
        self.u64(u64::from(f.pc));
        self.values(&f.stack);
        self.values(&f.locals);
        self.u64(f.cells.len() as u64);
        for c in &f.cells {
            self.obj(*c);
        }
        self.u64(f.blocks.len() as u64);
        for b in &f.blocks {
            self.u64(u64::from(b.handler) << 32 | u64::from(b.level));
            self.u64(b.kind as u64);
        }
        self.obj(f.globals);
        match f.names {
            Some(n) => self.obj(n),
            None => self.u64(0),
        }
        match &f.on_return {
            OnReturn::Push => self.u64(10),
            OnReturn::Init(v) => {
                self.u64(11);
                self.value(*v);
            }
            OnReturn::BuildClass(spec) => {
                self.u64(12);
                self.bytes(spec.qualname.as_bytes());
                self.u64(spec.bases.len() as u64);
                for b in &spec.bases {
                    self.obj(*b);
                }
                self.obj(spec.ns);
            }
            OnReturn::SetupWith { handler } => {
                self.u64(13);
                self.u64(u64::from(*handler));
            }
            OnReturn::Import(m) => {
                self.u64(14);
                self.obj(*m);
            }
            OnReturn::ThreadExit => self.u64(15),
            OnReturn::Discard => self.u64(16),
        }
        match f.generator {
            Some(g) => self.obj(g),
            None => self.u64(0),
        }
    }

    fn wait(&mut self, w: Wait) {
        match w {
            Wait::Lock { lock, deadline } => {
                self.u64(20 + u64::from(deadline.is_some()));
                self.obj(lock);
            }
            Wait::Join { thread, deadline } => {
                self.u64(22 + u64::from(deadline.is_some()));
                self.u64(u64::from(thread));
            }
            Wait::Sleep { .. } => self.u64(24),
            Wait::Io { .. } => self.u64(25),
            Wait::Started { thread } => {
                self.u64(26);
                self.u64(u64::from(thread));
            }
        }
    }

    /// Walks one object: its kind, its plain contents, and its references in order.
    fn walk(&mut self, o: &Obj) {
        let mut refs = Vec::new();
        match o {
            Obj::Str(s) => {
                self.u64(30);
                self.bytes(s.as_bytes());
            }
            Obj::BigInt(b) => {
                self.u64(31);
                self.bytes(b.to_string().as_bytes());
            }
            Obj::List(_) => self.u64(32),
            Obj::Tuple(_) => self.u64(33),
            Obj::Dict(_) => self.u64(34),
            Obj::Set(_) => self.u64(35),
            Obj::Function(f) => {
                self.u64(36);
                self.u64(u64::from(f.unit) << 32 | u64::from(f.code));
                self.bytes(f.qualname.as_bytes());
            }
            Obj::Cell(_) => self.u64(37),
            Obj::Class(c) => {
                self.u64(38);
                self.bytes(c.qualname.as_bytes());
            }
            Obj::Instance(i) => {
                self.u64(39);
                self.u64(i.traceback.len() as u64);
                for t in &i.traceback {
                    self.u64(u64::from(t.unit) << 48 | u64::from(t.code) << 24 | u64::from(t.pc));
                }
            }
            Obj::Method { .. } => self.u64(40),
            Obj::Native(n) => {
                self.u64(41);
                self.u64(n.id as u64);
            }
            Obj::Module(m) => {
                self.u64(42);
                self.bytes(m.name.as_bytes());
            }
            Obj::Range { start, stop, step } => {
                self.u64(43);
                for x in [*start, *stop, *step] {
                    self.u64(x as u64);
                }
            }
            Obj::Iter(s) => {
                self.u64(44);
                match s {
                    IterState::Range { next, stop, step } => {
                        for x in [*next, *stop, *step] {
                            self.u64(x as u64);
                        }
                    }
                    IterState::Seq { index, .. } | IterState::Values { index, .. } => {
                        self.u64(*index as u64);
                    }
                    IterState::DictKeys { index, len, .. } => {
                        self.u64(*index as u64);
                        self.u64(*len as u64);
                    }
                    IterState::Enumerate { count, .. } => self.u64(*count as u64),
                    IterState::Zip { inners } => self.u64(inners.len() as u64),
                    IterState::Reversed { left, .. } => self.u64(*left as u64),
                }
            }
            Obj::Slice(..) => self.u64(45),
            Obj::Lock(l) => {
                self.u64(46);
                self.u64(l.owner.map_or(u64::MAX, u64::from));
                self.u64(u64::from(l.count));
                self.u64(u64::from(l.reentrant));
            }
            Obj::Generator(g) => {
                self.u64(47);
                self.u64(u64::from(g.running));
                match &g.frame {
                    Some(f) => {
                        self.u64(1);
                        self.frame(f);
                    }
                    None => self.u64(0),
                }
                self.value(g.exc_state);
                self.value(g.outer_exc);
                return;
            }
            Obj::Wrapper(tag, _) => {
                self.u64(48);
                self.u64(*tag as u64);
            }
            Obj::View(kind, _) => {
                self.u64(49);
                self.u64(*kind as u64);
            }
            Obj::Super { .. } => self.u64(50),
        }
        crate::heap::refs(o, &mut refs);
        self.values(&refs);
    }
}

impl Machine {
    /// The canonical key of this state (see the module documentation).
    #[must_use]
    pub fn state_key(&self) -> u128 {
        let mut k = Key {
            m: self,
            a: std::hash::DefaultHasher::new(),
            b: Fnv::default(),
            ids: HashMap::default(),
            queue: Vec::new(),
        };
        k.u64(u64::from(self.current));
        k.u64(u64::from(self.next_thread_name));
        k.u64(u64::from(self.main_raised));
        k.u64(self.exit_code.map_or(u64::MAX, |c| c as u64));
        k.u64(self.check_interval);
        k.u64(self.switch_interval_ns);
        for s in [&self.streams.program, &self.streams.io] {
            let pos = s.get_word_pos();
            k.u64(pos as u64);
            k.u64((pos >> 64) as u64);
        }
        k.bytes(&self.stdout);
        if let Some(c) = &self.choice {
            k.u64(c.running.map_or(u64::MAX, u64::from));
            k.u64(c.why.map_or(u64::MAX, |w| w as u64));
            k.u64(c.options.len() as u64);
            for o in &c.options {
                k.u64(u64::from(*o));
            }
        }
        k.u64(self.threads.len() as u64);
        for th in &self.threads {
            match th.state {
                ThreadState::Runnable => k.u64(60),
                ThreadState::Done => k.u64(61),
                ThreadState::Blocked(w) => {
                    k.u64(62);
                    k.wait(w);
                }
            }
            k.u64(u64::from(th.daemon) | u64::from(th.started) << 1);
            k.bytes(th.name.as_bytes());
            k.value(th.exc_info);
            k.value(th.obj);
            for v in [th.resume, th.wake_value] {
                match v {
                    Some(v) => k.value(v),
                    None => k.u64(0),
                }
            }
            k.u64(th.frames.len() as u64);
            for f in &th.frames {
                k.frame(f);
            }
        }
        for (name, m) in &self.modules {
            k.bytes(name.as_bytes());
            k.obj(*m);
        }
        k.obj(self.main_module);
        k.obj(self.builtins);
        let mut next = 0;
        while next < k.queue.len() {
            let o = k.queue[next];
            next += 1;
            let m = k.m;
            k.walk(m.heap.get(o));
        }
        (u128::from(k.a.finish()) << 64) | u128::from(k.b.finish())
    }
}
