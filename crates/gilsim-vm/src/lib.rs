//! gilsim's virtual machine: runs a compiled program's threads as virtual threads under a
//! deterministic GIL scheduler.
//!
//! [`machine::Machine`] owns the heap, the threads and the virtual clock; a [`policy::Policy`]
//! decides at each check point of the [`gilsim_compiler::Profile`] whether to switch threads.
//! [`run::run`] is the one-call entry point that returns a [`record::RunRecord`].

pub mod builtins;
pub mod bundled;
pub mod call;
pub mod detect;
pub mod dict;
pub mod dunder;
pub mod exec;
pub mod findings;
pub mod format;
pub mod heap;
pub mod machine;
pub mod missing;
pub mod observer;
pub mod ops;
pub mod policy;
pub mod record;
pub mod run;
pub mod schedule;
pub mod state;
pub mod suggest;
pub mod trace;
pub mod value;

pub use machine::{Limits, Machine, RunEnd, Status};
pub use policy::{Policy, parse_policy};
pub use schedule::Schedule;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::{Dict, HKey};
    use crate::value::{Obj, Value};

    #[test]
    fn policies_parse_and_describe_themselves() {
        for p in [
            "every:5",
            "every:3:random",
            "ticks:100",
            "slice:5ms",
            "io",
            "random:0.25",
        ] {
            assert_eq!(parse_policy(p).unwrap().describe(), p);
        }
        assert!(parse_policy("every:0").is_err());
        assert!(parse_policy("random:2").is_err());
        assert!(
            parse_policy("slice:5")
                .err()
                .is_some_and(|e| e.contains("unit"))
        );
        assert_eq!(policy::parse_duration("250us").unwrap(), 250_000);
    }

    /// The module-body names of `src` that `which` flags, sorted.
    fn flagged_module_names(
        src: &str,
        which: fn(&gilsim_compiler::Program) -> Vec<bool>,
    ) -> Vec<String> {
        let p = gilsim_compiler::compile(src, "t.py", &gilsim_compiler::Profile::default())
            .expect("compiles");
        let mut names: Vec<String> = p.codes[0]
            .names
            .iter()
            .zip(which(&p))
            .filter(|(_, f)| *f)
            .map(|(n, _)| n.clone())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn only_names_no_other_code_can_reach_are_private_to_the_module_body() {
        let private = |src: &str| flagged_module_names(src, machine::main_private_names);
        let src = "import threading\nn = 0\nmine = 1\ndef w():\n    global n\n    n += 1\n\
                   t = threading.Thread(target=w)\nt.start()\nmine = mine + n\nt.join()\n";
        // `n` is named by `w`, `Thread` and `start` are attribute names of the module body
        // (harmless: only LOAD_NAME/STORE_NAME consult the flags).
        assert_eq!(
            private(src),
            ["Thread", "join", "mine", "start", "t", "threading", "w"]
        );
        // A name in a class body or a lambda is shared too.
        let src = "k = 1\nclass C:\n    j = k\nf = lambda: f\n";
        assert_eq!(private(src), ["C"]);
        // Any door to a namespace as a whole makes every name shared.
        for door in [
            "globals()",
            "vars()",
            "sys.modules",
            "x.__dict__",
            "f.__globals__",
        ] {
            let src = format!("import sys\nx = 1\ndef f():\n    return {door}\n");
            assert!(private(&src).is_empty(), "{door}");
        }
    }

    #[test]
    fn only_lists_made_and_kept_by_the_module_body_are_private() {
        let lists = |src: &str| {
            flagged_module_names(src, |p| {
                machine::main_private_lists(p, &machine::main_private_names(p))
            })
        };
        let src = "import threading\n\
                   a = [threading.Thread() for _ in range(3)]\n\
                   b = []\nb.append(1)\nc = []\nprint(c)\nd = list(range(2))\ne = []\nf = (e,)\n\
                   for x in a:\n    pass\nfor x in b:\n    pass\n";
        // `c` is passed to print, `d` is made by a call, `e` is put in a tuple; `f`, `x`
        // and the module's other names never bind a list made by BUILD_LIST or a comprehension.
        assert_eq!(lists(src), ["a", "b"]);
    }

    #[test]
    fn attributes_count_as_written_when_any_code_may_write_them() {
        let writes = |src: &str| {
            let p = gilsim_compiler::compile(src, "t.py", &gilsim_compiler::Profile::default())
                .expect("compiles");
            machine::AttrWrites::of(&[&p])
        };
        let w =
            writes("class C:\n    def m(self):\n        self.x = 1\n        del self.y\nC.k = 2\n");
        for name in ["x", "y", "k", "args", "__cause__"] {
            assert!(w.may_write(name), "{name}");
        }
        assert!(!w.may_write("m"));
        for door in [
            "setattr(o, 'm', 1)",
            "vars(o)",
            "o.__dict__",
            "o.__class__ = C",
        ] {
            let w = writes(&format!(
                "class C:\n    def m(self):\n        pass\no = C()\n{door}\n"
            ));
            assert!(w.may_write("m"), "{door}");
        }
    }

    #[test]
    fn schedule_text_round_trips() {
        let s = Schedule::parse("0:120 1:3+ 2@8").unwrap();
        assert_eq!(s.to_string(), "0:120 1:3+ 2@8");
        assert!(Schedule::parse("0:1 x").is_err());
    }

    #[test]
    fn dict_keeps_insertion_order_and_python_key_equality() {
        let mut d = Dict::new();
        d.insert(HKey::Int(1), Value::Int(1), Value::Int(10));
        d.insert(HKey::Str("b".into()), Value::None, Value::Int(20));
        // True == 1.0 == 1: the same key, which keeps its first key object and position.
        d.insert(HKey::Int(1), Value::Bool(true), Value::Int(30));
        let items: Vec<(Value, Value)> = d.iter().map(|(_, k, v)| (k, v)).collect();
        assert_eq!(
            items,
            vec![
                (Value::Int(1), Value::Int(30)),
                (Value::None, Value::Int(20))
            ]
        );
    }

    #[test]
    fn the_collector_frees_exactly_the_unreachable() {
        let mut h = heap::Heap::new(1000);
        let a = h.alloc(Obj::List(Vec::new()));
        let b = h.alloc(Obj::List(vec![Value::Obj(a)]));
        let c = h.alloc(Obj::Str("garbage".into()));
        h.collect(&[Value::Obj(b)]);
        assert_eq!(h.live(), 2);
        // Freed slots are reused lowest first, so numbering stays deterministic.
        assert_eq!(h.alloc(Obj::Str("new".into())), c);
    }

    #[test]
    fn sets_of_ints_iterate_in_cpython_order() {
        let keys = |v: &[i64]| {
            v.iter()
                .map(|i| (HKey::Int(*i), Value::Int(*i)))
                .collect::<Vec<_>>()
        };
        let order = |v: &[i64]| dict::cpython_set_order(&keys(v)).unwrap();
        // Checked against CPython 3.9: set([9, 8]) iterates 8, 9; 20..1 comes out sorted;
        // negative hashes wrap as unsigned.
        assert_eq!(order(&[9, 8]), vec![Value::Int(8), Value::Int(9)]);
        let desc: Vec<i64> = (1..=20).rev().collect();
        assert_eq!(order(&desc), (1..=20).map(Value::Int).collect::<Vec<_>>());
        assert_eq!(
            order(&[-1, -2, 3]),
            vec![Value::Int(3), Value::Int(-1), Value::Int(-2)]
        );
        // Strings: no deterministic CPython order, insertion order is kept.
        assert!(dict::cpython_set_order(&[(HKey::Str("a".into()), Value::None)]).is_none());
    }

    #[test]
    fn format_specs() {
        let s = format::parse_spec(">8,.2f").unwrap();
        assert_eq!(
            (s.align, s.width, s.grouping, s.precision, s.ty),
            (Some('>'), 8, Some(','), Some(2), Some('f'))
        );
        assert_eq!(format::group("1234567", Some(',')), "1,234,567");
        assert!(format::parse_spec("8q8").is_none());
    }
}
