//! gilsim's virtual machine: runs a compiled program's threads as virtual threads under a
//! deterministic GIL scheduler.
//!
//! [`machine::Machine`] owns the heap, the threads and the virtual clock; a [`policy::Policy`]
//! decides at each check point of the [`gilsim_compiler::Profile`] whether to switch threads.
//! [`run::run`] is the one-call entry point that returns a [`record::RunRecord`].

pub mod builtins;
pub mod bundled;
pub mod call;
pub mod dict;
pub mod exec;
pub mod format;
pub mod heap;
pub mod machine;
pub mod observer;
pub mod ops;
pub mod policy;
pub mod record;
pub mod run;
pub mod schedule;
pub mod trace;
pub mod value;

pub use machine::{Limits, Machine, RunEnd, Status};
pub use policy::{Policy, parse_policy};
pub use schedule::Schedule;
