//! The builtin functions (`print`, `len`, `sorted`, `isinstance`…) and the hidden natives behind
//! `class` statements and `object.__init__`.

use super::*;

/// `print()`.
pub(super) fn print(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(c.on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, c.id, &c.args, &c.kwargs)?
    {
        return Ok(r);
    }
    let Call { args, kwargs, .. } = c;
    let sep = match kw(&kwargs, "sep") {
        Some(Value::None) | None => " ".to_string(),
        Some(v) => m.str_of(v),
    };
    let end = match kw(&kwargs, "end") {
        Some(Value::None) | None => "\n".to_string(),
        Some(v) => m.str_of(v),
    };
    let parts: Vec<String> = args.iter().map(|a| m.str_of(*a)).collect();
    if let Some(msg) = m.deep_dunder.take() {
        return Err(m.unsupported(msg));
    }
    let text = format!("{}{end}", parts.join(&sep));
    let to_err = match kw(&kwargs, "file") {
        None | Some(Value::None) => false,
        Some(f) => match stream_of(m, f) {
            Some(e) => e,
            None => {
                return Err(m.unsupported(
                    "print(file=...) to an object other than sys.stdout or sys.stderr (a scenario writes no files)",
                ));
            }
        },
    };
    if to_err {
        m.stderr.extend_from_slice(text.as_bytes());
    } else {
        m.stdout.extend_from_slice(text.as_bytes());
    }
    Ok(Some(Value::None))
}

/// Which of `sys`'s streams `v` is: `Some(true)` for stderr, `Some(false)` for stdout.
fn stream_of(m: &Machine, v: Value) -> Option<bool> {
    let sys = *m.modules.get("sys")?;
    let Obj::Module(md) = m.heap.get(sys) else {
        return None;
    };
    if md.dict.get_str("stderr") == Some(v) {
        Some(true)
    } else if md.dict.get_str("stdout") == Some(v) {
        Some(false)
    } else {
        None
    }
}

/// `sys.stdout.write(s)`, `sys.stderr.write(s)` (the number of characters written), and
/// their `flush()`.
pub(super) fn stream_write(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    if id == N::StreamFlush {
        return Ok(Some(Value::None));
    }
    let to_err = stream_of(m, arg(&args, 0)).unwrap_or(false);
    let text = arg(&args, 1);
    let Some(s) = str_arg(m, text) else {
        let tn = m.type_name(text);
        return Err(m.raise(
            "TypeError",
            format!("write() argument must be str, not {tn}"),
        ));
    };
    if to_err {
        m.stderr.extend_from_slice(s.as_bytes());
    } else {
        m.stdout.extend_from_slice(s.as_bytes());
    }
    Ok(Some(Value::Int(s.chars().count() as i64)))
}

/// `len()`.
pub(super) fn len(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(c.on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, c.id, &c.args, &c.kwargs)?
    {
        return Ok(r);
    }
    let Call {
        args, on_return, ..
    } = c;
    let a0 = arg(&args, 0);
    let n = match a0 {
        Value::Obj(o) => match m.heap.get(o) {
            Obj::Str(s) => s.chars().count() as i64,
            Obj::List(l) => l.len() as i64,
            Obj::Tuple(t) => t.len() as i64,
            Obj::Dict(d) | Obj::Set(d) => d.len() as i64,
            Obj::View(_, d) => match m.heap.get(*d) {
                Obj::Dict(dd) => dd.len() as i64,
                _ => 0,
            },
            Obj::Range { start, stop, step } => range_len(*start, *stop, *step),
            Obj::Instance(i) if i.payload.is_some() => {
                let p = i.payload.expect("payload");
                return call_native(m, N::Len, false, vec![p], Vec::new(), on_return);
            }
            _ => -1,
        },
        _ => -1,
    };
    if n < 0 {
        let tn = m.type_name(a0);
        return Err(m.raise("TypeError", format!("object of type '{tn}' has no len()")));
    }
    Ok(Some(Value::Int(n)))
}

/// `range()`.
pub(super) fn range(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let ints: Vec<i64> = args
        .iter()
        .map(|v| to_int(m, *v, "range()"))
        .collect::<Result<_, _>>()?;
    let (start, stop, step) = match ints.as_slice() {
        [stop] => (0, *stop, 1),
        [start, stop] => (*start, *stop, 1),
        [start, stop, step] => (*start, *stop, *step),
        _ => return Err(m.arity("range", "1 to 3 arguments", ints.len())),
    };
    if step == 0 {
        return Err(m.raise("ValueError", "range() arg 3 must not be zero"));
    }
    Ok(Some(Value::Obj(m.heap.alloc(Obj::Range {
        start,
        stop,
        step,
    }))))
}

/// `repr()`.
pub(super) fn repr(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(c.on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, c.id, &c.args, &c.kwargs)?
    {
        return Ok(r);
    }
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let s = m.repr_of(a0);
    Ok(Some(m.new_str(s)))
}

/// `isinstance()`, `issubclass()`.
pub(super) fn isinstance(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let cls = if id == N::Isinstance {
        m.class_of(a0)
    } else {
        a0.obj().unwrap_or(ObjId(0))
    };
    let targets = match a1 {
        Value::Obj(o) if matches!(m.heap.get(o), Obj::Tuple(_)) => m.seq_items(a1)?,
        other => vec![other],
    };
    let mut found = false;
    for t in targets {
        if let Value::Obj(tc) = t
            && m.is_subclass(cls, tc)
        {
            found = true;
        }
    }
    Ok(Some(Value::Bool(found)))
}

/// `hasattr()`, `getattr()`.
pub(super) fn getattr(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call {
        id,
        args,
        on_return,
        ..
    } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let name = a1;
    Ok(Some(match m.getattr(a0, name) {
        Ok(crate::interp::ops::Attr::Value(v)) => {
            if id == N::Hasattr {
                Value::Bool(true)
            } else {
                v
            }
        }
        Ok(crate::interp::ops::Attr::Call(f, a)) => {
            if id == N::Hasattr {
                Value::Bool(true)
            } else {
                return m.call_native_or_frame(f, a, Vec::new(), on_return);
            }
        }
        Err(Flow::Raise(e)) => {
            let attr_err = m.types.exc["AttributeError"];
            let c = m.class_of(e);
            if !m.is_subclass(c, attr_err) {
                return Err(Flow::Raise(e));
            }
            if id == N::Hasattr {
                Value::Bool(false)
            } else if args.len() > 2 {
                args[2]
            } else {
                return Err(Flow::Raise(e));
            }
        }
        Err(other) => return Err(other),
    }))
}

/// `setattr()`.
pub(super) fn setattr(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    m.setattr(a0, a1, arg(&args, 2))?;
    Ok(Some(Value::None))
}

/// `sum()`.
pub(super) fn sum(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let items = m.iterate_all(a0)?;
    let mut acc = kw(&kwargs, "start").unwrap_or(if args.len() > 1 { a1 } else { Value::Int(0) });
    for x in items {
        acc = m.binary(gilsim_compiler::Op::BINARY_ADD, acc, x)?;
    }
    Ok(Some(acc))
}

/// `min()`, `max()`.
pub(super) fn min_max(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A key function is Python code: the bundled helper calls it in machine frames.
    if let Some(key) = kw(&c.kwargs, "key")
        && key != Value::None
    {
        return call_with_key(m, c.id, c.args, &c.kwargs, key, c.on_return);
    }
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call {
        id, args, kwargs, ..
    } = c;
    let a0 = arg(&args, 0);
    let items = if args.len() == 1 {
        m.iterate_all(a0)?
    } else {
        args.clone()
    };
    let mut best: Option<Value> = None;
    for x in items {
        best = Some(match best {
            None => x,
            Some(b) => {
                let ord = m.cmp(x, b, if id == N::Min { "<" } else { ">" })?;
                let better = if id == N::Min {
                    ord == std::cmp::Ordering::Less
                } else {
                    ord == std::cmp::Ordering::Greater
                };
                if better { x } else { b }
            }
        });
    }
    Ok(Some(match best {
        Some(b) => b,
        None => match kw(&kwargs, "default") {
            Some(d) => d,
            None => {
                return Err(m.raise(
                    "ValueError",
                    format!("{}() arg is an empty sequence", id.name()),
                ));
            }
        },
    }))
}

/// `abs()`.
pub(super) fn abs(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    Ok(Some(match a0 {
        Value::Int(i) => match i.checked_abs() {
            Some(v) => Value::Int(v),
            None => m.int_value(num_traits::Signed::abs(&num_bigint::BigInt::from(i))),
        },
        Value::Bool(b) => Value::Int(i64::from(b)),
        Value::Float(f) => Value::Float(f.abs()),
        Value::Obj(o) if matches!(m.heap.get(o), Obj::BigInt(_)) => {
            let Obj::BigInt(b) = m.heap.get(o) else {
                unreachable!()
            };
            let v = (**b).clone();
            m.int_value(num_traits::Signed::abs(&v))
        }
        _ => return Err(m.raise("TypeError", "bad operand type for abs()")),
    }))
}

/// `sorted()`.
pub(super) fn sorted(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A key function is Python code: the bundled helper calls it in machine frames.
    if let Some(key) = kw(&c.kwargs, "key")
        && key != Value::None
    {
        return call_with_key(m, c.id, c.args, &c.kwargs, key, c.on_return);
    }
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let items = sorted_items(m, a0, &kwargs)?;
    Ok(Some(Value::Obj(m.heap.alloc(Obj::List(items)))))
}

/// `enumerate()`.
pub(super) fn enumerate(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let inner = m.get_iter(a0)?;
    let start = match args.get(1).copied().or_else(|| kw(&kwargs, "start")) {
        Some(s) => to_int(m, s, "enumerate")?,
        None => 0,
    };
    let Value::Obj(inner) = inner else {
        unreachable!()
    };
    Ok(Some(Value::Obj(m.heap.alloc(Obj::Iter(
        IterState::Enumerate {
            inner,
            count: start,
        },
    )))))
}

/// `zip()`.
pub(super) fn zip(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, .. } = c;
    let mut inners = Vec::new();
    for a in &args {
        if let Value::Obj(i) = m.get_iter(*a)? {
            inners.push(i);
        }
    }
    Ok(Some(Value::Obj(
        m.heap.alloc(Obj::Iter(IterState::Zip { inners })),
    )))
}

/// `reversed()`.
pub(super) fn reversed(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let items = m.iterate_all(a0)?;
    let n = items.len();
    let seq = m.heap.alloc(Obj::List(items));
    Ok(Some(Value::Obj(
        m.heap
            .alloc(Obj::Iter(IterState::Reversed { seq, left: n })),
    )))
}

/// `iter()`.
pub(super) fn iter(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(c.on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, c.id, &c.args, &c.kwargs)?
    {
        return Ok(r);
    }
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    if args.len() == 2 {
        // iter(f, sentinel): call f until it returns the sentinel.
        if !is_callable(m, a0) {
            return Err(m.raise("TypeError", "iter(v, w): v must be callable"));
        }
        return python_generator(m, "_iter_call", args);
    }
    Ok(Some(m.get_iter(a0)?))
}

/// A builtin whose iterator runs Python code for each item (`map`, `filter`, `iter(f, s)`):
/// the helper generator that does it, called with `args`.
fn python_generator(m: &mut Machine, helper: &str, args: Vec<Value>) -> Res<Option<Value>> {
    let Some(h) = m.helper(helper) else {
        return Err(m.unsupported(format!("[gilsim internal bug] no helper {helper}")));
    };
    m.call_native_or_frame(h, args, Vec::new(), OnReturn::Push)
}

/// `map(f, *iterables)`, `filter(f, iterable)`: lazy, as in Python 3.
pub(super) fn map_filter(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call {
        id, args, kwargs, ..
    } = c;
    if !kwargs.is_empty() {
        let name = id.name();
        return Err(m.raise("TypeError", format!("{name}() takes no keyword arguments")));
    }
    if id == N::Map {
        if args.len() < 2 {
            return Err(m.raise("TypeError", "map() must have at least two arguments."));
        }
        let mut iterables = Vec::with_capacity(args.len() - 1);
        for &v in &args[1..] {
            iterables.push(m.get_iter(v)?);
        }
        let t = Value::Obj(m.heap.alloc(Obj::Tuple(iterables.into())));
        return python_generator(m, "_map", vec![args[0], t]);
    }
    if args.len() != 2 {
        return Err(m.raise(
            "TypeError",
            format!("filter expected 2 arguments, got {}", args.len()),
        ));
    }
    let it = m.get_iter(args[1])?;
    python_generator(m, "_filter", vec![args[0], it])
}

/// `pow(base, exp[, mod])`.
pub(super) fn pow(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    use gilsim_compiler::Op;
    let Call { args, kwargs, .. } = c;
    let base = kw(&kwargs, "base").unwrap_or(arg(&args, 0));
    let exp = kw(&kwargs, "exp").unwrap_or(arg(&args, 1));
    let modulus = kw(&kwargs, "mod").or(args.get(2).copied());
    if base == Value::Null || exp == Value::Null {
        return Err(m.raise("TypeError", "pow() missing required argument 'exp' (pos 2)"));
    }
    let Some(md) = modulus.filter(|v| *v != Value::None) else {
        return Ok(Some(m.binary(Op::BINARY_POWER, base, exp)?));
    };
    let (Value::Int(b), Value::Int(e), Value::Int(n)) = (base, exp, md) else {
        return Err(m.unsupported("pow() with a modulus on values other than 64-bit ints"));
    };
    if n == 0 {
        return Err(m.raise("ValueError", "pow() 3rd argument cannot be 0"));
    }
    if e < 0 {
        return Err(m.unsupported("pow() with a negative exponent and a modulus"));
    }
    let n128 = i128::from(n);
    let (mut acc, mut b, mut e) = (1i128, i128::from(b).rem_euclid(n128), e);
    while e > 0 {
        if e & 1 == 1 {
            acc = acc * b % n128;
        }
        b = b * b % n128;
        e >>= 1;
    }
    // Python's result takes the sign of the modulus.
    let r = acc.rem_euclid(n128);
    let r = if n < 0 && r != 0 { r + n128 } else { r };
    Ok(Some(Value::Int(r as i64)))
}

/// `next()`.
pub(super) fn next(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(c.on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, c.id, &c.args, &c.kwargs)?
    {
        return Ok(r);
    }
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    Ok(Some(match m.native_next(a0)? {
        Some(v) => v,
        None => {
            if args.len() > 1 {
                a1
            } else {
                return Err(m.raise("StopIteration", ""));
            }
        }
    }))
}

/// `id()`.
pub(super) fn id(_m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    Ok(Some(Value::Int(match a0 {
        Value::Obj(o) => 0x7f00_0000_0000 + i64::from(o.0) * 16,
        Value::Int(i) => 0x5500_0000_0000 + i * 32,
        _ => 0x5500_0000_0000,
    })))
}

/// `any()`, `all()`.
pub(super) fn any_all(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let items = m.iterate_all(a0)?;
    let want = id == N::Any;
    let mut r = !want;
    for x in items {
        if m.truthy(x)? == want {
            r = want;
            break;
        }
    }
    Ok(Some(Value::Bool(r)))
}

/// `round()`.
pub(super) fn round(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let f = to_float(m, a0)?;
    Ok(Some(
        if args.len() > 1 && a1 != Value::None && matches!(a0, Value::Int(_) | Value::Bool(_)) {
            let n = to_int(m, a1, "round")?;
            let i = to_int(m, a0, "round")?;
            if n >= 0 {
                Value::Int(i)
            } else {
                let p = 10i64
                    .checked_pow(u32::try_from(-n).unwrap_or(u32::MAX))
                    .unwrap_or(i64::MAX);
                let (q, r) = (i.div_euclid(p), i.rem_euclid(p));
                let up = 2 * r > p || (2 * r == p && q % 2 != 0);
                Value::Int((q + i64::from(up)) * p)
            }
        } else if args.len() > 1 && a1 != Value::None && to_int(m, a1, "round")? >= 0 {
            // Correctly rounded through the exact decimal expansion, as CPython does.
            let n = to_int(m, a1, "round")?.min(300) as usize;
            Value::Float(format!("{f:.n$}").parse().unwrap_or(f))
        } else if args.len() > 1 && a1 != Value::None {
            let n = to_int(m, a1, "round")?;
            let p = 10f64.powi(n as i32);
            let x = f * p;
            let r = if (x - x.trunc()).abs() == 0.5 {
                2.0 * (x / 2.0).round()
            } else {
                x.round()
            };
            Value::Float(r / p)
        } else if let Value::Int(i) = a0 {
            Value::Int(i)
        } else {
            let r = if (f - f.trunc()).abs() == 0.5 {
                2.0 * (f / 2.0).round()
            } else {
                f.round()
            };
            if !r.is_finite() {
                return Err(m.raise("OverflowError", "cannot convert float infinity to integer"));
            }
            float_to_int(m, r)
        },
    ))
}

/// `divmod()`.
pub(super) fn divmod(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let q = m.binary(gilsim_compiler::Op::BINARY_FLOOR_DIVIDE, a0, a1)?;
    let r = m.binary(gilsim_compiler::Op::BINARY_MODULO, a0, a1)?;
    Ok(Some(Value::Obj(
        m.heap.alloc(Obj::Tuple(vec![q, r].into())),
    )))
}

/// `super()`.
pub(super) fn super_(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    Ok(Some(if !args.is_empty() {
        let class = a0.obj().unwrap_or(ObjId(0));
        Value::Obj(m.heap.alloc(Obj::Super {
            class,
            receiver: a1,
        }))
    } else {
        // Zero-argument super(): the __class__ cell and the first argument of the caller.
        let f = m.fr();
        let co = &f.code.obj;
        let cell_idx = co
            .freevars
            .iter()
            .position(|n| n == "__class__")
            .map(|i| i + co.cellvars.len());
        let receiver = f.locals.first().copied();
        let (Some(ci), Some(receiver)) = (cell_idx, receiver) else {
            return Err(m.raise("RuntimeError", "super(): no arguments"));
        };
        let cell = m.fr().cells[ci];
        let class = match m.heap.get(cell) {
            Obj::Cell(Value::Obj(c)) => *c,
            _ => return Err(m.raise("RuntimeError", "super(): empty __class__ cell")),
        };
        Value::Obj(m.heap.alloc(Obj::Super { class, receiver }))
    }))
}

/// `callable()`.
pub(super) fn callable(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    Ok(Some(Value::Bool(is_callable(m, arg(&args, 0)))))
}

/// Whether `v` can be called (what `callable()` answers).
fn is_callable(m: &Machine, v: Value) -> bool {
    matches!(v, Value::Obj(o) if matches!(m.heap.get(o), Obj::Function(_) | Obj::Native(_) | Obj::Class(_) | Obj::Method { .. }))
}

/// `format()`.
pub(super) fn format(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let spec = if args.len() > 1 {
        m.str_of(a1)
    } else {
        String::new()
    };
    let s = m.format_with_spec(a0, &spec)?;
    Ok(Some(m.new_str(s)))
}

/// `ord()`.
pub(super) fn ord(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    Ok(Some(match str_arg(m, a0) {
        Some(s) if s.chars().count() == 1 => {
            Value::Int(i64::from(s.chars().next().map_or(0, |c| c as u32)))
        }
        _ => return Err(m.raise("TypeError", "ord() expected a character")),
    }))
}

/// `chr()`.
pub(super) fn chr(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let i = to_int(m, a0, "chr")?;
    let c = char::from_u32(i as u32).unwrap_or('\u{fffd}');
    Ok(Some(m.new_str(c.to_string())))
}

/// `hash()`.
pub(super) fn hash(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A user class's own __str__, __len__, __iter__, __next__ run as machine frames.
    if matches!(c.on_return, OnReturn::Push)
        && let Some(r) = user_dunder_call(m, c.id, &c.args, &c.kwargs)?
    {
        return Ok(r);
    }
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let k = m.hkey(a0)?;
    Ok(Some(Value::Int(match crate::object::dict::py_hash(&k) {
        Some(h) => h,
        // Objects hash by identity (`id(x) >> 4`, as CPython); str and None by a
        // fixed function of their value (CPython's differ from run to run).
        None => match &k {
            HKey::Id(o) => (0x7f00_0000_0000 + i64::from(*o) * 16) >> 4,
            HKey::Str(s) => {
                let h = crate::record::source_hash(s);
                i64::from_str_radix(&h[..15], 16).unwrap_or(0)
            }
            _ => 0x5500_0000_0000 >> 4,
        },
    })))
}

/// `__init__`.
pub(super) fn object_init(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    // `super().__init__(...)` reaching a builtin base: Exception stores its args, a
    // list/dict/set subclass fills its builtin part.
    if let Value::Obj(o) = a0
        && let Obj::Instance(inst) = m.heap.get(o)
    {
        let (cls, payload) = (inst.class, inst.payload);
        let base_exc = m.types.exc["BaseException"];
        if m.is_subclass(cls, base_exc) {
            let t = Value::Obj(m.heap.alloc(Obj::Tuple(args[1..].to_vec().into())));
            let k = m.intern("args");
            if let Obj::Instance(inst) = m.heap.get_mut(o) {
                inst.dict.insert(HKey::Str(Rc::from("args")), k, t);
            }
        } else if let Some(p) = payload
            && args.len() > 1
        {
            let tag = match m.heap.get(m.class_of(p)) {
                Obj::Class(c) => c.builtin,
                _ => TypeTag::Object,
            };
            let pc = m.class_of(p);
            if let Some(v) = construct_builtin(m, pc, tag, args[1..].to_vec(), kwargs)?
                && let Obj::Instance(inst) = m.heap.get_mut(o)
            {
                inst.payload = Some(v);
            }
        }
    }
    Ok(Some(Value::None))
}

/// `__build_class__`.
pub(super) fn build_class(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let func = a0;
    let name = m.str_of(a1);
    let mut bases = Vec::new();
    for b in &args[2..] {
        match b {
            Value::Obj(o) if matches!(m.heap.get(*o), Obj::Class(_)) => bases.push(*o),
            _ => return Err(m.raise("TypeError", "bases must be classes")),
        }
    }
    let Value::Obj(fo) = func else { unreachable!() };
    let ns = m.heap.alloc(Obj::Dict(Dict::new()));
    let qualname: Rc<str> = match m.heap.get(fo) {
        Obj::Function(f) => f.qualname.clone(),
        _ => Rc::from(name.as_str()),
    };
    let mut frame = m.function_frame(
        fo,
        Vec::new(),
        Vec::new(),
        OnReturn::BuildClass(Box::new(crate::object::frame::ClassSpec {
            name: Rc::from(name.as_str()),
            qualname,
            bases,
            ns,
        })),
    )?;
    frame.names = Some(ns);
    m.push_frame(frame)?;
    Ok(None)
}

/// The items of `iterable` sorted as `sorted()` and `list.sort()` sort them (`reverse=`; a
/// `key=` function goes through [`call_with_key`]).
pub(super) fn sorted_items(
    m: &mut Machine,
    iterable: Value,
    kwargs: &[(String, Value)],
) -> Res<Vec<Value>> {
    let mut items = m.iterate_all(iterable)?;
    let reverse = match kw(kwargs, "reverse") {
        Some(v) => m.truthy(v)?,
        None => false,
    };
    sort_values(m, &mut items, reverse)?;
    Ok(items)
}

/// A stable sort through the machine's comparisons; `reverse` keeps equal items in order,
/// as CPython's does (reverse, sort, reverse). The first comparison error is raised.
pub(super) fn sort_values(m: &mut Machine, items: &mut [Value], reverse: bool) -> Res<()> {
    if reverse {
        items.reverse();
    }
    let mut error = None;
    items.sort_by(|a, b| {
        if error.is_some() {
            return std::cmp::Ordering::Equal;
        }
        match m.cmp(*a, *b, "<") {
            Ok(o) => o,
            Err(e) => {
                error = Some(e);
                std::cmp::Ordering::Equal
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    if reverse {
        items.reverse();
    }
    Ok(())
}
