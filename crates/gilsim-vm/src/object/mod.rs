//! The objects a program's threads share: values, dicts, the heap and its collector, frames,
//! and the ids of natives. Nothing here knows the machine that runs them.

pub(crate) mod dict;
pub(crate) mod frame;
pub(crate) mod heap;
pub(crate) mod native;
pub(crate) mod value;
