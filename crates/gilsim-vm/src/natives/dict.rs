//! The methods of `dict`.

use super::*;

/// `dict.get`.
pub(super) fn get(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let k = m.hkey(a1)?;
    let Value::Obj(o) = a0 else { unreachable!() };
    let found = match m.heap.get(o) {
        Obj::Dict(d) => d.get(&k),
        _ => None,
    };
    // `d.get(k, 0) + 1` stored back is a read-modify-write of the item.
    if m.observed() {
        let key = crate::detect::LocKey::Item(o, k);
        m.observe(key, found.unwrap_or(Value::Null), None);
    }
    Ok(Some(found.unwrap_or(if args.len() > 2 {
        args[2]
    } else {
        Value::None
    })))
}

/// `dict.keys`, `dict.values`, `dict.items`.
pub(super) fn view(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let Value::Obj(o) = a0 else { unreachable!() };
    let kind = match id {
        N::DictKeys => crate::object::value::ViewKind::Keys,
        N::DictValues => crate::object::value::ViewKind::Values,
        _ => crate::object::value::ViewKind::Items,
    };
    Ok(Some(Value::Obj(m.heap.alloc(Obj::View(kind, o)))))
}

/// `dict.pop`.
pub(super) fn pop(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let k = m.hkey(a1)?;
    let Value::Obj(o) = a0 else { unreachable!() };
    let removed = match m.heap.get_mut(o) {
        Obj::Dict(d) => d.remove(&k),
        _ => None,
    };
    Ok(Some(match removed {
        Some((_, v)) => v,
        None if args.len() > 2 => args[2],
        None => {
            let e = m.types.exc["KeyError"];
            return Err(Flow::Raise(m.exc_instance(e, vec![a1])));
        }
    }))
}

/// `dict.setdefault`.
pub(super) fn setdefault(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let k = m.hkey(a1)?;
    let Value::Obj(o) = a0 else { unreachable!() };
    let default = if args.len() > 2 { args[2] } else { Value::None };
    Ok(Some(match m.heap.get_mut(o) {
        Obj::Dict(d) => match d.get(&k) {
            Some(v) => v,
            None => {
                d.insert(k, a1, default);
                default
            }
        },
        _ => Value::None,
    }))
}

/// `dict.update`.
pub(super) fn update(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, kwargs, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    if args.len() > 1 {
        m.dict_update(a0, a1)?;
    }
    for (k, v) in kwargs {
        let key = m.new_str(k);
        m.setitem(a0, key, v)?;
    }
    Ok(Some(Value::None))
}
