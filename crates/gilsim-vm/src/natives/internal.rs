//! Natives that no program names: a property's `setter`, a generator's return, the bundled
//! modules' located refusals and the simulated HTTP request of `requests.get`.

use super::*;

/// `setter`.
pub(super) fn property_setter(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let a1 = arg(&args, 1);
    // `@p.setter`: a new property with p's getter and this setter.
    let fget = match a0 {
        Value::Obj(o) => match m.heap.get(o) {
            Obj::Property { fget, .. } => *fget,
            _ => Value::None,
        },
        _ => Value::None,
    };
    Ok(Some(Value::Obj(
        m.heap.alloc(Obj::Property { fget, fset: a1 }),
    )))
}

/// `_returned`.
pub(super) fn generator_returned(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    Ok(Some(match a0 {
        Value::Obj(o) => match m.heap.get(o) {
            Obj::Generator(g) => g.returned,
            _ => Value::None,
        },
        _ => Value::None,
    }))
}

/// `_gilsim_io.refuse`.
pub(super) fn refuse(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    // A bundled module met something it does not simulate: a located refusal.
    let msg = m.str_of(a0);
    Err(m.unsupported(msg))
}

/// `_gilsim_io.http_get`.
pub(super) fn http_get(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    // Latency 20-200 ms and status (mostly 200) from the I/O stream; the GIL is released.
    let latency_ms = m.streams.io.gen_range(20..=200);
    let status = if m.streams.io.gen_bool(0.9) { 200 } else { 503 };
    let elapsed = Value::Float(f64::from(latency_ms) / 1000.0);
    let t = m
        .heap
        .alloc(Obj::Tuple(vec![Value::Int(status), elapsed].into()));
    let until = m.now + u64::from(latency_ms as u32) * 1_000_000;
    m.th().wake_value = Some(Value::Obj(t));
    Err(Flow::Block(Wait::Io { until }))
}
