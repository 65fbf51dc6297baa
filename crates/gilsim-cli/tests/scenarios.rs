//! End-to-end tests: the lessons in `scenarios/` run through the `gilsim` binary and the
//! library, with snapshots in the top-level `snapshots/` folder.

mod common;

use common::{gilsim, root, snapshot, write_tmp};
use std::path::PathBuf;
use std::process::Command;

#[test]
fn counter_loses_updates_under_default_profile() {
    let (code, out, err) = gilsim(&["run", "scenarios/counter.py"]);
    assert_eq!(code, 1, "stderr: {err}");
    let lines: Vec<&str> = out.lines().collect();
    let final_i: i64 = lines[0].parse().expect("i");
    let lost: i64 = lines[1].parse().expect("lost");
    assert!(final_i < 1_000_000 && lost > 0, "no update lost: {out}");
    assert_eq!(final_i + lost, 1_000_000);
    assert!(err.contains("Traceback (most recent call last):"));
    assert!(err.contains(&format!("AssertionError: {final_i}")));
    assert!(err.contains("File \"scenarios/counter.py\", line 41, in <module>"));
}

#[test]
fn locked_counters_are_exact_under_every_policy_and_seed() {
    for file in [
        "scenarios/counter_locked.py",
        "scenarios/counter_acquire.py",
    ] {
        for policy in [
            "slice:5ms",
            "every:1",
            "every:3",
            "every:7:random",
            "random:0.5",
            "ticks:2",
            "io",
            "pct:3",
        ] {
            for seed in ["0", "1", "7"] {
                let (code, out, err) = gilsim(&[
                    "run",
                    file,
                    "-D",
                    "THREADS=3",
                    "-D",
                    "ITERATIONS=200",
                    "--policy",
                    policy,
                    "--seed",
                    seed,
                ]);
                assert_eq!(code, 0, "{file} {policy} seed {seed}: {err}");
                assert_eq!(out, "600\n0\n", "{file} {policy} seed {seed}");
            }
        }
    }
}

#[test]
fn small_counter_loses_updates_when_switching_every_few_check_points() {
    let (code, out, _) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=50",
        "--policy",
        "every:2:random",
    ]);
    assert_eq!(code, 1);
    let lost: i64 = out.lines().nth(1).unwrap().parse().unwrap();
    assert!(lost > 0);
}

#[test]
fn same_seed_same_bytes() {
    let args = [
        "run",
        "scenarios/counter.py",
        "-D",
        "ITERATIONS=20000",
        "--seed",
        "42",
        "--json",
        "-",
    ];
    let a = gilsim(&args);
    let b = gilsim(&args);
    assert_eq!(a, b);
    let other = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "ITERATIONS=20000",
        "--seed",
        "43",
        "--json",
        "-",
    ]);
    assert_ne!(a.1, other.1, "a different seed should change the schedule");
}

#[test]
fn replay_round_trip() {
    let dir = std::env::temp_dir().join(format!("gilsim-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rec = dir.join("run.json");
    let rec_s = rec.to_str().unwrap();
    let (code, _, _) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=3",
        "-D",
        "ITERATIONS=300",
        "--policy",
        "every:5:random",
        "--seed",
        "9",
        "--json",
        rec_s,
    ]);
    assert_eq!(code, 1);
    let (code, _, err) = gilsim(&["replay", rec_s]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("identical to the record"), "{err}");
    // A tampered record is a divergence (exit 5).
    let text = std::fs::read_to_string(&rec).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["outcome"]["stdout"] = serde_json::Value::String("900\n0\n".into());
    std::fs::write(&rec, serde_json::to_string(&json).unwrap()).unwrap();
    let (code, _, err) = gilsim(&["replay", rec_s]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("outcome.stdout differs"), "{err}");
    // A corrupted record is refused (exit 2).
    std::fs::write(&rec, "{not json").unwrap();
    let (code, _, err) = gilsim(&["replay", rec_s]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a gilsim run record"), "{err}");
}

#[test]
fn hand_written_schedule_loses_one_update() {
    let base = [
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=1",
        "--policy",
        "io",
    ];
    // Under `io` nobody is preempted: nothing is lost, and the record shows the shape
    // "0:A+ 1:B 0:C+ 2:D 0:E" (main starts thread 1, which runs to the end, and so on).
    let mut args = base.to_vec();
    args.extend(["--json", "-"]);
    let (code, out, _) = gilsim(&args);
    assert_eq!(code, 0);
    let rec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rec["outcome"]["stdout"], "2\n0\n");
    let entries: Vec<String> = rec["schedule"]
        .as_str()
        .unwrap()
        .split(' ')
        .map(str::to_string)
        .collect();
    assert_eq!(entries.len(), 5, "{entries:?}");
    // Hand-written: thread 1 runs until line 30 (`i += 1`), completes its LOAD_GLOBAL i and
    // is switched out; main starts thread 2, which increments i and ends; then `io` goes on
    // and thread 1 stores its stale 0 + 1.
    let schedule = format!("{} 1@30 1:1 {} {}", entries[0], entries[2], entries[3]);
    let mut args = base.to_vec();
    args.extend(["--schedule", &schedule]);
    let (code, out, err) = gilsim(&args);
    assert_eq!(code, 1, "{schedule}: {err}");
    assert_eq!(out, "1\n1\n", "{schedule}: {err}");
}

#[test]
fn schedule_refuses_a_switch_where_none_is_possible() {
    let (code, _, err) = gilsim(&["run", "scenarios/counter.py", "--schedule", "0:3 1:1"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("the schedule asks for a switch after LOAD_CONST (line 19) of thread 0, where CPython 3.9 cannot switch threads"), "{err}");
    let (code, _, err) = gilsim(&["run", "scenarios/counter.py", "--schedule", "0:x"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("schedule entry 1 `0:x` is not THREAD:INSTRUCTIONS or THREAD@LINE"),
        "{err}"
    );
}

#[test]
fn deadlock_names_each_wait() {
    let (code, _, err) = gilsim(&["run", "scenarios/deadlock.py"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("thread 1 (Thread-1) waits at line 24 for a lock held by thread 2 (Thread-2)"),
        "{err}"
    );
    assert!(
        err.contains("thread 2 (Thread-2) waits at line 31 for a lock held by thread 1 (Thread-1)"),
        "{err}"
    );
}

#[test]
fn dis_counter_snapshot() {
    let (code, out, _) = gilsim(&["dis", "scenarios/counter.py"]);
    assert_eq!(code, 0);
    assert!(out.contains("LOAD_GLOBAL              2 (i)"));
    snapshot("dis__counter", &out);
}

#[test]
fn report_and_trace_snapshots() {
    let (_, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=3",
        "--policy",
        "every:4",
        "--trace",
    ]);
    snapshot("run__counter_small_trace", &err);
    let (_, _, err) = gilsim(&["run", "scenarios/deadlock.py"]);
    snapshot("report__deadlock", &err);
}

/// Records a run, replays it, and checks the replay is identical with the same exit code.
fn assert_replays_identically(tag: &str, run_args: &[&str], want_code: i32) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("gilsim-replay-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rec = dir.join("run.json");
    let rec_s = rec.to_str().unwrap();
    let mut args = vec!["run"];
    args.extend_from_slice(run_args);
    args.extend(["--json", rec_s]);
    let (code, _, err) = gilsim(&args);
    assert_eq!(code, want_code, "{err}");
    let (code, _, err) = gilsim(&["replay", rec_s]);
    assert_eq!(code, want_code, "{err}");
    assert!(err.contains("identical to the record"), "{err}");
    serde_json::from_str(&std::fs::read_to_string(&rec).unwrap()).unwrap()
}

#[test]
fn dunder_methods_run_as_frames_where_threads_can_switch() {
    // `c += 1` runs the class's __iadd__, whose `self.v += n` loses updates as in CPython.
    let src = "import threading
class Counter:
    def __init__(self):
        self.v = 0
    def __iadd__(self, n):
        self.v += n
        return self
c = Counter()
def work():
    global c
    for _ in range(1000):
        c += 1
ts = [threading.Thread(target=work) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(c.v)
";
    let f = write_tmp("iadd.py", src);
    let (code, out, err) = gilsim(&["run", &f, "--policy", "every:3"]);
    assert_eq!(code, 0, "{err}");
    let v: i64 = out.trim().parse().expect("a number");
    assert!(v < 4000, "no update lost inside __iadd__: {out}");
    let (_, out, _) = gilsim(&["run", &f, "--policy", "io"]);
    assert_eq!(out, "4000\n");
}

#[test]
fn dunder_methods_a_builtin_would_call_from_inside_are_refused() {
    let class = "class V:
    def __repr__(self):
        return 'V'
    def __eq__(self, other):
        return True
    def __lt__(self, other):
        return True
    def __hash__(self):
        return 1
a = V()
";
    for (stmt, col, what) in [
        ("print([a])", 1, "`V.__repr__`"),
        ("print('%s' % a)", 7, "`V.__repr__`"),
        ("print(sorted([a, V()]))", 7, "`V.__eq__`"),
        ("print(a in [V()])", 7, "`V.__eq__`"),
        ("print({a: 1})", 7, "`V.__hash__`"),
    ] {
        let f = write_tmp("deep.py", &format!("{class}{stmt}\n"));
        let (code, out, err) = gilsim(&["run", &f]);
        assert_eq!(code, 2, "{stmt}: {err}");
        assert_eq!(out, "", "{stmt}: nothing is printed wrongly");
        assert!(
            err.contains(what) && err.contains("from inside a builtin"),
            "{stmt}: {err}"
        );
        assert!(err.contains(&format!("deep.py:11:{col}")), "{stmt}: {err}");
    }
    // A class that defines __eq__ but not __hash__ is unhashable, as in CPython.
    let f = write_tmp(
        "unhashable.py",
        "class N:\n    def __eq__(self, o):\n        return True\ns = {N()}\n",
    );
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("TypeError: unhashable type: 'N'"), "{err}");
}

#[test]
fn logging_writes_to_stderr_as_cpython_39_does() {
    let Some(py) = python39() else {
        eprintln!("skipped: no CPython 3.9 under ~/.pyenv/versions");
        return;
    };
    for (name, src) in [
        ("log1.py", LOGGING_PROGRAM),
        ("log2.py", LOGGING_LAST_RESORT),
    ] {
        let f = write_tmp(name, src);
        let want = Command::new(&py).arg(&f).output().unwrap();
        let (code, out, err) = gilsim(&["run", &f]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, String::from_utf8_lossy(&want.stdout));
        let logged = err.split("── gilsim").next().unwrap_or("");
        assert_eq!(logged, String::from_utf8_lossy(&want.stderr), "{name}");
    }
    // Timestamps come from the virtual clock (UTC), so they are the same on every run.
    let f = write_tmp(
        "log_time.py",
        "import logging, threading, time
logging.basicConfig(format='%(asctime)s [%(threadName)s] %(message)s', level=logging.INFO)
def worker():
    time.sleep(0.25)
    logging.info('done')
t = threading.Thread(target=worker)
t.start()
logging.info('started')
t.join()
",
    );
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("2023-11-14 22:13:20,000 [MainThread] started\n2023-11-14 22:13:20,250 [Thread-1] done\n"), "{err}");
    // A format field gilsim does not fill in is refused where the format is given.
    let f = write_tmp(
        "log_field.py",
        "import logging\nlogging.basicConfig(format='%(lineno)d %(message)s')\nlogging.warning('x')\n",
    );
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("%(lineno) is not simulated") && err.contains("log_field.py:2:1"),
        "{err}"
    );
}

const LOGGING_PROGRAM: &str = r#"import logging
import threading
logging.basicConfig(level=logging.DEBUG, format="%(threadName)s %(levelname)-8s %(name)s: %(message)s")
logging.debug("debug %d", 1)
logging.info("info %s and %s", "a", "b")
logging.warning("warn")
logging.error("error %(x)s", {"x": 5})
log = logging.getLogger("app")
log.info("from app %.2f", 3.14159)
sub = logging.getLogger("app.db")
sub.setLevel(logging.WARNING)
sub.info("hidden")
sub.warning("shown %r", "q")
print(log.getEffectiveLevel(), sub.getEffectiveLevel(), logging.getLevelName(20), logging.getLevelName(35))
def work(n):
    log.info("worker %d", n)
ts = [threading.Thread(target=work, args=(i,)) for i in range(3)]
for t in ts:
    t.start()
    t.join()
w = threading.Thread(target=work, args=(9,), name="Named")
w.start()
w.join()
logging.log(logging.CRITICAL, "crit")
"#;

const LOGGING_LAST_RESORT: &str = r#"import logging
log = logging.getLogger("x")
log.info("not shown")
log.warning("last resort %d", 1)
logging.info("not shown either")
logging.warning("basic")
log.warning("now via root")
"#;

#[test]
fn tracebacks_as_cpython_39_prints_them() {
    let src = "import threading
class MyErr(Exception):
    pass
def work():
    raise MyErr('in thread')
t = threading.Thread(target=work)
t.start()
t.join()
def rec(n):
    return rec(n + 1)
rec(0)
";
    let f = write_tmp("tracebacks.py", src);
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    // A worker's traceback starts in threading's _bootstrap_inner, then run, as 3.9's does.
    assert!(err.contains("Exception in thread Thread-1:\nTraceback (most recent call last):\n  File \"<gilsim>/threading.py\", line "), "{err}");
    assert!(
        err.contains(", in _bootstrap_inner\n    self.run()\n"),
        "{err}"
    );
    assert!(
        err.contains(", in run\n    self._target(*self._args, **self._kwargs)\n"),
        "{err}"
    );
    // A class outside builtins is named with its module.
    assert!(err.contains("\n__main__.MyErr: in thread\n"), "{err}");
    // Recursion: three frames, then the rest counted.
    assert!(err.contains("    return rec(n + 1)\n  [Previous line repeated 996 more times]\nRecursionError: maximum recursion depth exceeded\n"), "{err}");
    assert_eq!(err.matches("in rec\n").count(), 3, "{err}");
}

#[test]
fn assigning_a_read_only_property_raises_as_in_39() {
    let f = write_tmp(
        "prop.py",
        "class T:\n    @property\n    def c(self):\n        return 1\nT().c = 2\n",
    );
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("    T().c = 2\nAttributeError: can't set attribute\n"),
        "{err}"
    );
}

#[test]
fn sys_exit_codes_are_the_low_byte_as_on_linux() {
    for (arg, want) in [
        ("-1", 255),
        ("256", 0),
        ("257", 1),
        ("3", 3),
        ("None", 0),
        ("'bye'", 1),
    ] {
        let f = write_tmp("exit.py", &format!("import sys\nsys.exit({arg})\n"));
        let (code, _, err) = gilsim(&["run", &f, "--json", "-"]);
        assert_eq!(code, want, "sys.exit({arg}): {err}");
    }
}

#[test]
fn builtins_and_methods_gilsim_lacks_are_refused_not_raised() {
    for (stmt, what) in [
        (
            "print('a b'.rfind('b'))",
            "`str.rfind` is not supported by gilsim yet",
        ),
        (
            "print(frozenset([1]))",
            "the builtin `frozenset` is not supported by gilsim yet",
        ),
        (
            "(x for x in [1]).throw(ValueError)",
            "`generator.throw` is not supported by gilsim yet",
        ),
        ("f = open('x')", "`open` is not available in gilsim"),
        (
            "print({}.popitem())",
            "`dict.popitem` is not supported by gilsim yet",
        ),
    ] {
        let f = write_tmp(
            "lacks.py",
            &format!("try:\n    {stmt}\nexcept Exception:\n    print('caught')\n"),
        );
        let (code, out, err) = gilsim(&["run", &f]);
        assert_eq!(code, 2, "{stmt}: {err}");
        assert_eq!(out, "", "{stmt}");
        assert!(
            err.contains(what) && err.contains("lacks.py:2:"),
            "{stmt}: {err}"
        );
    }
    // A name or method CPython does not have either stays the program's own error.
    let f = write_tmp(
        "typo.py",
        "try:\n    nope()\nexcept NameError as e:\n    print(e)\ntry:\n    [].nope()\nexcept AttributeError as e:\n    print(e)\n",
    );
    let (code, out, _) = gilsim(&["run", &f]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "name 'nope' is not defined\n'list' object has no attribute 'nope'\n"
    );
}

#[test]
fn a_key_function_that_raises_shows_its_frame_only() {
    let f = write_tmp(
        "key_raises.py",
        "def bad(x):\n    return 1 / x\nprint(sorted([2, 1, 0], key=bad))\n",
    );
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("line 3, in <module>\n    print(sorted([2, 1, 0], key=bad))\n  File"),
        "{err}"
    );
    assert!(
        err.contains("line 2, in bad\n    return 1 / x\nZeroDivisionError: division by zero"),
        "{err}"
    );
    assert!(!err.contains("builtins.py"), "{err}");
}

#[test]
fn replay_of_a_run_stopped_at_the_step_limit_is_identical() {
    // A run whose last switch happens on its very last instruction: the record must keep the
    // thread switched to (with 0 instructions) or the replay counts one switch fewer. Find
    // such a step limit (about one in five is), then replay it.
    let dir = std::env::temp_dir().join(format!("gilsim-replay-find-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let probe = dir.join("probe.json");
    let probe_s = probe.to_str().unwrap();
    let limit = (100_000..100_100)
        .map(|n: u32| n.to_string())
        .find(|n| {
            gilsim(&[
                "run",
                "scenarios/counter.py",
                "--policy",
                "every:7:random",
                "--max-steps",
                n,
                "--json",
                probe_s,
            ]);
            let rec: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&probe).unwrap()).unwrap();
            rec["schedule"].as_str().unwrap().ends_with(":0")
        })
        .expect("a step limit that stops right after a switch");
    assert_replays_identically(
        "limit",
        &[
            "scenarios/counter.py",
            "--policy",
            "every:7:random",
            "--max-steps",
            &limit,
        ],
        4,
    );
    for (policy, steps) in [
        ("slice:5ms", "5000"),
        ("every:100", "20000"),
        ("io", "1234"),
    ] {
        assert_replays_identically(
            "limit2",
            &[
                "scenarios/counter.py",
                "--policy",
                policy,
                "--max-steps",
                steps,
            ],
            4,
        );
    }
}

#[test]
fn replay_of_a_refused_schedule_is_refused_alike() {
    // The record keeps the schedule as given, so the replay stops at the same refusal.
    for schedule in ["0:3 1:1", "0:930 5:3", "0:930+ 1:4070+"] {
        let rec = assert_replays_identically(
            "refused",
            &["scenarios/counter.py", "--schedule", schedule],
            5,
        );
        assert_eq!(rec["schedule"], schedule);
        assert_eq!(rec["outcome"]["status"], "schedule_error");
    }
}

#[test]
fn bad_inputs_get_located_messages() {
    let f = write_tmp("syntax.py", "x = 1\nif x\n    print(x)\n");
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("SyntaxError") && err.contains("syntax.py:2:5"),
        "{err}"
    );
    assert!(err.contains("if x"), "{err}");

    let f = write_tmp("async.py", "async def f():\n    pass\n");
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("gilsim does not support `async def`") && err.contains("async.py:1:1"),
        "{err}"
    );

    let f = write_tmp("recurse.py", "def f(n):\n    return f(n + 1)\n\nf(0)\n");
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("RecursionError: maximum recursion depth exceeded"),
        "{err}"
    );

    let f = write_tmp("forever.py", "while True:\n    pass\n");
    let (code, _, err) = gilsim(&["run", &f, "--max-steps", "10000"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("step limit"), "{err}");

    let f = write_tmp("garbage.py", "\u{0}\u{1}}}}{{{ ))) def def\n");
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("SyntaxError"), "{err}");

    let f = write_tmp("sock.py", "import socket\n");
    let (code, _, err) = gilsim(&["run", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("gilsim has no module `socket`"), "{err}");

    // `os` answers from the simulation only: never the host's files or environment.
    let f = write_tmp(
        "os_host.py",
        "import os\nprint(os.environ.get('HOME'), os.getenv('PATH'))\nos.listdir('/')\n",
    );
    let (code, out, err) = gilsim(&["run", &f]);
    assert_eq!((code, out.as_str()), (2, "None None\n"), "{err}");
    assert!(
        err.contains("gilsim's `os` module has no `listdir`"),
        "{err}"
    );

    let f = write_tmp(
        "big.py",
        "x = 2 ** 200\nprint(x * x)\nprint(10 ** 30 // 7)\n",
    );
    let (code, out, err) = gilsim(&["run", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "{}\n{}\n",
            "2582249878086908589655919172003011874329705792829223512830659356540647622016841194629645353280137831435903171972747493376",
            "142857142857142857142857142857"
        )
    );

    // Machine-written programs: a 50,000-term sum compiles as it does on CPython.
    let f = write_tmp(
        "deep.py",
        &format!("x = {}\nprint(x)\n", vec!["1"; 50_000].join("+")),
    );
    let (code, out, err) = gilsim(&["run", &f]);
    assert_eq!((code, out.as_str()), (0, "50000\n"), "{err}");

    let (code, _, err) = gilsim(&["run", "scenarios/counter.py", "-D", "NOPE=3"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no top-level line `NOPE = <literal>`"),
        "{err}"
    );
}

#[test]
fn every_scenario_runs_under_python3() {
    let Ok(out) = Command::new("python3").arg("--version").output() else {
        eprintln!("skipped: python3 is not on PATH");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: python3 does not run");
        return;
    }
    let scen = root().join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&scen)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    for f in files {
        // The deadlock lesson really deadlocks under CPython; it must at least compile.
        if f.file_name().unwrap() == "deadlock.py" {
            let out = Command::new("python3")
                .args(["-m", "py_compile"])
                .arg(&f)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        let src = std::fs::read_to_string(&f).unwrap();
        let src = src.replacen("ITERATIONS = 100000", "ITERATIONS = 1000", 1);
        // The step-limit lesson never ends under CPython either: it must still be running,
        // without an error, after a second.
        if f.file_name().unwrap() == "spin_forever.py" {
            let mut child = Command::new("python3")
                .arg("-c")
                .arg(&src)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_secs(1));
            let still_running = child.try_wait().unwrap().is_none();
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            assert!(
                still_running,
                "spin_forever.py ended under python3: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            continue;
        }
        let out = Command::new("python3")
            .arg("-c")
            .arg(&src)
            .env("PYTHONPATH", &scen)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code().unwrap_or(-1);
        let ok = code == 0 || (code == 1 && err.contains("AssertionError"));
        assert!(ok, "{} under python3: exit {code}\n{err}", f.display());
    }
}

#[test]
fn every_scenario_dis_and_report_snapshot() {
    let root = root();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "py") && p.file_name().unwrap() != "requests.py"
        })
        .collect();
    files.sort();
    for f in files {
        let name = f.file_stem().unwrap().to_str().unwrap().to_string();
        let rel = format!("scenarios/{name}.py");
        let (code, out, err) = gilsim(&["dis", &rel]);
        assert_eq!(code, 0, "{rel}: {err}");
        snapshot(&format!("dis__{name}"), &out);
        // A lesson's `run:` arguments (the step-limit lesson's --max-steps) are its default.
        let src = std::fs::read_to_string(&f).unwrap();
        let extra: Vec<&str> = src
            .lines()
            .find_map(|l| l.trim().strip_prefix("run:"))
            .map(|a| a.split_whitespace().collect())
            .unwrap_or_default();
        let mut args = vec!["run", rel.as_str()];
        args.extend(&extra);
        let (code, out, err) = gilsim(&args);
        let shown = args.join(" ");
        let text =
            format!("$ gilsim {shown}\nexit code: {code}\n--- stdout\n{out}--- stderr\n{err}");
        snapshot(&format!("run__{name}"), &text);
    }
}

#[test]
fn list_iadd_is_safe_and_list_add_loses_appends() {
    for seed in ["1", "2", "3"] {
        let (_, out, _) = gilsim(&[
            "run",
            "scenarios/list_iadd.py",
            "-D",
            "ITERATIONS=300",
            "--policy",
            "every:3:random",
            "--seed",
            seed,
        ]);
        assert_eq!(
            out.lines().last(),
            Some("0"),
            "l += [1] lost appends: {out}"
        );
    }
    let (_, out, _) = gilsim(&[
        "run",
        "scenarios/list_add.py",
        "-D",
        "ITERATIONS=300",
        "--policy",
        "every:3:random",
        "--seed",
        "1",
    ]);
    let lost: i64 = out.lines().last().unwrap().parse().unwrap();
    assert!(lost > 0, "l = l + [1] lost nothing: {out}");
}

#[test]
fn requests_overlap_and_count_exactly() {
    let (code, out, err) = gilsim(&["run", "scenarios/requests_counter.py", "--json", "-"]);
    assert_eq!(code, 0, "{err}");
    let rec: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rec["outcome"]["stdout"], "50\n0\n");
    // Ten threads × five requests of 20-200 ms each overlap: far less than 50 sequential waits.
    let ns = rec["stats"]["virtual_ns"].as_u64().unwrap();
    assert!(ns < 2_000_000_000, "requests did not overlap: {ns} ns");
    // The simulated network is seeded: another seed gives other latencies.
    let (_, out2, _) = gilsim(&[
        "run",
        "scenarios/requests_counter.py",
        "--json",
        "-",
        "--seed",
        "5",
    ]);
    let rec2: serde_json::Value = serde_json::from_str(&out2).unwrap();
    assert_ne!(rec["stats"]["virtual_ns"], rec2["stats"]["virtual_ns"]);
}

#[test]
fn program_output_matches_cpython_for_a_deterministic_program() {
    let Ok(out) = Command::new("python3").arg("--version").output() else {
        eprintln!("skipped: python3 is not on PATH");
        return;
    };
    if !out.status.success() {
        eprintln!("skipped: python3 does not run");
        return;
    }
    let src = r#"
class A:
    def __init__(self, x):
        self.x = x
    def val(self):
        return self.x
class B(A):
    def __init__(self, x, y):
        super().__init__(x)
        self.y = y
def gen(n):
    for i in range(n):
        yield i * i
b = B(1, 2)
print(b.val(), b.y, isinstance(b, A), [v for v in gen(4)])
print({k: v for k, v in zip("abc", range(3))}, sum(range(10)), 2 ** 100, 7 // -2, -7 % 3, 1 / 4)
print(f"{3.14159:.2f} {42:>5} {'x'!r} {1000000:,} {0.1 + 0.2}", "%s-%05d" % ("a", 42))
try:
    {}["missing"]
except KeyError as e:
    print("KeyError", e)
d = {"a": 1}
d["a"] += 1
print(d, sorted([3, 1, 2]), list(reversed([1, 2, 3])), "a,b".split(","), " x ".strip())
print(sum(x for x in range(10)), max(x % 7 for x in range(20)), list(gen(3)), ",".join(str(x) for x in range(4)))
for i, s in enumerate(gen(3), 1):
    print(i, s)
g = gen(3)
print(list(zip(gen(3), "abc")), next(g), next(g), next(g), next(g, "done"), any(x > 3 for x in gen(3)))
def chained():
    try:
        try:
            {}["k"]
        except KeyError:
            raise ValueError("bad value")
    except ValueError as e:
        raise RuntimeError("wrapped") from e
try:
    chained()
except RuntimeError as e:
    print(repr(e.__cause__), repr(e.__cause__.__context__), e.__suppress_context__)
def handler_gen():
    try:
        raise ValueError("inner")
    except ValueError:
        yield 1
try:
    for x in handler_gen():
        raise
except RuntimeError as e:
    print("RuntimeError:", e)
print("aaa".replace("a", "b", 1), "a,b,c".split(",", 1), "Hi".center(6, "*"), f"{'42':4}|{255:#x}|{2.0:.3}", "%+d %(a)s" % (5, ) if False else "%+d" % 5)
def caught(n):
    try:
        if n == 5:
            raise ValueError("x")
        return caught(n + 1)
    except ValueError:
        return n
def deep(n):
    try:
        return deep(n + 1)
    except RecursionError:
        return n
print(caught(0), deep(0) > 900)
def nested_finally():
    try:
        try:
            return 1
        finally:
            pass
    finally:
        try:
            return 2
        finally:
            pass
def finally_in_loop():
    for i in range(3):
        try:
            continue
        finally:
            print("finally", i)
            return i
def continue_in_finally():
    for i in range(3):
        try:
            return i
        finally:
            continue
    return 9
print(nested_finally(), finally_in_loop(), continue_in_finally())
nested = []
for _ in range(5000):
    nested = [nested]
try:
    nested == nested[0]
except RecursionError:
    print("RecursionError")
d = {"a": 1, "b": 2}
keys = d.keys()
d["c"] = 3
print(keys, d.values(), d.items(), len(keys), "a" in keys, {3, 1, 2}, set(range(20, 0, -1)))
print(sorted([1, 1.0, True], reverse=True), round(2.675, 2), int(1e20), 2**64 % 7.0, (10**400) // (10**399), -7.5 // 2)
words = ["banana", "Apple", "cherry", "date", "fig", "Elder"]
print(sorted(words, key=len), sorted(words, key=len, reverse=True), sorted(words, key=str.lower))
print(min(words, key=len), max(words, key=len), min(3, -7, 5, key=abs), max([], key=len, default="-"))
pairs = [(1, "b"), (0, "a"), (1, "a"), (0, "b")]
pairs.sort(key=lambda p: p[1], reverse=True)
print(pairs, sorted((x * x for x in range(-3, 4)), key=lambda v: -v), max(range(10), key=lambda v: v % 4))
class V:
    def __init__(self, x, y):
        self.x = x
        self.y = y
    def __repr__(self):
        return f"V({self.x}, {self.y})"
    def __eq__(self, other):
        if not isinstance(other, V):
            return NotImplemented
        return self.x == other.x and self.y == other.y
    def __lt__(self, other):
        if not isinstance(other, V):
            return NotImplemented
        return (self.x, self.y) < (other.x, other.y)
    def __le__(self, other):
        return (self.x, self.y) <= (other.x, other.y)
    def __add__(self, other):
        if isinstance(other, int):
            return V(self.x + other, self.y + other)
        return V(self.x + other.x, self.y + other.y)
    def __radd__(self, other):
        return V(self.x + other, self.y + other)
    def __mul__(self, k):
        return V(self.x * k, self.y * k)
    def __bool__(self):
        return bool(self.x or self.y)
    def __hash__(self):
        return hash((self.x, self.y))
class Bag:
    def __init__(self):
        self.items = {}
    def __len__(self):
        return len(self.items)
    def __getitem__(self, k):
        return self.items[k]
    def __setitem__(self, k, v):
        self.items[k] = v
    def __delitem__(self, k):
        del self.items[k]
    def __contains__(self, k):
        return k in self.items
    def __iter__(self):
        return iter(sorted(self.items))
    def __str__(self):
        return "Bag(" + ", ".join(self.items) + ")"
class Count:
    def __init__(self, n):
        self.i = 0
        self.n = n
    def __iter__(self):
        return self
    def __next__(self):
        if self.i >= self.n:
            raise StopIteration
        self.i += 1
        return self.i
class Adder:
    def __call__(self, a, b):
        return a + b
a = V(1, 2)
b = V(1, 2)
c = V(3, 4)
print(a, repr(a), str(a), f"{a}", f"{a!r}", a == b, a != b, a == c, a != c, a == 3, a != 3)
print(a < c, c < a, a <= b, a > c, c > a, c >= a)
print(a + c, a + 1, 1 + a, a * 2)
x = a
x += c
print(x, a)
if a:
    print("a is true")
if not V(0, 0):
    print("zero is false")
print(V(0, 0) or "empty", a and "yes")
bag = Bag()
bag["k"] = 1
bag["j"] = 2
print(len(bag), bag["k"], "k" in bag, "z" in bag, "z" not in bag, bag, str(bag))
del bag["k"]
print(len(bag), bool(bag))
if bag:
    print("bag non-empty")
for k in bag:
    print("key", k)
for i in Count(3):
    print("count", i)
print(list(Count(4)), sum(Count(4)), sorted(Count(3), reverse=True), max(Count(5)))
it = iter(Count(2))
print(next(it), next(it), next(it, "end"))
print(Adder()(2, 3))
print(a is b, a == a)
try:
    a < 3
except TypeError as e:
    print("TypeError", e)
try:
    a - c
except TypeError as e:
    print("TypeError", e)
class Plain:
    pass
p = Plain()
print(p == p, p != Plain())
print(1e15 + 0.3, 1e15 + 0.5, 1e16, 1e22, 1.5e-7, 123456789012345678.0, 9007199254740993.0, 5e-324, -0.0, 1e-5, 0.0001)
print(hash(1.5), hash(-1.5), hash(0.1), hash(1e100), hash((1, 2)), hash(()), hash(-1), hash(2**61), hash((1.5, 2)), hash(float("inf")))
hs = set()
for t in [(1, 2), (3, 4), (0, 0), (5, 1), (2, 2), (-1, 7)]:
    hs.add(t)
print(hs, set([(1.5, 2), (0.25, 1), (3, 3)]), {x / 4 for x in range(9)}, {(i, -i) for i in range(6)}, {1.5, 2.5})
print(list(enumerate("abc", start=5)), list(enumerate((x for x in "ab"), start=2)), round(1234.5678, -2), round(25, -1))
print(int("ff", 16), int("0x1f", 16), int("777", 8), int("1010", 2), int("z", 36), int(" 12 ", 10), int("0b101", 0), int("-42"), int("1_000"), int("0_7", base=8))
print("% d|%#x|%#o|%.2s|%.3d|%5.1f|%-6d|%+.2e" % (5, 255, 8, "abcdef", 7, 3.14159, 42, 12345.678))
print(f"{1234567:010,}|{3.5:+}|{float('nan')}|{float('inf'):>6}|{'é'!a}|{1e20:.3g}|{0.5:%}|{255:#b}|{12:_}")
print("%s %r %a" % ("x", "y", "é"), "{!a}".format("ü"), "{:08.3f}".format(-3.14159), format(1234567.891, ",.2f"), "%x %X %o" % (255, 255, 8))
print("%5s|%-5s|%05.1f|%c|%%" % ("ab", "cd", 2.25, 65), "{:^9}".format("mid"), "{0:>{1}}".format("r", 4))
print(float("nan"), -float("inf"), "%f %e %g" % (float("nan"), float("inf"), float("-inf")), "%F %E %G" % (float("nan"), 1.5, float("inf")))
print("%#g|%#.3g|%g|%#x|%#o|%5.2s|%-4c|%c|%+05d|% 05d|%05s|%.0f|%#.0f|%e|%#.0e|%10.4f|%-10.2e|%x" % (1.5, 2.0, 1e-5, 0, 0, "hello", "z", 97, 42, 42, "ab", 2.5, 2.5, 0.0, 3.0, -3.14159, 12345.6789, -255))
print("%(a)s %(b)05.1f %%" % {"a": 1, "b": 2.25}, "%r" % "it's", "%a" % "naïve", "%*d|%-*d|%.*f" % (5, 1, 4, 2, 2, 3.14159))
print("%d %i %u" % (3.9, -3.9, True), "%5.1F" % float("inf"), "%05f" % float("nan"), "%-6.1f|" % float("-inf"), "%.3s" % 12345)
class Temp:
    def __init__(self):
        self._c = 1
    @property
    def c(self):
        return self._c
    @property
    def f(self):
        return self._c * 2
    @f.setter
    def f(self, v):
        self._c = v // 2
tp = Temp()
tp.f = 10
try:
    tp.c = 5
except AttributeError as e:
    print("AttributeError", tp.c, tp.f)
import threading
th = threading.Thread(target=len, args=("x",))
print(th.ident)
th.start()
th.join()
print(th.ident is not None, threading.current_thread().ident is not None)
def returns():
    yield 1
    return 42
rg = returns()
next(rg)
try:
    next(rg)
except StopIteration as e:
    print("value", e.value, e.args, StopIteration().value)
def walrus(data):
    out = [y for x in data if (y := x * 2) > 2]
    return out, y
print(walrus([1, 2, 3]), [[(q := i * j) for j in range(3)] for i in range(2)], q)
"#;
    let f = write_tmp("det.py", src);
    let py = Command::new("python3").arg(&f).output().unwrap();
    let (code, out, err) = gilsim(&["run", &f]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, String::from_utf8_lossy(&py.stdout));
}

/// CPython 3.9's interpreter, if this machine has one.
fn python39() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let versions = PathBuf::from(home).join(".pyenv/versions");
    let mut found: Vec<PathBuf> = std::fs::read_dir(versions)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("3.9."))
        })
        .map(|p| p.join("bin/python"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

/// Opcode names of every code object in `dis` order, from `gilsim dis` output.
fn gilsim_opnames(dis: &str) -> Vec<String> {
    let is_op = |t: &str| t.len() > 1 && t.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    dis.lines()
        .filter(|l| l.starts_with(' '))
        .filter_map(|l| {
            let toks: Vec<&str> = l.split_whitespace().collect();
            (1..toks.len())
                .find(|&i| is_op(toks[i]) && toks[i - 1].chars().all(|c| c.is_ascii_digit()))
                .map(|i| toks[i].to_string())
        })
        .collect()
}

#[test]
fn opcodes_match_cpython_39_dis_for_every_scenario() {
    let Some(py) = python39() else {
        eprintln!("skipped: no CPython 3.9 under ~/.pyenv/versions");
        return;
    };
    let script = r#"
import dis, sys
def walk(co):
    for ins in dis.get_instructions(co):
        if ins.opname != "EXTENDED_ARG":
            print(ins.opname)
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            walk(c)
src = open(sys.argv[1]).read()
walk(compile(src, sys.argv[1], "exec"))
"#;
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    for f in files {
        let out = Command::new(&py)
            .arg("-c")
            .arg(script)
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        let (code, dis, err) = gilsim(&["dis", f.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let got = gilsim_opnames(&dis);
        assert_eq!(
            got,
            expected,
            "{}: opcode names differ from CPython 3.9",
            f.display()
        );
    }
}

#[test]
fn ticks_n_uses_its_own_n() {
    // `ticks:N` used to take the machine's default check interval (100) whatever N was.
    let switches = |policy: &str| {
        let (_, out, err) = gilsim(&[
            "run",
            "scenarios/counter.py",
            "-D",
            "THREADS=2",
            "-D",
            "ITERATIONS=2000",
            "--policy",
            policy,
            "--json",
            "-",
        ]);
        let rec: serde_json::Value = serde_json::from_str(&out).expect(&err);
        assert_eq!(rec["config"]["policy"], policy);
        rec["stats"]["switches"].as_u64().unwrap()
    };
    let (few, many) = (switches("ticks:1000"), switches("ticks:10"));
    assert!(
        many > 10 * few,
        "ticks:10 {many} switches, ticks:1000 {few}"
    );
}

#[test]
fn deterministic_scenarios_print_what_cpython_39_prints() {
    let Some(py) = python39() else {
        eprintln!("skipped: no CPython 3.9 under ~/.pyenv/versions");
        return;
    };
    // The scenarios whose output does not depend on the interleaving, shrunk alike.
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("counter_locked", &[("ITERATIONS", "2000")]),
        ("counter_acquire", &[("ITERATIONS", "2000")]),
        ("counter_whole_loop", &[("ITERATIONS", "2000")]),
        ("counter_class_locked", &[("ITERATIONS", "2000")]),
        ("list_iadd", &[]),
        ("sort_one_call", &[]),
        ("cpu_bound", &[]),
        ("io_bound", &[]),
        ("requests_counter", &[]),
        ("producer_consumer_queue", &[("ITEMS", "300")]),
        ("check_then_act_locked", &[]),
        ("deadlock_ordered", &[]),
    ];
    for (name, defines) in cases {
        let file = format!("scenarios/{name}.py");
        let mut src = std::fs::read_to_string(root().join(&file)).unwrap();
        let mut args = vec!["run".to_string(), file.clone()];
        for (n, v) in *defines {
            let line = src
                .lines()
                .find(|l| l.starts_with(&format!("{n} = ")))
                .unwrap()
                .to_string();
            src = src.replacen(&line, &format!("{n} = {v}"), 1);
            args.extend(["-D".to_string(), format!("{n}={v}")]);
        }
        let out = Command::new(&py)
            .arg("-c")
            .arg(&src)
            .env("PYTHONPATH", root().join("scenarios"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} under CPython 3.9: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, got, err) = gilsim(&args);
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(got, String::from_utf8_lossy(&out.stdout), "{name}");
    }
}

#[test]
fn the_readme_tour_is_what_gilsim_prints() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let (_, out, err) = gilsim(&["run", "scenarios/counter.py"]);
    let block = format!("$ gilsim run scenarios/counter.py\n{out}{err}```");
    assert!(
        readme.contains(&block),
        "README.md's tour differs from the run; paste this in:\n{block}"
    );
    let (_, dis, _) = gilsim(&["dis", "scenarios/counter.py"]);
    let line = dis
        .lines()
        .find(|l| l.contains("LOAD_GLOBAL              2 (i)"))
        .unwrap();
    assert!(readme.contains(line), "README.md's dis line is not {line}");
}

/// The `gilsim …` example commands of README.md and docs/*.md (inside code blocks, with
/// real files rather than placeholders such as FILE): (where, command, comment).
fn documented_commands() -> Vec<(String, String, String)> {
    let mut files = vec![root().join("README.md")];
    files.extend(
        std::fs::read_dir(root().join("docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let name = f.strip_prefix(root()).unwrap().display().to_string();
        let mut in_code = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            let Some(cmd) = line
                .strip_prefix("$ gilsim ")
                .or_else(|| line.strip_prefix("gilsim "))
            else {
                continue;
            };
            // A placeholder (FILE, RECORD.json) or an optional part ([--seed N]): a synopsis.
            let placeholder = |w: &str| {
                let stem = w.split('.').next().unwrap_or(w);
                stem.len() > 1 && stem.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            };
            if !in_code || cmd.split_whitespace().any(placeholder) || cmd.contains('[') {
                continue;
            }
            let (cmd, comment) = cmd.split_once('#').unwrap_or((cmd, ""));
            out.push((
                format!("{name}:{}", i + 1),
                cmd.trim().to_string(),
                comment.trim().to_string(),
            ));
        }
    }
    out
}

/// Every example command of the README and the docs runs and shows what its comment says:
/// `exit N` is its exit code (`exit N if …` names a failure the example does not have, so it
/// exits 0), `loses N` is the last line it prints, `exact` means it lost nothing, and none is
/// a usage error or an internal bug. They run in order in a scratch folder, so a record one
/// writes is there for the next to replay.
#[test]
fn every_documented_example_does_what_it_says() {
    let commands = documented_commands();
    assert!(
        commands.len() >= 15,
        "only {} examples found: {commands:?}",
        commands.len()
    );
    let dir = std::env::temp_dir().join(format!("gilsim-doc-examples-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for sub in ["scenarios", "crates"] {
        let link = dir.join(sub);
        if !link.exists() {
            std::os::unix::fs::symlink(root().join(sub), &link).unwrap();
        }
    }
    let mut wrong = Vec::new();
    for (place, cmd, comment) in &commands {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gilsim"))
            .args(cmd.split_whitespace())
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let words: Vec<&str> = comment.split_whitespace().collect();
        let after = |key: &str| {
            words
                .iter()
                .position(|w| *w == key)
                .and_then(|k| words.get(k + 1))
                .map(|w| w.trim_end_matches([':', ',', ';']))
        };
        // `exit N if …`: N is what a failure would give; the example must not fail so.
        let conditional = words.contains(&"if");
        let want_code = after("exit").and_then(|n| n.parse::<i32>().ok());
        let last = stdout.trim_end().lines().last().unwrap_or("");
        let problem = if stderr.contains("internal bug") || stderr.contains("panicked") {
            Some("an internal bug".to_string())
        } else if code == 2 && want_code != Some(2) {
            Some(format!("a usage error: {stderr}"))
        } else if let Some(w) = want_code.filter(|w| (*w == code) == conditional) {
            Some(if conditional {
                format!("exit {w}, which the comment names as a failure")
            } else {
                format!("exit {code}, not {w}")
            })
        } else if let Some(n) = after("loses").filter(|n| *n != last) {
            Some(format!("its last line is {last:?}, not {n}"))
        } else if comment.contains("exact") && last != "0" {
            Some(format!("its last line is {last:?}, not 0"))
        } else {
            None
        };
        if let Some(p) = problem {
            wrong.push(format!("{place}: `gilsim {cmd}` ({comment}): {p}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_trace_gives_each_switch_its_true_reason() {
    // A switch the schedule asks for is the schedule's, whatever the policy.
    let (_, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=2",
        "--schedule",
        "0:667+ 1:27 0:27+ 2:47 0:22+ 1:20 0:48",
        "--trace",
    ]);
    assert!(
        err.contains("── switch T1 → T0: the schedule switches here ──"),
        "{err}"
    );
    assert!(!err.contains("switch interval expired"), "{err}");
    // start() that hands the GIL to a thread that ran before does not say the new thread runs,
    // and the machinery reads as what it does.
    let (_, _, err) = gilsim(&["run", "scenarios/counter.py", "--explain"]);
    assert!(err.contains("start() starts thread 2"), "{err}");
    assert!(
        err.contains("── switch T0 → T1: start() waits for its new thread; T1, which was waiting for the GIL, gets it first ──"),
        "{err}"
    );
    assert!(!err.contains("inside threading.Thread"), "{err}");
}

#[test]
fn an_explanation_shows_every_write_it_names() {
    // list_add's story names thread 3's last write before the stale one: it is in the trace.
    let (_, _, err) = gilsim(&["run", "scenarios/list_add.py", "--explain"]);
    let trace = err.split("── trace").nth(1).expect("a trace");
    assert_eq!(trace.matches("← writes global l").count(), 2, "{trace}");
}

/// The virtual time a run of `cpu_bound.py` reports, in nanoseconds.
fn cpu_bound_virtual_ns(python: &str, threads: &str) -> u64 {
    let (code, out, err) = gilsim(&[
        "run",
        "scenarios/cpu_bound.py",
        "--python",
        python,
        "-D",
        &format!("THREADS={threads}"),
        "--json",
        "-",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("a run record");
    v["stats"]["virtual_ns"].as_u64().expect("virtual_ns")
}

#[test]
fn without_the_gil_each_thread_keeps_its_own_clock() {
    // With the GIL, four threads take as long as one (a little longer: start-up, switches).
    let (one, four) = (
        cpu_bound_virtual_ns("3.9", "1"),
        cpu_bound_virtual_ns("3.9", "4"),
    );
    assert!(four >= one, "3.9: {one} ns with 1 thread, {four} ns with 4");
    // Without it (3.13t) they run at once, each on its own core: about a quarter of the time.
    let (one, four) = (
        cpu_bound_virtual_ns("3.13t", "1"),
        cpu_bound_virtual_ns("3.13t", "4"),
    );
    assert!(
        four * 10 < one * 3 && four * 5 > one,
        "3.13t: {one} ns with 1 thread, {four} ns with 4"
    );
}

#[test]
fn python_2_7_programs_run_as_2_7_runs_them() {
    // Python 2.7's print statement, its module names and its syntax: what a program written
    // for both versions meets under --python 2.7 (each checked against a real 2.7 where one
    // is installed, else against what 2.7.18 printed when this test was written).
    let both = write_tmp(
        "py27_both.py",
        "try:\n    import queue\nexcept ImportError:\n    import Queue as queue\nimport threading\nq = queue.Queue()\nthreading.Thread(target=q.put, args=(3,)).start()\nprint(q.get(), 'items')\nprint('x')\nprint()\n",
    );
    let (code, out, err) = gilsim(&["run", "--python", "2.7", &both]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "(3, 'items')\nx\n()\n");
    if let Some(py) = common::interpreter("2.7.18") {
        let real = std::process::Command::new(py)
            .arg(&both)
            .output()
            .expect("python2.7");
        assert_eq!(String::from_utf8_lossy(&real.stdout), out);
    }
    let (code, out, _) = gilsim(&["run", "--python", "3.9", &both]);
    assert_eq!((code, out.as_str()), (0, "3 items\nx\n\n"));
    let future = write_tmp(
        "py27_future.py",
        "from __future__ import print_function\nprint(1, 2, sep='-')\n",
    );
    let (code, out, _) = gilsim(&["run", "--python", "2.7", &future]);
    assert_eq!((code, out.as_str()), (0, "1-2\n"));
    for (name, src, what) in [
        ("py27_fstring.py", "x = 1\nprint(f'{x}')\n", "f-strings"),
        (
            "py27_nonlocal.py",
            "def f():\n    x = 1\n    def g():\n        nonlocal x\n    return g\n",
            "nonlocal",
        ),
        ("py27_end.py", "print('a', end='')\n", "print_function"),
    ] {
        let p = write_tmp(name, src);
        let (code, _, err) = gilsim(&["run", "--python", "2.7", &p]);
        assert_eq!(
            code, 1,
            "{name}: a SyntaxError exits 1, as in CPython: {err}"
        );
        assert!(
            err.contains("SyntaxError") && err.contains(what),
            "{name}: {err}"
        );
        let (code, _, err) = gilsim(&["run", "--python", "3.9", &p]);
        assert_eq!(code, 0, "{name} under 3.9: {err}");
    }
    // A module of the other version raises ImportError, as CPython's import does.
    let missing = write_tmp(
        "py27_missing.py",
        "try:\n    import concurrent.futures\nexcept ImportError as e:\n    print(e)\n",
    );
    let (_, out, _) = gilsim(&["run", "--python", "2.7", &missing]);
    assert_eq!(out, "No module named concurrent.futures\n");
    let (_, out, _) = gilsim(&[
        "run",
        "--python",
        "2.7",
        &write_tmp(
            "py27_q.py",
            "try:\n    import Queue\nexcept ImportError as e:\n    print(e)\n",
        ),
    ]);
    assert_eq!(out, "");
    let (_, out, _) = gilsim(&[
        "run",
        "--python",
        "3.12",
        &write_tmp(
            "py3_q.py",
            "try:\n    import Queue\nexcept ImportError as e:\n    print(e)\n",
        ),
    ]);
    assert_eq!(out, "No module named 'Queue'\n");
}

#[test]
fn a_deadlocked_thread_with_no_code_of_the_learners_is_placed_in_its_module() {
    // An executor's worker runs only gilsim's own code: the report names where it waits
    // instead of "line 0", and an executor nobody shut down is no deadlock by itself.
    let f = write_tmp(
        "worker_waits.py",
        "from concurrent.futures import ThreadPoolExecutor\nimport threading\nev = threading.Event()\nex = ThreadPoolExecutor(1)\nex.submit(print, 'hi')\nev.wait()\n",
    );
    let (code, out, err) = gilsim(&["run", &f]);
    assert_eq!((code, out.as_str()), (3, "hi\n"), "{err}");
    assert!(
        err.contains("waits in _worker() of concurrent.futures for another thread to wake it"),
        "{err}"
    );
    assert!(!err.contains("line 0"), "{err}");
    let f = write_tmp(
        "never_shut.py",
        "from concurrent.futures import ThreadPoolExecutor\nex = ThreadPoolExecutor(2)\nprint(ex.submit(sum, [1, 2]).result())\n",
    );
    let (code, out, err) = gilsim(&["run", &f]);
    assert_eq!((code, out.as_str()), (0, "3\n"), "{err}");
}
