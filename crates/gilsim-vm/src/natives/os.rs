//! `os`, limited to what a simulation can answer without touching the host: the virtual
//! process's ids, the virtual machine's core count, and an empty environment.

use super::*;

/// `os.getpid`, `os.getppid`: the simulated interpreter's process and its parent.
pub(super) fn pid(_m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let pid = threading::VIRTUAL_PID;
    Ok(Some(Value::Int(if c.id == N::OsGetppid {
        pid - 1
    } else {
        pid
    })))
}

/// `os.cpu_count`: the simulated machine's cores.
pub(super) fn cpu_count(_m: &mut Machine, _c: Call) -> Res<Option<Value>> {
    Ok(Some(Value::Int(VIRTUAL_CORES)))
}

/// The cores of the simulated machine (`os.cpu_count()`, the default pool sizes).
pub(crate) const VIRTUAL_CORES: i64 = 4;

/// `os.getenv(key, default=None)`: the simulated environment is empty, so the default.
pub(super) fn getenv(m: &mut Machine, c: Call) -> Res<Option<Value>> {
    let key = arg(&c.args, 0);
    if str_arg(m, key).is_none() {
        let tn = m.type_name(key);
        return Err(m.raise("TypeError", format!("str expected, not {tn}")));
    }
    Ok(Some(
        kw(&c.kwargs, "default").unwrap_or(c.args.get(1).copied().unwrap_or(Value::None)),
    ))
}
