//! The ids of native functions and methods (what a `Native` value calls): row numbers of the
//! natives table, named by constants such as `NativeId::Print` (see `crate::natives`).

/// A native function or method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NativeId(pub(crate) u16);
