//! The methods of `list` (and the ones `tuple`, `dict` and `set` share with it).

use super::*;

/// `list.append`.
pub(super) fn append(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    if let Value::Obj(o) = a0
        && let Obj::List(l) = m.heap.get_mut(o)
    {
        l.push(a1);
    }
    Ok(Some(Value::None))
}

/// `list.extend`.
pub(super) fn extend(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    if let Some(r) = consume_in_python(m, &c) {
        return r;
    }
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let items = m.iterate_all(a1)?;
    if let Value::Obj(o) = a0
        && let Obj::List(l) = m.heap.get_mut(o)
    {
        l.extend(items);
    }
    Ok(Some(Value::None))
}

/// `list.pop`.
pub(super) fn pop(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    if let (Value::Obj(o), true) = (
        a0,
        matches!(a0, Value::Obj(o) if matches!(m.heap.get(o), Obj::Dict(_))),
    ) {
        let _ = o;
    }
    let Value::Obj(o) = a0 else { unreachable!() };
    let len = match m.heap.get(o) {
        Obj::List(l) => l.len(),
        _ => 0,
    };
    if len == 0 {
        return Err(m.raise("IndexError", "pop from empty list"));
    }
    let idx = if args.len() > 1 {
        to_int(m, a1, "pop")?
    } else {
        -1
    };
    let i = if idx < 0 { idx + len as i64 } else { idx };
    if i < 0 || i >= len as i64 {
        return Err(m.raise("IndexError", "pop index out of range"));
    }
    Ok(Some(match m.heap.get_mut(o) {
        Obj::List(l) => l.remove(i as usize),
        _ => Value::None,
    }))
}

/// `list.insert`.
pub(super) fn insert(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let i = to_int(m, a1, "insert")?;
    let v = arg(&args, 2);
    if let Value::Obj(o) = a0
        && let Obj::List(l) = m.heap.get_mut(o)
    {
        let len = l.len() as i64;
        let i = if i < 0 { (i + len).max(0) } else { i.min(len) };
        l.insert(i as usize, v);
    }
    Ok(Some(Value::None))
}

/// `list.remove`, `list.index / tuple.index`, `list.count / tuple.count`.
pub(super) fn remove_index_count(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let items = m.iterate_all(a0)?;
    let mut pos = None;
    let mut count = 0;
    let len = items.len() as i64;
    let norm = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) } as usize;
    let (lo, hi) = if id == N::ListIndex {
        let lo = match args.get(2) {
            Some(v) => norm(to_int(m, *v, "index")?),
            None => 0,
        };
        let hi = match args.get(3) {
            Some(v) => norm(to_int(m, *v, "index")?),
            None => items.len(),
        };
        (lo, hi)
    } else {
        (0, items.len())
    };
    for (i, x) in items.iter().enumerate() {
        if i < lo || i >= hi {
            continue;
        }
        if m.eq(*x, a1)? {
            count += 1;
            if pos.is_none() {
                pos = Some(i);
            }
        }
    }
    Ok(Some(match id {
        N::ListCount => Value::Int(count),
        N::ListIndex => match pos {
            Some(p) => Value::Int(p as i64),
            None => {
                let r = m.repr_of(a1);
                return Err(m.raise("ValueError", format!("{r} is not in list")));
            }
        },
        _ => match pos {
            Some(p) => {
                if let Value::Obj(o) = a0
                    && let Obj::List(l) = m.heap.get_mut(o)
                {
                    l.remove(p);
                }
                Value::None
            }
            None => return Err(m.raise("ValueError", "list.remove(x): x not in list")),
        },
    }))
}

/// `list.sort`.
pub(super) fn sort(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    // A key function is Python code: the bundled helper calls it in machine frames.
    if let Some(key) = kw(&c.kwargs, "key")
        && key != Value::None
    {
        return call_with_key(m, c.id, c.args, &c.kwargs, key, c.on_return);
    }
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let items = sorted_items(m, a0, &kwargs)?;
    if let Value::Obj(o) = a0
        && let Obj::List(l) = m.heap.get_mut(o)
    {
        *l = items;
    }
    Ok(Some(Value::None))
}

/// `list.reverse`.
pub(super) fn reverse(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    if let Value::Obj(o) = a0
        && let Obj::List(l) = m.heap.get_mut(o)
    {
        l.reverse();
    }
    Ok(Some(Value::None))
}

/// `list.clear / dict.clear / set.clear`.
pub(super) fn clear(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    if let Value::Obj(o) = a0 {
        match m.heap.get_mut(o) {
            Obj::List(l) => l.clear(),
            Obj::Dict(d) | Obj::Set(d) => d.clear(),
            _ => {}
        }
    }
    Ok(Some(Value::None))
}

/// `list.copy / dict.copy`.
pub(super) fn copy(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let Value::Obj(o) = a0 else { unreachable!() };
    let c = m.heap.get(o).clone();
    Ok(Some(Value::Obj(m.heap.alloc(c))))
}
