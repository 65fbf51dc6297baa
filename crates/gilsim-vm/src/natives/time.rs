//! `time`: sleep and the clocks, all on virtual time.

use super::*;

/// `time.sleep`.
pub(super) fn sleep(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let secs = to_float(m, a0)?;
    if secs < 0.0 {
        return Err(m.raise("ValueError", "sleep length must be non-negative"));
    }
    let ns = (secs * 1e9) as u64;
    if ns == 0 {
        return Err(Flow::Yield(crate::policy::GiveUp::Sleep));
    }
    Err(Flow::Block(Wait::Sleep { until: m.now + ns }))
}

/// `time.time`.
pub(super) fn time(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Float(1_700_000_000.0 + m.now as f64 / 1e9)))
}

/// `time.perf_counter`, `time.monotonic`.
pub(super) fn perf_counter(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Float(m.now as f64 / 1e9)))
}
