//! The modules a program can import, in one list: the ones written in Python and compiled by
//! gilsim itself, as CPython's are (`threading`, `queue`, `concurrent.futures`, `logging` and
//! the simulated `requests`, each a real `.py` file beside this one that `python3` can
//! byte-compile), and the native ones (`time`, `sys`, `random`, filled from the natives
//! table). The bundled modules' check points come from their own bytecode.

use gilsim_compiler::Profile;

/// What provides a module.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Provider {
    /// Python source, on the profiles where the version has the module under this name
    /// (`queue` is Python 3's, `Queue` 2.7's): elsewhere the import raises ImportError, as
    /// CPython's does, so `try: import queue / except ImportError: import Queue` works.
    PythonIf(&'static str, Only),
    /// Python source, compiled and run on first import.
    Python(&'static str),
    /// Natives (see `crate::natives`), installed at boot.
    Native,
}

/// The one Python a module exists in under its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Only {
    /// 2.7 (`Queue`, `thread`).
    Python2,
    /// 3.x (`queue`, `_thread`, `concurrent.futures`).
    Python3,
}

impl Only {
    fn has(self, p: &Profile) -> bool {
        p.at_least(3, 0) == (self == Only::Python3)
    }
}

/// Every module a program may import, in the order the refusal for an unknown module lists
/// them.
pub(crate) const MODULES: &[(&str, Provider)] = &[
    ("threading", Provider::Python(include_str!("threading.py"))),
    ("time", Provider::Native),
    ("sys", Provider::Native),
    ("random", Provider::Native),
    ("math", Provider::Native),
    ("os", Provider::Native),
    (
        "queue",
        Provider::PythonIf(include_str!("queue.py"), Only::Python3),
    ),
    (
        "Queue",
        Provider::PythonIf(include_str!("queue.py"), Only::Python2),
    ),
    (
        "concurrent.futures",
        Provider::PythonIf(include_str!("concurrent_futures.py"), Only::Python3),
    ),
    (
        "_thread",
        Provider::PythonIf(include_str!("_thread.py"), Only::Python3),
    ),
    (
        "thread",
        Provider::PythonIf(include_str!("_thread.py"), Only::Python2),
    ),
    (
        "collections",
        Provider::Python(include_str!("collections.py")),
    ),
    ("functools", Provider::Python(include_str!("functools.py"))),
    (
        "contextlib",
        Provider::Python(include_str!("contextlib.py")),
    ),
    ("itertools", Provider::Python(include_str!("itertools.py"))),
    ("logging", Provider::Python(include_str!("logging.py"))),
    ("requests", Provider::Python(include_str!("requests.py"))),
    (
        "__future__",
        Provider::Python(include_str!("__future__.py")),
    ),
];

/// Whether `name` is a module of another Python version only (`Queue` under 3.x, `queue`
/// under 2.7): its import raises ImportError.
#[must_use]
pub(crate) fn absent_in(name: &str, profile: &Profile) -> bool {
    let top = name.split('.').next().unwrap_or(name);
    MODULES.iter().any(|&(n, p)| {
        (n == name || n.split('.').next() == Some(top))
            && matches!(p, Provider::PythonIf(_, only) if !only.has(profile))
    })
}

/// Python versions of the builtins that consume an iterable, used when the iterable is a
/// generator (its frames must run on the machine like any other Python code). Only `def`s: the
/// machine builds the functions without running a module body. Every parameter is passed.
pub(crate) const BUILTINS_HELPERS: &str = include_str!("_gilsim_helpers.py");

/// The source of a bundled module (a package such as `concurrent` is an empty module).
#[must_use]
pub(crate) fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find_map(|&(n, p)| match p {
        Provider::Python(src) | Provider::PythonIf(src, _) if n == name => Some(src),
        _ if n
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('.')) =>
        {
            Some("\n")
        }
        _ => None,
    })
}

/// Every bundled module written in Python, by name: what the exploration's attribute analysis
/// reads, since any of them may be imported later in a run.
pub(crate) fn python_modules() -> impl Iterator<Item = (&'static str, &'static str)> {
    MODULES.iter().filter_map(|&(n, p)| match p {
        Provider::Python(src) | Provider::PythonIf(src, _) => Some((n, src)),
        Provider::Native => None,
    })
}

/// Whether `name` is a module gilsim provides (a missing attribute is "not yet", not a typo).
#[must_use]
pub(crate) fn is_gilsim_module(name: &str) -> bool {
    MODULES.iter().any(|&(n, _)| n == name)
}

/// The modules a program may import, as the refusal of an unknown one lists them (Python
/// 3's names; 2.7's `Queue` and `thread` are the same modules, and `__future__` goes without
/// saying).
#[must_use]
pub(crate) fn listed() -> String {
    let names: Vec<&str> = MODULES
        .iter()
        .filter(|&&(n, p)| {
            !n.starts_with("__") && !matches!(p, Provider::PythonIf(_, Only::Python2))
        })
        .map(|&(n, _)| n)
        .collect();
    match names.split_last() {
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_empty_modules_and_the_list_reads_as_before() {
        assert_eq!(source("concurrent"), Some("\n"));
        assert!(source("concurrent.fut").is_none());
        assert!(source("time").is_none(), "native modules have no source");
        assert_eq!(
            listed(),
            "threading, time, sys, random, math, os, queue, concurrent.futures, _thread, collections, functools, contextlib, itertools, logging and requests"
        );
        assert_eq!(python_modules().count(), 13);
        let py27 = Profile::parse("2.7").expect("2.7");
        let py39 = Profile::parse("3.9").expect("3.9");
        assert!(absent_in("queue", &py27) && !absent_in("Queue", &py27));
        assert!(absent_in("Queue", &py39) && !absent_in("queue", &py39));
        assert!(absent_in("concurrent", &py27) && absent_in("concurrent.futures", &py27));
        assert!(!absent_in("concurrent.futures", &py39) && !absent_in("threading", &py27));
    }

    #[test]
    fn every_bundled_module_byte_compiles_under_python3() {
        let Ok(python) = which_python() else {
            #[allow(clippy::print_stderr)] // a skipped test says why
            {
                eprintln!(
                    "skipped: no python3 on this machine to byte-compile the bundled modules"
                );
            }
            return;
        };
        for (name, src) in python_modules().chain([("_gilsim_helpers", BUILTINS_HELPERS)]) {
            let out = std::process::Command::new(&python)
                .args([
                    "-c",
                    "import sys; compile(sys.stdin.read(), sys.argv[1], 'exec')",
                    name,
                ])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .and_then(|mut child| {
                    use std::io::Write;
                    child
                        .stdin
                        .take()
                        .expect("stdin")
                        .write_all(src.as_bytes())?;
                    child.wait_with_output()
                })
                .expect("python3 runs");
            assert!(
                out.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn which_python() -> Result<String, ()> {
        let ok = std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok { Ok("python3".into()) } else { Err(()) }
    }
}
