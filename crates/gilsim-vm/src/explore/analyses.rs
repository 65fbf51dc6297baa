//! Static analyses of the program for exploration: module names and lists only the main
//! thread can reach, globals frozen after the module body stored them, attributes some code
//! may write, and whether a program observes thread starts or liveness.

use gilsim_compiler::Program;
use std::collections::BTreeMap;

/// Names through which code could reach a module's namespace without naming each entry:
/// while any of them appears anywhere in the program, no module name is private.
pub(crate) const NAMESPACE_DOORS: &[&str] = &[
    "globals",
    "vars",
    "locals",
    "dir",
    "eval",
    "exec",
    "compile",
    "__import__",
    "__dict__",
    "__globals__",
    "__main__",
    "__builtins__",
    "builtins",
    "modules",
    "importlib",
    "inspect",
];

/// Per name of the learner's module body (`program.codes[0].names`): whether it is a
/// module-level name only the module body can touch. Only the main thread runs the module
/// body, so a load or store of such a name (by `LOAD_NAME`/`STORE_NAME` there) commutes with
/// everything every other thread does, and exploration need not offer a switch before it.
///
/// A name is private when no other code object of the program (function, lambda, class body,
/// comprehension) has it in its name table at all (attribute names included: an
/// over-approximation, which only costs reduction), and the program mentions none of the
/// [`NAMESPACE_DOORS`] through which a namespace can be read or written wholesale. Bundled
/// modules have their own namespaces and cannot name the learner's.
#[must_use]
pub(crate) fn main_private_names(program: &Program) -> Vec<bool> {
    let Some(module) = program.codes.first() else {
        return Vec::new();
    };
    let mentions = |n: &str| {
        program
            .codes
            .iter()
            .any(|c| c.names.iter().chain(&c.varnames).any(|x| x == n))
    };
    if NAMESPACE_DOORS.iter().any(|d| mentions(d)) {
        return vec![false; module.names.len()];
    }
    let shared: std::collections::BTreeSet<&str> = program.codes[1..]
        .iter()
        .flat_map(|c| c.names.iter().chain(&c.freevars).map(String::as_str))
        .collect();
    module
        .names
        .iter()
        .map(|n| !shared.contains(n.as_str()))
        .collect()
}

/// Per module-level name of the learner's program that only its module body stores: the
/// index just past that body's last store of it (0 if it stores none: the builtin is what
/// the name finds). Once the main thread's module body is past that index, and past every
/// backward jump that could lead to it again, the name keeps its value for the rest of the
/// run, so a function's `LOAD_GLOBAL` of it commutes with everything every thread does
/// ([`Machine::global_frozen`]). Names some function or class body stores (`global x`) or
/// deletes are left out, and so is every name while the program mentions one of the
/// [`NAMESPACE_DOORS`]. (Every other unit is a bundled module, which cannot name the
/// learner's.)
#[must_use]
pub(crate) fn frozen_globals(program: &Program) -> BTreeMap<&str, u32> {
    use gilsim_compiler::Op::{DELETE_GLOBAL, DELETE_NAME, STORE_GLOBAL, STORE_NAME};
    let mut after = BTreeMap::new();
    let Some(module) = program.codes.first() else {
        return after;
    };
    let doors = program.codes.iter().any(|c| {
        c.names
            .iter()
            .chain(&c.varnames)
            .any(|x| NAMESPACE_DOORS.contains(&x.as_str()))
    });
    if doors {
        return after;
    }
    let stored_elsewhere: std::collections::BTreeSet<&str> = program.codes[1..]
        .iter()
        .flat_map(|c| {
            c.instrs.iter().filter_map(move |i| {
                matches!(i.op, STORE_GLOBAL | DELETE_GLOBAL)
                    .then(|| c.names.get(i.arg as usize).map(String::as_str))
                    .flatten()
            })
        })
        .collect();
    for c in &program.codes[1..] {
        for n in &c.names {
            if !stored_elsewhere.contains(n.as_str()) {
                after.insert(n.as_str(), 0);
            }
        }
    }
    for (k, i) in module.instrs.iter().enumerate() {
        // (A module-level `global x` makes the body's own stores STORE_GLOBAL.)
        if matches!(
            i.op,
            STORE_NAME | DELETE_NAME | STORE_GLOBAL | DELETE_GLOBAL
        ) && let Some(n) = module.names.get(i.arg as usize)
            && let Some(a) = after.get_mut(n.as_str())
        {
            *a = k as u32 + 1;
        }
    }
    after
}

/// Per instruction index of `code`: the lowest target of a backward jump at or after it.
pub(crate) fn backward_jumps_from(code: &gilsim_compiler::CodeObject) -> Vec<u32> {
    let mut out = vec![u32::MAX; code.instrs.len() + 1];
    for k in (0..code.instrs.len()).rev() {
        let i = code.instrs[k];
        let here = if i.op.is_jump() && (i.arg as usize) <= k {
            i.arg
        } else {
            u32::MAX
        };
        out[k] = here.min(out[k + 1]);
    }
    out
}

/// List methods that neither hand the list itself to other code nor run any (`sort`'s `key`
/// sees the items only).
pub(crate) const LIST_METHODS: &[&str] = &[
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "index", "count",
];

/// Per name of the learner's module body: whether it is a private name (`private`, from
/// [`main_private_names`]) that binds only lists no other thread can reach. That holds when
/// every store of it in the module body stores a list made right there — `BUILD_LIST`, or a
/// comprehension called on its iterator (`GET_ITER` then `CALL_FUNCTION 1`; the list a
/// comprehension builds is nameable by no code) — and every load of it is followed by
/// `GET_ITER` or by one of the [`LIST_METHODS`], so the list is never passed anywhere. Then
/// `for t in threads:` reads a list only the main thread can see, and the exploration's
/// lookahead follows its `FOR_ITER` as it follows a `range`. The lookahead still checks that
/// the iterator's sequence is a list bound to such a name.
#[must_use]
pub(crate) fn main_private_lists(program: &Program, private: &[bool]) -> Vec<bool> {
    use gilsim_compiler::Op::*;
    let Some(module) = program.codes.first() else {
        return Vec::new();
    };
    let mut ok: Vec<bool> = private.to_vec();
    ok.resize(module.names.len(), false);
    let mut stored = vec![false; module.names.len()];
    let ins = &module.instrs;
    for (k, i) in ins.iter().enumerate() {
        let a = i.arg as usize;
        let prev = |back: usize| k.checked_sub(back).map(|j| ins[j].op);
        match i.op {
            STORE_NAME | DELETE_NAME if a < ok.len() => {
                let fresh = i.op == STORE_NAME
                    && (prev(1) == Some(BUILD_LIST)
                        || (prev(1) == Some(CALL_FUNCTION)
                            && ins[k - 1].arg == 1
                            && prev(2) == Some(GET_ITER)));
                if !fresh {
                    ok[a] = false;
                }
                stored[a] = true;
            }
            LOAD_NAME if a < ok.len() => {
                let next = ins.get(k + 1);
                let contained = next.is_some_and(|n| {
                    n.op == GET_ITER
                        || (n.op == LOAD_METHOD
                            && module
                                .names
                                .get(n.arg as usize)
                                .is_some_and(|m| LIST_METHODS.contains(&m.as_str())))
                });
                if !contained {
                    ok[a] = false;
                }
            }
            // Any other use of the name (a global access, an import into it) disqualifies it.
            LOAD_GLOBAL | STORE_GLOBAL | DELETE_GLOBAL | IMPORT_NAME | IMPORT_FROM
                if a < ok.len() =>
            {
                ok[a] = false;
            }
            _ => {}
        }
    }
    // A name never stored by the module body binds no list of its own.
    ok.iter().zip(stored).map(|(o, s)| *o && s).collect()
}

/// Names through which code can write attributes without naming them in a `STORE_ATTR`, or
/// change where an attribute lookup looks: while any appears, every attribute counts as
/// written.
pub(crate) const ATTR_DOORS: &[&str] = &[
    "setattr",
    "delattr",
    "vars",
    "__dict__",
    "__setattr__",
    "__delattr__",
    "__class__",
    "__bases__",
    "__mro__",
];

/// Attributes gilsim's natives write themselves (exceptions' chaining and arguments, a
/// generator's return value).
pub(crate) const NATIVE_ATTR_WRITES: &[&str] = &[
    "args",
    "value",
    "_returned",
    "__cause__",
    "__context__",
    "__suppress_context__",
    "__traceback__",
];

/// The attribute names that some code of a run may write: every `STORE_ATTR`/`DELETE_ATTR`
/// name of the learner's program and of every bundled module (loaded or not: any may be
/// imported later), and those the natives write. An attribute whose name is not among them
/// keeps its value for the whole run wherever it is found, so reading it — `t.start`, the
/// method of a bundled class — commutes with everything every thread does, and the
/// exploration's lookahead follows it like a local. With any of the [`ATTR_DOORS`] in the
/// program, every name counts as written.
#[derive(Debug, Default)]
pub(crate) struct AttrWrites {
    names: std::collections::BTreeSet<String>,
    pub(crate) any: bool,
    /// Whether the learner's code may ask whether a thread is still alive (see
    /// [`observes_liveness`]): then a thread's end is visible, not only to its joiners.
    pub observes_liveness: bool,
    /// Whether code other than the learner's module body may see that a thread has started
    /// (see [`observes_starts`]), or liveness is observed: then `t.start()` is a step of its
    /// own.
    pub observes_starts: bool,
}

/// Attributes through which code can see whether a thread has started: `start()` and
/// `join()` raise on a thread in the wrong state, `ident` is None before the start.
pub(crate) const START_DOORS: &[&str] =
    &["start", "join", "ident", "native_id", "_started", "_ident"];

/// Whether code of the learner's `program` other than its module body (which only the main
/// thread runs, in order) may see that a thread has started: it names one of the
/// [`START_DOORS`], as a name, an attribute or a string constant.
#[must_use]
pub(crate) fn observes_starts(program: &Program) -> bool {
    program
        .codes
        .iter()
        .skip(1)
        .any(|c| c.names.iter().any(|n| START_DOORS.contains(&n.as_str())))
        || program.codes.iter().any(|c| {
            c.consts.iter().any(|k| {
            matches!(k, gilsim_compiler::Const::Str(s) if START_DOORS.contains(&s.as_str()))
        })
        })
}

/// Names through which code can see whether a thread has ended, other than by joining it.
pub(crate) const LIVENESS_DOORS: &[&str] = &[
    "is_alive",
    "isAlive",
    "active_count",
    "activeCount",
    "_active",
    "_thread",
    "_shutdown",
];

/// Whether the learner's `program` may ask whether a thread is still alive: it names one of
/// the [`LIVENESS_DOORS`] (as a name, an attribute or a string constant, as `getattr` would
/// take it), takes `enumerate` from a module (`threading.enumerate()`; the builtin is a
/// plain global).
#[must_use]
pub(crate) fn observes_liveness(program: &Program) -> bool {
    use gilsim_compiler::Op::{IMPORT_FROM, LOAD_ATTR, LOAD_METHOD};
    program.codes.iter().any(|c| {
        c.names.iter().any(|n| LIVENESS_DOORS.contains(&n.as_str()))
            || c.consts.iter().any(|k| {
                matches!(k, gilsim_compiler::Const::Str(s)
                    if s == "enumerate" || LIVENESS_DOORS.contains(&s.as_str()))
            })
            || c.instrs.iter().any(|i| {
                matches!(i.op, IMPORT_FROM | LOAD_ATTR | LOAD_METHOD)
                    && c.names
                        .get(i.arg as usize)
                        .is_some_and(|n| n == "enumerate")
            })
    })
}

impl AttrWrites {
    /// The analysis over these programs.
    #[must_use]
    pub(crate) fn of(programs: &[&Program]) -> AttrWrites {
        use gilsim_compiler::Op::{DELETE_ATTR, STORE_ATTR};
        let mut w = AttrWrites::default();
        w.names
            .extend(NATIVE_ATTR_WRITES.iter().map(|n| (*n).to_string()));
        for code in programs.iter().flat_map(|p| &p.codes) {
            if code.names.iter().any(|n| ATTR_DOORS.contains(&n.as_str())) {
                w.any = true;
            }
            for i in &code.instrs {
                if matches!(i.op, STORE_ATTR | DELETE_ATTR)
                    && let Some(n) = code.names.get(i.arg as usize)
                {
                    w.names.insert(n.clone());
                }
            }
        }
        w
    }

    /// Whether some code may write an attribute called `name`.
    #[must_use]
    pub(crate) fn may_write(&self, name: &str) -> bool {
        self.any || self.names.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let private = |src: &str| flagged_module_names(src, main_private_names);
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
            flagged_module_names(src, |p| main_private_lists(p, &main_private_names(p)))
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
            AttrWrites::of(&[&p])
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
}
