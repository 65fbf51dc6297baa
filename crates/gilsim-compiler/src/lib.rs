//! gilsim's compiler: parses a Python program with ruff's parser, checks it against the
//! supported subset, and compiles it to CPython-style bytecode for a [`Profile`].
//!
//! The output is a [`Program`]: code objects whose instructions are a plain [`Op`] enum named as
//! CPython names them, with a line for each instruction. [`dis`] prints them as `dis` does.

// Only the CLI prints: a library reports through its return values (errors are data).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod bytecode;
pub mod carets;
pub mod compile;
pub mod defines;
pub mod dis;
pub mod error;
pub mod num;
pub mod peephole;
pub mod profile;
pub mod shrink;
pub mod symtable;
pub mod views;

pub use bytecode::{CodeId, CodeKind, CodeObject, Const, Instr, Op, Program};
pub use compile::{compile, compile_bundled};
pub use defines::apply_defines;
pub use error::{CompileError, ErrorKind};
pub use profile::{CheckAfter, Profile, Version};
pub use shrink::{Rewrite, shrink};

#[cfg(test)]
mod tests {
    use super::*;

    fn ops_of(src: &str, code: usize) -> Vec<&'static str> {
        let p = compile(src, "t.py", &Profile::default()).expect("compiles");
        p.codes[code].instrs.iter().map(|i| i.op.name()).collect()
    }

    #[test]
    fn global_increment_is_four_instructions() {
        let ops = ops_of("i = 0\ndef f():\n    global i\n    i += 1\n", 1);
        assert_eq!(
            ops,
            [
                "LOAD_GLOBAL",
                "LOAD_CONST",
                "INPLACE_ADD",
                "STORE_GLOBAL",
                "LOAD_CONST",
                "RETURN_VALUE"
            ]
        );
    }

    #[test]
    fn item_and_attribute_increments_match_cpython_39() {
        let ops = ops_of("d = {}\ndef f():\n    d['k'] += 1\n", 1);
        assert_eq!(
            &ops[..8],
            [
                "LOAD_GLOBAL",
                "LOAD_CONST",
                "DUP_TOP_TWO",
                "BINARY_SUBSCR",
                "LOAD_CONST",
                "INPLACE_ADD",
                "ROT_THREE",
                "STORE_SUBSCR"
            ]
        );
        let ops = ops_of("def f(self):\n    self.value += 1\n", 1);
        assert_eq!(
            &ops[..7],
            [
                "LOAD_FAST",
                "DUP_TOP",
                "LOAD_ATTR",
                "LOAD_CONST",
                "INPLACE_ADD",
                "ROT_TWO",
                "STORE_ATTR"
            ]
        );
    }

    #[test]
    fn check_points_of_39() {
        let p = Profile::default();
        assert_eq!(p.check_after(Op::LOAD_GLOBAL), CheckAfter::Always);
        assert_eq!(p.check_after(Op::LOAD_CONST), CheckAfter::Never);
        assert_eq!(p.check_after(Op::POP_JUMP_IF_FALSE), CheckAfter::UnlessBool);
        assert!(p.skips_check_before(Instr::new(Op::SETUP_FINALLY, 0)));
        assert!(!p.skips_check_before(Instr::new(Op::STORE_GLOBAL, 0)));
    }

    #[test]
    fn errors_are_located() {
        let e = compile(
            "x = 1\nasync def f():\n    pass\n",
            "t.py",
            &Profile::default(),
        )
        .unwrap_err();
        assert_eq!((e.kind, e.line, e.col), (ErrorKind::Unsupported, 2, 1));
        let e = compile("x = (1,\n", "t.py", &Profile::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        let e = compile("break\n", "t.py", &Profile::default()).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (1, "'break' outside loop"));
    }

    #[test]
    fn defines_rewrite_the_first_literal_assignment() {
        let src = "THREADS = 10\nTHREADS = 3\nx = THREADS\n";
        let out = apply_defines(src, &[("THREADS".into(), "2".into())]).unwrap();
        assert_eq!(out, "THREADS = 2\nTHREADS = 3\nx = THREADS\n");
        let e = apply_defines(src, &[("NOPE".into(), "2".into())]).unwrap_err();
        assert!(e.message.contains("no top-level line `NOPE = <literal>`"));
        assert!(apply_defines(src, &[("THREADS".into(), "os.system('x')".into())]).is_err());
    }

    #[test]
    fn float_and_str_reprs_follow_python() {
        assert_eq!(dis::float_repr(1.0), "1.0");
        assert_eq!(dis::float_repr(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(dis::float_repr(1e-7), "1e-07");
        assert_eq!(dis::float_repr(1e22), "1e+22");
        assert_eq!(dis::str_repr("it's"), "\"it's\"");
        assert_eq!(dis::str_repr("a\nb"), "'a\\nb'");
    }
}
