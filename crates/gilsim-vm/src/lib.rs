//! gilsim's virtual machine: runs a compiled program's threads as virtual threads under a
//! deterministic GIL scheduler.
//!
//! [`machine::Machine`] owns the heap, the threads and the virtual clock; a [`policy::Policy`]
//! decides at each check point of the [`gilsim_compiler::Profile`] whether to switch threads.
//! [`run::run`] is the one-call entry point that returns a [`record::RunRecord`].

// Only the CLI prints: a library reports through its return values (errors are data).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub(crate) mod bundled;
pub(crate) mod detect;
pub(crate) mod explore;
pub(crate) mod findings;
pub(crate) mod interp;
pub mod machine;
pub(crate) mod natives;
pub(crate) mod object;
pub(crate) mod observer;
pub mod policy;
pub mod record;
pub mod run;
pub(crate) mod state;
pub mod trace;

pub use machine::{Limits, Machine, RunEnd, Status};
pub use policy::schedule::Schedule;
pub use policy::{Policy, parse_policy};
