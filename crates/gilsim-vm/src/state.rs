//! The canonical key of a machine state, for the explorer's state caching.
//!
//! Two states get the same key exactly when their futures are the same: the key covers the
//! threads (frames, stacks, locals, what each waits for), every heap object reachable from
//! them and from the modules, the lock owners, the positions of the program's random and I/O
//! streams, and the output so far. It leaves out what cannot change the future: the virtual
//! clock and deadlines (the explorer treats time as nondeterminism), step and switch counters,
//! the recorded schedule, and where each lock was acquired.
//!
//! All states an exploration compares descend from one start, where the heap was marked
//! stable ([`crate::object::heap::Heap::mark_stable`]): objects that existed then are named by their
//! id, and only those that changed since are described by content (an unchanged one has its
//! start content in every state). Objects made since are numbered in the order a
//! breadth-first walk from the roots first meets them, so two states that allocated the same
//! objects in another order (or in other slots) still compare equal. The words are hashed
//! with XXH3-128.

use crate::machine::{Machine, ThreadState, Wait};
use crate::object::frame::{Frame, OnReturn};
use crate::object::value::{IterState, Obj, ObjId, Value};

/// Collects the state as little-endian words, then hashes them.
struct Key<'a> {
    m: &'a Machine,
    words: Vec<u8>,
    /// Canonical numbers (plus one; 0: not met yet) of the objects made since the start, by
    /// id minus the stable count.
    ids: Vec<u32>,
    stable: usize,
    /// Objects numbered but not yet walked, in number order.
    queue: Vec<ObjId>,
    /// A buffer for an object's references.
    refs: Vec<Value>,
}

/// Buffers reused from one key to the next (keys are computed millions of times).
#[derive(Default)]
struct Buffers {
    words: Vec<u8>,
    ids: Vec<u32>,
    queue: Vec<ObjId>,
    refs: Vec<Value>,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

impl Key<'_> {
    #[inline]
    fn u64(&mut self, x: u64) {
        self.words.extend_from_slice(&x.to_le_bytes());
    }

    fn bytes(&mut self, s: &[u8]) {
        self.u64(s.len() as u64);
        for chunk in s.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.u64(u64::from_le_bytes(w));
        }
    }

    fn obj(&mut self, o: ObjId) {
        let n = self.obj_number(o);
        self.u64(n);
    }

    /// The canonical number of an object: its id (plus 2^40) if it is stable, else the
    /// order the walk first met it in (queueing it to be walked).
    fn obj_number(&mut self, o: ObjId) -> u64 {
        if self.m.heap.is_stable(o) {
            return u64::from(o.0) | 1 << 40;
        }
        let i = o.0 as usize - self.stable;
        if i >= self.ids.len() {
            self.ids.resize(i + 1, 0);
        }
        if self.ids[i] == 0 {
            self.queue.push(o);
            self.ids[i] = self.queue.len() as u32;
        }
        u64::from(self.ids[i])
    }

    /// A value in one word where it fits: a tag in the top byte, the payload below (an int
    /// beyond 56 bits and a float take a second word). Object numbers stay below 2^41.
    fn value(&mut self, v: Value) {
        const PAYLOAD: u64 = (1 << 56) - 1;
        let tagged = |tag: u64, payload: u64| tag << 56 | (payload & PAYLOAD);
        match v {
            Value::Null => self.u64(tagged(1, 0)),
            Value::None => self.u64(tagged(2, 0)),
            Value::Bool(b) => self.u64(tagged(3, u64::from(b))),
            Value::Int(i) if (-(1 << 55)..1 << 55).contains(&i) => {
                self.u64(tagged(5, i as u64));
            }
            Value::Int(i) => {
                self.u64(tagged(8, 0));
                self.u64(i as u64);
            }
            Value::Float(f) => {
                self.u64(tagged(6, 0));
                self.u64(f.to_bits());
            }
            Value::Obj(o) => {
                let n = self.obj_number(o);
                self.u64(tagged(7, n));
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
        self.u64(u64::from(f.pc) | u64::from(f.check_on_return) << 40);
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
            OnReturn::Dunder(then) => {
                // What the instruction still has to do: its plain parts by their text (a
                // stricter key than needed: object ids in it may differ between equal
                // states), its values canonically.
                self.u64(17);
                self.bytes(format!("{then:?}").as_bytes());
                let mut refs = Vec::new();
                then.refs(&mut refs);
                self.values(&refs);
            }
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
        let mut refs = std::mem::take(&mut self.refs);
        refs.clear();
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
                self.u64(u64::from(n.id.0));
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
            Obj::Property { .. } => self.u64(51),
        }
        crate::object::heap::refs(o, &mut refs);
        self.values(&refs);
        self.refs = refs;
    }
}

impl Machine {
    /// The canonical key of this state (see the module documentation).
    #[must_use]
    pub fn state_key(&self) -> u128 {
        let mut b = BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut()));
        b.words.clear();
        b.ids.clear();
        b.queue.clear();
        let mut k = Key {
            m: self,
            words: b.words,
            ids: b.ids,
            stable: self.heap.stable_count(),
            queue: b.queue,
            refs: b.refs,
        };
        k.u64(u64::from(self.current));
        k.u64(u64::from(self.next_thread_name));
        k.u64(u64::from(self.main_raised));
        k.u64(u64::from(self.shutdown_ran));
        k.u64(self.exit_code.map_or(u64::MAX, |c| c as u64));
        k.u64(self.check_interval);
        k.u64(self.switch_interval_ns);
        for s in [&self.streams.program, &self.streams.io] {
            let pos = s.get_word_pos();
            k.u64(pos as u64);
            k.u64((pos >> 64) as u64);
        }
        k.bytes(&self.stdout);
        k.u64(self.spec.len() as u64);
        for (site, n) in self.spec.iter() {
            k.u64(*site);
            k.u64(u64::from(*n));
        }
        if let Some(c) = &self.exploring.choice {
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
        for (name, m) in self.modules.iter() {
            k.bytes(name.as_bytes());
            k.obj(*m);
        }
        k.obj(self.main_module);
        k.obj(self.builtins);
        // The start's objects that changed since (live or freed), by id and content.
        for &id in self.heap.changed_stable() {
            let o = ObjId(id);
            k.u64(u64::from(id));
            if self.heap.is_live(o) {
                k.walk(self.heap.get(o));
            } else {
                k.u64(u64::MAX);
            }
        }
        let mut next = 0;
        while next < k.queue.len() {
            let o = k.queue[next];
            next += 1;
            let m = k.m;
            k.walk(m.heap.get(o));
        }
        let key = xxhash_rust::xxh3::xxh3_128(&k.words);
        BUFFERS.with(|b| {
            *b.borrow_mut() = Buffers {
                words: k.words,
                ids: k.ids,
                queue: k.queue,
                refs: k.refs,
            };
        });
        key
    }
}

#[cfg(test)]
mod tests {
    use crate::machine::Machine;
    use crate::run::{RunConfig, machine_for};
    use gilsim_compiler::Profile;

    fn machine(src: &str) -> Machine {
        let profile = Profile::default();
        let program = gilsim_compiler::compile(src, "t.py", &profile).expect("compiles");
        let cfg = RunConfig::new("t.py", profile);
        machine_for(program, &cfg).expect("a machine")
    }

    #[test]
    fn a_state_met_twice_has_one_key_and_different_states_differ() {
        // Two runs of one program to its end: the same key.
        let end_key = |src: &str| {
            let mut m = machine(src);
            m.set_explore(false);
            assert!(m.run_to_choice().is_some(), "one thread: no choice");
            m.state_key()
        };
        let a = "x = [1, 2]\ny = {'k': x}\nprint(len(y))\n";
        assert_eq!(end_key(a), end_key(a));
        // A different value, a different nested value, different output: different keys.
        assert_ne!(end_key(a), end_key(&a.replace("[1, 2]", "[1, 3]")));
        assert_ne!(end_key(a), end_key(&a.replace("{'k': x}", "{'k': [x]}")));
        assert_ne!(end_key(a), end_key(&a.replace("len(y)", "len(x)")));
        // Objects made in another order but reachable the same way: the same key.
        let p = "t = []\nu = []\nl = [u, t]\ndel t, u\n";
        let q = "u = []\nt = []\nl = [u, t]\ndel t, u\n";
        assert_eq!(end_key(p), end_key(q));
    }
}
