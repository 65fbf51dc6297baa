//! Fidelity of the profiles against the real interpreters (`~/.pyenv/versions/<V>/bin/python`)
//! on the corpus in `tests/fidelity/` (each program prints the updates it lost as its last line):
//! - each function's opcode names with `dis` of that version (normal path: what runs when no
//!   exception is raised; exception tables are simplified, see docs/how-it-works.md);
//! - gilsim's verdict "can this program lose updates under V?", from an exhaustive
//!   exploration, against the table below, which follows CPython's structure;
//! - (ignored by default; `.ci/run` runs it) the same table against what each CPython shows with
//!   a tiny switch interval.
//!
//! A test that needs an absent interpreter says so and skips it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
mod common;

use common::{RELEASES, gilsim, interpreter, root};

/// The profiles the verdict table covers, in its column order.
const PROFILES: [&str; 7] = ["2.7", "3.9", "3.10", "3.11", "3.12", "3.13", "3.13t"];

/// Can the program lose updates under each profile? `R` races, `S` is safe, `W` races in gilsim
/// and in CPython's structure, but in a window too narrow for a real run to show it reliably:
/// while a call site is unspecialised (a few calls wide), or a check only after a rare call.
const EXPECTED: [(&str, &str); 25] = [
    ("acquire_finally.py", "SSSSSSS"),
    ("attr_iadd.py", "RRSSSSR"),
    ("break_return.py", "RRRSSSR"),
    ("call_inc.py", "RRRRRRR"),
    ("call_star.py", "RRWWSSR"),
    ("class_init.py", "RRRRRWR"),
    ("dict_get.py", "RRRRRRR"),
    ("dict_iadd.py", "RRSSSSR"),
    ("except_handled.py", "RRRSSSR"),
    ("except_warm.py", "RRRSRSR"),
    ("gen_enter.py", "RRRRRRR"),
    ("gen_resume.py", "RRRRRRR"),
    ("gen_return.py", "RRSSSSR"),
    ("iadd_global.py", "RRSSSSR"),
    ("len_call.py", "RRRWWWR"),
    ("list_add.py", "RRSSSSR"),
    ("list_iadd.py", "SSSSSSS"),
    ("method_upper.py", "RRRRRRR"),
    ("sort_append.py", "SSSSSSS"),
    ("stored_append.py", "RRRRRRR"),
    ("str_call.py", "RRRRRRR"),
    ("type_call.py", "RRRWWWR"),
    ("while_iadd.py", "RRSSSSR"),
    ("with_lock.py", "SSSSSSS"),
    ("with_suppress.py", "RRRRRRR"),
];

fn corpus() -> Vec<PathBuf> {
    common::python_files("crates/gilsim-cli/tests/fidelity")
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().expect("name").to_string_lossy().into_owned()
}

/// Comprehensions 2.7 and 3.12+ inline into the enclosing code (PEP 709); gilsim keeps them as
/// functions, so they have no counterpart there.
fn inlined_comprehension(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    matches!(last, "<listcomp>" | "<dictcomp>" | "<setcomp>")
}

/// Differences between gilsim's and CPython's opcode names for the functions of `file`.
fn opname_differences(file: &std::path::Path, version: &str, python: &PathBuf) -> Vec<String> {
    let out = Command::new(python)
        .arg(root().join("scripts/cpython_opnames.py"))
        .arg(file)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{} failed on {}: {}",
        python.display(),
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let real: BTreeMap<String, Vec<String>> =
        serde_json::from_slice(&out.stdout).expect("opnames json");
    let src = std::fs::read_to_string(file).expect("read");
    let profile = gilsim_compiler::Profile::parse(version).expect("profile");
    let program =
        gilsim_compiler::compile(&src, &file.to_string_lossy(), &profile).expect("compiles");
    let ours = gilsim_compiler::dis::program_opnames(&program);
    let mut diffs = Vec::new();
    for (name, names) in &ours {
        match real.get(name) {
            None if inlined_comprehension(name) => {}
            None => diffs.push(format!(
                "{version} {}: {name} is not a function in CPython",
                file_name(file)
            )),
            Some(r) if r.iter().map(String::as_str).eq(names.iter().copied()) => {}
            Some(r) => diffs.push(format!(
                "{version} {} {name}:\n  cpython: {}\n  gilsim:  {}",
                file_name(file),
                r.join(" "),
                names.join(" ")
            )),
        }
    }
    for name in real.keys() {
        if !ours.contains_key(name) {
            diffs.push(format!(
                "{version} {}: gilsim has no function {name}",
                file_name(file)
            ));
        }
    }
    diffs
}

/// Scenario functions whose opcode names differ from `dis` of a version, and why. Each must
/// still differ (a fixed one is taken off the list); none changes where a switch can happen
/// except 2.7's `True`, a global there whose LOAD_GLOBAL counts a tick.
const KNOWN_DIFFERENCES: [(&str, &str, &str, &str); 11] = [
    (
        "2.7",
        "deadlock.py",
        "one",
        "print is a statement in 2.7; gilsim's language is Python 3",
    ),
    ("2.7", "deadlock.py", "two", "print is a statement in 2.7"),
    (
        "2.7",
        "deadlock_ordered.py",
        "one",
        "print is a statement in 2.7",
    ),
    (
        "2.7",
        "deadlock_ordered.py",
        "two",
        "print is a statement in 2.7",
    ),
    (
        "2.7",
        "producer_consumer_list.py",
        "consumer",
        "`while True`: True is a global in 2.7",
    ),
    (
        "2.7",
        "producer_consumer_queue.py",
        "consumer",
        "`while True`: True is a global in 2.7",
    ),
    (
        "2.7",
        "spin_forever.py",
        "reader",
        "`while True`: True is a global in 2.7",
    ),
    (
        "2.7",
        "spin_forever.py",
        "writer",
        "`while True`: True is a global in 2.7",
    ),
    (
        "2.7",
        "sort_one_call.py",
        "sorter",
        "2.7 passes `reverse=True` as name, value pairs",
    ),
    (
        "2.7",
        "sort_one_call.py",
        "watcher",
        "2.7 passes `reverse=True` as name, value pairs",
    ),
    (
        "3.10 3.11",
        "producer_consumer_list.py",
        "consumer",
        "a try body's exit JUMP_FORWARD is not threaded across lines (JUMP_FORWARD checks nothing)",
    ),
];

fn known(version: &str, file: &str, function: &str) -> bool {
    KNOWN_DIFFERENCES
        .iter()
        .any(|(v, f, n, _)| v.split(' ').any(|v| v == version) && *f == file && *n == function)
}

#[test]
fn opcode_names_match_dis_of_each_version() {
    let mut diffs = Vec::new();
    let mut still_known = Vec::new();
    let mut compared = 0;
    let scenarios = common::python_files("scenarios");
    for (version, release) in RELEASES {
        let Some(python) = interpreter(release) else {
            eprintln!("skipped {version}: no CPython {release} under ~/.pyenv/versions");
            continue;
        };
        for f in corpus() {
            diffs.extend(opname_differences(&f, version, &python));
            compared += 1;
        }
        for f in &scenarios {
            // Scenarios may use syntax 2.7 cannot compile (f-strings, keyword-only arguments).
            if version == "2.7" && !cpython_compiles(&python, f) {
                eprintln!(
                    "skipped {} under 2.7: CPython 2.7 cannot compile it",
                    file_name(f)
                );
                continue;
            }
            for d in opname_differences(f, version, &python) {
                let function = d
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .rsplit(' ')
                    .next()
                    .unwrap_or("");
                if known(version, &file_name(f), function) {
                    still_known.push((version, file_name(f), function.to_string()));
                } else {
                    diffs.push(d);
                }
            }
            compared += 1;
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    if RELEASES.iter().all(|(_, r)| interpreter(r).is_some()) {
        for (v, f, n, _) in KNOWN_DIFFERENCES {
            for v in v.split(' ') {
                assert!(
                    still_known
                        .iter()
                        .any(|(sv, sf, sn)| *sv == v && sf == f && sn == n),
                    "{v} {f} {n} now matches dis: take it off KNOWN_DIFFERENCES"
                );
            }
        }
    }
    eprintln!("compared {compared} programs");
}

fn cpython_compiles(python: &PathBuf, file: &std::path::Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
        ])
        .arg(file)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// gilsim's verdict for `file` under `profile`: `R` when some exhaustively explored schedule
/// of 2 threads × 2 iterations ends with a non-zero last line.
fn gilsim_verdict(file: &str, profile: &str) -> char {
    let (code, out, err) = gilsim(&[
        "explore",
        file,
        "--python",
        profile,
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=2",
        "--json",
        "-",
    ]);
    assert_eq!(code, 0, "{file} --python {profile}: {err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["exhaustive"], Value::Bool(true), "{file} {profile}");
    let lost = v["outcomes"].as_array().expect("outcomes").iter().any(|o| {
        let stdout = o["stdout"].as_str().unwrap_or("");
        stdout.trim().lines().last() != Some("0")
    });
    if lost { 'R' } else { 'S' }
}

#[test]
fn explored_verdicts_follow_each_versions_check_points() {
    // A new profile needs its own column in the table above (and a release in RELEASES).
    assert_eq!(
        PROFILES,
        gilsim_compiler::profile::KNOWN_VERSIONS,
        "the verdict table's columns are not the modelled versions"
    );
    let mut wrong = Vec::new();
    for (file, row) in EXPECTED {
        let path = format!("crates/gilsim-cli/tests/fidelity/{file}");
        for (profile, want) in PROFILES.iter().zip(row.chars()) {
            let want = if want == 'W' { 'R' } else { want };
            let got = gilsim_verdict(&path, profile);
            if got != want {
                wrong.push(format!(
                    "{file} under {profile}: expected {want}, gilsim says {got}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The table covers the whole corpus.
    let names: Vec<String> = corpus().iter().map(|p| file_name(p)).collect();
    let listed: Vec<String> = EXPECTED.iter().map(|(f, _)| (*f).to_string()).collect();
    assert_eq!(names, listed);
}

/// Runs `file` under a real interpreter with a tiny switch interval; the lost updates it printed.
fn cpython_lost(python: &PathBuf, file: &std::path::Path, iterations: u32) -> i64 {
    let src = std::fs::read_to_string(file).expect("read");
    let src = src.replace("ITERATIONS = 1000", &format!("ITERATIONS = {iterations}"));
    let prelude = "import sys as _s\nif hasattr(_s, 'setswitchinterval'): _s.setswitchinterval(1e-6)\nelse: _s.setcheckinterval(1)\n";
    let out = Command::new(python)
        .arg("-c")
        .arg(format!("{prelude}{src}"))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{}: no count in {text:?}", file.display()))
}

/// Slow (a minute or two): `cargo test -- --ignored`, run by `.ci/run`.
#[test]
#[ignore = "runs every corpus program under every CPython; .ci/run runs it"]
fn cpython_shows_what_the_table_says() {
    let mut wrong = Vec::new();
    for (k, (version, release)) in RELEASES.iter().enumerate() {
        let Some(python) = interpreter(release) else {
            eprintln!("skipped {version}: no CPython {release} under ~/.pyenv/versions");
            continue;
        };
        for (file, row) in EXPECTED {
            let want = row.chars().nth(k).expect("column");
            let path = root().join("crates/gilsim-cli/tests/fidelity").join(file);
            // A race must show in one of up to eight runs (it usually does in the first; a
            // loaded machine switches less often); a safe program must lose nothing in two. A
            // `W` cell is not run: its window is too narrow to show reliably.
            if want == 'W' {
                continue;
            }
            let tries = if want == 'S' { 2 } else { 8 };
            let mut runs = Vec::new();
            for _ in 0..tries {
                runs.push(cpython_lost(&python, &path, 5_000));
                if want != 'S' && runs.last() != Some(&0) {
                    break;
                }
            }
            let lost = runs.iter().any(|&n| n != 0);
            eprintln!("{version} {file}: {runs:?}");
            let ok = match want {
                'R' => lost,
                'S' => !lost,
                _ => true,
            };
            if !ok {
                wrong.push(format!(
                    "{file} under CPython {version}: table says {want}, runs lost {runs:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_run_that_cannot_lose_updates_says_why_from_the_check_points() {
    let args = ["-D", "THREADS=2", "-D", "ITERATIONS=200"];
    let run = |v: &str| {
        let mut a = vec!["run", "scenarios/counter.py", "--python", v];
        a.extend_from_slice(&args);
        gilsim(&a)
    };
    let (_, _, err) = run("3.11");
    assert!(
        err.contains("why nothing was lost: CPython 3.11 can switch threads only at a function's start (RESUME), a loop's back-edge (JUMP_BACKWARD) or a call")
            && err.contains("no such point lies inside line 30 (`i += 1`)"),
        "{err}"
    );
    // Where the line can be split, or was, there is nothing to explain away.
    for v in ["3.9", "2.7"] {
        let (_, _, err) = run(v);
        assert!(!err.contains("why nothing was lost"), "{v}: {err}");
    }
    // A call between the read and the write is a check point in 3.11 too.
    let (_, _, err) = gilsim(&[
        "run",
        "crates/gilsim-cli/tests/fidelity/call_inc.py",
        "--python",
        "3.11",
        "--policy",
        "random:0.5",
    ]);
    assert!(!err.contains("why nothing was lost"), "{err}");
}

#[test]
fn compare_prints_one_row_per_version_and_who_agrees() {
    let (code, out, err) = gilsim(&[
        "compare",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=2",
    ]);
    assert_eq!(code, 0, "{err}");
    for v in PROFILES {
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with(&format!("{v} "))),
            "{v}: {out}"
        );
    }
    let row = |v: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{v} ")))
            .expect("row")
            .to_string()
    };
    assert!(
        row("3.9").contains("3 outcomes") && row("3.9").contains("3 ⏎ 1"),
        "{out}"
    );
    assert!(
        row("3.11").contains("1 outcome:") && row("3.11").contains("4 ⏎ 0"),
        "{out}"
    );
    assert!(
        out.contains("versions that agree: 2.7, 3.9, 3.13t  ·  3.10, 3.11, 3.12, 3.13"),
        "{out}"
    );
}

#[test]
fn thread_names_and_sys_follow_the_version() {
    let src = "import sys\nimport threading\n\n\ndef worker():\n    print(threading.current_thread().name)\n\n\nt = threading.Thread(target=worker)\nt.start()\nt.join()\nprint(sys.version_info[0] * 100 + sys.version_info[1])\nprint(hasattr(sys, 'setcheckinterval'))\nprint(hasattr(sys, 'setswitchinterval'))\n";
    let path = common::write_tmp("names.py", src);
    let mut compared = 0;
    for (version, release) in RELEASES {
        let (code, ours, err) = gilsim(&["run", &path, "--python", version]);
        assert_eq!(code, 0, "{version}: {err}");
        let Some(python) = interpreter(release) else {
            eprintln!("skipped {version}: no CPython {release} under ~/.pyenv/versions");
            continue;
        };
        let real = Command::new(python).arg(&path).output().expect("python");
        assert_eq!(ours, String::from_utf8_lossy(&real.stdout), "{version}");
        compared += 1;
    }
    eprintln!("compared with {compared} interpreters");
}

#[test]
fn dis_prints_each_versions_listing() {
    // The counter and the `with`/`while`/method-call worker, in every version's format.
    for file in ["scenarios/counter.py", "scenarios/counter_class_locked.py"] {
        for v in PROFILES {
            let (code, out, err) = gilsim(&["dis", file, "--python", v]);
            assert_eq!(code, 0, "{err}");
            let stem = file
                .trim_start_matches("scenarios/")
                .trim_end_matches(".py");
            common::snapshot(&format!("dis_version__{stem}@{v}"), &out);
        }
    }
}
