//! The interpreter: opcode dispatch ([`exec`]), calls and attribute lookup ([`call`]), the
//! operators ([`ops`]), user classes' dunder methods ([`dunder`]), `%`- and `format`-style
//! formatting ([`format`]), and the refusals and suggestions that name what the learner wrote
//! ([`missing`], [`suggest`]).

pub mod call;
pub mod dunder;
pub mod exec;
pub mod format;
pub mod missing;
pub mod ops;
pub mod suggest;
