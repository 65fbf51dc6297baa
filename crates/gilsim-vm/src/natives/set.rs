//! The methods of `set`.

use super::*;

/// `set.add`.
pub(super) fn add(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    m.set_add(a0, a1)?;
    Ok(Some(Value::None))
}

/// `set.remove`, `set.discard`.
pub(super) fn remove(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { id, args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    let k = m.hkey(a1)?;
    let Value::Obj(o) = a0 else { unreachable!() };
    let removed = match m.heap.get_mut(o) {
        Obj::Set(d) => d.remove(&k).is_some(),
        _ => false,
    };
    if !removed && id == N::SetRemove {
        let e = m.types.exc["KeyError"];
        return Err(Flow::Raise(m.exc_instance(e, vec![a1])));
    }
    Ok(Some(Value::None))
}

/// `set.update`.
pub(super) fn update(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    for x in m.iterate_all(a1)? {
        m.set_add(a0, x)?;
    }
    Ok(Some(Value::None))
}
