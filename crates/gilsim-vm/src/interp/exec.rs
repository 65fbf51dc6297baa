//! Executing one instruction, and unwinding exceptions through the 3.9 block stack.

use crate::machine::{Flow, Machine, Res, ThreadState};
use crate::object::dict::HKey;
use crate::object::frame::{Block, BlockKind, Frame, OnReturn};
use crate::object::value::{Function, Obj, ObjId, Value};
use crate::observer::Site;
use crate::trace::Row;
use gilsim_compiler::carets::CaretStyle;
use gilsim_compiler::{CodeKind, Op};
use std::rc::Rc;

/// Executes `op` when it is one of the hot opcodes in its common case (the pc already advanced
/// past it), working on the frame and the heap directly. Returns `false`, having changed
/// nothing, when the general path must run it. When the detectors run (`detect`) and the
/// frame is the learner's, global accesses and branches are reported to them inline, once the
/// global's location is known (the general path registers it); `(thread, step)` place the
/// event; `DETECT` false compiles the detectors out. The run loop's hot loop and
/// [`Machine::step`] both execute through here, so the two paths cannot disagree.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn exec_hot<const DETECT: bool>(
    op: Op,
    arg: u32,
    f: &mut Frame,
    code: &crate::object::frame::Code,
    heap: &mut crate::object::heap::Heap,
    mut detect: Option<&mut crate::detect::Detector>,
    (thread, step): (u32, u64),
    last_test_was_bool: &mut bool,
) -> bool {
    use Op::*;
    let a = arg as usize;
    if !DETECT || f.unit != 0 {
        detect = None;
    }
    let site = |f: &Frame| {
        let pc = f.pc - 1;
        Site {
            thread,
            unit: f.unit,
            code: f.code_idx,
            pc,
            line: code.obj.lines[pc as usize],
            step,
        }
    };
    match op {
        LOAD_CONST => {
            f.stack.push(code.consts[a]);
            true
        }
        LOAD_FAST if f.locals[a] != Value::Null => {
            let v = f.locals[a];
            f.stack.push(v);
            true
        }
        STORE_FAST => {
            let v = f
                .stack
                .pop()
                .expect("[gilsim internal bug] stack underflow");
            f.locals[a] = v;
            true
        }
        POP_TOP => {
            f.stack.pop();
            true
        }
        DUP_TOP => {
            let v = *f.stack.last().expect("[gilsim internal bug] empty stack");
            f.stack.push(v);
            true
        }
        ROT_TWO => {
            let n = f.stack.len();
            f.stack.swap(n - 1, n - 2);
            true
        }
        SWAP => {
            let n = f.stack.len();
            f.stack.swap(n - 1, n - a);
            true
        }
        COPY => {
            let v = f.stack[f.stack.len() - a];
            f.stack.push(v);
            true
        }
        RESUME | PUSH_NULL | PRECALL | END_FOR | END_FOR_POP | TO_BOOL | SETUP_LOOP | SHOWN
        | POP_LOOP => true,
        JUMP_ABSOLUTE | JUMP_FORWARD => {
            if let Some(d) = detect
                && arg < f.pc
            {
                d.back_edge(thread);
            }
            f.pc = arg;
            true
        }
        POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE => {
            if let Some(&Value::Bool(b)) = f.stack.last() {
                let jump = b == (op == POP_JUMP_IF_TRUE);
                if let Some(d) = detect {
                    d.branch(site(f), arg);
                    if jump && arg < f.pc {
                        d.back_edge(thread);
                    }
                }
                f.stack.pop();
                *last_test_was_bool = true;
                if jump {
                    f.pc = arg;
                }
                return true;
            }
            false
        }
        BINARY_ADD | INPLACE_ADD | BINARY_SUBTRACT | INPLACE_SUBTRACT => {
            let n = f.stack.len();
            if let (Value::Int(l), Value::Int(r)) = (f.stack[n - 2], f.stack[n - 1]) {
                let v = if matches!(op, BINARY_ADD | INPLACE_ADD) {
                    l.checked_add(r)
                } else {
                    l.checked_sub(r)
                };
                if let Some(v) = v {
                    f.stack.pop();
                    f.stack[n - 2] = Value::Int(v);
                    return true;
                }
            }
            false
        }
        FOR_ITER => {
            if let Some(&Value::Obj(o)) = f.stack.last()
                && let Obj::Iter(crate::object::value::IterState::Range { next, stop, step }) =
                    heap.get_mut(o)
            {
                let cur = *next;
                if (*step > 0 && cur < *stop) || (*step < 0 && cur > *stop) {
                    *next = cur.checked_add(*step).unwrap_or(*stop);
                    f.stack.push(Value::Int(cur));
                } else {
                    f.stack.pop();
                    f.pc = arg;
                }
                return true;
            }
            false
        }
        LOAD_GLOBAL => {
            let loc = code.global_loc[a].get();
            if detect.is_some() && loc == u32::MAX {
                return false;
            }
            if let Obj::Module(m) = heap.get(f.globals)
                && let Some((i, v)) = m.dict.get_hinted(&code.names[a], code.global_hint[a].get())
            {
                code.global_hint[a].set(i);
                f.stack.push(v);
                if let Some(d) = detect {
                    d.read(loc, site(f), v);
                }
                return true;
            }
            false
        }
        STORE_GLOBAL => {
            let loc = code.global_loc[a].get();
            if detect.is_some() && loc == u32::MAX {
                return false;
            }
            let Obj::Module(m) = heap.get_mut(f.globals) else {
                return false;
            };
            let v = f
                .stack
                .pop()
                .expect("[gilsim internal bug] stack underflow");
            let hint = code.global_hint[a].get();
            let (i, old) = m
                .dict
                .set_hinted(&code.names[a], code.name_objs[a], v, hint);
            code.global_hint[a].set(i);
            if let Some(d) = detect {
                d.write(loc, site(f), v, old);
            }
            true
        }
        _ => false,
    }
}

impl Machine {
    /// Executes one instruction of the running thread. `Ok(check)` says whether the position
    /// after it is a check point.
    pub(crate) fn step(&mut self) -> Res<bool> {
        self.gil_released = false;
        self.return_checks = false;
        let t = self.current as usize;
        let depth = self.threads[t].frames.len();
        let (op, arg, pc, check_kind, code) = {
            let f = self.threads[t]
                .frames
                .last()
                .expect("[gilsim internal bug] thread without frame");
            let pc = f.pc as usize;
            let ins = f.code.obj.instrs[pc];
            (ins.op, ins.arg, pc, f.code.check[pc], f.code.clone())
        };
        if let Some(tr) = &mut self.tracer {
            let f = self.threads[t].frames.last().expect("frame");
            tr.row(Row {
                step: self.steps,
                thread: self.current,
                unit: f.unit,
                code: f.code_idx,
                pc: pc as u32,
            });
        }
        self.now += crate::machine::instr_cost(op);
        match self.exec(op, arg, &code) {
            Ok(()) => {
                if let Some(msg) = self.deep_dunder.take() {
                    return Err(self.unsupported(msg));
                }
            }
            Err(Flow::Raise(exc)) => {
                self.entered_handler = false;
                self.handle_exception(exc)?;
                if self.threads[t].state == ThreadState::Done {
                    return Ok(false);
                }
                return Ok(self.entered_handler && self.profile.checks_on_handler_entry());
            }
            Err(flow @ (Flow::Block(_) | Flow::Yield(_))) => {
                // The instruction did not complete: it runs again when the thread resumes.
                self.fr().pc -= 1;
                return Err(flow);
            }
            Err(other) => return Err(other),
        }
        let jumped = self.threads[t]
            .frames
            .last()
            .is_some_and(|f| f.pc as usize != pc + 1);
        let mut check = crate::machine::check_fires(
            check_kind,
            self.last_test_was_bool,
            jumped,
            self.call_checks,
        ) || self.return_checks;
        if self.threads[t].frames.len() > depth {
            // A frame was entered (a call, a generator resumed by FOR_ITER or next()).
            let view = code.obj.instrs[pc].view;
            use gilsim_compiler::Version as V;
            let on_return = match self.profile.version {
                V::Py310 => matches!(
                    view,
                    Op::CALL_FUNCTION
                        | Op::CALL_METHOD
                        | Op::CALL_FUNCTION_KW
                        | Op::CALL_FUNCTION_EX
                ),
                V::Py27 | V::Py39 | V::Py311 | V::Py312 | V::Py313 | V::Py313t => {
                    check_kind == gilsim_compiler::CheckAfter::AfterNativeCall && self.call_checks
                }
            };
            if on_return && let Some(f) = self.threads[t].frames.last_mut() {
                f.check_on_return = true;
            }
            check |= self.profile.checks_on_frame_entry();
        }
        if !check {
            return Ok(false);
        }
        // The skip rule looks at the instruction about to run (maybe in a new or older frame;
        // none when the thread has just finished).
        let Some(f) = self.threads[t].frames.last() else {
            return Ok(false);
        };
        let next = f.pc as usize;
        Ok(!f.code.skip_before.get(next).copied().unwrap_or(false))
    }

    /// 3.11+: whether the position after this CALL is a check point. A Python function is
    /// checked at its own RESUME; a C callee checks after the call, unless the call site has
    /// specialised into `len`, `isinstance` or `list.append`, which do not check. A site
    /// specialises after the profile's number of generic executions (`nargs` is `usize::MAX`
    /// for a call with keywords, which those forms never take; `method` says the callee was
    /// looked up in the method form, `l.append(v)`: a stored `app = l.append` called later is
    /// a generic builtin call, which checks).
    fn note_call(&mut self, func: Value, nargs: usize, method: bool) {
        use crate::object::native::NativeId as N;
        let Value::Obj(o) = func else {
            self.call_checks = true;
            return;
        };
        let specialisable = match self.heap.get(o) {
            Obj::Function(_) => {
                self.call_checks = false;
                return;
            }
            Obj::Method { func, .. } if self.is_python_function(*func) => {
                self.call_checks = false;
                return;
            }
            // `type(x)` (CALL_NO_KW_TYPE_1, 3.13's CALL_TYPE_1) reads the type without a check.
            Obj::Class(_)
                if nargs == 1
                    && !method
                    && self.types.by_tag.get(&crate::object::value::TypeTag::Type) == Some(&o) =>
            {
                true
            }
            // 3.13 specialises a class whose __init__ is Python (CALL_ALLOC_AND_ENTER_INIT),
            // which then runs it inline: no check after it returns.
            Obj::Class(_) if self.profile.at_least(3, 13) && nargs != usize::MAX && !method => {
                let init = self.intern("__init__");
                let key = crate::object::dict::HKey::Str(self.attr_name(init));
                self.class_lookup(o, &key)
                    .is_some_and(|f| self.is_python_function(f))
            }
            Obj::Native(n) => match n.id {
                N::Len => nargs == 1,
                N::Isinstance => nargs == 2,
                N::ListAppend => method && nargs == 1 && n.receiver.is_some(),
                _ => false,
            },
            _ => false,
        };
        self.call_checks = true;
        if !specialisable {
            return;
        }
        let f = self.threads[self.current as usize]
            .frames
            .last()
            .expect("[gilsim internal bug] call without frame");
        let site = u64::from(f.unit) << 48 | u64::from(f.code_idx) << 24 | u64::from(f.pc - 1);
        let after = self.profile.specialise_after().unwrap_or(u8::MAX);
        let seen = self.spec.get(&site).copied().unwrap_or(0);
        if seen >= after {
            self.call_checks = false;
        } else {
            Rc::make_mut(&mut self.spec).insert(site, seen + 1);
        }
    }

    #[inline]
    fn push(&mut self, v: Value) {
        self.fr().stack.push(v);
    }

    #[inline]
    fn pop(&mut self) -> Value {
        self.fr()
            .stack
            .pop()
            .expect("[gilsim internal bug] stack underflow")
    }

    #[inline]
    fn top(&mut self) -> Value {
        *self
            .fr()
            .stack
            .last()
            .expect("[gilsim internal bug] empty stack")
    }

    #[inline]
    fn peek(&mut self, n: usize) -> Value {
        let s = &self.fr().stack;
        s[s.len() - 1 - n]
    }

    #[inline]
    fn jump(&mut self, target: u32) {
        self.fr().pc = target;
    }

    fn exec(&mut self, op: Op, arg: u32, code: &Rc<crate::object::frame::Code>) -> Res<()> {
        use Op::*;
        let a = arg as usize;
        // Advance first; jumps overwrite the pc, blocked calls restore it.
        let t = self.current as usize;
        let f = self.threads[t]
            .frames
            .last_mut()
            .expect("[gilsim internal bug] no frame");
        f.pc += 1;
        // The hot opcodes work on the frame (and the heap) directly; anything unusual falls
        // through to the general arms below.
        if exec_hot::<true>(
            op,
            arg,
            f,
            code,
            &mut self.heap,
            self.detect.as_deref_mut(),
            (t as u32, self.steps),
            &mut self.last_test_was_bool,
        ) {
            return Ok(());
        }
        if self.dunder_instruction(op, arg)? {
            return Ok(());
        }
        match op {
            NOP | RESUME | PUSH_NULL | PRECALL | END_FOR | END_FOR_POP | TO_BOOL | SETUP_LOOP
            | SHOWN | POP_LOOP => {}
            KW_NAMES => {
                let v = code.consts[a];
                self.push(v);
            }
            RETURN_CONST => {
                let v = code.consts[a];
                self.do_return(v)?;
            }
            BINARY_OP
            | CALL
            | CALL_KW
            | JUMP_BACKWARD
            | POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | BEFORE_WITH
            | DUP_TOPX
            | WITH_CLEANUP
            | END_FINALLY
            | SETUP_EXCEPT
            | BREAK_LOOP
            | LOAD_LOCALS
            | RETURN_GENERATOR
            | GEN_START
            | CALL_FUNCTION_VAR
            | CALL_FUNCTION_VAR_KW
            | POP_JUMP_FORWARD_IF_NONE
            | POP_JUMP_FORWARD_IF_NOT_NONE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE
            | POP_JUMP_IF_NONE
            | POP_JUMP_IF_NOT_NONE
            | LOAD_FAST_LOAD_FAST
            | STORE_FAST_LOAD_FAST
            | STORE_FAST_STORE_FAST
            | CONVERT_VALUE
            | FORMAT_SIMPLE
            | FORMAT_WITH_SPEC => {
                unreachable!("[gilsim internal bug] {} is only ever a view", op.name())
            }
            LOAD_CONST | STORE_FAST | POP_TOP | DUP_TOP | ROT_TWO | JUMP_FORWARD | COPY | SWAP
            | JUMP_ABSOLUTE => {
                unreachable!(
                    "[gilsim internal bug] {} is handled on the fast path",
                    op.name()
                )
            }
            ROT_THREE => {
                let s = &mut self.fr().stack;
                let v = s.pop().expect("stack");
                let n = s.len();
                s.insert(n - 2, v);
            }
            ROT_FOUR => {
                let s = &mut self.fr().stack;
                let v = s.pop().expect("stack");
                let n = s.len();
                s.insert(n - 3, v);
            }
            DUP_TOP_TWO => {
                let a1 = self.peek(1);
                let a0 = self.peek(0);
                self.push(a1);
                self.push(a0);
            }
            LOAD_FAST => {
                // The fast path took every bound local: this one is unbound.
                let name = code.obj.varnames[a].clone();
                let msg = self.unbound_message("local", &name);
                return Err(self.raise("UnboundLocalError", msg));
            }
            DELETE_FAST => {
                self.fr().locals[a] = Value::Null;
            }
            LOAD_GLOBAL => {
                let v = self.load_global(code, a)?;
                self.push(v);
            }
            STORE_GLOBAL => {
                let v = self.pop();
                let g = self.fr().globals;
                self.store_global(g, code, a, v);
            }
            DELETE_GLOBAL => {
                let g = self.fr().globals;
                let key = code.names[a].clone();
                if let Obj::Module(m) = self.heap.get_mut(g) {
                    m.dict.remove(&key);
                }
            }
            LOAD_NAME => {
                let v = self.load_name(code, a)?;
                self.push(v);
            }
            STORE_NAME => {
                let v = self.pop();
                match self.fr().names {
                    Some(ns) => {
                        let key = code.names[a].clone();
                        let k = code.name_objs[a];
                        if let Obj::Dict(d) = self.heap.get_mut(ns) {
                            d.insert(key, k, v);
                        }
                    }
                    None => {
                        let g = self.fr().globals;
                        self.store_global(g, code, a, v);
                    }
                }
            }
            DELETE_NAME => {
                let key = code.names[a].clone();
                let target = self.fr().names.unwrap_or(self.fr().globals);
                let removed = match self.heap.get_mut(target) {
                    Obj::Dict(d) => d.remove(&key).is_some(),
                    Obj::Module(m) => m.dict.remove(&key).is_some(),
                    _ => false,
                };
                if !removed {
                    let name = code.obj.names[a].clone();
                    let e = self.raise("NameError", format!("name '{name}' is not defined"));
                    return Err(self.with_name(e, &name, None));
                }
            }
            LOAD_DEREF | LOAD_CLASSDEREF => {
                if op == LOAD_CLASSDEREF
                    && let Some(ns) = self.fr().names
                {
                    let idx = a - code.obj.cellvars.len();
                    let name = code.obj.freevars.get(idx).cloned().unwrap_or_default();
                    if let Obj::Dict(d) = self.heap.get(ns)
                        && let Some(v) = d.get_str(&name)
                    {
                        self.push(v);
                        return Ok(());
                    }
                }
                let cell = self.fr().cells[a];
                let v = match self.heap.get(cell) {
                    Obj::Cell(v) => *v,
                    _ => Value::Null,
                };
                if v == Value::Null {
                    // A cell of this function's own is a local; a free variable is the
                    // enclosing function's.
                    if a < code.obj.cellvars.len() {
                        let name = code.obj.cellvars[a].clone();
                        let msg = self.unbound_message("local", &name);
                        return Err(self.raise("UnboundLocalError", msg));
                    }
                    let name = code.obj.freevars[a - code.obj.cellvars.len()].clone();
                    let msg = self.unbound_message("free", &name);
                    return Err(self.raise("NameError", msg + " in enclosing scope"));
                }
                if self.observed() {
                    let key = crate::detect::LocKey::Cell(cell, Self::cell_name(code, a));
                    self.observe(key, v, None);
                }
                self.push(v);
            }
            STORE_DEREF => {
                let v = self.pop();
                let cell = self.fr().cells[a];
                let old = match self.heap.get(cell) {
                    Obj::Cell(old) => *old,
                    _ => Value::Null,
                };
                *self.heap.get_mut(cell) = Obj::Cell(v);
                if self.observed() {
                    let key = crate::detect::LocKey::Cell(cell, Self::cell_name(code, a));
                    self.observe(key, v, Some((old != Value::Null).then_some(old)));
                }
            }
            DELETE_DEREF => {
                let cell = self.fr().cells[a];
                *self.heap.get_mut(cell) = Obj::Cell(Value::Null);
            }
            LOAD_CLOSURE => {
                let cell = self.fr().cells[a];
                self.push(Value::Obj(cell));
            }
            UNARY_POSITIVE | UNARY_NEGATIVE | UNARY_NOT | UNARY_INVERT => {
                let v = self.pop();
                let r = self.unary(op, v)?;
                self.push(r);
            }
            BINARY_POWER | BINARY_MULTIPLY | BINARY_MODULO | BINARY_ADD | BINARY_SUBTRACT
            | BINARY_FLOOR_DIVIDE | BINARY_TRUE_DIVIDE | BINARY_LSHIFT | BINARY_RSHIFT
            | BINARY_AND | BINARY_XOR | BINARY_OR | INPLACE_ADD | INPLACE_SUBTRACT
            | INPLACE_MULTIPLY | INPLACE_MODULO | INPLACE_POWER | INPLACE_FLOOR_DIVIDE
            | INPLACE_TRUE_DIVIDE | INPLACE_LSHIFT | INPLACE_RSHIFT | INPLACE_AND | INPLACE_XOR
            | INPLACE_OR => {
                let r = self.peek(0);
                let l = self.peek(1);
                let v = self.binary(op, l, r)?;
                let s = &mut self.fr().stack;
                s.pop();
                *s.last_mut().expect("stack") = v;
            }
            BINARY_SUBSCR => {
                let k = self.peek(0);
                let o = self.peek(1);
                let v = self.getitem(o, k)?;
                self.pop();
                self.pop();
                self.push(v);
            }
            STORE_SUBSCR => {
                let k = self.peek(0);
                let o = self.peek(1);
                let v = self.peek(2);
                self.setitem(o, k, v)?;
                let s = &mut self.fr().stack;
                s.truncate(s.len() - 3);
            }
            DELETE_SUBSCR => {
                let k = self.pop();
                let o = self.pop();
                self.delitem(o, k)?;
            }
            COMPARE_OP => {
                let r = self.pop();
                let l = self.pop();
                let v = self.compare(arg, l, r)?;
                self.push(v);
            }
            IS_OP => {
                let r = self.pop();
                let l = self.pop();
                let same = self.is(l, r);
                self.push(Value::Bool(same != (arg == 1)));
            }
            CONTAINS_OP => {
                let container = self.pop();
                let item = self.pop();
                // `key in d` reads the item (`if key not in counts: counts[key] = 0`).
                if self.observed()
                    && let Value::Obj(d) = container
                    && matches!(self.heap.get(d), Obj::Dict(_))
                    && let Some((key, now)) = self.item_location(d, item)
                {
                    self.observe(key, now.unwrap_or(Value::Null), None);
                }
                let has = self.contains(container, item)?;
                self.push(Value::Bool(has != (arg == 1)));
            }
            POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE => {
                self.observe_branch(arg);
                let v = self.pop();
                self.last_test_was_bool = matches!(v, Value::Bool(_));
                let truth = self.truthy(v)?;
                if truth == (op == POP_JUMP_IF_TRUE) {
                    self.observe_jump(arg);
                    self.jump(arg);
                }
            }
            JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP => {
                self.observe_branch(arg);
                let v = self.top();
                self.last_test_was_bool = matches!(v, Value::Bool(_));
                let truth = self.truthy(v)?;
                if truth == (op == JUMP_IF_TRUE_OR_POP) {
                    self.observe_jump(arg);
                    self.jump(arg);
                } else {
                    self.pop();
                }
            }

            GET_ITER => {
                let v = self.pop();
                let it = self.get_iter(v)?;
                self.push(it);
            }
            FOR_ITER => {
                let it = self.top();
                match self.next(it)? {
                    Some(Value::Null) => {} // a generator frame was resumed
                    Some(v) => self.push(v),
                    None => {
                        self.pop();
                        self.jump(arg);
                    }
                }
            }
            BUILD_TUPLE => {
                let s = &mut self.fr().stack;
                let items: Vec<Value> = s.split_off(s.len() - a);
                let t = self.heap.alloc(Obj::Tuple(items.into()));
                self.push(Value::Obj(t));
            }
            BUILD_LIST => {
                let s = &mut self.fr().stack;
                let items: Vec<Value> = s.split_off(s.len() - a);
                let l = self.heap.alloc(Obj::List(items));
                self.push(Value::Obj(l));
            }
            BUILD_SET => {
                let s = &mut self.fr().stack;
                let items: Vec<Value> = s.split_off(s.len() - a);
                let set = self.new_set(&items)?;
                self.push(set);
            }
            BUILD_MAP => {
                let s = &mut self.fr().stack;
                let items: Vec<Value> = s.split_off(s.len() - 2 * a);
                let d = self.new_dict_value();
                for pair in items.chunks(2) {
                    self.setitem(d, pair[0], pair[1])?;
                }
                self.push(d);
            }
            BUILD_CONST_KEY_MAP => {
                let keys = self.pop();
                let s = &mut self.fr().stack;
                let vals: Vec<Value> = s.split_off(s.len() - a);
                let keys = self.seq_items(keys)?;
                let d = self.new_dict_value();
                for (k, v) in keys.iter().zip(vals) {
                    self.setitem(d, *k, v)?;
                }
                self.push(d);
            }
            BUILD_STRING => {
                let s = &mut self.fr().stack;
                let parts: Vec<Value> = s.split_off(s.len() - a);
                let mut out = String::new();
                for p in parts {
                    out.push_str(&self.str_of(p));
                }
                let v = self.new_str(out);
                self.push(v);
            }
            BUILD_SLICE => {
                let step = if a == 3 { self.pop() } else { Value::None };
                let stop = self.pop();
                let start = self.pop();
                let o = self.heap.alloc(Obj::Slice(start, stop, step));
                self.push(Value::Obj(o));
            }
            LIST_APPEND | SET_ADD => {
                let v = self.pop();
                let target = self.peek(a - 1);
                if op == LIST_APPEND {
                    if let Value::Obj(o) = target
                        && let Obj::List(l) = self.heap.get_mut(o)
                    {
                        l.push(v);
                    }
                } else {
                    self.set_add(target, v)?;
                }
            }
            MAP_ADD => {
                let v = self.pop();
                let k = self.pop();
                let d = self.peek(a - 1);
                self.setitem(d, k, v)?;
            }
            LIST_EXTEND | SET_UPDATE => {
                let src = self.pop();
                let target = self.peek(a - 1);
                let items = self.iterate_all(src)?;
                if op == LIST_EXTEND {
                    if let Value::Obj(o) = target
                        && let Obj::List(l) = self.heap.get_mut(o)
                    {
                        l.extend(items);
                    }
                } else {
                    for v in items {
                        self.set_add(target, v)?;
                    }
                }
            }
            DICT_UPDATE | DICT_MERGE => {
                let src = self.pop();
                let target = self.peek(a - 1);
                self.dict_update(target, src)?;
            }
            LIST_TO_TUPLE => {
                let l = self.pop();
                let items = self.seq_items(l)?;
                let t = self.heap.alloc(Obj::Tuple(items.into()));
                self.push(Value::Obj(t));
            }
            UNPACK_SEQUENCE => {
                let v = self.pop();
                let items = self.iterate_all(v)?;
                if items.len() != a {
                    let msg = if items.len() > a {
                        format!("too many values to unpack (expected {a})")
                    } else {
                        format!(
                            "not enough values to unpack (expected {a}, got {})",
                            items.len()
                        )
                    };
                    return Err(self.raise("ValueError", msg));
                }
                for v in items.into_iter().rev() {
                    self.push(v);
                }
            }
            UNPACK_EX => {
                let before = a & 0xff;
                let after = a >> 8;
                let v = self.pop();
                let items = self.iterate_all(v)?;
                if items.len() < before + after {
                    let msg = format!(
                        "not enough values to unpack (expected at least {}, got {})",
                        before + after,
                        items.len()
                    );
                    return Err(self.raise("ValueError", msg));
                }
                let mid: Vec<Value> = items[before..items.len() - after].to_vec();
                let l = Value::Obj(self.heap.alloc(Obj::List(mid)));
                for v in items[items.len() - after..].iter().rev() {
                    self.push(*v);
                }
                self.push(l);
                for v in items[..before].iter().rev() {
                    self.push(*v);
                }
            }
            LOAD_ATTR => {
                let o = self.top();
                let name = code.name_objs[a];
                match self.getattr(o, name)? {
                    crate::interp::ops::Attr::Value(v) => {
                        self.pop();
                        self.push(v);
                    }
                    crate::interp::ops::Attr::Call(f, args) => {
                        self.pop();
                        self.call_value(f, args, Vec::new(), OnReturn::Push)?;
                    }
                }
            }
            STORE_ATTR => {
                let o = self.pop();
                let v = self.pop();
                let name = code.name_objs[a];
                self.setattr(o, name, v)?;
            }
            DELETE_ATTR => {
                let o = self.pop();
                let name = code.name_objs[a];
                self.delattr(o, name)?;
            }
            LOAD_METHOD => {
                let o = self.top();
                let name = code.name_objs[a];
                match self.load_method(o, name)? {
                    Some(func) => {
                        self.pop();
                        self.push(func);
                        self.push(o);
                    }
                    None => match self.getattr(o, name)? {
                        crate::interp::ops::Attr::Value(v) => {
                            self.pop();
                            self.push(Value::Null);
                            self.push(v);
                        }
                        crate::interp::ops::Attr::Call(..) => {
                            return Err(self.unsupported("calling a property's result directly"));
                        }
                    },
                }
            }
            CALL_METHOD => {
                let n = self.fr().stack.len();
                let mut args = self.spare_vec();
                let f = self.fr();
                let func = if f.stack[n - a - 2] == Value::Null {
                    args.extend_from_slice(&f.stack[n - a..]);
                    f.stack[n - a - 1]
                } else {
                    args.extend_from_slice(&f.stack[n - a - 1..]);
                    f.stack[n - a - 2]
                };
                if self.specialises {
                    self.note_call(func, args.len(), true);
                }
                self.call_from_stack(func, args, Vec::new(), a + 2)?;
            }
            CALL_FUNCTION => {
                let n = self.fr().stack.len();
                let func = self.fr().stack[n - a - 1];
                if self.specialises {
                    self.note_call(func, a, false);
                }
                let mut args = self.spare_vec();
                args.extend_from_slice(&self.fr().stack[n - a..]);
                self.call_from_stack(func, args, Vec::new(), a + 1)?;
            }
            CALL_FUNCTION_KW => {
                let n = self.fr().stack.len();
                let names = self.fr().stack[n - 1];
                let names = self.seq_items(names)?;
                let func = self.fr().stack[n - a - 2];
                if self.specialises {
                    self.note_call(func, usize::MAX, false);
                }
                let all = self.fr().stack[n - a - 1..n - 1].to_vec();
                let npos = a - names.len();
                let mut kwargs = Vec::with_capacity(names.len());
                for (k, v) in names.iter().zip(&all[npos..]) {
                    kwargs.push((self.str_of(*k), *v));
                }
                self.call_from_stack(func, all[..npos].to_vec(), kwargs, a + 2)?;
            }
            CALL_FUNCTION_EX => {
                let n = self.fr().stack.len();
                let (kw, pos_at) = if arg & 1 == 1 {
                    (Some(self.fr().stack[n - 1]), n - 2)
                } else {
                    (None, n - 1)
                };
                let func = self.fr().stack[pos_at - 1];
                let pos = self.fr().stack[pos_at];
                let args = self.iterate_all(pos)?;
                let mut kwargs = Vec::new();
                if let Some(kw) = kw {
                    for (k, v) in self.dict_items(kw)? {
                        kwargs.push((self.str_of(k), v));
                    }
                }
                let drop = n - (pos_at - 1);
                if self.specialises {
                    if self.profile.version == gilsim_compiler::Version::Py311 {
                        // 3.11 runs it through PyObject_Call and checks after, whatever it calls.
                        self.call_checks = true;
                    } else {
                        self.note_call(func, usize::MAX, false);
                    }
                }
                self.call_from_stack(func, args, kwargs, drop)?;
            }
            MAKE_FUNCTION => {
                let qualname = self.pop();
                let code_ref = self.pop();
                let Value::Int(packed) = code_ref else {
                    unreachable!("code constant")
                };
                let unit = (packed >> 32) as u16;
                let cidx = (packed & 0xffff_ffff) as u32;
                let closure = if arg & 8 != 0 {
                    let t = self.pop();
                    self.seq_items(t)?.iter().filter_map(|v| v.obj()).collect()
                } else {
                    Vec::new()
                };
                let kwdefaults = if arg & 2 != 0 { self.pop().obj() } else { None };
                let defaults = if arg & 1 != 0 {
                    let t = self.pop();
                    self.seq_items(t)?
                } else {
                    Vec::new()
                };
                let name: Rc<str> = Rc::from(
                    self.units[unit as usize].codes[cidx as usize]
                        .obj
                        .name
                        .as_str(),
                );
                let qualname: Rc<str> = Rc::from(self.str_of(qualname).as_str());
                let globals = self.fr().globals;
                let f = self.heap.alloc(Obj::Function(Box::new(Function {
                    unit,
                    code: cidx,
                    name,
                    qualname,
                    globals,
                    defaults,
                    kwdefaults,
                    closure,
                    dict: None,
                })));
                self.push(Value::Obj(f));
            }
            LOAD_BUILD_CLASS => {
                let v = self.native(crate::object::native::NativeId::BuildClass, None);
                self.push(v);
            }
            RETURN_VALUE => {
                let v = self.pop();
                self.do_return(v)?;
            }
            YIELD_VALUE => {
                let v = self.pop();
                self.do_yield(v)?;
            }
            SETUP_FINALLY => {
                let level = self.fr().stack.len() as u32;
                self.fr().blocks.push(Block {
                    kind: BlockKind::Finally,
                    handler: arg,
                    level,
                });
            }
            POP_BLOCK => {
                self.fr().blocks.pop();
            }
            POP_EXCEPT => {
                let b = self.fr().blocks.pop();
                match b {
                    Some(b) if b.kind == BlockKind::ExceptHandler => {
                        // Unlike unwinding, POP_EXCEPT only pops the saved exception: a return
                        // value rotated below it (`return x` in an except block) stays.
                        let _ty = self.pop();
                        let val = self.pop();
                        let _tb = self.pop();
                        self.th().exc_info = val;
                    }
                    _ => {
                        return Err(self.unsupported(
                            "[gilsim internal bug] POP_EXCEPT without handler block",
                        ));
                    }
                }
            }
            RERAISE => {
                self.reraising = true;
                let _ty = self.pop();
                let exc = self.pop();
                let _tb = self.pop();
                return Err(Flow::Raise(exc));
            }
            JUMP_IF_NOT_EXC_MATCH => {
                let right = self.pop();
                let left = self.pop();
                if !self.exc_matches(left, right)? {
                    self.jump(arg);
                }
            }
            RAISE_VARARGS => {
                return Err(self.do_raise(a));
            }
            LOAD_ASSERTION_ERROR => {
                let c = Value::Obj(self.types.exc["AssertionError"]);
                self.push(c);
            }
            SETUP_WITH => {
                let mgr = self.top();
                let (enter_name, exit_name) = self.with_names;
                let exit = match self.getattr(mgr, exit_name) {
                    Ok(crate::interp::ops::Attr::Value(v)) => v,
                    _ => {
                        let tn = self.type_name(mgr);
                        return Err(
                            self.raise("AttributeError", format!("__exit__ of '{tn}' object"))
                        );
                    }
                };
                let enter = match self.getattr(mgr, enter_name) {
                    Ok(crate::interp::ops::Attr::Value(v)) => v,
                    _ => {
                        let tn = self.type_name(mgr);
                        return Err(
                            self.raise("AttributeError", format!("__enter__ of '{tn}' object"))
                        );
                    }
                };
                // __enter__ may block (a contended lock): the stack is untouched until it completes.
                let handler = arg;
                match self.call_native_or_frame(
                    enter,
                    Vec::new(),
                    Vec::new(),
                    OnReturn::SetupWith { handler },
                )? {
                    Some(res) => {
                        self.pop();
                        self.push(exit);
                        let level = self.fr().stack.len() as u32;
                        self.fr().blocks.push(Block {
                            kind: BlockKind::Finally,
                            handler,
                            level,
                        });
                        self.push(res);
                    }
                    None => {
                        // A Python __enter__ frame was pushed; the caller's stack gets exit now.
                        let t = self.current as usize;
                        let n = self.threads[t].frames.len();
                        let caller = &mut self.threads[t].frames[n - 2];
                        caller.stack.pop();
                        caller.stack.push(exit);
                    }
                }
            }
            WITH_EXCEPT_START => {
                let exc = self.peek(1);
                let ty = self.peek(0);
                let tb = self.peek(2);
                let exit = self.peek(6);
                let _ = tb;
                self.call_value(exit, vec![ty, exc, Value::None], Vec::new(), OnReturn::Push)?;
            }
            FORMAT_VALUE => {
                let spec = if arg & 4 != 0 { Some(self.pop()) } else { None };
                let v = self.pop();
                let conv = arg & 3;
                let s = self.format_value(v, conv, spec)?;
                self.push(s);
            }
            IMPORT_NAME => {
                let fromlist = self.pop();
                let _level = self.pop();
                let name = code.obj.names[a].clone();
                // `from concurrent import futures` imports the submodule, then pushes the
                // package for IMPORT_FROM to read it from.
                if let Some(sub) = self
                    .submodule_in_fromlist(&name, fromlist)
                    .filter(|_| !crate::bundled::absent_in(&name, &self.profile))
                {
                    self.import(&sub, false)?;
                } else {
                    self.import(&name, fromlist != Value::None)?;
                }
            }
            IMPORT_FROM => {
                let m = self.top();
                let name = code.name_objs[a];
                match self.getattr(m, name) {
                    Ok(crate::interp::ops::Attr::Value(v)) => self.push(v),
                    _ => {
                        let mn = match m {
                            Value::Obj(o) => match self.heap.get(o) {
                                Obj::Module(md) => md.name.to_string(),
                                _ => "?".into(),
                            },
                            _ => "?".into(),
                        };
                        let n = code.obj.names[a].clone();
                        return Err(self.unsupported(format!(
                            "gilsim's `{mn}` module has no `{n}`; see docs/write-your-own-scenario.md for what each module offers"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    fn load_global(&mut self, code: &crate::object::frame::Code, a: usize) -> Res<Value> {
        let g = self.fr().globals;
        let key = &code.names[a];
        let found = match self.heap.get(g) {
            Obj::Module(m) => m
                .dict
                .get_hinted(key, code.global_hint[a].get())
                .map(|(i, v)| {
                    code.global_hint[a].set(i);
                    v
                }),
            _ => None,
        };
        if let Some(v) = found {
            if self.observed() {
                let loc = self.observe(Self::global_key(g, code, a), v, None);
                code.global_loc[a].set(loc);
            }
            return Ok(v);
        }
        let b = self.builtins;
        if let Obj::Module(m) = self.heap.get(b)
            && let Some(v) = m.dict.get(key)
        {
            return Ok(v);
        }
        let name = code.obj.names[a].clone();
        Err(self.missing_name(&name))
    }

    fn store_global(&mut self, g: ObjId, code: &crate::object::frame::Code, a: usize, v: Value) {
        let k = code.name_objs[a];
        let old = match self.heap.get_mut(g) {
            Obj::Module(m) => {
                let hint = code.global_hint[a].get();
                let (i, old) = m.dict.set_hinted(&code.names[a], k, v, hint);
                code.global_hint[a].set(i);
                old
            }
            _ => None,
        };
        if self.observed() {
            let loc = self.observe(Self::global_key(g, code, a), v, Some(old));
            code.global_loc[a].set(loc);
        }
    }

    /// The name of cell or free variable `a` of `code`.
    fn cell_name(code: &crate::object::frame::Code, a: usize) -> Rc<str> {
        let cells = &code.obj.cellvars;
        let name = if a < cells.len() {
            &cells[a]
        } else {
            &code.obj.freevars[a - cells.len()]
        };
        Rc::from(name.as_str())
    }

    /// The detectors' key of global `a` of `code` in module `g`.
    fn global_key(g: ObjId, code: &crate::object::frame::Code, a: usize) -> crate::detect::LocKey {
        let name = match &code.names[a] {
            HKey::Str(s) => Rc::clone(s),
            _ => Rc::from(code.obj.names[a].as_str()),
        };
        crate::detect::LocKey::Global(g, name)
    }

    /// The site of the instruction being executed (the pc was already advanced), with the
    /// line of the innermost frame of the learner's program.
    pub(crate) fn site_prev(&self) -> Site {
        let th = &self.threads[self.current as usize];
        let f = th
            .frames
            .last()
            .expect("[gilsim internal bug] thread without frame");
        let line = th.frames.iter().rev().find(|f| f.unit == 0).map_or(0, |u| {
            let pc = u.pc.saturating_sub(1) as usize;
            u.code.obj.lines.get(pc).copied().unwrap_or(0)
        });
        Site {
            thread: self.current,
            unit: f.unit,
            code: f.code_idx,
            pc: f.pc.saturating_sub(1),
            line,
            step: self.steps,
        }
    }

    /// Whether the detectors watch the instruction being executed: detection is on and it
    /// belongs to the learner's program.
    #[inline]
    pub(crate) fn observed(&self) -> bool {
        self.detect.is_some()
            && self.threads[self.current as usize]
                .frames
                .last()
                .is_some_and(|f| f.unit == 0)
    }

    /// The learner's name for a location: `global i`, `counter.value` (the object through the
    /// global that holds it) or `a Counter object's .value`, `stock['apples']`.
    pub(crate) fn location_label(&mut self, key: &crate::detect::LocKey) -> Rc<str> {
        use crate::detect::LocKey;
        let text = match key {
            LocKey::Global(g, name) if *g == self.main_module => format!("global {name}"),
            LocKey::Global(g, name) => {
                let module = match self.heap.get(*g) {
                    Obj::Module(m) => m.name.to_string(),
                    _ => "?".into(),
                };
                format!("{module}.{name}")
            }
            LocKey::Cell(_, name) => format!("variable {name} of an enclosing function"),
            LocKey::Attr(o, name) => match self.holder_name(*o) {
                Some(h) => format!("{h}.{name}"),
                None => {
                    let tn = self.type_name(Value::Obj(*o));
                    format!("a {tn} object's .{name}")
                }
            },
            LocKey::Item(o, k) => {
                let key = self.key_repr(k);
                match self.holder_name(*o) {
                    Some(h) => format!("{h}[{key}]"),
                    None => {
                        let tn = self.type_name(Value::Obj(*o));
                        format!("item [{key}] of a {tn}")
                    }
                }
            }
        };
        Rc::from(text.as_str())
    }

    /// Tells the detectors when a jump to `target` goes back (a loop's next iteration).
    fn observe_jump(&mut self, target: u32) {
        if self.observed() && target < self.fr().pc {
            let t = self.current;
            if let Some(d) = self.detect.as_mut() {
                d.back_edge(t);
            }
        }
    }

    /// Tells the detectors that the running thread decides a branch (jumping to `target`).
    fn observe_branch(&mut self, target: u32) {
        if self.observed() {
            let site = self.site_prev();
            if let Some(d) = self.detect.as_mut() {
                d.branch(site, target);
            }
        }
    }

    /// Tells the detectors about a read (`old` is `None`) or a write (`old`: the value it
    /// replaces, if any) of a shared location; returns the location's index.
    pub(crate) fn observe(
        &mut self,
        key: crate::detect::LocKey,
        v: Value,
        old: Option<Option<Value>>,
    ) -> u32 {
        let site = self.site_prev();
        let Some(d) = self.detect.as_ref() else {
            return u32::MAX;
        };
        let loc = match d.find(&key) {
            Some(loc) => loc,
            None => {
                let label = self.location_label(&key);
                match self.detect.as_mut() {
                    Some(d) => d.add_location(key, label),
                    None => return u32::MAX,
                }
            }
        };
        let Some(d) = self.detect.as_mut() else {
            return u32::MAX;
        };
        match old {
            None => d.read(loc, site, v),
            Some(old) => d.write(loc, site, v, old),
        }
        loc
    }

    fn load_name(&mut self, code: &crate::object::frame::Code, a: usize) -> Res<Value> {
        if let Some(ns) = self.fr().names
            && let Obj::Dict(d) = self.heap.get(ns)
            && let Some(v) = d.get(&code.names[a])
        {
            return Ok(v);
        }
        self.load_global(code, a)
    }

    fn do_raise(&mut self, n: usize) -> Flow {
        if n == 0 {
            let cur = self.th().exc_info;
            if cur == Value::None {
                return self.raise("RuntimeError", "No active exception to reraise");
            }
            self.reraising = true;
            return Flow::Raise(cur);
        }
        let cause = if n == 2 { Some(self.pop()) } else { None };
        let e = self.pop();
        let exc = match self.make_exception(e) {
            Ok(v) => v,
            Err(f) => return f,
        };
        if let Some(c) = cause {
            // `raise X from Y`: Y is the direct cause; `from None` hides the context.
            let c = if c == Value::None {
                Value::None
            } else {
                match self.make_exception(c) {
                    Ok(v) => v,
                    Err(f) => return f,
                }
            };
            self.set_exc_attr(exc, "__cause__", c);
            self.set_exc_attr(exc, "__suppress_context__", Value::Bool(true));
        }
        Flow::Raise(exc)
    }

    /// Turns `raise X` operands into an exception instance.
    pub(crate) fn make_exception(&mut self, e: Value) -> Res<Value> {
        let base = self.types.exc["BaseException"];
        match e {
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Class(_) if self.is_subclass(o, base) => {
                    // Instantiate with no arguments (user __init__ is not run here when absent).
                    if self
                        .class_lookup(o, &HKey::Str(Rc::from("__init__")))
                        .is_some_and(|v| self.is_python_function(v))
                    {
                        return Err(self.unsupported(
                            "raising an exception class whose __init__ is Python code without calling it; write `raise MyError(...)`",
                        ));
                    }
                    Ok(self.exc_instance(o, Vec::new()))
                }
                Obj::Instance(i) if self.is_subclass(i.class, base) => Ok(e),
                _ => Err(self.raise("TypeError", "exceptions must derive from BaseException")),
            },
            _ => Err(self.raise("TypeError", "exceptions must derive from BaseException")),
        }
    }

    fn exc_matches(&mut self, exc_type: Value, spec: Value) -> Res<bool> {
        let Value::Obj(cls) = exc_type else {
            return Ok(false);
        };
        let Value::Obj(s) = spec else {
            return Err(self.raise(
                "TypeError",
                "catching classes that do not inherit from BaseException is not allowed",
            ));
        };
        match self.heap.get(s) {
            Obj::Class(_) => Ok(self.is_subclass(cls, s)),
            Obj::Tuple(items) => {
                let items = items.clone();
                for i in items.iter() {
                    if self.exc_matches(exc_type, *i)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(self.raise(
                "TypeError",
                "catching classes that do not inherit from BaseException is not allowed",
            )),
        }
    }

    fn unwind_except_handler(&mut self, b: Block) {
        let f = self.fr();
        f.stack.truncate(b.level as usize + 3);
        let _ty = f.stack.pop();
        let val = f.stack.pop().unwrap_or(Value::None);
        let _tb = f.stack.pop();
        self.th().exc_info = val;
    }

    /// Unwinds `exc` through the running thread's frames; returns `Ok` once a handler has been
    /// entered or the thread has ended.
    pub(crate) fn handle_exception(&mut self, exc: Value) -> Res<()> {
        let t = self.current as usize;
        // An exception raised while another is being handled remembers it (`__context__`).
        let handled = self.threads[t].exc_info;
        if !self.reraising
            && handled != Value::None
            && handled != exc
            && self.exc_attr(exc, "__context__").is_none()
        {
            self.set_exc_attr(exc, "__context__", handled);
        }
        loop {
            // Record the traceback entry for this frame.
            let entry = {
                let f = self.threads[t].frames.last().expect("frame");
                crate::object::value::TbEntry {
                    unit: f.unit,
                    code: f.code_idx,
                    pc: f.pc.saturating_sub(1),
                }
            };
            // A re-raise (RERAISE, bare `raise`) keeps the traceback it already has here.
            let reraised = std::mem::take(&mut self.reraising);
            if !reraised
                && let Value::Obj(o) = exc
                && let Obj::Instance(i) = self.heap.get_mut(o)
            {
                i.traceback.push(entry);
            }
            loop {
                let b = self.fr().blocks.pop();
                let Some(b) = b else { break };
                if b.kind == BlockKind::ExceptHandler {
                    self.unwind_except_handler(b);
                    continue;
                }
                let f = self.fr();
                f.stack.truncate(b.level as usize);
                let level = f.stack.len() as u32;
                f.blocks.push(Block {
                    kind: BlockKind::ExceptHandler,
                    handler: 0,
                    level,
                });
                let prev = self.th().exc_info;
                let prev_ty = if prev == Value::None {
                    Value::None
                } else {
                    Value::Obj(self.class_of(prev))
                };
                let ty = Value::Obj(self.class_of(exc));
                let f = self.fr();
                f.stack.push(Value::None);
                f.stack.push(prev);
                f.stack.push(prev_ty);
                f.stack.push(Value::None);
                f.stack.push(exc);
                f.stack.push(ty);
                f.pc = b.handler;
                self.th().exc_info = exc;
                self.entered_handler = true;
                return Ok(());
            }
            // No handler in this frame: pop it.
            let frame = self.threads[t].frames.pop().expect("frame");
            if let Some(g) = frame.generator
                && let Obj::Generator(gn) = self.heap.get_mut(g)
            {
                gn.running = false;
                gn.frame = None;
                self.threads[t].exc_info = gn.outer_exc;
            }
            if matches!(frame.on_return, OnReturn::ThreadExit) || self.threads[t].frames.is_empty()
            {
                self.uncaught(exc);
                return Ok(());
            }
            // StopIteration from a generator's next is handled by the caller of next().
        }
    }

    /// An exception escaped the bottom frame of the running thread.
    fn uncaught(&mut self, exc: Value) {
        let t = self.current;
        let cls = self.class_of(exc);
        let sys_exit = self.types.exc["SystemExit"];
        if self.is_subclass(cls, sys_exit) {
            if t == 0 {
                let code = self.exit_code_of(exc);
                self.exit_code = Some(code);
            }
        } else {
            if !self.traceback_unseen(exc) {
                let mut text = String::new();
                if t != 0 {
                    let name = self.threads[t as usize].name.clone();
                    text.push_str(&self.profile.thread_exception_header(&name));
                    text.push('\n');
                }
                text.push_str(&self.format_traceback(exc));
                self.stderr.extend_from_slice(text.as_bytes());
            }
            if t == 0 {
                self.main_raised = true;
            }
        }
        if t == 0 && self.run_exit_hooks() {
            return;
        }
        self.thread_finished(t);
    }

    /// The main thread's code has ended: as CPython's `threading._shutdown` does, it first runs
    /// the hooks registered with `threading._register_atexit` (an executor that was never shut
    /// down joins its workers there). Whether a frame for them was pushed.
    fn run_exit_hooks(&mut self) -> bool {
        if self.shutdown_ran {
            return false;
        }
        let Some(&module) = self.modules.get("threading") else {
            return false;
        };
        let (hooks, shutdown) = match self.heap.get(module) {
            Obj::Module(md) => (
                md.dict.get_str("_threading_atexits"),
                md.dict.get_str("_shutdown"),
            ),
            _ => return false,
        };
        let pending = matches!(hooks, Some(Value::Obj(l)) if matches!(self.heap.get(l), Obj::List(v) if !v.is_empty()));
        let Some(shutdown) = shutdown.filter(|_| pending) else {
            return false;
        };
        self.shutdown_ran = true;
        self.call_native_or_frame(shutdown, Vec::new(), Vec::new(), OnReturn::ThreadExit)
            .is_ok_and(|r| r.is_none())
    }

    fn exit_code_of(&mut self, exc: Value) -> i32 {
        let args = self.exc_args(exc);
        match args.first() {
            None | Some(Value::None) => 0,
            // The process exit status is the low 8 bits on Linux: sys.exit(-1) exits 255,
            // sys.exit(256) exits 0.
            Some(Value::Int(i)) => (*i & 0xff) as i32,
            Some(Value::Bool(b)) => i32::from(*b),
            Some(other) => {
                let s = self.str_of(*other);
                self.stderr.extend_from_slice(s.as_bytes());
                self.stderr.push(b'\n');
                1
            }
        }
    }

    /// The `args` tuple of an exception.
    pub fn exc_args(&mut self, exc: Value) -> Vec<Value> {
        if let Value::Obj(o) = exc
            && let Obj::Instance(i) = self.heap.get(o)
            && let Some(a) = i.dict.get_str("args")
        {
            return self.seq_items(a).unwrap_or_default();
        }
        Vec::new()
    }

    /// Whether writing `exc`'s traceback may be left out: in exploration, whose outcomes do
    /// not include stderr, when the exception is of a builtin class and chains nothing, so
    /// formatting it runs none of the program's code (a `__str__` of its own could print).
    pub(crate) fn traceback_unseen(&self, exc: Value) -> bool {
        let cls = self.class_of(exc);
        self.exploring.on
            && self.types.exc.values().any(|c| *c == cls)
            && ["__cause__", "__context__"]
                .iter()
                .all(|a| self.exc_attr(exc, a).is_none_or(|c| c == Value::None))
    }

    /// CPython's traceback text for an exception.
    pub fn format_traceback(&mut self, exc: Value) -> String {
        let mut seen = Vec::new();
        self.format_chain(exc, &mut seen)
    }

    /// An attribute stored in an exception's `__dict__`.
    pub(crate) fn exc_attr(&self, exc: Value, name: &str) -> Option<Value> {
        match exc {
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Instance(i) => i.dict.get_str(name),
                _ => None,
            },
            _ => None,
        }
    }

    /// The message for reading an unbound `kind` ("local" or "free") variable: 3.11 reworded it.
    fn unbound_message(&self, kind: &str, name: &str) -> String {
        if self.profile.at_least(3, 11) {
            format!(
                "cannot access {kind} variable '{name}' where it is not associated with a value"
            )
        } else {
            format!("{kind} variable '{name}' referenced before assignment")
        }
    }

    /// 3.10+ record the missing name on a NameError or AttributeError (`e.name`, and `e.obj`
    /// for an attribute), which the traceback's "Did you mean" reads.
    pub(crate) fn with_name(&mut self, flow: Flow, name: &str, obj: Option<Value>) -> Flow {
        if let Flow::Raise(exc) = flow
            && self.profile.at_least(3, 10)
        {
            let n = self.new_str(name.to_string());
            self.set_exc_attr(exc, "name", n);
            if let Some(o) = obj {
                self.set_exc_attr(exc, "obj", o);
            }
        }
        flow
    }

    /// What 3.10+ add after a NameError's or AttributeError's message in a traceback: ". Did
    /// you mean: 'x'?", and from 3.12 ". Did you forget to import 'm'?". The names looked at
    /// are those of the innermost frame's code (its locals), the program's globals and the
    /// builtins for a name; the instance's, its classes' and `object`'s for an attribute.
    fn suggestion(&mut self, exc: Value, entries: &[crate::object::value::TbEntry]) -> String {
        if !self.profile.at_least(3, 10) {
            return String::new();
        }
        let Some(Value::Obj(wrong)) = self.exc_attr(exc, "name") else {
            return String::new();
        };
        let wrong = match self.heap.get(wrong) {
            Obj::Str(s) => s.to_string(),
            _ => return String::new(),
        };
        let cls = self.class_of(exc);
        let name_error = self.is_subclass(cls, self.types.exc["NameError"]);
        let mut names: Vec<String> = Vec::new();
        let dict_keys = |d: &crate::object::dict::Dict, out: &mut Vec<String>| {
            for (k, _, _) in d.iter() {
                if let crate::object::dict::HKey::Str(s) = k {
                    out.push(s.to_string());
                }
            }
        };
        if name_error {
            let Some(e) = entries.first().filter(|e| e.unit == 0) else {
                return String::new();
            };
            let code = &self.units[0].codes[e.code as usize].obj;
            if code.kind != gilsim_compiler::CodeKind::Module {
                names.extend(code.varnames.iter().cloned());
            }
            // 3.12+ run a list, set or dict comprehension in the enclosing frame.
            let inlined = matches!(
                code.name.as_str(),
                "<listcomp>" | "<setcomp>" | "<dictcomp>"
            );
            if inlined
                && self.profile.at_least(3, 12)
                && let Some(outer) = entries.get(1).filter(|o| o.unit == 0)
            {
                let outer = &self.units[0].codes[outer.code as usize].obj;
                if outer.kind != gilsim_compiler::CodeKind::Module {
                    names.extend(outer.varnames.iter().cloned());
                }
            }
            if let Obj::Module(m) = self.heap.get(self.main_module) {
                dict_keys(&m.dict, &mut names);
            }
            match self.heap.get(self.builtins) {
                Obj::Module(m) => dict_keys(&m.dict, &mut names),
                Obj::Dict(d) => dict_keys(d, &mut names),
                _ => {}
            }
            // Constants to gilsim's compiler, names in CPython's builtins dict.
            names.extend(["None", "Ellipsis", "NotImplemented", "False", "True"].map(String::from));
        } else {
            let Some(obj) = self.exc_attr(exc, "obj") else {
                return String::new();
            };
            let mut found = Vec::new();
            let mut classes = Vec::new();
            if let Value::Obj(o) = obj {
                match self.heap.get(o) {
                    Obj::Instance(i) => {
                        dict_keys(&i.dict, &mut found);
                        classes.push(i.class);
                    }
                    Obj::Class(_) => classes.push(o),
                    Obj::Module(m) => dict_keys(&m.dict, &mut found),
                    _ => {}
                }
            }
            if classes.is_empty()
                && !matches!(obj, Value::Obj(o) if matches!(self.heap.get(o), Obj::Module(_)))
            {
                classes.push(self.class_of(obj));
            }
            for c in classes {
                if let Obj::Class(c) = self.heap.get(c) {
                    for k in &c.mro {
                        if let Obj::Class(k) = self.heap.get(*k) {
                            dict_keys(&k.dict, &mut found);
                            // A builtin type's methods are CPython's (gilsim's are native).
                            let builtin = crate::interp::missing::methods(k.builtin);
                            found.extend(builtin.iter().map(|s| (*s).to_string()));
                        }
                    }
                }
            }
            found.extend(OBJECT_DIR.iter().map(|s| (*s).to_string()));
            // dir() is sorted and without repeats.
            found.sort();
            found.dedup();
            names = found;
        }
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut out = String::new();
        let best = crate::interp::suggest::closest(&refs, &wrong);
        if let Some(s) = best {
            out.push_str(&format!(". Did you mean: '{s}'?"));
        }
        if name_error
            && self.profile.at_least(3, 12)
            && crate::interp::suggest::is_stdlib_module(&wrong, self.profile.at_least(3, 13))
        {
            if best.is_some() {
                out.push_str(&format!(" Or did you forget to import '{wrong}'?"));
            } else {
                out.push_str(&format!(". Did you forget to import '{wrong}'?"));
            }
        }
        out
    }

    fn set_exc_attr(&mut self, exc: Value, name: &str, v: Value) {
        let k = self.intern(name);
        let key = HKey::Str(self.interned_text(name));
        if let Value::Obj(o) = exc
            && let Obj::Instance(i) = self.heap.get_mut(o)
        {
            i.dict.insert(key, k, v);
        }
    }

    /// The cause or context first, then the exception, as CPython prints a chain.
    fn format_chain(&mut self, exc: Value, seen: &mut Vec<Value>) -> String {
        seen.push(exc);
        let mut out = String::new();
        let cause = self
            .exc_attr(exc, "__cause__")
            .filter(|c| *c != Value::None);
        let suppress = matches!(
            self.exc_attr(exc, "__suppress_context__"),
            Some(Value::Bool(true))
        );
        let context = self
            .exc_attr(exc, "__context__")
            .filter(|c| *c != Value::None);
        if let Some(c) = cause.filter(|c| !seen.contains(c)) {
            out.push_str(&self.format_chain(c, seen));
            out.push_str(
                "\nThe above exception was the direct cause of the following exception:\n\n",
            );
        } else if let Some(c) = context.filter(|c| !suppress && !seen.contains(c)) {
            out.push_str(&self.format_chain(c, seen));
            out.push_str(
                "\nDuring handling of the above exception, another exception occurred:\n\n",
            );
        }
        out.push_str(&self.format_one(exc));
        out
    }

    fn format_one(&mut self, exc: Value) -> String {
        let mut out = String::from("Traceback (most recent call last):\n");
        let entries = match exc {
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Instance(i) => i.traceback.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        // CPython prints a frame repeated more than 3 times in a row (recursion) 3 times, then
        // "[Previous line repeated N more times]".
        const CUTOFF: usize = 3;
        let repeated = |out: &mut String, count: usize| {
            if count > CUTOFF {
                let n = count - CUTOFF;
                let s = if n > 1 { "s" } else { "" };
                out.push_str(&format!("  [Previous line repeated {n} more time{s}]\n"));
            }
        };
        let style = if self.profile.at_least(3, 13) {
            CaretStyle::Py313
        } else if self.profile.at_least(3, 11) {
            CaretStyle::Py311
        } else {
            CaretStyle::Plain
        };
        // Outermost first; each frame with the name it is printed under.
        let mut frames: Vec<(&crate::object::value::TbEntry, &str)> = Vec::new();
        for e in entries.iter().rev() {
            let unit = &self.units[e.unit as usize];
            // The builtins written in Python stand for CPython's C code: no frame of theirs.
            if unit.bundled && unit.program.filename == "builtins.py" {
                continue;
            }
            let name = unit.codes[e.code as usize].obj.name.as_str();
            // 3.12 inlines list, set and dict comprehensions (PEP 709): their code runs in the
            // enclosing frame, which is where the traceback shows it.
            let inlined = matches!(name, "<listcomp>" | "<setcomp>" | "<dictcomp>")
                && self.profile.at_least(3, 12);
            match frames.pop() {
                Some((_, outer)) if inlined => frames.push((e, outer)),
                Some(f) => frames.extend([f, (e, name)]),
                None => frames.push((e, name)),
            }
        }
        let mut last: Option<(u16, u32, u32)> = None;
        let mut count = 0;
        for (e, name) in frames {
            let unit = &self.units[e.unit as usize];
            let code = &unit.codes[e.code as usize].obj;
            let line = code
                .lines
                .get(e.pc as usize)
                .copied()
                .unwrap_or(code.first_line);
            let here = (e.unit, e.code, line);
            if last != Some(here) {
                repeated(&mut out, count);
                last = Some(here);
                count = 0;
            }
            count += 1;
            if count > CUTOFF {
                continue;
            }
            let fname = if unit.bundled {
                format!("<gilsim>/{}", unit.program.filename)
            } else {
                unit.program.filename.clone()
            };
            out.push_str(&format!("  File \"{fname}\", line {line}, in {name}\n"));
            let pos = code.cols.get(e.pc as usize).copied();
            out.push_str(&gilsim_compiler::carets::frame_source(
                &unit.program.source,
                line,
                pos,
                style,
            ));
        }
        repeated(&mut out, count);
        out.push_str(&self.exc_line(exc));
        out.push_str(&self.suggestion(exc, &entries));
        out.push('\n');
        out
    }

    /// `TypeName: message` as the last traceback line; a class outside `builtins` is named
    /// with its module (`__main__.MyErr`), as CPython's traceback printing does.
    pub fn exc_line(&mut self, exc: Value) -> String {
        let name = self.type_name(exc);
        let cls = self.class_of(exc);
        let module = match self.heap.get(cls) {
            Obj::Class(c) => c.dict.get_str("__module__"),
            _ => None,
        };
        let module = module.map(|m| self.str_of(m));
        let name = match module.as_deref() {
            None | Some("builtins") => name.to_string(),
            // Where CPython defines them: queue.Empty comes from the C module _queue, the
            // futures' exceptions from concurrent.futures._base.
            Some("queue") if &*name == "Empty" => format!("_queue.{name}"),
            Some("concurrent.futures") => format!("concurrent.futures._base.{name}"),
            Some(m) => format!("{m}.{name}"),
        };
        let msg = self.str_of(exc);
        if msg.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {msg}")
        }
    }

    /// Pops the running frame and delivers its return value.
    pub(crate) fn do_return(&mut self, v: Value) -> Res<()> {
        let t = self.current as usize;
        let mut frame = self.threads[t].frames.pop().expect("frame");
        // A frame entered under a call that checks when it returns (3.10's CALL_*, a C call
        // of 3.11+ that ran Python code): the position after the return is a check point.
        self.return_checks = frame.check_on_return;
        // Frames come and go with every call: keep their vectors for the next one.
        self.recycle(std::mem::take(&mut frame.stack));
        self.recycle(std::mem::take(&mut frame.locals));
        if let Some(g) = frame.generator {
            if let Obj::Generator(gn) = self.heap.get_mut(g) {
                gn.running = false;
                gn.frame = None;
                gn.returned = v;
                self.threads[t].exc_info = gn.outer_exc;
            }
            // A finished generator: FOR_ITER in the caller sees exhaustion.
            let f = self.fr();
            f.stack.pop(); // the generator itself (kept on the caller's stack by FOR_ITER)
            let target = f.code.obj.instrs[f.pc as usize - 1].arg;
            f.pc = target;
            return Ok(());
        }
        match frame.on_return {
            OnReturn::Push => self.push(v),
            OnReturn::Discard => {}
            OnReturn::Init(inst) => {
                if v != Value::None {
                    let tn = self.type_name(v);
                    return Err(self.raise(
                        "TypeError",
                        format!("__init__() should return None, not '{tn}'"),
                    ));
                }
                self.push(inst);
            }
            OnReturn::BuildClass(spec) => {
                let crate::object::frame::ClassSpec {
                    name,
                    qualname,
                    bases,
                    ns,
                } = *spec;
                let dict = match self.heap.get(ns) {
                    Obj::Dict(d) => d.clone(),
                    _ => crate::object::dict::Dict::new(),
                };
                let cls = self.make_class(name, qualname, bases, dict)?;
                self.check_class_dunders(cls)?;
                if let Value::Obj(cell) = v
                    && let Obj::Cell(_) = self.heap.get(cell)
                {
                    *self.heap.get_mut(cell) = Obj::Cell(Value::Obj(cls));
                }
                self.push(Value::Obj(cls));
            }
            OnReturn::SetupWith { handler } => {
                let level = self.fr().stack.len() as u32;
                self.fr().blocks.push(Block {
                    kind: BlockKind::Finally,
                    handler,
                    level,
                });
                self.push(v);
            }
            OnReturn::Import(m) => self.push(Value::Obj(m)),
            OnReturn::Dunder(then) => self.dunder_returned(*then, v)?,
            OnReturn::ThreadExit => {
                let id = self.current;
                if id == 0 && self.run_exit_hooks() {
                    return Ok(());
                }
                self.thread_finished(id);
            }
        }
        Ok(())
    }

    fn do_yield(&mut self, v: Value) -> Res<()> {
        let t = self.current as usize;
        let frame = self.threads[t].frames.pop().expect("frame");
        let Some(g) = frame.generator else {
            return Err(self.unsupported("[gilsim internal bug] yield outside a generator frame"));
        };
        let handled = self.threads[t].exc_info;
        if let Obj::Generator(gn) = self.heap.get_mut(g) {
            gn.running = false;
            gn.frame = Some(Box::new(frame));
            gn.exc_state = handled;
            self.threads[t].exc_info = gn.outer_exc;
        }
        self.push(v);
        Ok(())
    }

    /// Whether a value is a Python function.
    #[must_use]
    pub fn is_python_function(&self, v: Value) -> bool {
        matches!(v, Value::Obj(o) if matches!(self.heap.get(o), Obj::Function(_)))
    }

    /// Refuses classes whose dunder methods gilsim would silently ignore.
    fn check_class_dunders(&mut self, cls: ObjId) -> Res<()> {
        const OK: &[&str] = &[
            "__init__",
            "__enter__",
            "__exit__",
            "__module__",
            "__qualname__",
            "__doc__",
            "__classcell__",
            "__call__",
            "__slots__",
        ];
        let names: Vec<String> = match self.heap.get(cls) {
            Obj::Class(c) => c
                .dict
                .iter()
                .filter_map(|(k, _, _)| match k {
                    HKey::Str(s) if s.starts_with("__") && s.ends_with("__") => Some(s.to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let base_exc = self.types.exc["BaseException"];
        let is_exc = self.is_subclass(cls, base_exc);
        for n in names {
            // An exception's text is also written by tracebacks, which cannot call Python.
            let called = crate::interp::dunder::CALLED.contains(&n.as_str())
                && !(is_exc && matches!(n.as_str(), "__str__" | "__repr__"));
            if !OK.contains(&n.as_str()) && !called {
                return Err(self.unsupported(format!(
                    "gilsim does not call a class's own `{n}` yet; remove it or use a plain method"
                )));
            }
        }
        Ok(())
    }

    /// Makes a frame for a Python function call with bound arguments.
    pub(crate) fn function_frame(
        &mut self,
        func: ObjId,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
        on_return: OnReturn,
    ) -> Res<Frame> {
        let Obj::Function(f) = self.heap.get(func) else {
            unreachable!("function")
        };
        let code = self.units[f.unit as usize].codes[f.code as usize].clone();
        let co = &code.obj;
        // The common call: exactly the positional parameters, no cells, no defaults needed.
        if kwargs.is_empty()
            && args.len() == co.argcount as usize
            && co.kwonlyargcount == 0
            && !co.varargs
            && !co.varkw
            && co.cellvars.is_empty()
            && co.kind != CodeKind::Generator
        {
            let mut locals = args;
            locals.resize(co.varnames.len(), Value::Null);
            let (unit, code_idx, globals) = (f.unit, f.code, f.globals);
            let cells = f.closure.clone();
            return Ok(Frame {
                unit,
                code_idx,
                stack: self.spare_vec(),
                locals,
                cells,
                blocks: Vec::new(),
                globals,
                names: None,
                on_return,
                generator: None,
                check_on_return: false,
                pc: 0,
                code,
            });
        }
        let f = f.clone();
        let mut locals = vec![Value::Null; co.varnames.len()];
        let argc = co.argcount as usize;
        let kwonly = co.kwonlyargcount as usize;
        let mut extra = Vec::new();
        for (i, v) in args.into_iter().enumerate() {
            if i < argc {
                locals[i] = v;
            } else {
                extra.push(v);
            }
        }
        let mut slot = argc + kwonly;
        if co.varargs {
            let t = self
                .heap
                .alloc(Obj::Tuple(std::mem::take(&mut extra).into()));
            locals[slot] = Value::Obj(t);
            slot += 1;
        } else if !extra.is_empty() {
            let total = argc + extra.len();
            let defaults = f.defaults.len().min(argc);
            let takes = if defaults > 0 {
                format!("from {} to {argc} positional arguments", argc - defaults)
            } else {
                format!(
                    "{argc} positional argument{}",
                    if argc == 1 { "" } else { "s" }
                )
            };
            let was = if total == 1 { "was" } else { "were" };
            return Err(self.raise(
                "TypeError",
                format!("{}() takes {takes} but {total} {was} given", f.name),
            ));
        }
        let kw_dict = if co.varkw {
            let d = self.new_dict_value();
            locals[slot] = d;
            Some(d)
        } else {
            None
        };
        for (k, v) in kwargs {
            match co.varnames[..argc + kwonly].iter().position(|n| *n == k) {
                Some(i) if i >= co.posonlyargcount as usize => {
                    if locals[i] != Value::Null {
                        return Err(self.raise(
                            "TypeError",
                            format!("{}() got multiple values for argument '{k}'", f.name),
                        ));
                    }
                    locals[i] = v;
                }
                _ => match kw_dict {
                    Some(d) => {
                        let key = self.new_str(k.as_str());
                        self.setitem(d, key, v)?;
                    }
                    None => {
                        return Err(self.raise(
                            "TypeError",
                            format!("{}() got an unexpected keyword argument '{k}'", f.name),
                        ));
                    }
                },
            }
        }
        // Defaults.
        let ndef = f.defaults.len();
        for i in 0..argc {
            if locals[i] == Value::Null {
                if i + ndef >= argc {
                    locals[i] = f.defaults[i + ndef - argc];
                } else {
                    let missing: Vec<String> = (i..argc)
                        .filter(|j| locals[*j] == Value::Null && *j + ndef < argc)
                        .map(|j| format!("'{}'", co.varnames[j]))
                        .collect();
                    let n = missing.len();
                    return Err(self.raise(
                        "TypeError",
                        format!(
                            "{}() missing {n} required positional argument{}: {}",
                            f.name,
                            if n == 1 { "" } else { "s" },
                            join_and(&missing)
                        ),
                    ));
                }
            }
        }
        for (i, local) in locals.iter_mut().enumerate().take(argc + kwonly).skip(argc) {
            if *local == Value::Null {
                let name = co.varnames[i].clone();
                let d = f.kwdefaults.and_then(|d| match self.heap.get(d) {
                    Obj::Dict(dd) => dd.get_str(&name),
                    _ => None,
                });
                match d {
                    Some(v) => *local = v,
                    None => {
                        return Err(self.raise(
                            "TypeError",
                            format!(
                                "{}() missing 1 required keyword-only argument: '{name}'",
                                f.name
                            ),
                        ));
                    }
                }
            }
        }
        // Cells: fresh cells for cellvars (initialised from parameters), then the closure.
        let mut cells = Vec::with_capacity(co.cellvars.len() + co.freevars.len());
        for (ci, _) in co.cellvars.iter().enumerate() {
            let init = match co.cell_params[ci] {
                Some(p) => locals[p as usize],
                None => Value::Null,
            };
            cells.push(self.heap.alloc(Obj::Cell(init)));
        }
        cells.extend(f.closure.iter().copied());
        let is_gen = co.kind == CodeKind::Generator;
        let frame = Frame {
            unit: f.unit,
            code_idx: f.code,
            stack: self.spare_vec(),
            locals,
            cells,
            blocks: Vec::new(),
            globals: f.globals,
            names: None,
            on_return,
            generator: None,
            check_on_return: false,
            pc: 0,
            code,
        };
        if is_gen {
            return Ok(frame);
        }
        Ok(frame)
    }

    /// A cleared vector from the pool of retired frames (or a new one).
    #[inline]
    pub(crate) fn spare_vec(&mut self) -> Vec<Value> {
        self.vec_pool
            .0
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(8))
    }

    /// Returns a frame's vector to the pool.
    #[inline]
    pub(crate) fn recycle(&mut self, mut v: Vec<Value>) {
        if self.vec_pool.0.len() < 256 && v.capacity() <= 1024 {
            v.clear();
            self.vec_pool.0.push(v);
        }
    }

    /// Pushes a frame onto the running thread, with the recursion limit.
    pub(crate) fn push_frame(&mut self, frame: Frame) -> Res<()> {
        if self.th().frames.len() >= self.limits.max_depth {
            return Err(self.raise("RecursionError", "maximum recursion depth exceeded"));
        }
        self.th().frames.push(frame);
        Ok(())
    }
}

fn join_and(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        2 => format!("{} and {}", items[0], items[1]),
        n => format!("{}, and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// `dir(object)` (3.12): the attributes every object has, among an AttributeError's candidates.
const OBJECT_DIR: [&str; 24] = [
    "__class__",
    "__delattr__",
    "__dir__",
    "__doc__",
    "__eq__",
    "__format__",
    "__ge__",
    "__getattribute__",
    "__getstate__",
    "__gt__",
    "__hash__",
    "__init__",
    "__init_subclass__",
    "__le__",
    "__lt__",
    "__ne__",
    "__new__",
    "__reduce__",
    "__reduce_ex__",
    "__repr__",
    "__setattr__",
    "__sizeof__",
    "__str__",
    "__subclasshook__",
];
