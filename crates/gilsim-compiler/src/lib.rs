//! gilsim's compiler: parses a Python program with ruff's parser, checks it against the
//! supported subset, and compiles it to CPython-style bytecode for a [`Profile`].
//!
//! The output is a [`Program`]: code objects whose instructions are a plain [`Op`] enum named as
//! CPython names them, with a line for each instruction. [`dis`] prints them as `dis` does.

pub mod bytecode;
pub mod compile;
pub mod defines;
pub mod dis;
pub mod error;
pub mod profile;
pub mod symtable;

pub use bytecode::{CodeId, CodeKind, CodeObject, Const, Instr, Op, Program};
pub use compile::compile;
pub use defines::apply_defines;
pub use error::{CompileError, ErrorKind};
pub use profile::{CheckAfter, Profile, Version};
