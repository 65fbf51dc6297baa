//! Profiles: what one CPython version does, as data.
//!
//! A profile decides *where* a running thread may lose the GIL (its check points), which
//! bytecode the compiler emits, the interval mechanism and its default, and the formats of
//! the messages that differ between versions. The policy (in the VM) decides *whether* and *to
//! whom* to switch at a check point. The facts come from
//! `shared/reference/cpython-switch-points.md`.

use crate::bytecode::Op;
use serde::Serialize;

/// A CPython version gilsim models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Version {
    /// CPython 3.9: switch interval, DISPATCH versus FAST_DISPATCH.
    Py39,
}

/// Whether a switch may happen right after an instruction ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckAfter {
    /// The instruction ends in a fast dispatch: no check follows it.
    Never,
    /// The next instruction is reached through a checking dispatch.
    Always,
    /// Conditional jumps: fast when the value tested was exactly a `bool`, checked otherwise.
    UnlessBool,
}

/// What a CPython version does, passed to both the compiler and the VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The version modelled.
    pub version: Version,
}

/// Versions accepted by `--python`, in the order the CLI lists them.
pub const KNOWN_VERSIONS: &[&str] = &["3.9"];

impl Default for Profile {
    fn default() -> Self {
        Profile {
            version: Version::Py39,
        }
    }
}

impl Profile {
    /// Parses a `--python` value such as `3.9`.
    ///
    /// # Errors
    /// A message naming the versions gilsim models when `text` is not one of them.
    pub fn parse(text: &str) -> Result<Profile, String> {
        match text.trim() {
            "3.9" | "39" | "py39" => Ok(Profile {
                version: Version::Py39,
            }),
            other => Err(format!(
                "gilsim does not model CPython {other} yet; available profiles: {}",
                KNOWN_VERSIONS.join(", ")
            )),
        }
    }

    /// The version as the user writes it (`3.9`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self.version {
            Version::Py39 => "3.9",
        }
    }

    /// The profile's own switching mechanism, as a policy string.
    #[must_use]
    pub fn default_policy(&self) -> &'static str {
        "slice:5ms"
    }

    /// The default switch interval in nanoseconds (`sys.getswitchinterval()`).
    #[must_use]
    pub fn default_switch_interval_ns(&self) -> u64 {
        5_000_000
    }

    /// Whether a check may follow `op` once it has run (before the skip rule of the next one).
    #[must_use]
    pub fn check_after(&self, op: Op) -> CheckAfter {
        use Op::*;
        match op {
            // 3.9: these opcodes end in FAST_DISPATCH(), which skips the eval-breaker test.
            NOP | LOAD_FAST | LOAD_CONST | STORE_FAST | POP_TOP | ROT_TWO | ROT_THREE
            | ROT_FOUR | DUP_TOP | DUP_TOP_TWO | IS_OP | CONTAINS_OP | LOAD_ASSERTION_ERROR
            | JUMP_FORWARD => CheckAfter::Never,
            POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE | JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP => {
                CheckAfter::UnlessBool
            }
            _ => CheckAfter::Always,
        }
    }

    /// Whether the check is skipped when `next` is the instruction about to run
    /// (3.9 does not check before SETUP_FINALLY and SETUP_WITH, so a `try:` or `with` is entered
    /// together with the instruction before it).
    #[must_use]
    pub fn skips_check_before(&self, next: Op) -> bool {
        matches!(next, Op::SETUP_FINALLY | Op::SETUP_WITH)
    }

    /// Whether a switch may happen before the first instruction of a new frame.
    #[must_use]
    pub fn checks_on_frame_entry(&self) -> bool {
        true
    }

    /// Whether a switch may happen when an exception lands in a handler.
    #[must_use]
    pub fn checks_on_handler_entry(&self) -> bool {
        true
    }

    /// Whether a blocking-capable `Lock.acquire` releases the GIL even when the lock is free
    /// (2.7 does; 3.x only when it has to wait).
    #[must_use]
    pub fn uncontended_acquire_releases_gil(&self) -> bool {
        false
    }

    /// The first line CPython prints for an exception escaping a worker thread.
    #[must_use]
    pub fn thread_exception_header(&self, thread_name: &str) -> String {
        format!("Exception in thread {thread_name}:")
    }
}
