//! `sys`: the switch interval (3.x), the check interval (2.7), `exit`.

use super::*;

/// `sys.setswitchinterval`.
pub(super) fn set_switch_interval(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let s = to_float(m, a0)?;
    if s <= 0.0 {
        return Err(m.raise("ValueError", "switch interval must be strictly positive"));
    }
    m.switch_interval_ns = ((s * 1e9) as u64).max(1);
    m.quiet = None;
    Ok(Some(Value::None))
}

/// `sys.getswitchinterval`.
pub(super) fn get_switch_interval(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Float(m.switch_interval_ns as f64 / 1e9)))
}

/// `sys.setcheckinterval`.
pub(super) fn set_check_interval(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    // 2.7: a value below 1 means a check after every ticking opcode.
    let n = to_int(m, a0, "setcheckinterval")?;
    m.check_interval = u64::try_from(n).unwrap_or(1).max(1);
    m.quiet = None;
    Ok(Some(Value::None))
}

/// `sys.getcheckinterval`.
pub(super) fn get_check_interval(m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Int(if m.check_interval == 0 {
        100
    } else {
        m.check_interval as i64
    })))
}

/// `sys.exit`.
pub(super) fn exit(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let Call { args, .. } = c;
    let a0 = arg(&args, 0);
    let cls = m.types.exc["SystemExit"];
    let a = if args.is_empty() {
        Vec::new()
    } else {
        vec![a0]
    };
    Err(Flow::Raise(m.exc_instance(cls, a)))
}

/// `sys.setswitchinterval` exists (3.2+).
pub(super) fn with_switch_interval(p: &Profile) -> bool {
    !p.has_check_interval()
}

/// `sys.setcheckinterval` exists (2.7; 3.9 removed it).
pub(super) fn with_check_interval(p: &Profile) -> bool {
    p.has_check_interval()
}
