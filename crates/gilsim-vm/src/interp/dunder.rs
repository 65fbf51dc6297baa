//! User classes' own dunder methods (`__str__`, `__eq__`, `__lt__`, `__len__`, `__bool__`,
//! `__iter__`, `__next__`, `__contains__`, `__getitem__`, `__setitem__`, `__add__`…).
//!
//! The method is Python code, so it runs as a machine frame like any call: the instruction
//! that needs it (COMPARE_OP, BINARY_ADD, POP_JUMP_IF_FALSE…) pops its operands, pushes the
//! method's frame and completes; when the method returns, a [`Then`] finishes what the
//! instruction would have done (push the value, jump, try the reflected method after
//! `NotImplemented`). No nested interpreter loop: a thread can be switched out inside the
//! method wherever CPython could switch it.
//!
//! Where such a method would be needed deep inside a native (`print` of a list of instances,
//! `sorted` comparing instances, `sum` adding them), the native cannot be suspended, so the
//! run stops with a located refusal instead of mis-running.

use crate::machine::{Machine, Res};
use crate::object::dict::HKey;
use crate::object::frame::{OnReturn, Then};
use crate::object::value::{Obj, TypeTag, Value};
use gilsim_compiler::Op;
use std::rc::Rc;

/// The dunder methods a user class may define, because gilsim calls them.
pub(crate) const CALLED: &[&str] = &[
    "__str__",
    "__repr__",
    "__eq__",
    "__ne__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__hash__",
    "__len__",
    "__bool__",
    "__iter__",
    "__next__",
    "__contains__",
    "__getitem__",
    "__missing__",
    "__setitem__",
    "__delitem__",
    "__add__",
    "__radd__",
    "__iadd__",
    "__sub__",
    "__rsub__",
    "__isub__",
    "__mul__",
    "__rmul__",
    "__imul__",
    "__truediv__",
    "__rtruediv__",
    "__itruediv__",
    "__floordiv__",
    "__rfloordiv__",
    "__ifloordiv__",
    "__mod__",
    "__rmod__",
    "__imod__",
    "__pow__",
    "__rpow__",
    "__ipow__",
    "__and__",
    "__rand__",
    "__iand__",
    "__or__",
    "__ror__",
    "__ior__",
    "__xor__",
    "__rxor__",
    "__ixor__",
    "__lshift__",
    "__rlshift__",
    "__ilshift__",
    "__rshift__",
    "__rrshift__",
    "__irshift__",
];

/// The methods `==` inside a native would need.
pub(crate) const EQ: &[&str] = &["__eq__", "__ne__"];

/// The methods an ordering inside a native (`sorted`, `max`) would need.
pub(crate) const ORDER: &[&str] = &["__lt__", "__le__", "__gt__", "__ge__", "__eq__"];

/// COMPARE_OP's symbol, method and reflected method.
fn compare_names(op: u32) -> (&'static str, &'static str, &'static str) {
    match op {
        0 => ("<", "__lt__", "__gt__"),
        1 => ("<=", "__le__", "__ge__"),
        2 => ("==", "__eq__", "__eq__"),
        3 => ("!=", "__ne__", "__ne__"),
        4 => (">", "__gt__", "__lt__"),
        _ => (">=", "__ge__", "__le__"),
    }
}

/// A binary instruction's symbol, method, reflected method and in-place method.
fn binary_names(
    op: Op,
) -> Option<(
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
)> {
    use Op::*;
    let inplace = matches!(
        op,
        INPLACE_ADD
            | INPLACE_SUBTRACT
            | INPLACE_MULTIPLY
            | INPLACE_TRUE_DIVIDE
            | INPLACE_FLOOR_DIVIDE
            | INPLACE_MODULO
            | INPLACE_POWER
            | INPLACE_AND
            | INPLACE_OR
            | INPLACE_XOR
            | INPLACE_LSHIFT
            | INPLACE_RSHIFT
    );
    let (sym, m, r, i) = match op {
        BINARY_ADD | INPLACE_ADD => ("+", "__add__", "__radd__", "__iadd__"),
        BINARY_SUBTRACT | INPLACE_SUBTRACT => ("-", "__sub__", "__rsub__", "__isub__"),
        BINARY_MULTIPLY | INPLACE_MULTIPLY => ("*", "__mul__", "__rmul__", "__imul__"),
        BINARY_TRUE_DIVIDE | INPLACE_TRUE_DIVIDE => {
            ("/", "__truediv__", "__rtruediv__", "__itruediv__")
        }
        BINARY_FLOOR_DIVIDE | INPLACE_FLOOR_DIVIDE => {
            ("//", "__floordiv__", "__rfloordiv__", "__ifloordiv__")
        }
        BINARY_MODULO | INPLACE_MODULO => ("%", "__mod__", "__rmod__", "__imod__"),
        BINARY_POWER | INPLACE_POWER => ("**", "__pow__", "__rpow__", "__ipow__"),
        BINARY_AND | INPLACE_AND => ("&", "__and__", "__rand__", "__iand__"),
        BINARY_OR | INPLACE_OR => ("|", "__or__", "__ror__", "__ior__"),
        BINARY_XOR | INPLACE_XOR => ("^", "__xor__", "__rxor__", "__ixor__"),
        BINARY_LSHIFT | INPLACE_LSHIFT => ("<<", "__lshift__", "__rlshift__", "__ilshift__"),
        BINARY_RSHIFT | INPLACE_RSHIFT => (">>", "__rshift__", "__rrshift__", "__irshift__"),
        _ => return None,
    };
    Some((sym, m, r, inplace.then_some(i)))
}

impl Machine {
    /// The method `name` that `v`'s class (a user class) defines in Python, if any.
    #[must_use]
    pub fn user_dunder(&self, v: Value, name: &str) -> Option<Value> {
        let Value::Obj(o) = v else { return None };
        let Obj::Instance(i) = self.heap.get(o) else {
            return None;
        };
        let f = self.class_lookup(i.class, &HKey::Str(Rc::from(name)))?;
        matches!(f, Value::Obj(fo) if matches!(self.heap.get(fo), Obj::Function(_))).then_some(f)
    }

    /// Whether `v` is an instance whose class defines any of `names` in Python.
    fn has_any_dunder(&self, v: Value, names: &[&str]) -> Option<&'static str> {
        let Value::Obj(o) = v else { return None };
        if !matches!(self.heap.get(o), Obj::Instance(_)) {
            return None;
        }
        CALLED
            .iter()
            .find(|n| names.contains(n) && self.user_dunder(v, n).is_some())
            .copied()
    }

    /// A native met an instance whose Python dunder it would have to call from inside Rust:
    /// refuse, located, rather than mis-run.
    pub(crate) fn refuse_deep(&mut self, v: Value, names: &[&str], what: &str) -> Res<()> {
        if let Some(n) = self.has_any_dunder(v, names) {
            let cls = self.type_name(v);
            return Err(self.unsupported(format!(
                "{what} would call `{cls}.{n}` from inside a builtin, which gilsim cannot do yet; call it at the top level (e.g. `str(x)`, `x == y`, a `for` loop) or write the loop yourself"
            )));
        }
        Ok(())
    }

    /// Whether iterating `v` runs Python code: a generator, or an instance of a user class
    /// with `__iter__`/`__next__` (natives then hand over to the bundled helpers).
    #[must_use]
    pub fn iterates_in_python(&self, v: Value) -> bool {
        self.is_generator(v)
            || self.user_dunder(v, "__iter__").is_some()
            || self.user_dunder(v, "__next__").is_some()
    }

    /// A str/repr computed inside a native met `v`'s own `method`: remember it, so the
    /// instruction is refused rather than showing the default text.
    pub(crate) fn note_deep_dunder(&mut self, v: Value, method: &str) {
        if self.deep_dunder.is_none() {
            let cls = self.type_name(v);
            self.deep_dunder = Some(format!(
                "formatting this value would call `{cls}.{method}` from inside a builtin (a container's repr, `%`, `format`), which gilsim cannot do yet; format the object itself (`print(obj)`, `str(obj)`, `f\"{{obj}}\"`)"
            ));
        }
    }

    /// The `NotImplemented` singleton.
    fn not_implemented(&self) -> Value {
        self.not_implemented
    }

    /// Calls `method` bound to `recv` with `args`; `then` finishes the instruction.
    fn call_dunder(
        &mut self,
        recv: Value,
        method: Value,
        mut args: Vec<Value>,
        then: Then,
    ) -> Res<()> {
        args.insert(0, recv);
        self.call_value(method, args, Vec::new(), OnReturn::Dunder(Box::new(then)))
    }

    /// Runs the user dunder method an instruction needs, if its operands have one: the
    /// operands are taken off the stack and `Ok(true)` returned (the instruction is done; its
    /// [`Then`] finishes it). `Ok(false)`: carry on with the builtin behaviour.
    pub(crate) fn dunder_instruction(&mut self, op: Op, arg: u32) -> Res<bool> {
        use Op::*;
        let may_call = matches!(
            op,
            COMPARE_OP
                | BINARY_SUBSCR
                | STORE_SUBSCR
                | DELETE_SUBSCR
                | CONTAINS_OP
                | POP_JUMP_IF_FALSE
                | POP_JUMP_IF_TRUE
                | JUMP_IF_FALSE_OR_POP
                | JUMP_IF_TRUE_OR_POP
                | UNARY_NOT
                | GET_ITER
                | FOR_ITER
                | FORMAT_VALUE
        ) || binary_names(op).is_some();
        if !may_call {
            return Ok(false);
        }
        let stack_len = self.fr().stack.len();
        let peek = |m: &mut Machine, i: usize| m.fr().stack[stack_len - 1 - i];
        let is_inst = |m: &Machine, v: Value| matches!(v, Value::Obj(o) if matches!(m.heap.get(o), Obj::Instance(_)));
        match op {
            COMPARE_OP => {
                let (r, l) = (peek(self, 0), peek(self, 1));
                if !is_inst(self, l) && !is_inst(self, r) {
                    return Ok(false);
                }
                let (_, name, _) = compare_names(arg);
                let direct = self.user_dunder(l, name);
                let ne_from_eq = direct.is_none() && arg == 3;
                let method = direct.or_else(|| {
                    if ne_from_eq {
                        self.user_dunder(l, "__eq__")
                    } else {
                        None
                    }
                });
                self.pop_n(2);
                match method {
                    Some(f) => self.call_dunder(
                        l,
                        f,
                        vec![r],
                        Then::Compare {
                            op: arg,
                            l,
                            r,
                            reflected: false,
                            invert: ne_from_eq,
                        },
                    )?,
                    None => self.compare_reflected(arg, l, r)?,
                }
                Ok(true)
            }
            _ if binary_names(op).is_some() => {
                let (r, l) = (peek(self, 0), peek(self, 1));
                if !is_inst(self, l) && !is_inst(self, r) {
                    return Ok(false);
                }
                let (_, name, _, inplace) = binary_names(op).expect("binary op");
                if let Some(f) = inplace.and_then(|n| self.user_dunder(l, n)) {
                    self.pop_n(2);
                    self.call_dunder(l, f, vec![r], Then::Binary { op, l, r, stage: 0 })?;
                    return Ok(true);
                }
                if let Some(f) = self.user_dunder(l, name) {
                    self.pop_n(2);
                    self.call_dunder(l, f, vec![r], Then::Binary { op, l, r, stage: 1 })?;
                    return Ok(true);
                }
                let (_, _, rname, _) = binary_names(op).expect("binary op");
                if self.user_dunder(r, rname).is_some() {
                    self.pop_n(2);
                    self.binary_reflected(op, l, r)?;
                    return Ok(true);
                }
                Ok(false)
            }
            BINARY_SUBSCR => {
                let (k, o) = (peek(self, 0), peek(self, 1));
                let Some(f) = self.user_dunder(o, "__getitem__") else {
                    // A dict subclass's `__missing__` (defaultdict, Counter) answers for a
                    // key the dict lacks, as dict.__getitem__ calls it.
                    if let Value::Obj(id) = o
                        && let Obj::Instance(i) = self.heap.get(id)
                        && let Some(Value::Obj(p)) = i.payload
                        && matches!(self.heap.get(p), Obj::Dict(_))
                        && let Some(f) = self.user_dunder(o, "__missing__")
                    {
                        let h = self.hkey(k)?;
                        let present =
                            matches!(self.heap.get(p), Obj::Dict(d) if d.get(&h).is_some());
                        if !present {
                            self.pop_n(2);
                            self.call_value(f, vec![o, k], Vec::new(), OnReturn::Push)?;
                            return Ok(true);
                        }
                    }
                    return Ok(false);
                };
                self.pop_n(2);
                self.call_value(f, vec![o, k], Vec::new(), OnReturn::Push)?;
                Ok(true)
            }
            STORE_SUBSCR => {
                let (k, o, v) = (peek(self, 0), peek(self, 1), peek(self, 2));
                let Some(f) = self.user_dunder(o, "__setitem__") else {
                    return Ok(false);
                };
                self.pop_n(3);
                self.call_value(f, vec![o, k, v], Vec::new(), OnReturn::Discard)?;
                Ok(true)
            }
            DELETE_SUBSCR => {
                let (k, o) = (peek(self, 0), peek(self, 1));
                let Some(f) = self.user_dunder(o, "__delitem__") else {
                    return Ok(false);
                };
                self.pop_n(2);
                self.call_value(f, vec![o, k], Vec::new(), OnReturn::Discard)?;
                Ok(true)
            }
            CONTAINS_OP => {
                let (container, item) = (peek(self, 0), peek(self, 1));
                let Some(f) = self.user_dunder(container, "__contains__") else {
                    return Ok(false);
                };
                self.pop_n(2);
                self.call_dunder(
                    container,
                    f,
                    vec![item],
                    Then::Contains { negate: arg == 1 },
                )?;
                Ok(true)
            }
            POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE | JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP => {
                let v = peek(self, 0);
                let Some((f, len)) = self.truth_method(v) else {
                    return Ok(false);
                };
                self.last_test_was_bool = false;
                let keep = matches!(op, JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP);
                if !keep {
                    self.pop_n(1);
                }
                let when = matches!(op, POP_JUMP_IF_TRUE | JUMP_IF_TRUE_OR_POP);
                self.call_dunder(
                    v,
                    f,
                    Vec::new(),
                    Then::Jump {
                        target: arg,
                        when,
                        keep,
                        len,
                    },
                )?;
                Ok(true)
            }
            UNARY_NOT => {
                let v = peek(self, 0);
                let Some((f, len)) = self.truth_method(v) else {
                    return Ok(false);
                };
                self.pop_n(1);
                self.call_dunder(v, f, Vec::new(), Then::Not { len })?;
                Ok(true)
            }
            GET_ITER => {
                let v = peek(self, 0);
                let Some(f) = self.user_dunder(v, "__iter__") else {
                    return Ok(false);
                };
                self.pop_n(1);
                self.call_value(f, vec![v], Vec::new(), OnReturn::Push)?;
                Ok(true)
            }
            FOR_ITER => {
                // A user iterator: drive it through a generator that calls `__next__`, so
                // its StopIteration ends the loop as in CPython.
                let v = peek(self, 0);
                if self.user_dunder(v, "__next__").is_none() {
                    return Ok(false);
                }
                let Some(h) = self.helper("_user_iter") else {
                    return Ok(false);
                };
                if let Some(g) =
                    self.call_native_or_frame(h, vec![v], Vec::new(), OnReturn::Push)?
                {
                    *self.fr().stack.last_mut().expect("stack") = g;
                }
                Ok(false)
            }
            FORMAT_VALUE => {
                if arg & 4 != 0 {
                    return Ok(false);
                }
                let v = peek(self, 0);
                let conv = arg & 3;
                let Some((f, name)) = self.str_method(v, conv == 2) else {
                    return Ok(false);
                };
                if conv == 3 {
                    return Ok(false);
                }
                self.pop_n(1);
                self.call_dunder(v, f, Vec::new(), Then::Str(name))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `__bool__`, else `__len__` (true when the method is `__len__`).
    fn truth_method(&self, v: Value) -> Option<(Value, bool)> {
        if let Some(f) = self.user_dunder(v, "__bool__") {
            return Some((f, false));
        }
        self.user_dunder(v, "__len__").map(|f| (f, true))
    }

    /// `__str__` (falling back to `__repr__`), or `__repr__` alone.
    pub(crate) fn str_method(&self, v: Value, repr: bool) -> Option<(Value, &'static str)> {
        if !repr && let Some(f) = self.user_dunder(v, "__str__") {
            return Some((f, "__str__"));
        }
        self.user_dunder(v, "__repr__").map(|f| (f, "__repr__"))
    }

    /// `str(v)` / `repr(v)` of an instance with its own method, run as a frame (the result is
    /// delivered by `on_return` as usual): `None` when `v` has no such method.
    pub(crate) fn call_str_method(&mut self, v: Value, repr: bool) -> Res<Option<Option<Value>>> {
        let Some((f, name)) = self.str_method(v, repr) else {
            return Ok(None);
        };
        self.call_native_or_frame(
            f,
            vec![v],
            Vec::new(),
            OnReturn::Dunder(Box::new(Then::Str(name))),
        )
        .map(Some)
    }

    /// `len(v)` with the class's `__len__`, as [`Machine::call_str_method`].
    pub(crate) fn call_len_method(&mut self, v: Value) -> Res<Option<Option<Value>>> {
        let Some(f) = self.user_dunder(v, "__len__") else {
            return Ok(None);
        };
        self.call_native_or_frame(
            f,
            vec![v],
            Vec::new(),
            OnReturn::Dunder(Box::new(Then::Len)),
        )
        .map(Some)
    }

    /// `bool(v)` with the class's `__bool__`/`__len__`, as [`Machine::call_str_method`].
    pub(crate) fn call_bool_method(&mut self, v: Value) -> Res<Option<Option<Value>>> {
        let Some((f, len)) = self.truth_method(v) else {
            return Ok(None);
        };
        let then = Then::Bool { len };
        self.call_native_or_frame(f, vec![v], Vec::new(), OnReturn::Dunder(Box::new(then)))
            .map(Some)
    }

    /// `hash(v)` with the class's `__hash__`, as [`Machine::call_str_method`].
    pub(crate) fn call_hash_method(&mut self, v: Value) -> Res<Option<Option<Value>>> {
        let Some(f) = self.user_dunder(v, "__hash__") else {
            return Ok(None);
        };
        self.call_native_or_frame(
            f,
            vec![v],
            Vec::new(),
            OnReturn::Dunder(Box::new(Then::Hash)),
        )
        .map(Some)
    }

    /// The methods of a binary instruction (`__add__`, `__radd__`, `__iadd__`).
    pub(crate) fn op_dunders(op: Op) -> Vec<&'static str> {
        binary_names(op).map_or_else(Vec::new, |(_, m, r, i)| {
            let mut v = vec![m, r];
            v.extend(i);
            v
        })
    }

    fn pop_n(&mut self, n: usize) {
        let s = &mut self.fr().stack;
        s.truncate(s.len() - n);
    }

    /// After the left operand's comparison gave `NotImplemented` (or had none): the right
    /// operand's reflected method, else the default (`is` for `==`/`!=`, TypeError).
    fn compare_reflected(&mut self, op: u32, l: Value, r: Value) -> Res<()> {
        let (_, _, rname) = compare_names(op);
        let direct = self.user_dunder(r, rname);
        let ne_from_eq = direct.is_none() && op == 3;
        let method = direct.or_else(|| {
            if ne_from_eq {
                self.user_dunder(r, "__eq__")
            } else {
                None
            }
        });
        match method {
            Some(f) => self.call_dunder(
                r,
                f,
                vec![l],
                Then::Compare {
                    op,
                    l,
                    r,
                    reflected: true,
                    invert: ne_from_eq,
                },
            ),
            None => {
                let v = self.compare_default(op, l, r)?;
                self.fr().stack.push(v);
                Ok(())
            }
        }
    }

    fn compare_default(&mut self, op: u32, l: Value, r: Value) -> Res<Value> {
        match op {
            2 => Ok(Value::Bool(self.is(l, r))),
            3 => Ok(Value::Bool(!self.is(l, r))),
            _ => {
                if !self.is_instance_value(l) && !self.is_instance_value(r) {
                    return self.compare(op, l, r);
                }
                let (sym, _, _) = compare_names(op);
                let (a, b) = (self.type_name(l), self.type_name(r));
                Err(self.raise(
                    "TypeError",
                    format!("'{sym}' not supported between instances of '{a}' and '{b}'"),
                ))
            }
        }
    }

    fn is_instance_value(&self, v: Value) -> bool {
        matches!(v, Value::Obj(o) if matches!(self.heap.get(o), Obj::Instance(i) if self.user_class(i.class)))
    }

    /// Whether a class is a user class (not one of the builtins).
    fn user_class(&self, cls: crate::object::value::ObjId) -> bool {
        matches!(self.heap.get(cls), Obj::Class(c) if c.builtin == TypeTag::Object)
    }

    /// After the left operand's method gave `NotImplemented` (or had none): the right
    /// operand's reflected method, else the builtin operator (TypeError for instances).
    fn binary_reflected(&mut self, op: Op, l: Value, r: Value) -> Res<()> {
        let (sym, _, rname, _) = binary_names(op).expect("binary op");
        if let Some(f) = self.user_dunder(r, rname) {
            return self.call_dunder(r, f, vec![l], Then::Binary { op, l, r, stage: 2 });
        }
        if self.is_instance_value(l) || self.is_instance_value(r) {
            let (a, b) = (self.type_name(l), self.type_name(r));
            let sym = if sym == "**" { "** or pow()" } else { sym };
            let what = if matches!(
                op,
                Op::INPLACE_ADD
                    | Op::INPLACE_SUBTRACT
                    | Op::INPLACE_MULTIPLY
                    | Op::INPLACE_TRUE_DIVIDE
                    | Op::INPLACE_FLOOR_DIVIDE
                    | Op::INPLACE_MODULO
                    | Op::INPLACE_POWER
                    | Op::INPLACE_AND
                    | Op::INPLACE_OR
                    | Op::INPLACE_XOR
                    | Op::INPLACE_LSHIFT
                    | Op::INPLACE_RSHIFT
            ) {
                format!("{sym}=")
            } else {
                sym.to_string()
            };
            return Err(self.raise(
                "TypeError",
                format!("unsupported operand type(s) for {what}: '{a}' and '{b}'"),
            ));
        }
        let v = self.binary(op, l, r)?;
        self.fr().stack.push(v);
        Ok(())
    }

    /// The truth of a `__bool__`/`__len__` result, checked as CPython checks it.
    fn truth_result(&mut self, v: Value, len: bool) -> Res<bool> {
        if len {
            return Ok(self.len_result(v)? != 0);
        }
        match v {
            Value::Bool(b) => Ok(b),
            _ => {
                let tn = self.type_name(v);
                Err(self.raise(
                    "TypeError",
                    format!("__bool__ should return bool, returned {tn}"),
                ))
            }
        }
    }

    fn len_result(&mut self, v: Value) -> Res<i64> {
        match v {
            Value::Int(i) if i >= 0 => Ok(i),
            Value::Bool(b) => Ok(i64::from(b)),
            Value::Int(_) => Err(self.raise("ValueError", "__len__() should return >= 0")),
            _ => {
                let tn = self.type_name(v);
                Err(self.raise(
                    "TypeError",
                    format!("'{tn}' object cannot be interpreted as an integer"),
                ))
            }
        }
    }

    /// Finishes the instruction whose dunder method returned `v` (the method's frame is gone;
    /// the running frame is the instruction's).
    pub(crate) fn dunder_returned(&mut self, then: Then, v: Value) -> Res<()> {
        let not_impl = self.not_implemented();
        match then {
            Then::Str(name) => {
                let is_str = matches!(v, Value::Obj(o) if matches!(self.heap.get(o), Obj::Str(_)));
                if !is_str {
                    let tn = self.type_name(v);
                    return Err(self.raise(
                        "TypeError",
                        format!("{name} returned non-string (type {tn})"),
                    ));
                }
                self.fr().stack.push(v);
            }
            Then::Compare {
                op,
                l,
                r,
                reflected,
                invert,
            } => {
                if v == not_impl {
                    if reflected {
                        let d = self.compare_default(op, l, r)?;
                        self.fr().stack.push(d);
                    } else {
                        self.compare_reflected(op, l, r)?;
                    }
                } else if invert {
                    let t = self.truthy(v)?;
                    self.fr().stack.push(Value::Bool(!t));
                } else {
                    self.fr().stack.push(v);
                }
            }
            Then::Binary { op, l, r, stage } => {
                if v != not_impl {
                    self.fr().stack.push(v);
                } else if stage == 0 {
                    let (_, name, _, _) = binary_names(op).expect("binary op");
                    match self.user_dunder(l, name) {
                        Some(f) => {
                            self.call_dunder(l, f, vec![r], Then::Binary { op, l, r, stage: 1 })?;
                        }
                        None => self.binary_reflected(op, l, r)?,
                    }
                } else if stage == 1 {
                    self.binary_reflected(op, l, r)?;
                } else {
                    let (sym, _, _, _) = binary_names(op).expect("binary op");
                    let (a, b) = (self.type_name(l), self.type_name(r));
                    return Err(self.raise(
                        "TypeError",
                        format!("unsupported operand type(s) for {sym}: '{a}' and '{b}'"),
                    ));
                }
            }
            Then::Jump {
                target,
                when,
                keep,
                len,
            } => {
                let truth = self.truth_result(v, len)?;
                if truth == when {
                    self.fr().pc = target;
                } else if keep {
                    self.pop_n(1);
                }
            }
            Then::Not { len } => {
                let truth = self.truth_result(v, len)?;
                self.fr().stack.push(Value::Bool(!truth));
            }
            Then::Len => {
                let n = self.len_result(v)?;
                self.fr().stack.push(Value::Int(n));
            }
            Then::Bool { len } => {
                let truth = self.truth_result(v, len)?;
                self.fr().stack.push(Value::Bool(truth));
            }
            Then::Hash => {
                if !matches!(v, Value::Int(_) | Value::Bool(_)) {
                    return Err(self.raise("TypeError", "__hash__ method should return an integer"));
                }
                self.fr().stack.push(v);
            }
            Then::Contains { negate } => {
                let t = self.truthy(v)?;
                self.fr().stack.push(Value::Bool(t != negate));
            }
        }
        Ok(())
    }
}
