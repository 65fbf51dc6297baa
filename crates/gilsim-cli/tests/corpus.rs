//! The corpus of real programs (`tests/corpus/`): threading programs in the shapes tutorials,
//! books and the Python docs use, each run by gilsim and, where they are installed, by CPython
//! 3.9 and 3.12. Each file's first line says what must agree:
//!
//! - `# corpus: exact`: the exit code and the whole stdout (the program prints nothing whose
//!   order depends on timing);
//! - `# corpus: exact stderr`: also stderr (DeprecationWarnings, "Exception in thread" texts),
//!   up to gilsim's report.
//!
//! Without the interpreters the test still runs every program under gilsim twice and checks
//! that it ends with exit 0 and the same bytes both times.

mod common;

use common::{interpreter, python_files, root};
use std::path::Path;
use std::process::Command;

/// The versions the corpus is compared against, with the release under `~/.pyenv/versions`.
const VERSIONS: [(&str, &str); 2] = [("3.9", "3.9.18"), ("3.12", "3.12.1")];

/// Where gilsim's report begins on stderr (everything before it is the program's).
const REPORT: &str = "── gilsim ──";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(exe: &Path, args: &[&str], dir: &Path) -> Out {
    let out = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run a program");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: stderr.split(REPORT).next().unwrap_or("").to_string(),
    }
}

fn gilsim(version: &str, file: &str, dir: &Path) -> Out {
    run(
        Path::new(env!("CARGO_BIN_EXE_gilsim")),
        &["run", "--python", version, file],
        dir,
    )
}

#[test]
fn every_corpus_program_runs_as_cpython_runs_it() {
    let dir = root().join("crates/gilsim-cli/tests/corpus");
    let files = python_files("crates/gilsim-cli/tests/corpus");
    assert!(files.len() >= 20, "the corpus has {} programs", files.len());
    let mut failures = Vec::new();
    let mut compared = 0;
    for path in &files {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        // By absolute path: CPython 3.9+ show the main script's path absolute in warnings.
        let file = path.to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).expect("read");
        let header = text.lines().next().unwrap_or("");
        assert!(
            header.starts_with("# corpus: exact"),
            "{name}: the first line must say `# corpus: exact [stderr]`"
        );
        let with_stderr = header.contains("stderr");
        for (version, release) in VERSIONS {
            let ours = gilsim(version, &file, &dir);
            let again = gilsim(version, &file, &dir);
            if (ours.code, &ours.stdout, &ours.stderr) != (again.code, &again.stdout, &again.stderr)
            {
                failures.push(format!("{name} ({version}): two runs differ"));
            }
            let Some(python) = interpreter(release) else {
                if ours.code != 0 {
                    failures.push(format!(
                        "{name} ({version}): gilsim exits {}\n{}",
                        ours.code, ours.stderr
                    ));
                }
                continue;
            };
            let real = run(&python, &[&file], &dir);
            compared += 1;
            if ours.code != real.code {
                failures.push(format!(
                    "{name} ({version}): exit {} where CPython exits {}\n{}",
                    ours.code, real.code, ours.stderr
                ));
            }
            if ours.stdout != real.stdout {
                failures.push(format!(
                    "{name} ({version}): stdout\n--- gilsim\n{}--- CPython\n{}",
                    ours.stdout, real.stdout
                ));
            }
            if with_stderr && ours.stderr != real.stderr {
                failures.push(format!(
                    "{name} ({version}): stderr\n--- gilsim\n{}--- CPython\n{}",
                    ours.stderr, real.stderr
                ));
            }
        }
    }
    if compared == 0 {
        eprintln!("skipped the comparison: no CPython 3.9.18 or 3.12.1 under ~/.pyenv/versions");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
