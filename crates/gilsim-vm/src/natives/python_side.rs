//! Natives that hand over to Python code: a user class's own dunder methods, `key=` functions,
//! and generators being consumed. The Python side runs as machine frames (a bundled helper or
//! the user's method), so a thread can be switched out inside it, as in CPython.

use super::*;

/// `sum`, `min`, `max`, `any`, `all`, `sorted`, `enumerate`, `next`, `zip`, `str.join` and
/// `list.extend` of a generator (or another iterator that runs Python code): the bundled
/// helper consumes it in machine frames. `None`: not such a call.
pub(super) fn consume_in_python(m: &mut Machine, c: &Call) -> Option<Res<Option<Value>>> {
    use NativeId as N;
    // Consuming a generator runs its frames: hand over to the Python helper.
    let (id, args, kwargs) = (c.id, &c.args, &c.kwargs);
    let a0 = arg(args, 0);
    let a1 = arg(args, 1);
    let gen_arg = match id {
        N::StrJoin | N::ListExtend => m.iterates_in_python(a1),
        N::Sum | N::Min | N::Max | N::Any | N::All | N::Sorted | N::Enumerate | N::Next => {
            args.len() <= 2 && m.iterates_in_python(a0)
        }
        N::Zip => args.iter().any(|a| m.iterates_in_python(*a)),
        _ => false,
    };
    if gen_arg {
        let kw_ok = kwargs.iter().all(|(k, _)| match id {
            N::Sorted => k == "reverse",
            N::Sum | N::Enumerate => k == "start",
            _ => false,
        });
        if !kw_ok {
            return Some(Err(m.unsupported(format!(
                "{}() with a generator and keyword arguments; build a list first: {}([... for ...], ...)",
                id.name(),
                id.name()
            ))));
        }
        let start = kw(kwargs, "start").unwrap_or(if args.len() > 1 { a1 } else { Value::Int(0) });
        let (name, hargs) = match id {
            N::Sum => ("_sum", vec![a0, start]),
            N::Min => ("_min", vec![a0]),
            N::Max => ("_max", vec![a0]),
            N::Any => ("_any", vec![a0]),
            N::All => ("_all", vec![a0]),
            N::Sorted => (
                "_sorted",
                vec![a0, kw(kwargs, "reverse").unwrap_or(Value::Bool(false))],
            ),
            N::StrJoin => ("_join", vec![a0, a1]),
            N::Enumerate => ("_enumerate", vec![a0, start]),
            N::Next => (
                "_next",
                vec![
                    a0,
                    if args.len() > 1 { a1 } else { Value::None },
                    Value::Bool(args.len() > 1),
                ],
            ),
            N::Zip => {
                let t = Value::Obj(m.heap.alloc(Obj::Tuple(args.to_vec().into())));
                ("_zip", vec![t])
            }
            _ => ("_extend", vec![a0, a1]),
        };
        if let Some(h) = m.helper(name) {
            return Some(m.call_native_or_frame(h, hargs, Vec::new(), c.on_return.clone()));
        }
    }
    None
}

/// `print`, `str`, `repr`, `len`, `iter` and `next` of an instance whose class defines the
/// method in Python: the method runs as a frame whose result is pushed (`Some(None)`), or, for
/// `print`, a bundled helper formats each argument with `str()` first. `None`: not such a call.
pub(super) fn user_dunder_call(
    m: &mut Machine,
    id: NativeId,
    args: &[Value],
    kwargs: &[(String, Value)],
) -> Res<Option<Option<Value>>> {
    use NativeId as N;
    let a0 = arg(args, 0);
    match id {
        N::Print if args.iter().any(|a| m.str_method(*a, false).is_some()) => {
            let Some(h) = m.helper("_print") else {
                return Ok(None);
            };
            let t = Value::Obj(m.heap.alloc(Obj::Tuple(args.to_vec().into())));
            let sep = kw(kwargs, "sep").unwrap_or(Value::None);
            let end = kw(kwargs, "end").unwrap_or(Value::None);
            let file = kw(kwargs, "file").unwrap_or(Value::None);
            m.call_native_or_frame(h, vec![t, sep, end, file], Vec::new(), OnReturn::Push)
                .map(Some)
        }
        N::Repr if args.len() == 1 => m.call_str_method(a0, true),
        N::Hash if args.len() == 1 => m.call_hash_method(a0),
        N::Len if args.len() == 1 => m.call_len_method(a0),
        N::Iter | N::Next if args.len() == 1 => {
            let name = if id == N::Iter {
                "__iter__"
            } else {
                "__next__"
            };
            match m.user_dunder(a0, name) {
                Some(f) => m
                    .call_native_or_frame(f, vec![a0], Vec::new(), OnReturn::Push)
                    .map(Some),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

/// `sorted`, `list.sort`, `min` and `max` with a `key=` function, through the bundled Python
/// helpers: the key function runs as machine frames, switchable as in CPython.
pub(super) fn call_with_key(
    m: &mut Machine,
    id: NativeId,
    args: Vec<Value>,
    kwargs: &[(String, Value)],
    key: Value,
    on_return: OnReturn,
) -> Res<Option<Value>> {
    use NativeId as N;
    let allowed: &[&str] = match id {
        N::Sorted | N::ListSort => &["key", "reverse"],
        _ => &["key", "default"],
    };
    if let Some((bad, _)) = kwargs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        let what = id.name();
        return Err(m.raise(
            "TypeError",
            format!("'{bad}' is an invalid keyword argument for {what}()"),
        ));
    }
    let reverse = kw(kwargs, "reverse").unwrap_or(Value::Bool(false));
    let (name, hargs) = match id {
        N::Sorted | N::ListSort => {
            if args.len() != 1 {
                let what = if id == N::Sorted { "sorted" } else { "sort" };
                return Err(m.arity(what, "1 positional argument", args.len()));
            }
            let name = if id == N::Sorted {
                "_keyed"
            } else {
                "_sort_key"
            };
            (name, vec![args[0], key, reverse])
        }
        _ => {
            let iterable = match args.len() {
                0 => return Err(m.arity(id.name(), "at least 1 argument", 0)),
                1 => args[0],
                _ => Value::Obj(m.heap.alloc(Obj::Tuple(args.clone().into()))),
            };
            let default = kw(kwargs, "default");
            if default.is_some() && args.len() > 1 {
                let what = id.name();
                return Err(m.raise(
                    "TypeError",
                    format!(
                        "Cannot specify a default for {what}() with multiple positional arguments"
                    ),
                ));
            }
            let name = if id == N::Min { "_min_key" } else { "_max_key" };
            (
                name,
                vec![
                    iterable,
                    key,
                    default.unwrap_or(Value::None),
                    Value::Bool(default.is_some()),
                ],
            )
        }
    };
    match m.helper(name) {
        Some(h) => m.call_native_or_frame(h, hargs, Vec::new(), on_return),
        None => Err(m.unsupported(format!("{}() with key=", id.name()))),
    }
}
