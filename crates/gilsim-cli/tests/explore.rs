//! End-to-end tests of `gilsim explore`: the outcome sets against an independent brute-force
//! model of the counter, the reduced search against the full one, witnesses that replay.

use serde_json::Value;
use std::collections::BTreeSet;
mod common;

use common::gilsim;

fn explore(file: &str, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["explore", file, "--json", "-"];
    all.extend_from_slice(args);
    let (code, out, err) = gilsim(&all);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn final_values(v: &Value, name: &str) -> BTreeSet<i64> {
    v["outcomes"]
        .as_array()
        .expect("outcomes")
        .iter()
        .map(|o| o["globals"][name].as_i64().expect("int global"))
        .collect()
}

/// Every final value of a shared counter that `threads` threads reach by `iterations`
/// non-atomic increments each (read into a register, then write register + 1), over every
/// interleaving of the reads and writes: a breadth-first search over (per-thread progress,
/// per-thread register, counter), independent of gilsim.
fn model(threads: usize, iterations: usize) -> BTreeSet<i64> {
    #[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct S {
        step: Vec<usize>, // 2 * increments done, +1 while holding a read
        reg: Vec<i64>,
        i: i64,
    }
    let start = S {
        step: vec![0; threads],
        reg: vec![0; threads],
        i: 0,
    };
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    let mut finals = BTreeSet::new();
    while let Some(s) = todo.pop() {
        if !seen.insert(s.clone()) {
            continue;
        }
        let mut any = false;
        for t in 0..threads {
            if s.step[t] == 2 * iterations {
                continue;
            }
            any = true;
            let mut n = s.clone();
            if s.step[t] % 2 == 0 {
                n.reg[t] = s.i;
            } else {
                n.i = s.reg[t] + 1;
            }
            n.step[t] += 1;
            todo.push(n);
        }
        if !any {
            finals.insert(s.i);
        }
    }
    finals
}

#[test]
fn counter_outcomes_match_the_brute_force_model() {
    for (threads, iterations) in [(2, 1), (2, 2), (2, 3), (3, 1), (3, 2)] {
        let t = format!("THREADS={threads}");
        let n = format!("ITERATIONS={iterations}");
        let (code, v) = explore("scenarios/counter.py", &["-D", &t, "-D", &n]);
        assert_eq!(code, 0);
        assert_eq!(v["exhaustive"], true);
        assert_eq!(
            final_values(&v, "i"),
            model(threads, iterations),
            "{threads} x {iterations}"
        );
    }
}

#[test]
fn the_locked_counter_has_exactly_one_outcome() {
    for file in [
        "scenarios/counter_locked.py",
        "scenarios/counter_acquire.py",
    ] {
        let (code, v) = explore(file, &["-D", "THREADS=2", "-D", "ITERATIONS=2"]);
        assert_eq!(code, 0);
        assert_eq!(v["exhaustive"], true);
        let outcomes = v["outcomes"].as_array().unwrap();
        assert_eq!(outcomes.len(), 1, "{file}: {v}");
        assert_eq!(outcomes[0]["globals"]["i"], 4);
        assert_eq!(outcomes[0]["status"], "finished");
    }
}

/// The reduced search offers fewer choices; it must find the same outcomes as the full one.
#[test]
fn the_reduced_search_finds_what_the_full_one_finds() {
    let cases: [(&str, &[&str]); 11] = [
        // A method a worker replaces, looked up by the main thread.
        ("crates/gilsim-cli/tests/programs/methods.py", &[]),
        // Threads whose target is a builtin's or a module's method.
        ("crates/gilsim-cli/tests/programs/builtin_target.py", &[]),
        // Threads ending while the main thread joins them, one by a timed join.
        ("crates/gilsim-cli/tests/programs/thread_ends.py", &[]),
        // A thread's end seen by `is_alive()`: then it is a step of its own.
        ("crates/gilsim-cli/tests/programs/liveness.py", &[]),
        // Globals no code rebinds any more, beside ones a loop of the module body rebinds.
        ("crates/gilsim-cli/tests/programs/frozen_globals.py", &[]),
        // Module names only the main thread touches, beside one a worker reads.
        ("crates/gilsim-cli/tests/programs/module_names.py", &[]),
        // A list only the main thread sees, beside one handed to a worker.
        ("crates/gilsim-cli/tests/programs/module_lists.py", &[]),
        (
            "scenarios/counter.py",
            &["-D", "THREADS=2", "-D", "ITERATIONS=2"],
        ),
        (
            "scenarios/list_add.py",
            &["-D", "THREADS=2", "-D", "ITERATIONS=2"],
        ),
        (
            "scenarios/list_iadd.py",
            &["-D", "THREADS=2", "-D", "ITERATIONS=2"],
        ),
        (
            "scenarios/counter_class.py",
            &["-D", "THREADS=2", "-D", "ITERATIONS=1"],
        ),
    ];
    // Every profile: their check points and bytecode differ (2.7's ticks, 3.11's RESUME and
    // specialising calls, 3.13t's every boundary).
    let profiles = ["3.9", "2.7", "3.11", "3.13t"];
    for (file, defines, v) in cases
        .iter()
        .flat_map(|(f, d)| profiles.iter().map(move |v| (*f, *d, *v)))
    {
        let mut args = defines.to_vec();
        args.extend(["--python", v]);
        let (_, reduced) = explore(file, &args);
        let mut full_args = args.clone();
        full_args.push("--no-reduction");
        let (_, full) = explore(file, &full_args);
        let file = format!("{file} --python {v}");
        assert_eq!(full["exhaustive"], true, "{file}");
        let outcomes = |v: &Value| -> BTreeSet<String> {
            v["outcomes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    format!(
                        "{} {} {} {}",
                        o["status"], o["exit_code"], o["stdout"], o["globals"]
                    )
                })
                .collect()
        };
        assert_eq!(outcomes(&reduced), outcomes(&full), "{file}");
        assert!(
            reduced["states"].as_u64().unwrap() < full["states"].as_u64().unwrap(),
            "{file}: the reduction should visit fewer states"
        );
    }
}

/// A join of a thread whose `start()` is under way waits for it (or raises, if it comes
/// before the start): it never returns before that thread has run, even with a switch at
/// every check point inside `threading` itself.
#[test]
fn a_join_never_returns_before_its_thread_has_run() {
    for v in ["3.9", "3.11", "3.13t"] {
        let (_, full) = explore(
            "crates/gilsim-cli/tests/programs/join_unstarted.py",
            &["--python", v, "--no-reduction"],
        );
        assert_eq!(full["exhaustive"], true, "{v}");
        let outs: BTreeSet<&str> = full["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["stdout"].as_str().unwrap())
            .collect();
        assert!(outs.contains("['b', 'joined']\n"), "{v}: {outs:?}");
        assert!(!outs.contains("['joined', 'b']\n"), "{v}: {outs:?}");
    }
}

#[test]
fn every_witness_replays_to_its_outcome() {
    let (_, v) = explore(
        "scenarios/counter.py",
        &["-D", "THREADS=2", "-D", "ITERATIONS=3"],
    );
    for o in v["outcomes"].as_array().unwrap() {
        let schedule = o["witness"].as_str().unwrap();
        let (code, out, err) = gilsim(&[
            "run",
            "scenarios/counter.py",
            "-D",
            "THREADS=2",
            "-D",
            "ITERATIONS=3",
            "--schedule",
            schedule,
        ]);
        assert_eq!(out, o["stdout"].as_str().unwrap(), "{schedule}: {err}");
        assert_eq!(
            i64::from(code),
            o["exit_code"].as_i64().unwrap(),
            "{schedule}"
        );
    }
    // The fewest-preemption witness of the correct result needs none.
    assert_eq!(v["outcomes"][0]["globals"]["i"], 6);
    assert_eq!(v["outcomes"][0]["preemptions"], 0);
}

#[test]
fn bounds_and_limits_are_reported() {
    // With no preemption only the sequential result remains.
    let (code, v) = explore(
        "scenarios/counter.py",
        &[
            "-D",
            "THREADS=2",
            "-D",
            "ITERATIONS=2",
            "--max-preemptions",
            "0",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(v["bound"], 0);
    assert_eq!(final_values(&v, "i"), BTreeSet::from([4]));
    // One preemption between a read and its write, with the other thread then running to its
    // end, loses all of that thread's updates: 2; losing exactly one takes two preemptions.
    let (_, v) = explore(
        "scenarios/counter.py",
        &[
            "-D",
            "THREADS=2",
            "-D",
            "ITERATIONS=2",
            "--max-preemptions",
            "1",
        ],
    );
    assert_eq!(final_values(&v, "i"), BTreeSet::from([2, 4]));
    let (_, v) = explore(
        "scenarios/counter.py",
        &[
            "-D",
            "THREADS=2",
            "-D",
            "ITERATIONS=2",
            "--max-preemptions",
            "2",
        ],
    );
    assert_eq!(final_values(&v, "i"), BTreeSet::from([2, 3, 4]));
    // A state limit ends the search with a partial report and exit 4.
    let (code, v) = explore(
        "scenarios/counter.py",
        &[
            "-D",
            "THREADS=3",
            "-D",
            "ITERATIONS=3",
            "--max-states",
            "500",
        ],
    );
    assert_eq!(code, 4);
    assert_eq!(v["exhaustive"], false);
    assert_eq!(v["schedules_exact"], false);
    let (_, out, _) = gilsim(&[
        "explore",
        "scenarios/counter.py",
        "-D",
        "THREADS=3",
        "--max-states",
        "500",
    ]);
    assert!(out.contains("NOT exhaustive"), "{out}");
}

#[test]
fn sleeping_threads_may_wake_at_any_choice() {
    // check_then_act sleeps between the check and the act: time is a choice, so both the
    // lucky and the unlucky order are found.
    let (code, v) = explore("scenarios/check_then_act.py", &[]);
    assert_eq!(code, 0);
    let stock: BTreeSet<i64> = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["globals"]["stock"]["'apples'"].as_i64().expect("stock"))
        .collect();
    assert_eq!(stock, BTreeSet::from([-1, 0]), "{v}");
}

#[test]
fn exploring_twice_gives_the_same_bytes() {
    let args = [
        "explore",
        "scenarios/list_add.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=2",
        "--json",
        "-",
    ];
    let (_, a, _) = gilsim(&args);
    let (_, b, _) = gilsim(&args);
    assert_eq!(a, b);
}

#[test]
fn sweeps_are_the_same_on_any_number_of_cores() {
    let args = |jobs: &'static str| {
        [
            "sweep",
            "scenarios/counter.py",
            "-D",
            "THREADS=2",
            "-D",
            "ITERATIONS=50",
            "--policy",
            "pct:2:300",
            "--seeds",
            "0..60",
            "--jobs",
            jobs,
        ]
    };
    let (code, one, _) = gilsim(&args("1"));
    assert_eq!(code, 0);
    let (_, two, _) = gilsim(&args("2"));
    assert_eq!(one, two);
    // PCT with depth 2 finds the lost update in some runs, and the named seed shows it.
    let line = one
        .lines()
        .find(|l| l.starts_with("lost updates in "))
        .expect("lost line");
    assert!(!line.contains("none"), "{one}");
    let seed = line
        .rsplit("--seed ")
        .next()
        .and_then(|s| s.split('`').next())
        .expect("seed");
    let (code, out, _) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=50",
        "--policy",
        "pct:2:300",
        "--seed",
        seed,
    ]);
    assert_eq!(code, 1, "seed {seed} should lose an update: {out}");
    // The histogram's runs add up to the seeds.
    let runs: u64 = one
        .lines()
        .filter_map(|l| l.trim().split(" run").next()?.parse::<u64>().ok())
        .sum();
    assert_eq!(runs, 60, "{one}");
}

#[test]
fn pct_is_a_policy_like_the_others() {
    let (code, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "ITERATIONS=10",
        "--policy",
        "pct:0",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("pct:D needs a bug depth D ≥ 1"), "{err}");
    let (_, out, _) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "ITERATIONS=100",
        "--policy",
        "pct:3",
        "--json",
        "-",
    ]);
    let rec: Value = serde_json::from_str(&out).expect("record");
    assert_eq!(rec["config"]["policy"], "pct:3");
}

#[test]
fn profiles_reach_the_outcomes_their_check_points_allow() {
    // 3.9, 2.7 and 3.13t can split `i += 1`: every value of the brute-force model; 3.10+
    // switch only at the loop's back-edge, so every increment lands.
    for v in ["2.7", "3.9", "3.10", "3.11", "3.12", "3.13", "3.13t"] {
        let (code, out) = explore(
            "scenarios/counter.py",
            &["--python", v, "-D", "THREADS=2", "-D", "ITERATIONS=2"],
        );
        assert_eq!(code, 0, "{v}");
        assert_eq!(out["exhaustive"], Value::Bool(true), "{v}");
        let want = if matches!(v, "2.7" | "3.9" | "3.13t") {
            model(2, 2)
        } else {
            BTreeSet::from([4])
        };
        let got: BTreeSet<i64> = out["outcomes"]
            .as_array()
            .expect("outcomes")
            .iter()
            .map(|o| {
                o["stdout"]
                    .as_str()
                    .unwrap()
                    .lines()
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(got, want, "CPython {v}");
    }
}

#[test]
fn shrink_explores_a_real_program_unedited_and_says_what_it_rewrote() {
    // --shrink 2 on the full-size counter explores what -D THREADS=2 -D ITERATIONS=2 does.
    let (code, shrunk, err) = gilsim(&["explore", "scenarios/counter.py", "--shrink", "2"]);
    assert_eq!(code, 0, "{err}");
    let (_, defined, _) = gilsim(&[
        "explore",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=2",
    ]);
    let (note, table) = shrunk
        .split_once("── gilsim explore")
        .expect("the note comes before the table");
    assert_eq!(format!("── gilsim explore{table}"), defined);
    assert!(
        note.contains("21:11 10 → 2 (size constant THREADS)")
            && note.contains("22:14 100000 → 2 (size constant ITERATIONS)"),
        "{note}"
    );
    // Its witnesses replay with `run --shrink`.
    let witness = shrunk
        .lines()
        .find_map(|l| l.trim().strip_prefix("witness: --schedule "))
        .expect("a witness")
        .trim_matches('"')
        .to_string();
    let (code, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "--shrink",
        "2",
        "--schedule",
        &witness,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("--shrink 2 rewrote 2 literals"), "{err}");
    // A -D value is the user's own: --shrink leaves it.
    let (_, out, _) = gilsim(&[
        "explore",
        "scenarios/counter.py",
        "--shrink",
        "2",
        "-D",
        "THREADS=3",
    ]);
    assert!(!out.contains("THREADS"), "{out}");
    // A shrunk run cannot be recorded yet (its replay would run the full-size program).
    let (code, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "--shrink",
        "2",
        "--json",
        "-",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("--shrink with --json"), "{err}");
}

#[test]
fn a_search_past_its_wall_clock_bound_stops_and_says_it_is_not_reproducible() {
    let (code, out, err) = gilsim(&["compare", "scenarios/counter_call.py", "--max-time", "0.2"]);
    assert_eq!(code, 4, "{err}");
    assert!(
        out.contains("not reproducible") && out.contains("--shrink 2"),
        "{out}"
    );
    assert!(out.contains("not explored: --max-time ran out"), "{out}");
    let (code, out, _) = gilsim(&["explore", "scenarios/counter_call.py", "--max-time", "0.2"]);
    assert_eq!(code, 4);
    assert!(out.contains("stopped by --max-time"), "{out}");
}
