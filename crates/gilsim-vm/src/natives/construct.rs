//! Calling a builtin type: `int("3")`, `list(x)`, `dict(a=1)`, `property(f)`…

use super::*;

/// `list(gen)`, `tuple(gen)`, `set(gen)`, `dict(gen)`: the helper that runs the generator.
pub(crate) fn construct_builtin_from_generator(
    m: &mut Machine,
    tag: TypeTag,
    generator: Value,
    on_return: OnReturn,
) -> Option<Res<Option<Value>>> {
    let name = match tag {
        TypeTag::List => "_list",
        TypeTag::Tuple => "_tuple",
        TypeTag::Set => "_set",
        TypeTag::Dict => "_dict",
        _ => return None,
    };
    let h = m.helper(name)?;
    Some(m.call_native_or_frame(h, vec![generator], Vec::new(), on_return))
}

/// Constructs a value of a builtin type (`int("3")`, `list(x)`, `dict(a=1)`).
pub(crate) fn construct_builtin(
    m: &mut Machine,
    cls: ObjId,
    tag: TypeTag,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Res<Option<Value>> {
    use TypeTag as T;
    // An instance of a builtin's subclass (`dict(my_counter)`) is read as its builtin value.
    let mut args = args;
    if let Some(Value::Obj(o)) = args.first().copied()
        && let Obj::Instance(i) = m.heap.get(o)
        && let Some(p) = i.payload
        && m.user_dunder(Value::Obj(o), "__iter__").is_none()
    {
        args[0] = p;
    }
    let a0 = args.first().copied();
    let v = match tag {
        T::Object => Value::Obj(m.heap.alloc(Obj::Instance(Box::new(
            crate::object::value::Instance {
                class: cls,
                dict: Dict::new(),
                traceback: Vec::new(),
                payload: None,
            },
        )))),
        T::Int => match a0 {
            None => Value::Int(0),
            Some(Value::Float(f)) => {
                if !f.is_finite() {
                    return Err(
                        m.raise("OverflowError", "cannot convert float infinity to integer")
                    );
                }
                float_to_int(m, f.trunc())
            }
            Some(Value::Bool(b)) => Value::Int(i64::from(b)),
            Some(v @ Value::Int(_)) if args.len() < 2 && kw(&kwargs, "base").is_none() => v,
            Some(v) => {
                let base = match args.get(1).copied().or_else(|| kw(&kwargs, "base")) {
                    None => None,
                    Some(b) => Some(to_int(m, b, "int()")?),
                };
                let Some(text) = str_arg(m, v) else {
                    if base.is_some() {
                        return Err(m.raise(
                            "TypeError",
                            "int() can't convert non-string with explicit base",
                        ));
                    }
                    if matches!(v, Value::Obj(o) if matches!(m.heap.get(o), Obj::BigInt(_))) {
                        return Ok(Some(v));
                    }
                    let tn = m.type_name(v);
                    return Err(m.raise(
                        "TypeError",
                        format!("int() argument must be a string, a bytes-like object or a number, not '{tn}'"),
                    ));
                };
                let base = base.unwrap_or(10);
                if base != 0 && !(2..=36).contains(&base) {
                    return Err(m.raise("ValueError", "int() base must be >= 2 and <= 36, or 0"));
                }
                match parse_int_literal(&text, base as u32) {
                    Some(b) => m.int_value(b),
                    None => {
                        let r = m.repr_of(v);
                        return Err(m.raise(
                            "ValueError",
                            format!("invalid literal for int() with base {base}: {r}"),
                        ));
                    }
                }
            }
        },
        T::Float => match a0 {
            None => Value::Float(0.0),
            Some(Value::Int(i)) => Value::Float(i as f64),
            Some(Value::Bool(b)) => Value::Float(f64::from(u8::from(b))),
            Some(v @ Value::Float(_)) => v,
            Some(v) => {
                let s = m.str_of(v);
                match s.trim().parse::<f64>() {
                    Ok(f) => Value::Float(f),
                    Err(_) => {
                        let r = m.repr_of(v);
                        return Err(m.raise(
                            "ValueError",
                            format!("could not convert string to float: {r}"),
                        ));
                    }
                }
            }
        },
        T::Bool => Value::Bool(match a0 {
            Some(v) => m.truthy(v)?,
            None => false,
        }),
        T::Str => {
            let s = match a0 {
                Some(v) => m.str_of(v),
                None => String::new(),
            };
            m.new_str(s)
        }
        T::List => {
            let items = match a0 {
                Some(v) => m.iterate_all(v)?,
                None => Vec::new(),
            };
            Value::Obj(m.heap.alloc(Obj::List(items)))
        }
        T::Tuple => {
            let items = match a0 {
                Some(v) => m.iterate_all(v)?,
                None => Vec::new(),
            };
            Value::Obj(m.heap.alloc(Obj::Tuple(items.into())))
        }
        T::Set => {
            let items = match a0 {
                Some(v) => m.iterate_all(v)?,
                None => Vec::new(),
            };
            m.new_set(&items)?
        }
        T::Dict => {
            let d = m.new_dict_value();
            if let Some(src) = a0 {
                let is_dict = matches!(src, Value::Obj(o) if matches!(m.heap.get(o), Obj::Dict(_)));
                if is_dict {
                    m.dict_update(d, src)?;
                } else {
                    for pair in m.iterate_all(src)? {
                        let kv = m.iterate_all(pair)?;
                        if kv.len() != 2 {
                            return Err(m.raise(
                                "ValueError",
                                "dictionary update sequence element has wrong length",
                            ));
                        }
                        m.setitem(d, kv[0], kv[1])?;
                    }
                }
            }
            for (k, v) in kwargs {
                let key = m.new_str(k);
                m.setitem(d, key, v)?;
            }
            d
        }
        T::Type => match (args.len(), a0) {
            (1, Some(v)) => Value::Obj(m.class_of(v)),
            _ => return Err(m.unsupported("creating classes with type(name, bases, dict)")),
        },
        T::Property => {
            let fget = a0.unwrap_or(Value::None);
            let fset = args
                .get(1)
                .copied()
                .or_else(|| kw(&kwargs, "fset"))
                .unwrap_or(Value::None);
            Value::Obj(m.heap.alloc(Obj::Property { fget, fset }))
        }
        T::StaticMethod | T::ClassMethod => {
            let f = a0.unwrap_or(Value::None);
            Value::Obj(m.heap.alloc(Obj::Wrapper(tag, f)))
        }
        _ => {
            let n = m.class_name(cls);
            return Err(m.raise("TypeError", format!("cannot create '{n}' instances")));
        }
    };
    Ok(Some(v))
}

/// `int(text, base)` as CPython reads it: surrounding whitespace, a sign, a prefix (`0x`,
/// `0o`, `0b`: required to pick the base when `base` is 0, allowed when it matches), digits
/// below the base with single underscores between them. `None`: not a valid literal.
fn parse_int_literal(text: &str, base: u32) -> Option<num_bigint::BigInt> {
    let t = text.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.to_ascii_lowercase();
    let prefixed = |p: &str| lower.starts_with(p);
    let orig = base;
    let (base, body, had_prefix) = match base {
        0 if prefixed("0x") => (16, &t[2..], true),
        0 if prefixed("0o") => (8, &t[2..], true),
        0 if prefixed("0b") => (2, &t[2..], true),
        0 => (10, t, false),
        16 if prefixed("0x") => (16, &t[2..], true),
        8 if prefixed("0o") => (8, &t[2..], true),
        2 if prefixed("0b") => (2, &t[2..], true),
        b => (b, t, false),
    };
    // After a prefix one underscore may come first ("0x_ff").
    let body = if had_prefix {
        body.strip_prefix('_').unwrap_or(body)
    } else {
        body
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    if !digits.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    // Base 0 reads decimals as Python source does: no leading zeros except for zero itself.
    if orig == 0 && !had_prefix && digits.starts_with('0') && digits.chars().any(|c| c != '0') {
        return None;
    }
    let v = num_bigint::BigInt::parse_bytes(digits.as_bytes(), base)?;
    Some(if neg { -v } else { v })
}

/// An integral float as an int of any size.
pub(super) fn float_to_int(m: &mut Machine, f: f64) -> Value {
    match num_traits::FromPrimitive::from_f64(f) {
        Some(b) => m.int_value(b),
        None => Value::Int(0),
    }
}
