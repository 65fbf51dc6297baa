//! The objects a program's threads share: values, dicts, the heap and its collector, frames,
//! and the ids of natives. Nothing here knows the machine that runs them.

pub mod dict;
pub mod frame;
pub mod heap;
pub mod native;
pub mod value;
