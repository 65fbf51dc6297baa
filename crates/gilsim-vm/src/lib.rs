//! gilsim's virtual machine: runs a compiled program's threads as virtual threads under a
//! deterministic GIL scheduler.
//!
//! [`machine::Machine`] owns the heap, the threads and the virtual clock; a [`policy::Policy`]
//! decides at each check point of the [`gilsim_compiler::Profile`] whether to switch threads.
//! [`run::run`] is the one-call entry point that returns a [`record::RunRecord`].

pub mod bundled;
pub mod detect;
pub mod explore;
pub mod findings;
pub mod interp;
pub mod machine;
pub mod natives;
pub mod object;
pub mod observer;
pub mod policy;
pub mod record;
pub mod run;
pub mod state;
pub mod trace;

pub use machine::{Limits, Machine, RunEnd, Status};
pub use policy::schedule::Schedule;
pub use policy::{Policy, parse_policy};
