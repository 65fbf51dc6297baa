//! Look-ahead: what a thread's next instructions touch, read from its frames without running
//! them, so that a switch point whose instructions only touch the thread's own state can be
//! passed.

use crate::machine::{Machine, check_fires};
use crate::object::frame::{Code, Frame};
use crate::object::native::NativeId;
use crate::object::value::{IterState, Obj, ObjId, Value};

/// The lookahead's working copies: the followed frame's stack, the locals and module names it
/// stored, and where each iterator it followed stands now.
#[derive(Default)]
pub(crate) struct Scratch {
    stack: Vec<Value>,
    locals: Vec<(usize, Value)>,
    names: Vec<(usize, Value)>,
    iters: Vec<(ObjId, i64)>,
    seqs: Vec<(ObjId, usize)>,
}

/// What exploration's lookahead finds a thread's next instructions do (see
/// `Machine::look_ahead`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
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

impl Machine {
    /// Whether the running thread's next instructions, up to its next check point, touch
    /// nothing another thread could see or change (locals, constants, arithmetic on plain
    /// values, jumps, a `range` iterator of its own). Then a switch here is the same as a
    /// switch at that next check point, and exploration offers only the later one. Decided
    /// by following the actual values, reading and changing nothing.
    pub(crate) fn local_until_next_check(&self) -> bool {
        self.look_ahead(self.current, false, false) != Look::Visible
    }

    /// Follows thread `tid`'s next instructions (see `local_until_next_check`): `Local` when
    /// they reach a check point touching nothing another thread could see, `Gives` when they
    /// reach a point where the thread gives the GIL up (a quiet join or start, its end),
    /// `Visible` otherwise or when in doubt. `woken`: the thread's innermost frame is a
    /// woken `join`/`start` about to return None, and the following starts in its caller
    /// (see `woken_quietly`). `through`: go on past check points.
    pub(crate) fn look_ahead(&self, tid: u32, woken: bool, through: bool) -> Look {
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
        let frames = &self.threads[tid as usize].frames;
        let depth = frames.len().saturating_sub(1 + usize::from(woken));
        let Some(f) = frames.get(depth) else {
            return Look::Visible;
        };
        s.stack.extend_from_slice(&f.stack);
        if woken {
            s.stack.push(Value::None);
        }
        let mut walk = Walk {
            m: self,
            f,
            code: &f.code,
            tid,
            depth,
            module_body: f.unit == 0 && f.code_idx == 0 && f.names.is_none(),
            s,
        };
        walk.run(through)
    }
}

/// One lookahead under way: the frame followed, and the scratch copies of what it changed.
struct Walk<'a> {
    m: &'a Machine,
    f: &'a Frame,
    code: &'a Code,
    tid: u32,
    depth: usize,
    /// The frame runs the learner's module body (its private names and lists are its own).
    module_body: bool,
    s: &'a mut Scratch,
}

/// Where a followed instruction goes next: the next index, and whether it tested an exact
/// bool (for the check rule). `Err(look)` ends the lookahead with that answer.
type Next = Result<(usize, bool), Look>;

impl Walk<'_> {
    /// Follows instructions until a check point (or, `through`, a point where the thread
    /// gives the GIL up), at most 64 (512) of them.
    fn run(&mut self, through: bool) -> Look {
        let mut pc = self.f.pc as usize;
        for _ in 0..if through { 512 } else { 64 } {
            let (next, bool_test) = match self.step(pc) {
                Ok(n) => n,
                Err(look) => return look,
            };
            let check = check_fires(self.code.check[pc], bool_test, next != pc + 1, true)
                && !self.code.skip_before.get(next).copied().unwrap_or(false);
            if check && !through {
                return Look::Local;
            }
            pc = next;
        }
        Look::Visible
    }

    /// Follows the instruction at `pc`.
    fn step(&mut self, pc: usize) -> Next {
        use gilsim_compiler::Op::*;
        let Some(ins) = self.code.obj.instrs.get(pc) else {
            return Err(Look::Visible);
        };
        // A `range` followed here is only ever iterated: anything else would look into an
        // object that does not exist.
        if ins.op != GET_ITER && self.s.stack.contains(&FRESH_RANGE) {
            return Err(Look::Visible);
        }
        let a = ins.arg as usize;
        let on = Ok((pc + 1, false));
        match ins.op {
            NOP | RESUME | PUSH_NULL | PRECALL | END_FOR | END_FOR_POP | TO_BOOL | SETUP_LOOP
            | SHOWN | POP_LOOP => on,
            LOAD_CONST => {
                self.s.stack.push(self.code.consts[a]);
                on
            }
            LOAD_FAST => self.load_fast(a).and(on),
            STORE_FAST => {
                let v = self.pop()?;
                self.s.locals.push((a, v));
                on
            }
            // A method no code ever assigns, of an instance that does not hold it itself:
            // what `LOAD_METHOD` finds cannot change (see `AttrWrites`).
            LOAD_METHOD
                if self
                    .m
                    .exploring
                    .attr_writes
                    .as_ref()
                    .is_some_and(|w| !w.may_write(&self.code.obj.names[a])) =>
            {
                self.load_method(a).and(on)
            }
            // A module-level name only the module body (so only this thread) touches.
            LOAD_NAME if self.module_body && self.code.private_name[a] => {
                self.load_private_name(a).and(on)
            }
            STORE_NAME if self.module_body && self.code.private_name[a] => {
                let v = self.pop()?;
                self.s.names.push((a, v));
                on
            }
            POP_TOP => {
                self.s.stack.pop();
                on
            }
            DUP_TOP => self.copy(1).and(on),
            COPY => self.copy(a).and(on),
            ROT_TWO => self.swap(2).and(on),
            SWAP => self.swap(a).and(on),
            JUMP_FORWARD | JUMP_ABSOLUTE => Ok((a, false)),
            BINARY_ADD | INPLACE_ADD | BINARY_SUBTRACT | INPLACE_SUBTRACT | COMPARE_OP => {
                self.int_op(ins.op, a).and(on)
            }
            POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE => {
                let Value::Bool(b) = self.pop()? else {
                    return Err(Look::Visible);
                };
                let jump = b == (ins.op == POP_JUMP_IF_TRUE);
                Ok((if jump { a } else { pc + 1 }, true))
            }
            // `iter()` of a list, tuple, str or range reads none of its contents (the
            // iterator does, at each FOR_ITER): it makes a new object only this frame holds.
            // It is followed no further (3.9's GET_ITER ends in a check point).
            GET_ITER if self.iterable_of_its_own() => {
                self.s.stack.pop();
                self.s.stack.push(Value::None);
                on
            }
            // A list only this thread can see (see `main_private_lists`), iterated.
            FOR_ITER if self.module_body && self.top_is_seq_iter() => {
                self.for_iter_private_list(pc, a)
            }
            // A module-level name that can no longer change (see `frozen_globals`).
            LOAD_GLOBAL if self.m.global_frozen(self.f, a) => self.load_frozen_global(a).and(on),
            // `range(n)` (up to 3 ints): a new object only this frame holds, which only a
            // `GET_ITER` may use (as on a range already made).
            CALL_FUNCTION if (1..=3).contains(&a) && self.s.stack.len() > a => {
                self.call_range(a).and(on)
            }
            // The thread's target returning into `threading`'s bootstrap, which only returns
            // in turn: the rest of the way is the thread's exit (see `returns_to_exit`), after
            // which exploration offers the next thread anyway.
            RETURN_VALUE | RETURN_CONST if self.m.returns_to_exit(self.tid, self.depth) => {
                Err(Look::Gives)
            }
            // `t.join()` of a started thread other than this one (see `joins_quietly`): it
            // returns at once if `t` is done, else blocks, which hands the GIL on anyway.
            CALL_METHOD if a == 0 && self.s.stack.len() >= 2 => self.join_or_start().and(on),
            FOR_ITER => self.for_iter_range(pc, a),
            _ => Err(Look::Visible),
        }
    }

    fn pop(&mut self) -> Result<Value, Look> {
        self.s.stack.pop().ok_or(Look::Visible)
    }

    /// `COPY n` (`DUP_TOP` is `COPY 1`).
    fn copy(&mut self, n: usize) -> Result<(), Look> {
        let stack = &mut self.s.stack;
        let Some(v) = stack.len().checked_sub(n).map(|i| stack[i]) else {
            return Err(Look::Visible);
        };
        stack.push(v);
        Ok(())
    }

    /// `SWAP n` (`ROT_TWO` is `SWAP 2`).
    fn swap(&mut self, n: usize) -> Result<(), Look> {
        let stack = &mut self.s.stack;
        let len = stack.len();
        if len < n || n == 0 {
            return Err(Look::Visible);
        }
        stack.swap(len - 1, len - n);
        Ok(())
    }

    fn load_fast(&mut self, a: usize) -> Result<(), Look> {
        let v = self
            .s
            .locals
            .iter()
            .rev()
            .find(|(i, _)| *i == a)
            .map_or(self.f.locals[a], |(_, v)| *v);
        if v == Value::Null {
            return Err(Look::Visible);
        }
        self.s.stack.push(v);
        Ok(())
    }

    /// `LOAD_METHOD` of a method no code assigns: the class's function, when the instance
    /// does not shadow it.
    fn load_method(&mut self, a: usize) -> Result<(), Look> {
        let Some(Value::Obj(o)) = self.s.stack.last().copied() else {
            return Err(Look::Visible);
        };
        let Obj::Instance(inst) = self.m.heap.get(o) else {
            return Err(Look::Visible);
        };
        if inst.dict.contains(&self.code.names[a]) {
            return Err(Look::Visible);
        }
        match self.m.class_lookup(inst.class, &self.code.names[a]) {
            Some(func) if self.m.is_python_function(func) => {
                self.s.stack.pop();
                self.s.stack.push(func);
                self.s.stack.push(Value::Obj(o));
                Ok(())
            }
            _ => Err(Look::Visible),
        }
    }

    /// What module name `n` binds now, after the stores this lookahead has followed.
    fn binding(&self, n: usize) -> Option<Value> {
        self.s
            .names
            .iter()
            .rev()
            .find(|(i, _)| *i == n)
            .map(|(_, v)| *v)
            .or_else(|| self.module_entry(self.f.globals, n))
    }

    /// Entry `n` of the code's names in module `module`'s dict.
    fn module_entry(&self, module: ObjId, n: usize) -> Option<Value> {
        match self.m.heap.get(module) {
            Obj::Module(md) => md.dict.get(&self.code.names[n]),
            _ => None,
        }
    }

    fn load_private_name(&mut self, a: usize) -> Result<(), Look> {
        let found = self
            .binding(a)
            .or_else(|| self.module_entry(self.m.builtins, a));
        // Unbound: the NameError is the thread's own, but let it run as usual.
        let v = found.ok_or(Look::Visible)?;
        self.s.stack.push(v);
        Ok(())
    }

    fn load_frozen_global(&mut self, a: usize) -> Result<(), Look> {
        let found = [self.f.globals, self.m.builtins]
            .into_iter()
            .find_map(|d| self.module_entry(d, a));
        // Unbound: the NameError is the thread's own, but let it run as usual.
        let v = found.ok_or(Look::Visible)?;
        self.s.stack.push(v);
        Ok(())
    }

    /// Int arithmetic and comparisons, which touch nothing shared.
    fn int_op(&mut self, op: gilsim_compiler::Op, a: usize) -> Result<(), Look> {
        use gilsim_compiler::Op::*;
        let (Some(Value::Int(r)), Some(Value::Int(l))) = (self.s.stack.pop(), self.s.stack.pop())
        else {
            return Err(Look::Visible);
        };
        let v = match op {
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
        self.s.stack.push(v.ok_or(Look::Visible)?);
        Ok(())
    }

    /// The top of the stack is a list, tuple, str or range (or a range made here).
    fn iterable_of_its_own(&self) -> bool {
        let top = self.s.stack.last();
        top == Some(&FRESH_RANGE)
            || matches!(top, Some(Value::Obj(o)) if matches!(self.m.heap.get(*o),
                Obj::List(_) | Obj::Tuple(_) | Obj::Str(_) | Obj::Range { .. }))
    }

    /// The top of the stack iterates a sequence.
    fn top_is_seq_iter(&self) -> bool {
        matches!(self.s.stack.last(), Some(Value::Obj(o))
            if matches!(self.m.heap.get(*o), Obj::Iter(IterState::Seq { .. })))
    }

    /// `FOR_ITER` over a list only the module body's private names bind.
    fn for_iter_private_list(&mut self, pc: usize, a: usize) -> Next {
        let Some(Value::Obj(o)) = self.s.stack.last().copied() else {
            return Err(Look::Visible);
        };
        let Obj::Iter(IterState::Seq { seq, index }) = self.m.heap.get(o) else {
            return Err(Look::Visible);
        };
        let Obj::List(items) = self.m.heap.get(*seq) else {
            return Err(Look::Visible);
        };
        // Whether the list is what one of the module body's private list names binds now.
        let private = self
            .code
            .private_list
            .iter()
            .enumerate()
            .any(|(n, &l)| l && self.binding(n) == Some(Value::Obj(*seq)));
        if !private {
            return Err(Look::Visible);
        }
        let seqs = &mut self.s.seqs;
        let at = seqs.iter().position(|(i, _)| *i == o);
        let cur = at.map_or(*index, |k| seqs[k].1);
        match items.get(cur) {
            Some(v) => {
                match at {
                    Some(k) => seqs[k].1 = cur + 1,
                    None => seqs.push((o, cur + 1)),
                }
                self.s.stack.push(*v);
                Ok((pc + 1, false))
            }
            None => {
                self.s.stack.pop();
                Ok((a, false))
            }
        }
    }

    /// `FOR_ITER` over a range iterator on this frame's stack (the frame's own).
    fn for_iter_range(&mut self, pc: usize, a: usize) -> Next {
        let Some(Value::Obj(o)) = self.s.stack.last().copied() else {
            return Err(Look::Visible);
        };
        let Obj::Iter(IterState::Range {
            next: n,
            stop,
            step,
        }) = self.m.heap.get(o)
        else {
            return Err(Look::Visible);
        };
        let iters = &mut self.s.iters;
        let at = iters.iter().position(|(i, _)| *i == o);
        let cur = at.map_or(*n, |k| iters[k].1);
        if (*step > 0 && cur < *stop) || (*step < 0 && cur > *stop) {
            let after = cur.saturating_add(*step);
            match at {
                Some(k) => iters[k].1 = after,
                None => iters.push((o, after)),
            }
            self.s.stack.push(Value::Int(cur));
            Ok((pc + 1, false))
        } else {
            self.s.stack.pop();
            Ok((a, false))
        }
    }

    /// `range(...)` of up to 3 ints.
    fn call_range(&mut self, a: usize) -> Result<(), Look> {
        let stack = &mut self.s.stack;
        let n = stack.len();
        let is_range = matches!(stack[n - a - 1], Value::Obj(o)
            if matches!(self.m.heap.get(o),
                Obj::Native(nat) if nat.id == NativeId::Range && nat.receiver.is_none()));
        let ints = stack[n - a..].iter().all(|v| matches!(v, Value::Int(_)));
        if !is_range || !ints || (a == 3 && stack[n - 1] == Value::Int(0)) {
            return Err(Look::Visible);
        }
        stack.truncate(n - a - 1);
        stack.push(FRESH_RANGE);
        Ok(())
    }

    /// A call with no arguments of a thread's `start` (which gives the GIL up) or `join`.
    fn join_or_start(&mut self) -> Result<(), Look> {
        let n = self.s.stack.len();
        let (func, recv) = (self.s.stack[n - 2], self.s.stack[n - 1]);
        if self.m.starts_quietly(func, recv) {
            return Err(Look::Gives);
        }
        match self.m.joins_quietly(self.tid, func, recv) {
            Some(true) => {
                self.s.stack.truncate(n - 2);
                self.s.stack.push(Value::None);
                Ok(())
            }
            Some(false) => Err(Look::Gives),
            None => Err(Look::Visible),
        }
    }
}
