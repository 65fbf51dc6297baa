//! Tracebacks in each version's format, against the real interpreters: the programs in
//! `tests/tracebacks/` raise on purpose (in threads, through calls, comprehensions, chains and
//! recursion), and gilsim's stdout, exit code and stderr must equal CPython's, frame for frame
//! and caret for caret (3.11+ draw `^`/`~` under the failing expression). The frames inside
//! `threading.py` are left out of the comparison: gilsim's own `threading` has other lines.
//!
//! Each version's output is also a snapshot, so a machine without the interpreters still
//! checks it. A version whose interpreter is absent is skipped with a message.

use std::path::PathBuf;
use std::process::Command;
mod common;

use common::{RELEASES, gilsim, interpreter, root};

fn programs() -> Vec<PathBuf> {
    common::python_files("crates/gilsim-cli/tests/tracebacks")
}

/// Stderr without the frames of `threading.py` (their `File` line and the source and caret
/// lines under it) and without gilsim's run summary.
fn user_frames(stderr: &str) -> String {
    let mut out = Vec::new();
    let mut in_threading = false;
    for line in stderr.lines() {
        if line.starts_with("── gilsim") {
            break;
        }
        if line.starts_with("  File ") {
            in_threading = line.contains("threading.py\"");
            if in_threading {
                continue;
            }
        } else if in_threading && line.starts_with("    ") {
            continue;
        } else {
            in_threading = false;
        }
        out.push(line);
    }
    out.join("\n").trim_end().to_string()
}

#[test]
fn tracebacks_match_each_cpython() {
    let mut compared = 0;
    for (version, release) in RELEASES.into_iter().filter(|(v, _)| *v != "2.7") {
        let mut snapshot = String::new();
        let python = interpreter(release);
        if python.is_none() {
            eprintln!("skipped comparing {version}: no CPython {release} under ~/.pyenv/versions");
        }
        for file in programs() {
            let path = file.to_string_lossy().into_owned();
            let (code, out, err) = gilsim(&["run", &path, "--python", version]);
            let ours = user_frames(&err);
            let name = file
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            snapshot.push_str(&format!(
                "=== {name} (exit {code})\n{out}{}\n",
                ours.replace(&*root().to_string_lossy(), "<root>")
            ));
            let Some(python) = &python else { continue };
            let real = Command::new(python).arg(&path).output().expect("python");
            let theirs = user_frames(&String::from_utf8_lossy(&real.stderr));
            assert_eq!(
                out,
                String::from_utf8_lossy(&real.stdout),
                "{name} stdout under {version}"
            );
            assert_eq!(
                Some(code),
                real.status.code(),
                "{name} exit code under {version}"
            );
            assert_eq!(ours, theirs, "{name} traceback under {version}");
            compared += 1;
        }
        common::snapshot(&format!("tracebacks@{version}"), &snapshot);
    }
    eprintln!("compared {compared} program runs with CPython");
}
