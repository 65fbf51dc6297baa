//! Profiles: what one CPython version does, as data.
//!
//! A profile decides *where* a running thread may lose the GIL (its check points), which
//! bytecode the compiler emits, the interval mechanism and its default, and the formats of
//! the messages that differ between versions. The policy (in the VM) decides *whether* and *to
//! whom* to switch at a check point. The facts come from
//! `shared/reference/cpython-switch-points.md` and the `ceval.c` of each release.
//!
//! Check points are decided on the opcode the version runs at a position (an instruction's
//! `view`), the one after it (2.7's PREDICT pairs run straight through) and, at run time, the
//! machine's state (a conditional jump on a `bool`, a jump taken or not, a C call that has or has
//! not specialised).

use crate::bytecode::{Instr, Op, flag};
use serde::Serialize;

/// Declares [`Version`] from one list: each version once, with the name `--python` takes
/// (also accepted without the dot) and the `sys.version_info` of the release modelled. A new
/// version is one row here; every `match` on `Version` is exhaustive, so the compiler then
/// lists each place that must decide what the new version does.
macro_rules! versions {
    ($($(#[$doc:meta])* $v:ident = $name:literal, $info:expr;)*) => {
        /// A CPython version gilsim models.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        pub enum Version {
            $($(#[$doc])* $v,)*
        }

        impl Version {
            /// Every version, oldest first.
            pub const ALL: &[Version] = &[$(Version::$v,)*];

            /// The version as the user writes it (`3.9`).
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self {
                    $(Version::$v => $name,)*
                }
            }

            /// `sys.version_info` of the release modelled (major, minor, micro).
            #[must_use]
            pub const fn version_info(self) -> (u32, u32, u32) {
                match self {
                    $(Version::$v => $info,)*
                }
            }
        }

        /// Versions accepted by `--python`, in the order the CLI lists them.
        pub const KNOWN_VERSIONS: &[&str] = &[$($name,)*];
    };
}

versions! {
    /// CPython 2.7: a tick counter, every opcode but the fast ones ticks.
    Py27 = "2.7", (2, 7, 18);
    /// CPython 3.9: switch interval, DISPATCH versus FAST_DISPATCH.
    Py39 = "3.9", (3, 9, 18);
    /// CPython 3.10: checks only at back-jumps, taken conditional jumps and calls.
    Py310 = "3.10", (3, 10, 13);
    /// CPython 3.11: checks at RESUME, JUMP_BACKWARD and unspecialised C calls.
    Py311 = "3.11", (3, 11, 7);
    /// CPython 3.12: as 3.11, every conditional jump is forward.
    Py312 = "3.12", (3, 12, 1);
    /// CPython 3.13 with its GIL.
    Py313 = "3.13", (3, 13, 0);
    /// CPython 3.13t, free-threaded: no GIL, every instruction boundary interleaves.
    Py313t = "3.13t", (3, 13, 0);
}

/// Whether a switch may happen right after an instruction ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckAfter {
    /// The instruction ends in a fast dispatch: no check follows it.
    Never,
    /// The next instruction is reached through a checking dispatch.
    Always,
    /// Conditional jumps of 2.7 and 3.9: fast when the value tested was exactly a `bool`.
    UnlessBool,
    /// Checked only when the instruction jumped (3.10's taken conditional jumps, 3.11's
    /// backward ones, 2.7's FOR_ITER when the loop ends and PREDICT does not apply).
    IfJumped,
    /// 3.11+ `CALL`: checked after a call to anything but a Python function, unless the call
    /// site has specialised into a form that does not check (`len`, `isinstance`, `type`,
    /// `list.append`).
    AfterNativeCall,
}

/// What a CPython version does, passed to both the compiler and the VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// The version modelled.
    pub version: Version,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            version: Version::Py39,
        }
    }
}

impl Profile {
    /// Every profile, oldest first.
    #[must_use]
    pub fn all() -> Vec<Profile> {
        Version::ALL
            .iter()
            .map(|&version| Profile { version })
            .collect()
    }

    /// Parses a `--python` value such as `3.9` or `3.13t` (also `39`, `py3.9`).
    ///
    /// # Errors
    /// A message naming the versions gilsim models when `text` is not one of them.
    pub fn parse(text: &str) -> Result<Profile, String> {
        let text = text.trim().trim_start_matches("py");
        Version::ALL
            .iter()
            .find(|v| v.name() == text || v.name().replace('.', "") == text)
            .map(|&version| Profile { version })
            .ok_or_else(|| {
                format!(
                    "gilsim does not model CPython {text}; available profiles: {}",
                    KNOWN_VERSIONS.join(", ")
                )
            })
    }

    /// The version as the user writes it (`3.9`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.version.name()
    }

    /// `sys.version_info` of the release modelled (major, minor, micro).
    #[must_use]
    pub fn version_info(&self) -> (u32, u32, u32) {
        self.version.version_info()
    }

    /// Whether the version is at least `major.minor` (3.13t counts as 3.13).
    #[must_use]
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        let (a, b, _) = self.version_info();
        (a, b) >= (major, minor)
    }

    /// Whether the version has a GIL (every one but 3.13t).
    #[must_use]
    pub fn has_gil(&self) -> bool {
        match self.version {
            Version::Py27
            | Version::Py39
            | Version::Py310
            | Version::Py311
            | Version::Py312
            | Version::Py313 => true,
            Version::Py313t => false,
        }
    }

    /// The profile's own switching mechanism, as a policy string.
    #[must_use]
    pub fn default_policy(&self) -> &'static str {
        match self.version {
            Version::Py27 => "ticks:100",
            Version::Py39 | Version::Py310 | Version::Py311 | Version::Py312 | Version::Py313 => {
                "slice:5ms"
            }
            Version::Py313t => "parallel",
        }
    }

    /// The default switch interval in nanoseconds (`sys.getswitchinterval()`).
    #[must_use]
    pub fn default_switch_interval_ns(&self) -> u64 {
        5_000_000
    }

    /// Whether `sys.setcheckinterval` exists (2.7; gone in 3.9).
    #[must_use]
    pub fn has_check_interval(&self) -> bool {
        match self.version {
            Version::Py27 => true,
            Version::Py39
            | Version::Py310
            | Version::Py311
            | Version::Py312
            | Version::Py313
            | Version::Py313t => false,
        }
    }

    /// Whether a check may follow opcode `view` once it has run, before the rules that look at
    /// the next instruction.
    #[must_use]
    pub fn check_after(&self, view: Op) -> CheckAfter {
        use CheckAfter::{AfterNativeCall, Always, IfJumped, Never, UnlessBool};
        use Op::*;
        match self.version {
            // ceval.c 2.7: `goto fast_next_opcode` skips the ticker.
            Version::Py27 => match view {
                NOP | LOAD_FAST | LOAD_CONST | STORE_FAST | POP_TOP | ROT_TWO | ROT_THREE
                | ROT_FOUR | DUP_TOP | DUP_TOPX | JUMP_FORWARD => Never,
                POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE | JUMP_IF_FALSE_OR_POP
                | JUMP_IF_TRUE_OR_POP => UnlessBool,
                _ => Always,
            },
            // 3.9: these opcodes end in FAST_DISPATCH(), which skips the eval-breaker test.
            Version::Py39 => match view {
                NOP | LOAD_FAST | LOAD_CONST | STORE_FAST | POP_TOP | ROT_TWO | ROT_THREE
                | ROT_FOUR | DUP_TOP | DUP_TOP_TWO | IS_OP | CONTAINS_OP | LOAD_ASSERTION_ERROR
                | JUMP_FORWARD => Never,
                POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE | JUMP_IF_FALSE_OR_POP
                | JUMP_IF_TRUE_OR_POP => UnlessBool,
                _ => Always,
            },
            // 3.10: only CHECK_EVAL_BREAKER() reaches the check. A Python callee returns into
            // its caller's CALL_*, which checks: the VM marks such frames (`check_on_return`).
            Version::Py310 => match view {
                JUMP_ABSOLUTE | CALL_FUNCTION | CALL_METHOD | CALL_FUNCTION_KW
                | CALL_FUNCTION_EX => Always,
                POP_JUMP_IF_FALSE | POP_JUMP_IF_TRUE => IfJumped,
                _ => Never,
            },
            // 3.11+: a C callee checks after it returns (a Python function it runs, such as a
            // class's __init__, returns into it: the VM marks that frame); 3.11 calls even a
            // Python function through C for CALL_FUNCTION_EX, 3.12+ inline it.
            Version::Py311 | Version::Py312 | Version::Py313 => match view {
                RESUME | JUMP_BACKWARD => Always,
                CALL_FUNCTION_EX => AfterNativeCall,
                POP_JUMP_BACKWARD_IF_FALSE
                | POP_JUMP_BACKWARD_IF_TRUE
                | POP_JUMP_BACKWARD_IF_NONE
                | POP_JUMP_BACKWARD_IF_NOT_NONE => IfJumped,
                CALL | CALL_KW => AfterNativeCall,
                _ => Never,
            },
            Version::Py313t => Always,
        }
    }

    /// The check rule of instruction `pc` of `instrs`: [`Profile::check_after`] of its view,
    /// with 2.7's PREDICT pairs (the next opcode runs with no tick between) applied.
    #[must_use]
    pub fn check_at(&self, instrs: &[Instr], pc: usize) -> CheckAfter {
        let ins = instrs[pc];
        if ins.has(flag::HIDDEN) {
            return CheckAfter::Never;
        }
        let after = self.check_after(ins.view);
        // 3.12's handler, moved to the end, jumps back to code the normal path also runs.
        if self.version == Version::Py312 && ins.has(flag::HANDLER_EXIT) {
            return CheckAfter::Always;
        }
        if self.version != Version::Py27 {
            return after;
        }
        use Op::*;
        let next = instrs.get(pc + 1).map(|n| n.view);
        let predicted = |ops: &[Op]| next.is_some_and(|n| ops.contains(&n));
        match ins.view {
            GET_ITER if predicted(&[FOR_ITER]) => CheckAfter::Never,
            // The loop's body is predicted; the exit (a jump) ticks.
            FOR_ITER if predicted(&[STORE_FAST, UNPACK_SEQUENCE]) => CheckAfter::IfJumped,
            COMPARE_OP | IS_OP | CONTAINS_OP
                if predicted(&[POP_JUMP_IF_FALSE, POP_JUMP_IF_TRUE]) =>
            {
                CheckAfter::Never
            }
            LIST_APPEND | SET_ADD | MAP_ADD if predicted(&[JUMP_ABSOLUTE]) => CheckAfter::Never,
            WITH_CLEANUP if predicted(&[END_FINALLY]) => CheckAfter::Never,
            _ => after,
        }
    }

    /// Whether the check is skipped when the instruction about to run is `next` (3.9 and 3.10
    /// do not check before SETUP_FINALLY and SETUP_WITH, 2.7 before SETUP_FINALLY, so a
    /// `try:` or `with` is entered together with the instruction before it).
    #[must_use]
    pub fn skips_check_before(&self, next: Instr) -> bool {
        match self.version {
            Version::Py27 => next.view == Op::SETUP_FINALLY,
            Version::Py39 | Version::Py310 => {
                matches!(next.view, Op::SETUP_FINALLY | Op::SETUP_WITH)
            }
            Version::Py311 | Version::Py312 | Version::Py313 | Version::Py313t => false,
        }
    }

    /// Whether a switch may happen before the first instruction of a new frame (3.11+ check
    /// at the frame's RESUME instead).
    #[must_use]
    pub fn checks_on_frame_entry(&self) -> bool {
        matches!(
            self.version,
            Version::Py27 | Version::Py39 | Version::Py310 | Version::Py313t
        )
    }

    /// Whether a switch may happen when an exception lands in a handler.
    #[must_use]
    pub fn checks_on_handler_entry(&self) -> bool {
        self.checks_on_frame_entry()
    }

    /// After how many generic executions a C-call site specialises (3.11: the code object is
    /// quickened after 8 warm-ups, modelled per call site; 3.12/3.13: the second execution runs
    /// specialised). `None`: the version does not specialise.
    #[must_use]
    pub fn specialise_after(&self) -> Option<u8> {
        match self.version {
            Version::Py311 => Some(8),
            Version::Py312 | Version::Py313 => Some(1),
            Version::Py27 | Version::Py39 | Version::Py310 | Version::Py313t => None,
        }
    }

    /// Where this version can switch threads, in a learner's words.
    #[must_use]
    pub fn switch_points_text(&self) -> &'static str {
        match self.version {
            Version::Py27 => "after almost every opcode (each one ticks)",
            Version::Py39 => "after almost every opcode (each one that dispatches with a check)",
            Version::Py310 => "only at a loop's back-edge, a jump taken or a call",
            Version::Py311 | Version::Py312 | Version::Py313 => {
                "only at a function's start (RESUME), a loop's back-edge (JUMP_BACKWARD) or a call to C code that has not specialised"
            }
            Version::Py313t => "anywhere: there is no GIL, threads run at the same time",
        }
    }

    /// Whether a blocking-capable `Lock.acquire` releases the GIL even when the lock is free
    /// (2.7 does; 3.x only when it has to wait).
    #[must_use]
    pub fn uncontended_acquire_releases_gil(&self) -> bool {
        match self.version {
            Version::Py27 => true,
            Version::Py39
            | Version::Py310
            | Version::Py311
            | Version::Py312
            | Version::Py313
            | Version::Py313t => false,
        }
    }

    /// The first line CPython prints for an exception escaping a worker thread.
    #[must_use]
    pub fn thread_exception_header(&self, thread_name: &str) -> String {
        format!("Exception in thread {thread_name}:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_version_parses_by_its_name_with_or_without_the_dot() {
        for &v in Version::ALL {
            let p = Profile::parse(v.name()).unwrap();
            assert_eq!(p.version, v);
            assert_eq!(
                Profile::parse(&v.name().replace('.', "")).unwrap().version,
                v
            );
            assert_eq!(
                Profile::parse(&format!("py{}", v.name())).unwrap().version,
                v
            );
        }
        assert_eq!(KNOWN_VERSIONS.len(), Version::ALL.len());
        let e = Profile::parse("3.8").unwrap_err();
        assert!(
            e.contains("does not model CPython 3.8") && e.contains("3.13t"),
            "{e}"
        );
        assert!(Profile::parse("3.13").unwrap().at_least(3, 13));
        assert!(
            Profile::parse("3.13t").unwrap().at_least(3, 13),
            "3.13t counts as 3.13"
        );
    }
}
