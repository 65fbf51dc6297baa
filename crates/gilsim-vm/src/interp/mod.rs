//! The interpreter: opcode dispatch ([`exec`]), calls and attribute lookup ([`call`]), the
//! operators ([`ops`]), user classes' dunder methods ([`dunder`]), `%`- and `format`-style
//! formatting ([`format`]), and the refusals and suggestions that name what the learner wrote
//! ([`missing`], [`suggest`]).

pub(crate) mod call;
pub(crate) mod dunder;
pub(crate) mod exec;
pub(crate) mod format;
pub(crate) mod missing;
pub(crate) mod ops;
pub(crate) mod suggest;
