//! Python semantics of operators, attributes, items, iteration, truth, `str` and `repr`.

use crate::machine::{Machine, Res};
use crate::object::dict::{Dict, HKey};
use crate::object::value::{IterState, Obj, ObjId, TypeTag, Value};
use gilsim_compiler::Op;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};
use std::rc::Rc;

/// The result of an attribute lookup.
pub(crate) enum Attr {
    /// A plain value.
    Value(Value),
    /// A property: call this function with these arguments to get the value.
    Call(Value, Vec<Value>),
}

enum Num {
    I(i64),
    B(BigInt),
    F(f64),
}

impl Machine {
    fn num(&self, v: Value) -> Option<Num> {
        match v {
            Value::Int(i) => Some(Num::I(i)),
            Value::Bool(b) => Some(Num::I(i64::from(b))),
            Value::Float(f) => Some(Num::F(f)),
            Value::Obj(o) => match self.heap.get(o) {
                Obj::BigInt(b) => Some(Num::B((**b).clone())),
                _ => None,
            },
            _ => None,
        }
    }

    /// An int value from a big integer (small ones inline).
    pub fn int_value(&mut self, b: BigInt) -> Value {
        match b.to_i64() {
            Some(i) => Value::Int(i),
            None => Value::Obj(self.heap.alloc(Obj::BigInt(Rc::new(b)))),
        }
    }

    fn big(n: &Num) -> BigInt {
        match n {
            Num::I(i) => BigInt::from(*i),
            Num::B(b) => b.clone(),
            Num::F(_) => BigInt::zero(),
        }
    }

    fn float_of(n: &Num) -> f64 {
        match n {
            Num::I(i) => *i as f64,
            Num::B(b) => b.to_f64().unwrap_or(f64::INFINITY),
            Num::F(f) => *f,
        }
    }

    pub(crate) fn unary(&mut self, op: Op, v: Value) -> Res<Value> {
        if op == Op::UNARY_NOT {
            return Ok(Value::Bool(!self.truthy(v)?));
        }
        match (op, self.num(v)) {
            (Op::UNARY_POSITIVE, Some(Num::F(f))) => Ok(Value::Float(f)),
            (Op::UNARY_POSITIVE, Some(n)) => Ok(self.int_value(Self::big(&n))),
            (Op::UNARY_NEGATIVE, Some(Num::I(i))) => match i.checked_neg() {
                Some(r) => Ok(Value::Int(r)),
                None => Ok(self.int_value(-BigInt::from(i))),
            },
            (Op::UNARY_NEGATIVE, Some(Num::F(f))) => Ok(Value::Float(-f)),
            (Op::UNARY_NEGATIVE, Some(Num::B(b))) => Ok(self.int_value(-b)),
            (Op::UNARY_INVERT, Some(Num::I(i))) => Ok(Value::Int(!i)),
            (Op::UNARY_INVERT, Some(Num::B(b))) => Ok(self.int_value(-b - 1)),
            _ => {
                let sym = match op {
                    Op::UNARY_NEGATIVE => "-",
                    Op::UNARY_POSITIVE => "+",
                    _ => "~",
                };
                let tn = self.type_name(v);
                Err(self.raise(
                    "TypeError",
                    format!("bad operand type for unary {sym}: '{tn}'"),
                ))
            }
        }
    }

    /// A binary or in-place operator.
    pub(crate) fn binary(&mut self, op: Op, l: Value, r: Value) -> Res<Value> {
        use Op::*;
        // The hot path: small ints.
        if let (Value::Int(a), Value::Int(b)) = (l, r) {
            let fast = match op {
                BINARY_ADD | INPLACE_ADD => a.checked_add(b),
                BINARY_SUBTRACT | INPLACE_SUBTRACT => a.checked_sub(b),
                BINARY_MULTIPLY | INPLACE_MULTIPLY => a.checked_mul(b),
                _ => None,
            };
            if let Some(v) = fast {
                return Ok(Value::Int(v));
            }
        }
        let sym = op_symbol(op);
        if let (Some(a), Some(b)) = (self.num(l), self.num(r)) {
            return self.arith(op, sym, a, b);
        }
        let methods = Machine::op_dunders(op);
        self.refuse_deep(l, &methods, "arithmetic")?;
        self.refuse_deep(r, &methods, "arithmetic")?;
        let inplace = matches!(
            op,
            INPLACE_ADD
                | INPLACE_SUBTRACT
                | INPLACE_MULTIPLY
                | INPLACE_MODULO
                | INPLACE_POWER
                | INPLACE_FLOOR_DIVIDE
                | INPLACE_TRUE_DIVIDE
                | INPLACE_LSHIFT
                | INPLACE_RSHIFT
                | INPLACE_AND
                | INPLACE_XOR
                | INPLACE_OR
        );
        if let (Value::Obj(lo), Value::Obj(ro)) = (l, r) {
            match (self.heap.get(lo), self.heap.get(ro), op) {
                (Obj::Str(a), Obj::Str(b), BINARY_ADD | INPLACE_ADD)
                    if a.len() + b.len() > 1 << 28 =>
                {
                    return Err(self.raise("MemoryError", ""));
                }
                (Obj::Str(a), Obj::Str(b), BINARY_ADD | INPLACE_ADD) => {
                    let s = format!("{a}{b}");
                    self.now += s.len() as u64 / 8;
                    return Ok(self.new_str(s));
                }
                (Obj::List(_), Obj::List(b), INPLACE_ADD) => {
                    // list += list extends in place and stores back the same object.
                    let b = b.clone();
                    self.now += b.len() as u64;
                    if let Obj::List(a) = self.heap.get_mut(lo) {
                        a.extend(b);
                    }
                    return Ok(l);
                }
                (Obj::List(a), Obj::List(b), BINARY_ADD) => {
                    let mut v = a.clone();
                    v.extend_from_slice(b);
                    // A C operation's virtual cost grows with its work: ~1 ns per item copied.
                    self.now += v.len() as u64;
                    return Ok(Value::Obj(self.heap.alloc(Obj::List(v))));
                }
                (Obj::Tuple(a), Obj::Tuple(b), BINARY_ADD | INPLACE_ADD) => {
                    let mut v = a.to_vec();
                    v.extend_from_slice(b);
                    return Ok(Value::Obj(self.heap.alloc(Obj::Tuple(v.into()))));
                }
                (
                    Obj::Set(a),
                    Obj::Set(b),
                    BINARY_OR | BINARY_AND | BINARY_SUBTRACT | BINARY_XOR | INPLACE_OR,
                ) => {
                    let (a, b) = (a.clone(), b.clone());
                    let mut out = Dict::new();
                    match op {
                        BINARY_OR | INPLACE_OR => {
                            for (h, k, v) in a.iter().chain(b.iter()) {
                                out.insert(h.clone(), k, v);
                            }
                        }
                        BINARY_AND => {
                            for (h, k, v) in a.iter() {
                                if b.contains(h) {
                                    out.insert(h.clone(), k, v);
                                }
                            }
                        }
                        BINARY_SUBTRACT => {
                            for (h, k, v) in a.iter() {
                                if !b.contains(h) {
                                    out.insert(h.clone(), k, v);
                                }
                            }
                        }
                        _ => {
                            for (h, k, v) in a.iter() {
                                if !b.contains(h) {
                                    out.insert(h.clone(), k, v);
                                }
                            }
                            for (h, k, v) in b.iter() {
                                if !a.contains(h) {
                                    out.insert(h.clone(), k, v);
                                }
                            }
                        }
                    }
                    if op == INPLACE_OR {
                        *self.heap.get_mut(lo) = Obj::Set(out);
                        return Ok(l);
                    }
                    return Ok(Value::Obj(self.heap.alloc(Obj::Set(out))));
                }
                (Obj::Dict(a), Obj::Dict(b), BINARY_OR) => {
                    let mut out = a.clone();
                    for (h, k, v) in b.iter() {
                        out.insert(h.clone(), k, v);
                    }
                    return Ok(Value::Obj(self.heap.alloc(Obj::Dict(out))));
                }
                _ => {}
            }
        }
        if let Value::Obj(lo) = l {
            // Sequence repetition and str formatting.
            if let (Obj::Str(s), BINARY_MODULO | INPLACE_MODULO) = (self.heap.get(lo), op) {
                let fmt = s.clone();
                let out = self.percent_format(&fmt, r)?;
                return Ok(self.new_str(out));
            }
        }
        if matches!(op, BINARY_MULTIPLY | INPLACE_MULTIPLY) {
            if let Value::Obj(seq) = l
                && let Some(v) = self.repeat(seq, r)?
            {
                return Ok(v);
            }
            if let (Value::Int(_) | Value::Bool(_), Value::Obj(seq)) = (l, r)
                && let Some(v) = self.repeat(seq, l)?
            {
                return Ok(v);
            }
            // A sequence times anything but an int.
            let seq = |m: &Self, v: Value| matches!(&*m.type_name(v), "str" | "list" | "tuple");
            if seq(self, l) || seq(self, r) {
                let other = if seq(self, l) { r } else { l };
                let tn = self.type_name(other);
                return Err(self.raise(
                    "TypeError",
                    format!("can't multiply sequence by non-int of type '{tn}'"),
                ));
            }
        }
        let (ln, rn) = (self.type_name(l), self.type_name(r));
        // str, list and tuple refuse any other right operand of `+` in their own words.
        if matches!(op, BINARY_ADD | INPLACE_ADD) && matches!(&*ln, "str" | "list" | "tuple") {
            return Err(self.raise(
                "TypeError",
                format!("can only concatenate {ln} (not \"{rn}\") to {ln}"),
            ));
        }
        let sym = if inplace {
            format!("{sym}=")
        } else {
            sym.to_string()
        };
        Err(self.raise(
            "TypeError",
            format!("unsupported operand type(s) for {sym}: '{ln}' and '{rn}'"),
        ))
    }

    /// `seq * n` for str, list and tuple (`None` when `seq` is not a sequence or `n` not an int).
    fn repeat(&mut self, seq: ObjId, n: Value) -> Res<Option<Value>> {
        let n = match n {
            Value::Int(n) => n.max(0) as u128,
            Value::Bool(b) => u128::from(b),
            _ => return Ok(None),
        };
        let len = match self.heap.get(seq) {
            Obj::Str(s) => s.len(),
            Obj::List(v) => v.len(),
            Obj::Tuple(t) => t.len(),
            _ => return Ok(None),
        } as u128;
        if len * n > 1 << 27 {
            return Err(self.raise("MemoryError", ""));
        }
        let n = n as usize;
        self.now += (len as u64) * (n as u64) / 8;
        let o = match self.heap.get(seq) {
            Obj::Str(s) => Obj::Str(s.repeat(n).into()),
            Obj::List(v) => Obj::List(v.repeat(n)),
            Obj::Tuple(t) => Obj::Tuple(t.repeat(n).into()),
            _ => return Ok(None),
        };
        Ok(Some(Value::Obj(self.heap.alloc(o))))
    }

    fn arith(&mut self, op: Op, _sym: &str, a: Num, b: Num) -> Res<Value> {
        use Op::*;
        let float = matches!(a, Num::F(_)) || matches!(b, Num::F(_));
        match op {
            BINARY_TRUE_DIVIDE | INPLACE_TRUE_DIVIDE => {
                let (x, y) = (Self::float_of(&a), Self::float_of(&b));
                if y == 0.0 {
                    let msg = if float {
                        "float division by zero"
                    } else {
                        "division by zero"
                    };
                    return Err(self.raise("ZeroDivisionError", msg));
                }
                if !float && (!x.is_finite() || !y.is_finite()) {
                    // Big ints: divide exactly enough before converting.
                    let (p, q) = (Self::big(&a), Self::big(&b));
                    // Scale so the integer quotient keeps 64+ significant bits, then scale back.
                    let k = (64 + q.bits() as i64 - p.bits() as i64).max(0);
                    let quotient = (p << k as usize) / q;
                    let v = quotient.to_f64().unwrap_or(f64::INFINITY) * 2f64.powi(-(k as i32));
                    if !v.is_finite() {
                        return Err(self.raise(
                            "OverflowError",
                            "integer division result too large for a float",
                        ));
                    }
                    return Ok(Value::Float(v));
                }
                return Ok(Value::Float(x / y));
            }
            _ => {}
        }
        if float {
            let (x, y) = (Self::float_of(&a), Self::float_of(&b));
            let v = match op {
                BINARY_ADD | INPLACE_ADD => x + y,
                BINARY_SUBTRACT | INPLACE_SUBTRACT => x - y,
                BINARY_MULTIPLY | INPLACE_MULTIPLY => x * y,
                BINARY_POWER | INPLACE_POWER => {
                    if x == 0.0 && y < 0.0 {
                        return Err(self.raise(
                            "ZeroDivisionError",
                            "0.0 cannot be raised to a negative power",
                        ));
                    }
                    x.powf(y)
                }
                BINARY_FLOOR_DIVIDE | INPLACE_FLOOR_DIVIDE | BINARY_MODULO | INPLACE_MODULO => {
                    if y == 0.0 {
                        let msg = if matches!(op, BINARY_MODULO | INPLACE_MODULO) {
                            "float modulo"
                        } else {
                            "float divmod()"
                        };
                        return Err(self.raise("ZeroDivisionError", msg));
                    }
                    let (floordiv, m) = gilsim_compiler::num::float_divmod(x, y);
                    if matches!(op, BINARY_FLOOR_DIVIDE | INPLACE_FLOOR_DIVIDE) {
                        floordiv
                    } else {
                        m
                    }
                }
                _ => {
                    let msg = format!("unsupported operand type(s) for {}: 'float'", op_symbol(op));
                    return Err(self.raise("TypeError", msg));
                }
            };
            return Ok(Value::Float(v));
        }
        let (x, y) = (Self::big(&a), Self::big(&b));
        let v = match op {
            BINARY_ADD | INPLACE_ADD => x + y,
            BINARY_SUBTRACT | INPLACE_SUBTRACT => x - y,
            BINARY_MULTIPLY | INPLACE_MULTIPLY => {
                if x.bits() + y.bits() > 1_000_000 {
                    return Err(self.raise("MemoryError", ""));
                }
                x * y
            }
            BINARY_FLOOR_DIVIDE | INPLACE_FLOOR_DIVIDE | BINARY_MODULO | INPLACE_MODULO => {
                if y.is_zero() {
                    let msg = "integer division or modulo by zero";
                    return Err(self.raise("ZeroDivisionError", msg));
                }
                if matches!(op, BINARY_FLOOR_DIVIDE | INPLACE_FLOOR_DIVIDE) {
                    x.div_floor(&y)
                } else {
                    x.mod_floor(&y)
                }
            }
            BINARY_POWER | INPLACE_POWER => {
                if y < BigInt::zero() {
                    if x.is_zero() {
                        return Err(self.raise(
                            "ZeroDivisionError",
                            "0.0 cannot be raised to a negative power",
                        ));
                    }
                    let (fx, fy) = (x.to_f64().unwrap_or(0.0), y.to_f64().unwrap_or(0.0));
                    return Ok(Value::Float(fx.powf(fy)));
                }
                let e = y.to_u32().unwrap_or(u32::MAX);
                if (x.bits() as f64) * f64::from(e) > 1_000_000.0 {
                    return Err(self.raise("MemoryError", ""));
                }
                num_traits::pow::Pow::pow(x, e)
            }
            BINARY_LSHIFT | INPLACE_LSHIFT | BINARY_RSHIFT | INPLACE_RSHIFT
                if y < BigInt::zero() =>
            {
                return Err(self.raise("ValueError", "negative shift count"));
            }
            BINARY_LSHIFT | INPLACE_LSHIFT => {
                let s = y.to_u32().unwrap_or(u32::MAX);
                if s > 1_000_000 {
                    return Err(self.raise("MemoryError", ""));
                }
                x << s
            }
            BINARY_RSHIFT | INPLACE_RSHIFT => x >> y.to_u32().unwrap_or(u32::MAX).min(1_000_000),
            BINARY_AND | INPLACE_AND => x & y,
            BINARY_OR | INPLACE_OR => x | y,
            BINARY_XOR | INPLACE_XOR => x ^ y,
            _ => unreachable!("arith op"),
        };
        Ok(self.int_value(v))
    }

    /// Python truth.
    pub(crate) fn truthy(&mut self, v: Value) -> Res<bool> {
        Ok(match v {
            Value::Null | Value::None => false,
            Value::Bool(b) => b,
            Value::Int(i) => i != 0,
            Value::Float(f) => f != 0.0,
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Str(s) => !s.is_empty(),
                Obj::BigInt(b) => !b.is_zero(),
                Obj::List(l) => !l.is_empty(),
                Obj::Tuple(t) => !t.is_empty(),
                Obj::Dict(d) | Obj::Set(d) => !d.is_empty(),
                Obj::View(_, d) => matches!(self.heap.get(*d), Obj::Dict(dd) if !dd.is_empty()),
                Obj::Range { start, stop, step } => range_len(*start, *stop, *step) > 0,
                Obj::Instance(i) => {
                    if let Some(p) = i.payload {
                        return self.truthy(p);
                    }
                    self.refuse_deep(v, &["__bool__", "__len__"], "testing the truth of a value")?;
                    true
                }
                _ => true,
            },
        })
    }

    /// `is`.
    #[must_use]
    pub fn is(&self, a: Value, b: Value) -> bool {
        match (a, b) {
            (Value::Obj(x), Value::Obj(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            // Ints live inline, so identity cannot be told from equality: `y = x; x is y` is True.
            (Value::Int(x), Value::Int(y)) => x == y,
            _ => a == b,
        }
    }

    /// The hashable form of a key, or TypeError.
    pub fn hkey(&mut self, v: Value) -> Res<HKey> {
        if let Some(k) = self.hkey_quiet(v) {
            return Ok(k);
        }
        let bad = self.unhashable_part(v);
        self.refuse_deep(bad, &["__hash__"], "hashing (a dict key or set item)")?;
        let tn = self.type_name(bad);
        Err(self.raise("TypeError", format!("unhashable type: '{tn}'")))
    }

    /// The hashable form of a value, or `None` when it is unhashable; raises nothing and
    /// allocates nothing on the heap (the detectors use it).
    #[must_use]
    pub fn hkey_quiet(&self, v: Value) -> Option<HKey> {
        Some(match v {
            Value::Null | Value::None => HKey::None,
            Value::Bool(b) => HKey::Int(i64::from(b)),
            Value::Int(i) => HKey::Int(i),
            Value::Float(f) => {
                if f.fract() == 0.0 && f.abs() < 9.2e18 {
                    HKey::Int(f as i64)
                } else {
                    HKey::Float(f.to_bits())
                }
            }
            Value::Obj(o) => match self.heap.get(o) {
                Obj::Str(s) => HKey::Str(s.clone()),
                Obj::BigInt(b) => HKey::BigInt(Rc::from(b.to_string().as_str())),
                Obj::Tuple(t) => {
                    let keys: Option<Vec<HKey>> = t.iter().map(|x| self.hkey_quiet(*x)).collect();
                    HKey::Tuple(keys?.into())
                }
                Obj::List(_) | Obj::Dict(_) | Obj::Set(_) => return None,
                // A user class with __hash__ (which gilsim does not call here) or with __eq__
                // and no __hash__ (unhashable, as in CPython) is no plain key.
                Obj::Instance(_)
                    if self.user_dunder(v, "__hash__").is_some()
                        || self.user_dunder(v, "__eq__").is_some() =>
                {
                    return None;
                }
                _ => HKey::id(o),
            },
        })
    }

    /// The part of an unhashable value that makes it so (a list inside a tuple).
    fn unhashable_part(&self, v: Value) -> Value {
        if let Value::Obj(o) = v
            && let Obj::Tuple(t) = self.heap.get(o)
            && let Some(bad) = t.iter().find(|x| self.hkey_quiet(**x).is_none())
        {
            return self.unhashable_part(*bad);
        }
        v
    }

    /// Equality.
    pub(crate) fn eq(&mut self, a: Value, b: Value) -> Res<bool> {
        if let (Some(x), Some(y)) = (self.num(a), self.num(b)) {
            return Ok(match (x, y) {
                (Num::I(p), Num::I(q)) => p == q,
                (Num::F(p), q) | (q, Num::F(p)) => p == Self::float_of(&q),
                (p, q) => Self::big(&p) == Self::big(&q),
            });
        }
        match (a, b) {
            (Value::Obj(x), Value::Obj(y)) => {
                if x == y {
                    return Ok(true);
                }
                self.refuse_deep(a, crate::interp::dunder::EQ, "comparing with ==")?;
                self.refuse_deep(b, crate::interp::dunder::EQ, "comparing with ==")?;
                match (self.heap.get(x), self.heap.get(y)) {
                    (Obj::Str(p), Obj::Str(q)) => Ok(p == q),
                    (Obj::List(p), Obj::List(q)) => {
                        let (p, q) = (p.clone(), q.clone());
                        self.seq_eq(&p, &q)
                    }
                    (Obj::Tuple(p), Obj::Tuple(q)) => {
                        let (p, q) = (p.to_vec(), q.to_vec());
                        self.seq_eq(&p, &q)
                    }
                    (Obj::Dict(p), Obj::Dict(q)) => {
                        if p.len() != q.len() {
                            return Ok(false);
                        }
                        let (p, q) = (p.clone(), q.clone());
                        for (h, _, v) in p.iter() {
                            match q.get(h) {
                                Some(w) => {
                                    if !self.eq(v, w)? {
                                        return Ok(false);
                                    }
                                }
                                None => return Ok(false),
                            }
                        }
                        Ok(true)
                    }
                    (Obj::Set(p), Obj::Set(q)) => {
                        Ok(p.len() == q.len() && p.iter().all(|(h, _, _)| q.contains(h)))
                    }
                    (
                        Obj::Range {
                            start: a1,
                            stop: b1,
                            step: c1,
                        },
                        Obj::Range {
                            start: a2,
                            stop: b2,
                            step: c2,
                        },
                    ) => Ok((a1, b1, c1) == (a2, b2, c2)),
                    _ => Ok(false),
                }
            }
            (Value::None, Value::None) | (Value::Null, Value::Null) => Ok(true),
            _ => Ok(false),
        }
    }

    fn seq_eq(&mut self, p: &[Value], q: &[Value]) -> Res<bool> {
        if p.len() != q.len() {
            return Ok(false);
        }
        self.enter_nested("comparison")?;
        let mut result = Ok(true);
        for (x, y) in p.iter().zip(q) {
            match self.eq(*x, *y) {
                Ok(true) => {}
                other => {
                    result = other;
                    break;
                }
            }
        }
        self.nesting -= 1;
        result
    }

    /// Counts one level of nested comparison; CPython's recursion limit applies to it too.
    fn enter_nested(&mut self, what: &str) -> Res<()> {
        if self.nesting >= self.limits.max_depth as u32 {
            return Err(self.raise(
                "RecursionError",
                format!("maximum recursion depth exceeded in {what}"),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    /// Ordering: `Some(Less|Equal|Greater)` or TypeError.
    pub(crate) fn cmp(&mut self, a: Value, b: Value, sym: &str) -> Res<std::cmp::Ordering> {
        use std::cmp::Ordering;
        if let (Some(x), Some(y)) = (self.num(a), self.num(b)) {
            return Ok(match (x, y) {
                (Num::I(p), Num::I(q)) => p.cmp(&q),
                (Num::F(p), q) => p
                    .partial_cmp(&Self::float_of(&q))
                    .unwrap_or(Ordering::Equal),
                (p, Num::F(q)) => Self::float_of(&p)
                    .partial_cmp(&q)
                    .unwrap_or(Ordering::Equal),
                (p, q) => Self::big(&p).cmp(&Self::big(&q)),
            });
        }
        self.refuse_deep(a, crate::interp::dunder::ORDER, "ordering")?;
        self.refuse_deep(b, crate::interp::dunder::ORDER, "ordering")?;
        if let (Value::Obj(x), Value::Obj(y)) = (a, b) {
            match (self.heap.get(x), self.heap.get(y)) {
                (Obj::Str(p), Obj::Str(q)) => return Ok(p.cmp(q)),
                (Obj::List(p), Obj::List(q)) => {
                    let (p, q) = (p.clone(), q.clone());
                    return self.seq_cmp(&p, &q, sym);
                }
                (Obj::Tuple(p), Obj::Tuple(q)) => {
                    let (p, q) = (p.to_vec(), q.to_vec());
                    return self.seq_cmp(&p, &q, sym);
                }
                _ => {}
            }
        }
        let (ln, rn) = (self.type_name(a), self.type_name(b));
        Err(self.raise(
            "TypeError",
            format!("'{sym}' not supported between instances of '{ln}' and '{rn}'"),
        ))
    }

    fn seq_cmp(&mut self, p: &[Value], q: &[Value], sym: &str) -> Res<std::cmp::Ordering> {
        self.enter_nested("comparison")?;
        let mut result = Ok(p.len().cmp(&q.len()));
        for (x, y) in p.iter().zip(q) {
            match self.eq(*x, *y) {
                Ok(true) => {}
                Ok(false) => {
                    result = self.cmp(*x, *y, sym);
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.nesting -= 1;
        result
    }

    pub(crate) fn compare(&mut self, op: u32, l: Value, r: Value) -> Res<Value> {
        use std::cmp::Ordering::*;
        let sym = gilsim_compiler::bytecode::COMPARE_OPS[op as usize];
        // An ordering with NaN is always False.
        if op != 2 && op != 3 {
            let nan = |v: Value| matches!(v, Value::Float(f) if f.is_nan());
            if (nan(l) || nan(r))
                && let (Some(_), Some(_)) = (self.num(l), self.num(r))
            {
                return Ok(Value::Bool(false));
            }
        }
        let v = match op {
            2 => self.eq(l, r)?,
            3 => !self.eq(l, r)?,
            0 => self.cmp(l, r, sym)? == Less,
            1 => self.cmp(l, r, sym)? != Greater,
            4 => self.cmp(l, r, sym)? == Greater,
            _ => self.cmp(l, r, sym)? != Less,
        };
        Ok(Value::Bool(v))
    }

    pub(crate) fn contains(&mut self, container: Value, item: Value) -> Res<bool> {
        self.refuse_deep(
            container,
            &["__contains__", "__iter__", "__getitem__"],
            "`in`",
        )?;
        let Value::Obj(o) = container else {
            let tn = self.type_name(container);
            return Err(self.raise(
                "TypeError",
                format!("argument of type '{tn}' is not iterable"),
            ));
        };
        let o = match self.heap.get(o) {
            Obj::View(crate::object::value::ViewKind::Keys, d) => *d,
            _ => o,
        };
        match self.heap.get(o) {
            Obj::Dict(_) | Obj::Set(_) => {
                let k = self.hkey(item)?;
                match self.heap.get(o) {
                    Obj::Dict(d) | Obj::Set(d) => Ok(d.contains(&k)),
                    _ => Ok(false),
                }
            }
            Obj::Str(s) => {
                let s = s.clone();
                match item {
                    Value::Obj(i) => match self.heap.get(i) {
                        Obj::Str(sub) => Ok(s.contains(&**sub)),
                        _ => Err(self
                            .raise("TypeError", "'in <string>' requires string as left operand")),
                    },
                    _ => {
                        Err(self
                            .raise("TypeError", "'in <string>' requires string as left operand"))
                    }
                }
            }
            _ => {
                let items = self.iterate_all(container)?;
                for x in items {
                    if self.eq(x, item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }

    /// `iter(v)`.
    pub(crate) fn get_iter(&mut self, v: Value) -> Res<Value> {
        self.refuse_deep(v, &["__iter__", "__getitem__"], "iterating")?;
        let Value::Obj(o) = v else {
            let tn = self.type_name(v);
            return Err(self.raise("TypeError", format!("'{tn}' object is not iterable")));
        };
        let state = match self.heap.get(o) {
            Obj::Range { start, stop, step } => IterState::Range {
                next: *start,
                stop: *stop,
                step: *step,
            },
            Obj::List(_) | Obj::Tuple(_) | Obj::Str(_) => IterState::Seq { seq: o, index: 0 },
            Obj::Dict(d) => IterState::DictKeys {
                dict: o,
                index: 0,
                len: d.len(),
            },
            Obj::Set(d) => {
                let items = set_order(d);
                IterState::Values {
                    items: items.into(),
                    index: 0,
                }
            }
            Obj::Iter(_) | Obj::Generator(_) => return Ok(v),
            Obj::View(crate::object::value::ViewKind::Keys, d) => {
                let d = *d;
                let len = match self.heap.get(d) {
                    Obj::Dict(dd) => dd.len(),
                    _ => 0,
                };
                IterState::DictKeys {
                    dict: d,
                    index: 0,
                    len,
                }
            }
            Obj::View(kind, d) => {
                let (kind, d) = (*kind, *d);
                let items = self.view_items(kind, d);
                IterState::Values {
                    items: items.into(),
                    index: 0,
                }
            }
            Obj::Instance(i) => {
                if let Some(p) = i.payload {
                    return self.get_iter(p);
                }
                let tn = self.type_name(v);
                return Err(self.unsupported(format!(
                    "iterating over a '{tn}' object (a class with __iter__)"
                )));
            }
            _ => {
                let tn = self.type_name(v);
                return Err(self.raise("TypeError", format!("'{tn}' object is not iterable")));
            }
        };
        Ok(Value::Obj(self.heap.alloc(Obj::Iter(state))))
    }

    /// The items a dict view shows now (items as new tuples).
    pub(crate) fn view_items(
        &mut self,
        kind: crate::object::value::ViewKind,
        dict: ObjId,
    ) -> Vec<Value> {
        let pairs: Vec<(Value, Value)> = match self.heap.get(dict) {
            Obj::Dict(d) => d.iter().map(|(_, k, v)| (k, v)).collect(),
            _ => Vec::new(),
        };
        match kind {
            crate::object::value::ViewKind::Keys => pairs.iter().map(|p| p.0).collect(),
            crate::object::value::ViewKind::Values => pairs.iter().map(|p| p.1).collect(),
            crate::object::value::ViewKind::Items => pairs
                .iter()
                .map(|p| Value::Obj(self.heap.alloc(Obj::Tuple(vec![p.0, p.1].into()))))
                .collect(),
        }
    }

    /// `next(it)`: `Ok(None)` when exhausted. Generators are resumed by pushing their frame;
    /// then `Ok(Some(Value::Null))` is returned and the value arrives on the stack.
    pub(crate) fn next(&mut self, it: Value) -> Res<Option<Value>> {
        let Value::Obj(o) = it else { return Ok(None) };
        // The hot path: `for x in range(n)` advances in place.
        if let Obj::Iter(IterState::Range { next, stop, step }) = self.heap.get_mut(o) {
            let cur = *next;
            if (*step > 0 && cur < *stop) || (*step < 0 && cur > *stop) {
                *next = cur.checked_add(*step).unwrap_or(*stop);
                return Ok(Some(Value::Int(cur)));
            }
            return Ok(None);
        }
        if let Obj::Generator(g) = self.heap.get_mut(o) {
            let Some(mut frame) = g.frame.take() else {
                return Ok(None);
            };
            g.running = true;
            let own = g.exc_state;
            let t = self.current as usize;
            let outer = std::mem::replace(&mut self.threads[t].exc_info, own);
            if let Obj::Generator(g) = self.heap.get_mut(o) {
                g.outer_exc = outer;
            }
            if frame.pc > 0 {
                frame.stack.push(Value::None); // the value of the `yield` expression
            }
            frame.on_return = crate::object::frame::OnReturn::Push;
            frame.generator = Some(o);
            self.push_frame(*frame)?;
            return Ok(Some(Value::Null));
        }
        let Obj::Iter(state) = self.heap.get(o) else {
            return Ok(None);
        };
        let state = state.clone();
        let (out, new_state) = match state {
            IterState::Range { next, stop, step } => {
                if (step > 0 && next < stop) || (step < 0 && next > stop) {
                    (
                        Some(Value::Int(next)),
                        IterState::Range {
                            next: next + step,
                            stop,
                            step,
                        },
                    )
                } else {
                    (None, IterState::Range { next, stop, step })
                }
            }
            IterState::Seq { seq, index } => {
                let v = match self.heap.get(seq) {
                    Obj::List(l) => l.get(index).copied(),
                    Obj::Tuple(t) => t.get(index).copied(),
                    Obj::Str(s) => {
                        let c = s.chars().nth(index);
                        c.map(|c| self.new_str(c.to_string()))
                    }
                    _ => None,
                };
                (
                    v,
                    IterState::Seq {
                        seq,
                        index: index + 1,
                    },
                )
            }
            IterState::Values { items, index } => (
                items.get(index).copied(),
                IterState::Values {
                    items,
                    index: index + 1,
                },
            ),
            IterState::DictKeys { dict, index, len } => {
                let (cur_len, item) = match self.heap.get(dict) {
                    Obj::Dict(d) => (d.len(), d.get_index(index)),
                    _ => (0, None),
                };
                if cur_len != len {
                    return Err(
                        self.raise("RuntimeError", "dictionary changed size during iteration")
                    );
                }
                (
                    item.map(|(k, _)| k),
                    IterState::DictKeys {
                        dict,
                        index: index + 1,
                        len,
                    },
                )
            }
            IterState::Enumerate { inner, count } => match self.native_next(Value::Obj(inner))? {
                Some(v) => {
                    let t = self
                        .heap
                        .alloc(Obj::Tuple(vec![Value::Int(count), v].into()));
                    (
                        Some(Value::Obj(t)),
                        IterState::Enumerate {
                            inner,
                            count: count + 1,
                        },
                    )
                }
                None => (None, IterState::Enumerate { inner, count }),
            },
            IterState::Zip { inners } => {
                let mut items = Vec::with_capacity(inners.len());
                let mut done = false;
                for i in &inners {
                    match self.native_next(Value::Obj(*i))? {
                        Some(v) => items.push(v),
                        None => {
                            done = true;
                            break;
                        }
                    }
                }
                if done {
                    (None, IterState::Zip { inners })
                } else {
                    let t = self.heap.alloc(Obj::Tuple(items.into()));
                    (Some(Value::Obj(t)), IterState::Zip { inners })
                }
            }
            IterState::Reversed { seq, left } => {
                if left == 0 {
                    (None, IterState::Reversed { seq, left })
                } else {
                    let v = match self.heap.get(seq) {
                        Obj::List(l) => l.get(left - 1).copied(),
                        Obj::Tuple(t) => t.get(left - 1).copied(),
                        _ => None,
                    };
                    (
                        v,
                        IterState::Reversed {
                            seq,
                            left: left - 1,
                        },
                    )
                }
            }
        };
        *self.heap.get_mut(o) = Obj::Iter(new_state);
        Ok(out)
    }

    /// All items of an iterable (for natives that consume one in a single C call).
    pub(crate) fn iterate_all(&mut self, v: Value) -> Res<Vec<Value>> {
        if let Value::Obj(o) = v {
            match self.heap.get(o) {
                Obj::List(l) => return Ok(l.clone()),
                Obj::Tuple(t) => return Ok(t.to_vec()),
                Obj::Generator(_) => {
                    return Err(self.unsupported(
                        "passing a generator to a builtin; gilsim runs generators in `for` loops only for now (use a list comprehension)",
                    ));
                }
                _ => {}
            }
        }
        let it = self.get_iter(v)?;
        let mut out = Vec::new();
        while let Some(x) = self.next(it)? {
            out.push(x);
            if out.len() > self.limits.max_objects {
                return Err(self.raise("MemoryError", ""));
            }
        }
        Ok(out)
    }

    /// Items of a list or tuple.
    pub(crate) fn seq_items(&mut self, v: Value) -> Res<Vec<Value>> {
        self.iterate_all(v)
    }

    pub(crate) fn new_dict_value(&mut self) -> Value {
        Value::Obj(self.heap.alloc(Obj::Dict(Dict::new())))
    }

    pub(crate) fn new_set(&mut self, items: &[Value]) -> Res<Value> {
        let mut d = Dict::new();
        for v in items {
            let k = self.hkey(*v)?;
            d.insert(k, *v, Value::None);
        }
        Ok(Value::Obj(self.heap.alloc(Obj::Set(d))))
    }

    pub(crate) fn set_add(&mut self, set: Value, v: Value) -> Res<()> {
        let k = self.hkey(v)?;
        if let Value::Obj(o) = set
            && let Obj::Set(d) = self.heap.get_mut(o)
        {
            d.insert(k, v, Value::None);
        }
        Ok(())
    }

    pub(crate) fn dict_items(&mut self, d: Value) -> Res<Vec<(Value, Value)>> {
        if let Value::Obj(o) = d
            && let Obj::Dict(dd) = self.heap.get(o)
        {
            return Ok(dd.iter().map(|(_, k, v)| (k, v)).collect());
        }
        let tn = self.type_name(d);
        Err(self.raise("TypeError", format!("'{tn}' object is not a mapping")))
    }

    pub(crate) fn dict_update(&mut self, target: Value, src: Value) -> Res<()> {
        let items = self.dict_items(src)?;
        for (k, v) in items {
            self.setitem(target, k, v)?;
        }
        Ok(())
    }

    fn index_of(&mut self, len: usize, k: Value) -> Res<Option<usize>> {
        let i = match k {
            Value::Int(i) => i,
            Value::Bool(b) => i64::from(b),
            _ => return Ok(None),
        };
        let i = if i < 0 { i + len as i64 } else { i };
        Ok(if i < 0 || i >= len as i64 {
            None
        } else {
            Some(i as usize)
        })
    }

    /// `o[k]`.
    pub(crate) fn getitem(&mut self, o: Value, k: Value) -> Res<Value> {
        self.refuse_deep(o, &["__getitem__"], "indexing")?;
        let Value::Obj(id) = o else {
            let tn = self.type_name(o);
            return Err(self.raise("TypeError", format!("'{tn}' object is not subscriptable")));
        };
        if let Value::Obj(ko) = k
            && let Obj::Slice(a, b, c) = *self.heap.get(ko)
        {
            return self.get_slice(id, a, b, c);
        }
        let v = match self.heap.get(id) {
            Obj::List(l) => {
                let len = l.len();
                if !matches!(k, Value::Int(_) | Value::Bool(_)) {
                    let tn = self.type_name(k);
                    return Err(self.raise(
                        "TypeError",
                        format!("list indices must be integers or slices, not {tn}"),
                    ));
                }
                match self.index_of(len, k)? {
                    Some(i) => match self.heap.get(id) {
                        Obj::List(l) => l[i],
                        _ => Value::None,
                    },
                    None => return Err(self.raise("IndexError", "list index out of range")),
                }
            }
            Obj::Tuple(t) => {
                let len = t.len();
                if !matches!(k, Value::Int(_) | Value::Bool(_)) {
                    let tn = self.type_name(k);
                    return Err(self.raise(
                        "TypeError",
                        format!("tuple indices must be integers or slices, not {tn}"),
                    ));
                }
                match self.index_of(len, k)? {
                    Some(i) => match self.heap.get(id) {
                        Obj::Tuple(t) => t[i],
                        _ => Value::None,
                    },
                    None => return Err(self.raise("IndexError", "tuple index out of range")),
                }
            }
            Obj::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                if !matches!(k, Value::Int(_) | Value::Bool(_)) {
                    let msg = if self.profile.at_least(3, 11) {
                        let tn = self.type_name(k);
                        format!("string indices must be integers, not '{tn}'")
                    } else {
                        "string indices must be integers".to_string()
                    };
                    return Err(self.raise("TypeError", msg));
                }
                match self.index_of(chars.len(), k)? {
                    Some(i) => self.new_str(chars[i].to_string()),
                    None => return Err(self.raise("IndexError", "string index out of range")),
                }
            }
            Obj::Dict(_) => {
                let h = self.hkey(k)?;
                let found = match self.heap.get(id) {
                    Obj::Dict(d) => d.get(&h),
                    _ => None,
                };
                match found {
                    Some(v) => v,
                    None => {
                        let e = self.types.exc["KeyError"];
                        return Err(crate::machine::Flow::Raise(self.exc_instance(e, vec![k])));
                    }
                }
            }
            Obj::Range { start, stop, step } => {
                let (start, stop, step) = (*start, *stop, *step);
                let len = range_len(start, stop, step);
                match self.index_of(len as usize, k)? {
                    Some(i) => Value::Int(start + step * i as i64),
                    None => return Err(self.raise("IndexError", "range object index out of range")),
                }
            }
            Obj::Instance(i) if i.payload.is_some() => {
                let p = i.payload.expect("payload");
                return self.getitem(p, k);
            }
            _ => {
                let tn = self.type_name(o);
                return Err(self.raise("TypeError", format!("'{tn}' object is not subscriptable")));
            }
        };
        if self.observed()
            && let Some((key, _)) = self.item_location(id, k)
        {
            self.observe(key, v, None);
        }
        Ok(v)
    }

    /// The detectors' key of item `k` of a dict or list and the value stored there now;
    /// `None` for anything else (slices, tuples, strings: no shared location).
    pub(crate) fn item_location(
        &mut self,
        id: ObjId,
        k: Value,
    ) -> Option<(crate::detect::LocKey, Option<Value>)> {
        match self.heap.get(id) {
            Obj::Dict(d) => {
                let h = self.hkey_quiet(k)?;
                let now = d.get(&h);
                Some((crate::detect::LocKey::Item(id, h), now))
            }
            Obj::List(l) => {
                let len = l.len();
                let i = self.index_of(len, k).ok()??;
                let now = match self.heap.get(id) {
                    Obj::List(l) => l.get(i).copied(),
                    _ => None,
                };
                Some((crate::detect::LocKey::Item(id, HKey::Int(i as i64)), now))
            }
            _ => None,
        }
    }

    fn slice_indices(&mut self, len: usize, a: Value, b: Value, c: Value) -> Res<Vec<usize>> {
        let step = match c {
            Value::None => 1,
            Value::Int(s) => s,
            _ => return Err(self.raise("TypeError", "slice indices must be integers or None")),
        };
        if step == 0 {
            return Err(self.raise("ValueError", "slice step cannot be zero"));
        }
        let len = len as i64;
        let norm = |v: Value, default: i64| -> Option<i64> {
            match v {
                Value::None => Some(default),
                Value::Int(i) => Some(if i < 0 { i + len } else { i }),
                _ => None,
            }
        };
        let (lo_d, hi_d) = if step > 0 { (0, len) } else { (len - 1, -1) };
        let (Some(mut lo), Some(mut hi)) = (norm(a, lo_d), norm(b, hi_d)) else {
            return Err(self.raise("TypeError", "slice indices must be integers or None"));
        };
        if step > 0 {
            lo = lo.clamp(0, len);
            hi = hi.clamp(0, len);
        } else {
            lo = lo.clamp(-1, len - 1);
            hi = hi.clamp(-1, len - 1);
        }
        let mut out = Vec::new();
        let mut i = lo;
        while (step > 0 && i < hi) || (step < 0 && i > hi) {
            out.push(i as usize);
            i += step;
        }
        Ok(out)
    }

    fn get_slice(&mut self, id: ObjId, a: Value, b: Value, c: Value) -> Res<Value> {
        match self.heap.get(id) {
            Obj::List(l) => {
                let l = l.clone();
                let idx = self.slice_indices(l.len(), a, b, c)?;
                let v: Vec<Value> = idx.iter().map(|i| l[*i]).collect();
                Ok(Value::Obj(self.heap.alloc(Obj::List(v))))
            }
            Obj::Tuple(t) => {
                let t = t.clone();
                let idx = self.slice_indices(t.len(), a, b, c)?;
                let v: Vec<Value> = idx.iter().map(|i| t[*i]).collect();
                Ok(Value::Obj(self.heap.alloc(Obj::Tuple(v.into()))))
            }
            Obj::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let idx = self.slice_indices(chars.len(), a, b, c)?;
                let v: String = idx.iter().map(|i| chars[*i]).collect();
                Ok(self.new_str(v))
            }
            _ => Err(self.raise("TypeError", "object is not subscriptable")),
        }
    }

    /// `o[k] = v`.
    pub(crate) fn setitem(&mut self, o: Value, k: Value, v: Value) -> Res<()> {
        self.refuse_deep(o, &["__setitem__"], "item assignment")?;
        let Value::Obj(id) = o else {
            let tn = self.type_name(o);
            return Err(self.raise(
                "TypeError",
                format!("'{tn}' object does not support item assignment"),
            ));
        };
        let observed = if self.observed() {
            self.item_location(id, k)
        } else {
            None
        };
        match self.heap.get(id) {
            Obj::Dict(_) => {
                let h = self.hkey(k)?;
                if let Obj::Dict(d) = self.heap.get_mut(id) {
                    d.insert(h, k, v);
                }
            }
            Obj::List(l) => {
                let len = l.len();
                if let Value::Obj(ko) = k
                    && let Obj::Slice(a, b, c) = *self.heap.get(ko)
                {
                    let idx = self.slice_indices(len, a, b, c)?;
                    let new = self.iterate_all(v)?;
                    if let (Value::None, true) = (c, true) {
                        let (lo, hi) = match (idx.first(), idx.last()) {
                            (Some(f), Some(l)) => (*f, *l + 1),
                            _ => {
                                let lo = self
                                    .slice_indices(len, a, Value::None, Value::None)?
                                    .first()
                                    .copied()
                                    .unwrap_or(len);
                                (lo, lo)
                            }
                        };
                        if let Obj::List(l) = self.heap.get_mut(id) {
                            l.splice(lo..hi, new);
                        }
                        return Ok(());
                    }
                    return Err(self.unsupported("assigning to an extended slice"));
                }
                match self.index_of(len, k)? {
                    Some(i) => {
                        if let Obj::List(l) = self.heap.get_mut(id) {
                            l[i] = v;
                        }
                    }
                    None => {
                        return Err(self.raise("IndexError", "list assignment index out of range"));
                    }
                }
            }
            Obj::Instance(i) if i.payload.is_some() => {
                let p = i.payload.expect("payload");
                return self.setitem(p, k, v);
            }
            _ => {
                let tn = self.type_name(o);
                return Err(self.raise(
                    "TypeError",
                    format!("'{tn}' object does not support item assignment"),
                ));
            }
        }
        if let Some((key, old)) = observed {
            self.observe(key, v, Some(old));
        }
        Ok(())
    }

    /// `del o[k]`.
    pub(crate) fn delitem(&mut self, o: Value, k: Value) -> Res<()> {
        let Value::Obj(id) = o else {
            return Err(self.raise("TypeError", "object does not support item deletion"));
        };
        match self.heap.get(id) {
            Obj::Dict(_) => {
                let h = self.hkey(k)?;
                let removed = match self.heap.get_mut(id) {
                    Obj::Dict(d) => d.remove(&h).is_some(),
                    _ => false,
                };
                if !removed {
                    let e = self.types.exc["KeyError"];
                    return Err(crate::machine::Flow::Raise(self.exc_instance(e, vec![k])));
                }
            }
            Obj::List(l) => {
                let len = l.len();
                if let Value::Obj(ko) = k
                    && let Obj::Slice(a, b, c) = *self.heap.get(ko)
                {
                    let idx = self.slice_indices(len, a, b, c)?;
                    // One pass over the list, whatever the slice (`del l[:k]` is not k
                    // single removals, each moving the rest).
                    let mut gone = vec![false; len];
                    for i in idx {
                        gone[i] = true;
                    }
                    if let Obj::List(l) = self.heap.get_mut(id) {
                        let mut k = 0;
                        l.retain(|_| {
                            k += 1;
                            !gone[k - 1]
                        });
                    }
                    return Ok(());
                }
                match self.index_of(len, k)? {
                    Some(i) => {
                        if let Obj::List(l) = self.heap.get_mut(id) {
                            l.remove(i);
                        }
                    }
                    None => {
                        return Err(self.raise("IndexError", "list assignment index out of range"));
                    }
                }
            }
            _ => return Err(self.raise("TypeError", "object does not support item deletion")),
        }
        Ok(())
    }

    /// `str(v)` for values whose `str` needs no Python code.
    pub fn str_of(&mut self, v: Value) -> String {
        if let Value::Obj(o) = v {
            match self.heap.get(o) {
                Obj::Str(s) => return s.to_string(),
                Obj::Instance(i) => {
                    let base = self.types.exc["BaseException"];
                    if self.is_subclass(i.class, base) {
                        let cls = i.class;
                        let args = self.exc_args(v);
                        let key_error = self.types.exc["KeyError"];
                        if args.len() == 1 && self.is_subclass(cls, key_error) {
                            return self.repr_of(args[0]);
                        }
                        return match args.len() {
                            0 => String::new(),
                            1 => self.str_of(args[0]),
                            _ => {
                                let t = Value::Obj(self.heap.alloc(Obj::Tuple(args.into())));
                                self.repr_of(t)
                            }
                        };
                    }
                    if self.user_dunder(v, "__str__").is_some() {
                        self.note_deep_dunder(v, "__str__");
                    }
                }
                _ => {}
            }
        }
        self.repr_of(v)
    }

    /// `repr(v)`.
    pub fn repr_of(&mut self, v: Value) -> String {
        let mut seen = Vec::new();
        self.repr_inner(v, &mut seen)
    }

    fn repr_inner(&mut self, v: Value, seen: &mut Vec<ObjId>) -> String {
        match v {
            Value::Null => "<NULL>".into(),
            Value::None => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => gilsim_compiler::dis::float_repr(f),
            Value::Obj(o) => {
                if seen.contains(&o) {
                    return match self.heap.get(o) {
                        Obj::List(_) => "[...]".into(),
                        Obj::Dict(_) => "{...}".into(),
                        _ => "...".into(),
                    };
                }
                match self.heap.get(o).clone() {
                    Obj::Str(s) => gilsim_compiler::dis::str_repr(&s),
                    Obj::BigInt(b) => b.to_string(),
                    Obj::List(l) => {
                        seen.push(o);
                        let parts: Vec<String> =
                            l.iter().map(|x| self.repr_inner(*x, seen)).collect();
                        seen.pop();
                        format!("[{}]", parts.join(", "))
                    }
                    Obj::Tuple(t) => {
                        seen.push(o);
                        let parts: Vec<String> =
                            t.iter().map(|x| self.repr_inner(*x, seen)).collect();
                        seen.pop();
                        if parts.len() == 1 {
                            format!("({},)", parts[0])
                        } else {
                            format!("({})", parts.join(", "))
                        }
                    }
                    Obj::Dict(d) => {
                        seen.push(o);
                        let parts: Vec<String> = d
                            .iter()
                            .map(|(_, k, v)| {
                                format!(
                                    "{}: {}",
                                    self.repr_inner(k, seen),
                                    self.repr_inner(v, seen)
                                )
                            })
                            .collect();
                        seen.pop();
                        format!("{{{}}}", parts.join(", "))
                    }
                    Obj::Set(d) => {
                        if d.is_empty() {
                            return "set()".into();
                        }
                        let parts: Vec<String> = set_order(&d)
                            .into_iter()
                            .map(|k| self.repr_inner(k, seen))
                            .collect();
                        format!("{{{}}}", parts.join(", "))
                    }
                    Obj::Function(f) => format!(
                        "<function {} at 0x{:012x}>",
                        f.qualname,
                        0x7f00_0000_0000u64 + u64::from(o.0) * 16
                    ),
                    Obj::Class(c) => {
                        let module = if c.builtin != TypeTag::Object
                            && c.dict.get_str("__module__").is_none()
                        {
                            "builtins".to_string()
                        } else {
                            c.dict
                                .get_str("__module__")
                                .map_or_else(|| "__main__".to_string(), |m| self.str_of(m))
                        };
                        if module == "builtins" {
                            format!("<class '{}'>", c.qualname)
                        } else {
                            format!("<class '{module}.{}'>", c.qualname)
                        }
                    }
                    Obj::Instance(i) => {
                        let base = self.types.exc["BaseException"];
                        if self.is_subclass(i.class, base) {
                            let name = self.class_name(i.class);
                            let args = self.exc_args(v);
                            let parts: Vec<String> =
                                args.iter().map(|x| self.repr_inner(*x, seen)).collect();
                            return format!("{name}({})", parts.join(", "));
                        }
                        if let Some(p) = i.payload {
                            return self.repr_inner(p, seen);
                        }
                        if self.user_dunder(v, "__repr__").is_some() {
                            self.note_deep_dunder(v, "__repr__");
                        } else if let Some(r) = crate::natives::thread_repr(self, v) {
                            return r;
                        }
                        let name = match self.heap.get(i.class) {
                            Obj::Class(c) => c.qualname.clone(),
                            _ => Rc::from("?"),
                        };
                        let module = match self.heap.get(i.class) {
                            Obj::Class(c) => c.dict.get_str("__module__"),
                            _ => None,
                        };
                        let module =
                            module.map_or_else(|| "__main__".to_string(), |m| self.str_of(m));
                        format!(
                            "<{module}.{name} object at 0x{:012x}>",
                            0x7f00_0000_0000u64 + u64::from(o.0) * 16
                        )
                    }
                    Obj::Range { start, stop, step } => {
                        if step == 1 {
                            format!("range({start}, {stop})")
                        } else {
                            format!("range({start}, {stop}, {step})")
                        }
                    }
                    Obj::Module(m) => format!("<module '{}'>", m.name),
                    Obj::Lock(l) => {
                        let state = if l.owner.is_some() {
                            "locked"
                        } else {
                            "unlocked"
                        };
                        if l.reentrant {
                            format!(
                                "<{state} _thread.RLock object owner={} count={} at 0x{:012x}>",
                                l.owner.map_or(0, crate::natives::ident_of),
                                l.count,
                                0x7f00_0000_0000u64 + u64::from(o.0) * 16
                            )
                        } else {
                            format!(
                                "<{state} _thread.lock object at 0x{:012x}>",
                                0x7f00_0000_0000u64 + u64::from(o.0) * 16
                            )
                        }
                    }
                    Obj::Native(n) => format!("<built-in function {}>", n.id.name()),
                    Obj::Method { func, .. } => {
                        let f = self.repr_inner(func, seen);
                        format!(
                            "<bound method {}>",
                            f.trim_start_matches("<function ").trim_end_matches('>')
                        )
                    }
                    Obj::Generator(g) => format!(
                        "<generator object {} at 0x{:012x}>",
                        g.name,
                        0x7f00_0000_0000u64 + u64::from(o.0) * 16
                    ),
                    Obj::Slice(a, b, c) => {
                        format!(
                            "slice({}, {}, {})",
                            self.repr_inner(a, seen),
                            self.repr_inner(b, seen),
                            self.repr_inner(c, seen)
                        )
                    }
                    Obj::Cell(_) => "<cell>".into(),
                    Obj::Iter(_) => "<iterator object>".into(),
                    Obj::Wrapper(..) => "<descriptor>".into(),
                    Obj::Property { .. } => format!(
                        "<property object at 0x{:012x}>",
                        0x7f00_0000_0000u64 + u64::from(o.0) * 16
                    ),
                    Obj::Super { .. } => "<super object>".into(),
                    Obj::View(kind, d) => {
                        let items = self.view_items(kind, d);
                        let parts: Vec<String> =
                            items.iter().map(|x| self.repr_inner(*x, seen)).collect();
                        format!("{}([{}])", kind.type_name(), parts.join(", "))
                    }
                }
            }
        }
    }

    /// FORMAT_VALUE: f-string conversion and format spec.
    pub(crate) fn format_value(&mut self, v: Value, conv: u32, spec: Option<Value>) -> Res<Value> {
        let v = match conv {
            2 => {
                let s = self.repr_of(v);
                self.new_str(s)
            }
            1 => {
                let s = self.str_of(v);
                self.new_str(s)
            }
            3 => {
                let s = ascii_escape(&self.repr_of(v));
                self.new_str(s)
            }
            _ => v,
        };
        let spec = match spec {
            Some(s) => self.str_of(s),
            None => String::new(),
        };
        let out = self.format_with_spec(v, &spec)?;
        Ok(self.new_str(out))
    }

    /// `format(v, spec)` for the common specs (width, alignment, fill, sign, `,`/`_`, precision,
    /// and the types d, f, e, %, s, x, b, o).
    pub(crate) fn format_with_spec(&mut self, v: Value, spec: &str) -> Res<String> {
        if spec.is_empty() {
            return Ok(self.str_of(v));
        }
        let Some(p) = crate::interp::format::parse_spec(spec) else {
            return Err(self.raise("ValueError", format!("Invalid format specifier '{spec}'")));
        };
        let body = match (p.ty, v) {
            (None | Some('s'), Value::Obj(o)) if matches!(self.heap.get(o), Obj::Str(_)) => {
                let s = self.str_of(v);
                match p.precision {
                    Some(n) => s.chars().take(n).collect(),
                    None => s,
                }
            }
            (ty, _) => {
                let num = match self.num(v) {
                    Some(n) => n,
                    None => {
                        let tn = self.type_name(v);
                        return Err(self.raise(
                            "TypeError",
                            format!("unsupported format string passed to {tn}.__format__"),
                        ));
                    }
                };
                match (ty, &num) {
                    (None | Some('d' | 'n'), Num::I(_) | Num::B(_)) => {
                        crate::interp::format::group(&Self::big(&num).to_string(), p.grouping)
                    }
                    (Some(c @ ('x' | 'X' | 'b' | 'o')), Num::I(_) | Num::B(_)) => {
                        let n = Self::big(&num);
                        let (sign, mag) = if n < BigInt::zero() {
                            ("-", -n)
                        } else {
                            ("", n)
                        };
                        let digits = match c {
                            'x' => format!("{mag:x}"),
                            'X' => format!("{mag:X}"),
                            'b' => format!("{mag:b}"),
                            _ => format!("{mag:o}"),
                        };
                        let prefix = if p.alt {
                            format!("0{c}")
                        } else {
                            String::new()
                        };
                        format!("{sign}{prefix}{digits}")
                    }
                    (Some('f' | 'F'), _) => {
                        let s = format!("{:.*}", p.precision.unwrap_or(6), Self::float_of(&num));
                        crate::interp::format::group(&s, p.grouping)
                    }
                    (Some('e'), _) => {
                        crate::interp::format::exp(Self::float_of(&num), p.precision.unwrap_or(6))
                    }
                    (Some('%'), _) => format!(
                        "{:.*}%",
                        p.precision.unwrap_or(6),
                        Self::float_of(&num) * 100.0
                    ),
                    (Some('g' | 'G'), _) => crate::interp::format::general(
                        Self::float_of(&num),
                        p.precision.unwrap_or(6),
                    ),
                    (None, Num::F(f)) => match p.precision {
                        // No type: like 'g', but always with a digit after the point.
                        Some(n) => {
                            let s = crate::interp::format::general(*f, n);
                            if s.contains(['.', 'e', 'n', 'i']) {
                                s
                            } else {
                                format!("{s}.0")
                            }
                        }
                        None => gilsim_compiler::dis::float_repr(*f),
                    },
                    _ => {
                        return Err(self.raise(
                            "ValueError",
                            format!("Unknown format code for object: '{spec}'"),
                        ));
                    }
                }
            }
        };
        let numeric = !matches!(v, Value::Obj(o) if matches!(self.heap.get(o), Obj::Str(_)));
        if !numeric && p.sign.is_some() {
            return Err(self.raise("ValueError", "Sign not allowed in string format specifier"));
        }
        Ok(crate::interp::format::pad(&body, &p, numeric))
    }

    /// `fmt % args`, as CPython's `PyUnicode_Format`: `%[(key)][flags][width][.precision]type`
    /// with the flags `-`, `+`, space, `#`, `0`, `*` widths and precisions, and the types
    /// `d i u o x X e E f F g G c s r a %`.
    pub(crate) fn percent_format(&mut self, fmt: &str, args: Value) -> Res<String> {
        let items = match args {
            Value::Obj(o) if matches!(self.heap.get(o), Obj::Tuple(_)) => self.seq_items(args)?,
            other => vec![other],
        };
        let mut out = String::new();
        let mut it = items.into_iter();
        let mut chars = fmt.chars().peekable();
        let not_enough =
            |m: &mut Machine| m.raise("TypeError", "not enough arguments for format string");
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            // `%(name)s`: the value comes from a mapping.
            let mut key = None;
            if chars.peek() == Some(&'(') {
                chars.next();
                let k: String = chars.by_ref().take_while(|&c| c != ')').collect();
                key = Some(k);
            }
            let mut flags = String::new();
            while let Some(&f) = chars.peek() {
                if matches!(f, '-' | '+' | ' ' | '#' | '0') {
                    flags.push(f);
                    chars.next();
                } else {
                    break;
                }
            }
            let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
                          m: &mut Machine,
                          it: &mut std::vec::IntoIter<Value>|
             -> Res<Option<i64>> {
                if chars.peek() == Some(&'*') {
                    chars.next();
                    let Some(v) = it.next() else {
                        return Err(not_enough(m));
                    };
                    let Value::Int(n) = v else {
                        return Err(m.raise("TypeError", "* wants int"));
                    };
                    return Ok(Some(n));
                }
                let mut d = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_digit() {
                        d.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                Ok(d.parse().ok())
            };
            let mut width = number(&mut chars, self, &mut it)?;
            if let Some(w) = width
                && w < 0
            {
                flags.push('-');
                width = Some(-w);
            }
            let width = width.unwrap_or(0).max(0) as usize;
            let precision = if chars.peek() == Some(&'.') {
                chars.next();
                Some(number(&mut chars, self, &mut it)?.unwrap_or(0).max(0) as usize)
            } else {
                None
            };
            while matches!(chars.peek(), Some('h' | 'l' | 'L')) {
                chars.next();
            }
            let Some(ty) = chars.next() else {
                return Err(self.raise("ValueError", "incomplete format"));
            };
            if ty == '%' {
                out.push('%');
                continue;
            }
            let v = match &key {
                Some(k) => {
                    let kv = self.new_str(k.as_str());
                    self.getitem(args, kv)?
                }
                None => match it.next() {
                    Some(v) => v,
                    None => return Err(not_enough(self)),
                },
            };
            let left = flags.contains('-');
            let zero = flags.contains('0') && !left;
            let (sign, prefix, body, numeric) = match ty {
                's' | 'r' | 'a' => {
                    let mut t = match ty {
                        's' => self.str_of(v),
                        'r' => self.repr_of(v),
                        _ => ascii_escape(&self.repr_of(v)),
                    };
                    if let Some(p) = precision {
                        t = t.chars().take(p).collect();
                    }
                    (String::new(), "", t, false)
                }
                'c' => {
                    let t = match v {
                        Value::Int(i) => match u32::try_from(i).ok().and_then(char::from_u32) {
                            Some(c) => c.to_string(),
                            None => {
                                return Err(
                                    self.raise("OverflowError", "%c arg not in range(0x110000)")
                                );
                            }
                        },
                        _ => match str_value(self, v) {
                            Some(s) if s.chars().count() == 1 => s,
                            _ => {
                                return Err(self.raise("TypeError", "%c requires int or char"));
                            }
                        },
                    };
                    (String::new(), "", t, false)
                }
                'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
                    let n = match (self.num(v), ty) {
                        (Some(Num::F(f)), 'd' | 'i' | 'u') => {
                            if !f.is_finite() {
                                let what = if f.is_nan() {
                                    "cannot convert float NaN to integer"
                                } else {
                                    "cannot convert float infinity to integer"
                                };
                                let kind = if f.is_nan() {
                                    "ValueError"
                                } else {
                                    "OverflowError"
                                };
                                return Err(self.raise(kind, what));
                            }
                            num_traits::FromPrimitive::from_f64(f.trunc()).unwrap_or_default()
                        }
                        (Some(Num::F(_)) | None, 'o' | 'x' | 'X') => {
                            let tn = self.type_name(v);
                            return Err(self.raise(
                                "TypeError",
                                format!("%{ty} format: an integer is required, not {tn}"),
                            ));
                        }
                        (Some(n), _) => Self::big(&n),
                        (None, _) => {
                            let tn = self.type_name(v);
                            return Err(self.raise(
                                "TypeError",
                                format!("%{ty} format: a number is required, not {tn}"),
                            ));
                        }
                    };
                    let neg = n < num_bigint::BigInt::from(0);
                    let mag = if neg { -n } else { n };
                    let mut digits = match ty {
                        'o' => mag.to_str_radix(8),
                        'x' => mag.to_str_radix(16),
                        'X' => mag.to_str_radix(16).to_uppercase(),
                        _ => mag.to_string(),
                    };
                    if let Some(p) = precision
                        && digits.len() < p
                    {
                        digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                    }
                    let prefix = match (flags.contains('#'), ty) {
                        (true, 'o') => "0o",
                        (true, 'x') => "0x",
                        (true, 'X') => "0X",
                        _ => "",
                    };
                    (number_sign(neg, &flags), prefix, digits, true)
                }
                'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                    let Some(n) = self.num(v) else {
                        let tn = self.type_name(v);
                        return Err(
                            self.raise("TypeError", format!("must be real number, not {tn}"))
                        );
                    };
                    let f = Self::float_of(&n);
                    let p = precision.unwrap_or(6);
                    let lower = ty.to_ascii_lowercase();
                    let mut t = if !f.is_finite() {
                        if f.is_nan() { "nan" } else { "inf" }.to_string()
                    } else {
                        match lower {
                            'e' => crate::interp::format::exp(f.abs(), p),
                            'f' => format!("{:.p$}", f.abs()),
                            _ => {
                                if flags.contains('#') {
                                    general_alt(f.abs(), p)
                                } else {
                                    crate::interp::format::general(f.abs(), p)
                                }
                            }
                        }
                    };
                    if flags.contains('#') && lower != 'g' && f.is_finite() && !t.contains('.') {
                        t = match t.split_once('e') {
                            Some((m, e)) => format!("{m}.e{e}"),
                            None => format!("{t}."),
                        };
                    }
                    if ty.is_ascii_uppercase() {
                        t = t.to_uppercase();
                    }
                    let neg = f.is_sign_negative() && !f.is_nan();
                    (number_sign(neg, &flags), "", t, true)
                }
                _ => {
                    let code = ty as u32;
                    return Err(self.raise(
                        "ValueError",
                        format!(
                            "unsupported format character '{ty}' (0x{code:x}) at index {}",
                            fmt.len()
                                - chars.clone().map(char::len_utf8).sum::<usize>()
                                - ty.len_utf8()
                        ),
                    ));
                }
            };
            let len = sign.chars().count() + prefix.len() + body.chars().count();
            let pad = width.saturating_sub(len);
            if left {
                out.push_str(&format!("{sign}{prefix}{body}{}", " ".repeat(pad)));
            } else if zero && numeric {
                out.push_str(&format!("{sign}{prefix}{}{body}", "0".repeat(pad)));
            } else {
                out.push_str(&format!("{}{sign}{prefix}{body}", " ".repeat(pad)));
            }
        }
        let mapping = matches!(args, Value::Obj(o) if matches!(self.heap.get(o), Obj::Dict(_)));
        if !mapping && it.next().is_some() {
            return Err(self.raise(
                "TypeError",
                "not all arguments converted during string formatting",
            ));
        }
        Ok(out)
    }
}

/// The sign a `%` conversion writes: `-`, or `+`/space as the flags ask.
fn number_sign(neg: bool, flags: &str) -> String {
    if neg {
        "-".into()
    } else if flags.contains('+') {
        "+".into()
    } else if flags.contains(' ') {
        " ".into()
    } else {
        String::new()
    }
}

/// `%#g` of a finite non-negative `f`: the alternate form keeps trailing zeros and the point,
/// to `p` significant digits.
fn general_alt(f: f64, p: usize) -> String {
    let p = p.max(1);
    let sci = format!("{:.*e}", p - 1, f);
    let e: i32 = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if f == 0.0 || (-4..p as i32).contains(&e) {
        let decimals = if f == 0.0 {
            p - 1
        } else {
            (p as i32 - 1 - e).max(0) as usize
        };
        let t = format!("{f:.decimals$}");
        if t.contains('.') { t } else { format!("{t}.") }
    } else {
        let t = crate::interp::format::exp(f, p - 1);
        if t.contains('.') {
            t
        } else {
            t.replacen('e', ".e", 1)
        }
    }
}

/// The str a value holds, if it is a str.
fn str_value(m: &Machine, v: Value) -> Option<String> {
    match v {
        Value::Obj(o) => match m.heap.get(o) {
            Obj::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// `ascii()`: a repr with every non-ASCII character escaped (`\xe9`, `\u20ac`, `\U0001f600`).
#[must_use]
pub(crate) fn ascii_escape(repr: &str) -> String {
    let mut out = String::with_capacity(repr.len());
    for c in repr.chars() {
        let n = c as u32;
        if n < 0x80 {
            out.push(c);
        } else if n < 0x100 {
            out.push_str(&format!("\\x{n:02x}"));
        } else if n < 0x10000 {
            out.push_str(&format!("\\u{n:04x}"));
        } else {
            out.push_str(&format!("\\U{n:08x}"));
        }
    }
    out
}

/// A set's items in the order CPython iterates them (see [`crate::object::dict::cpython_set_order`]).
fn set_order(d: &Dict) -> Vec<Value> {
    let keys: Vec<(HKey, Value)> = d.iter().map(|(h, k, _)| (h.clone(), k)).collect();
    crate::object::dict::cpython_set_order(&keys)
        .unwrap_or_else(|| keys.into_iter().map(|(_, k)| k).collect())
}

/// Number of items of a range.
#[must_use]
pub(crate) fn range_len(start: i64, stop: i64, step: i64) -> i64 {
    if step > 0 && start < stop {
        (stop - start + step - 1) / step
    } else if step < 0 && start > stop {
        (start - stop - step - 1) / (-step)
    } else {
        0
    }
}

fn op_symbol(op: Op) -> &'static str {
    use Op::*;
    match op {
        BINARY_ADD | INPLACE_ADD => "+",
        BINARY_SUBTRACT | INPLACE_SUBTRACT => "-",
        BINARY_MULTIPLY | INPLACE_MULTIPLY => "*",
        BINARY_TRUE_DIVIDE | INPLACE_TRUE_DIVIDE => "/",
        BINARY_FLOOR_DIVIDE | INPLACE_FLOOR_DIVIDE => "//",
        BINARY_MODULO | INPLACE_MODULO => "%",
        BINARY_POWER | INPLACE_POWER => "** or pow()",
        BINARY_LSHIFT | INPLACE_LSHIFT => "<<",
        BINARY_RSHIFT | INPLACE_RSHIFT => ">>",
        BINARY_AND | INPLACE_AND => "&",
        BINARY_OR | INPLACE_OR => "|",
        BINARY_XOR | INPLACE_XOR => "^",
        _ => "?",
    }
}
