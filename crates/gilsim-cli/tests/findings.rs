//! End-to-end tests of the detectors: lost updates, check-then-act, unsynchronised accesses
//! and wait cycles, checked against the program's own arithmetic (for a counter the lost
//! updates are exactly `expected - final`) and against the must-not-report list.

use serde_json::Value;
mod common;

use common::{gilsim, root, write_tmp};

/// Runs `file` with `args` and returns (exit code, stdout, the run record).
fn record(file: &str, args: &[&str]) -> (i32, String, Value) {
    let mut all = vec!["run", file, "--json", "-"];
    all.extend_from_slice(args);
    let (code, out, err) = gilsim(&all);
    let start = out
        .find("{\n")
        .unwrap_or_else(|| panic!("no record: {out}\n{err}"));
    let rec: Value = serde_json::from_str(&out[start..]).expect("record parses");
    let stdout = rec["outcome"]["stdout"].as_str().unwrap_or("").to_string();
    (code, stdout, rec)
}

fn lost_total(rec: &Value) -> u64 {
    rec["findings"]["lost_updates"]
        .as_array()
        .expect("lost_updates")
        .iter()
        .map(|l| l["count"].as_u64().expect("count"))
        .sum()
}

fn races(rec: &Value) -> usize {
    rec["findings"]["races"].as_array().expect("races").len()
}

const POLICIES: [&str; 5] = [
    "slice:5ms",
    "every:3",
    "every:5:random",
    "random:0.3",
    "ticks:2",
];

/// A program whose last line of output is the number of updates the arithmetic says were lost.
fn assert_counts_exactly(name: &str, src: &str, location: &str) {
    let file = write_tmp(name, src);
    let mut seen_loss = false;
    for policy in POLICIES {
        for seed in ["0", "1", "2"] {
            let (_, out, rec) = record(&file, &["--policy", policy, "--seed", seed]);
            let expected: u64 = out
                .lines()
                .last()
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name}: no count printed: {out}"));
            assert_eq!(
                lost_total(&rec),
                expected,
                "{name} under {policy} seed {seed}: findings {}",
                rec["findings"]
            );
            if expected > 0 {
                seen_loss = true;
                let l = &rec["findings"]["lost_updates"][0];
                assert_eq!(l["location"], location, "{name}");
                let first = &l["first"];
                assert_ne!(first["read"]["thread"], first["overwritten"]["thread"]);
                assert_eq!(first["read"]["thread"], first["write"]["thread"]);
                assert!(races(&rec) > 0, "{name}: a lost update is also a race");
            }
        }
    }
    assert!(seen_loss, "{name}: no policy lost an update");
}

#[test]
fn global_counter_lost_updates_are_exact() {
    assert_counts_exactly(
        "global.py",
        "import threading\nN = 300\ni = 0\ndef w():\n    global i\n    for _ in range(N):\n        i += 1\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(3 * N - i)\n",
        "global i",
    );
}

#[test]
fn dict_item_lost_updates_are_exact() {
    assert_counts_exactly(
        "dict.py",
        "import threading\nd = {'k': 0}\ndef w():\n    for _ in range(300):\n        d['k'] += 1\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(900 - d['k'])\n",
        "d['k']",
    );
}

#[test]
fn attribute_lost_updates_are_exact() {
    assert_counts_exactly(
        "attr.py",
        "import threading\nclass C:\n    def __init__(self):\n        self.value = 0\n    def inc(self):\n        self.value += 1\nc = C()\ndef w():\n    for _ in range(300):\n        c.inc()\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(900 - c.value)\n",
        "c.value",
    );
}

#[test]
fn list_concatenation_lost_appends_are_exact() {
    assert_counts_exactly(
        "concat.py",
        "import threading\nl = []\ndef w():\n    global l\n    for _ in range(200):\n        l = l + [1]\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(600 - len(l))\n",
        "global l",
    );
}

#[test]
fn list_slot_lost_updates_are_exact() {
    assert_counts_exactly(
        "slot.py",
        "import threading\ncounts = [0, 0]\ndef w():\n    for _ in range(300):\n        counts[1] += 1\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(900 - counts[1])\n",
        "counts[1]",
    );
}

#[test]
fn split_read_and_write_on_different_lines_are_found() {
    assert_counts_exactly(
        "split.py",
        "import threading\ni = 0\ndef w():\n    global i\n    for _ in range(200):\n        tmp = i\n        tmp = tmp + 1\n        i = tmp\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(600 - i)\n",
        "global i",
    );
}

/// Programs that must report nothing at all, under every policy and seed.
#[test]
fn atomic_operations_and_locked_programs_report_nothing() {
    let programs = [
        (
            "iadd.py",
            "import threading\nl = []\ndef w():\n    global l\n    for _ in range(200):\n        l += [1]\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(len(l))\n",
        ),
        (
            "append_sort.py",
            "import threading\nlst = [3, 1, 2]\ndef w():\n    for x in range(100):\n        lst.append(x)\n        lst.sort()\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(len(lst))\n",
        ),
        (
            "locked_each.py",
            "import threading\ni = 0\nlock = threading.Lock()\ndef w():\n    global i\n    for _ in range(200):\n        with lock:\n            i += 1\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(i)\n",
        ),
        (
            "locked_acquire.py",
            "import threading\nd = {'k': 0}\nlock = threading.RLock()\ndef w():\n    for _ in range(200):\n        lock.acquire()\n        try:\n            d['k'] += 1\n        finally:\n            lock.release()\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(d['k'])\n",
        ),
        (
            "results_after_join.py",
            "import threading\nresults = [0, 0, 0]\ntotal = 0\ndef w(k):\n    for _ in range(100):\n        results[k] += 1\nts = [threading.Thread(target=w, args=(k,)) for k in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nfor k in range(3):\n    total += results[k]\n    results[k] += 1\nprint(total)\n",
        ),
        (
            "queue_handoff.py",
            "import threading, queue\nto_consumer = queue.Queue()\nto_producer = queue.Queue()\nbox = {'v': 0}\ndef producer():\n    for _ in range(20):\n        box['v'] += 1\n        to_consumer.put(1)\n        to_producer.get()\ndef consumer():\n    for _ in range(20):\n        to_consumer.get()\n        box['v'] += 1\n        to_producer.put(1)\nts = [threading.Thread(target=producer), threading.Thread(target=consumer)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(box['v'])\n",
        ),
        (
            "sem.py",
            "import threading\nsem = threading.Semaphore(1)\ndata = {'n': 0}\ndef w():\n    for _ in range(50):\n        sem.acquire()\n        data['n'] += 1\n        sem.release()\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(data['n'])\n",
        ),
        (
            "barrier.py",
            "import threading\nb = threading.Barrier(2)\nbox = {'v': 0}\ndef first():\n    box['v'] += 1\n    b.wait()\ndef second():\n    b.wait()\n    box['v'] += 1\nts = [threading.Thread(target=second), threading.Thread(target=first)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(box['v'])\n",
        ),
        (
            "future.py",
            "from concurrent.futures import ThreadPoolExecutor\nbox = {'v': 0}\ndef job():\n    box['v'] += 1\n    return 1\nwith ThreadPoolExecutor(max_workers=2) as ex:\n    f = ex.submit(job)\n    f.result()\n    box['v'] += 1\nprint(box['v'])\n",
        ),
        (
            "cond.py",
            "import threading\ncond = threading.Condition()\nstate = {'ready': False, 'n': 0}\ndef producer():\n    state['n'] += 1\n    with cond:\n        state['ready'] = True\n        cond.notify()\ndef consumer():\n    with cond:\n        while not state['ready']:\n            cond.wait()\n    state['n'] += 1\nts = [threading.Thread(target=consumer), threading.Thread(target=producer)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(state['n'])\n",
        ),
        (
            "event_handoff.py",
            "import threading\nready = threading.Event()\ndata = {'n': 0}\ndef first():\n    data['n'] += 1\n    ready.set()\ndef second():\n    ready.wait()\n    data['n'] += 1\nts = [threading.Thread(target=second), threading.Thread(target=first)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(data['n'])\n",
        ),
    ];
    for (name, src) in programs {
        let file = write_tmp(name, src);
        for policy in POLICIES {
            for seed in ["0", "1", "2"] {
                let (code, _, rec) = record(&file, &["--policy", policy, "--seed", seed]);
                assert_eq!(code, 0, "{name} {policy} {seed}");
                assert_eq!(
                    rec["findings"],
                    serde_json::json!({"lost_updates": [], "check_then_act": [], "races": [], "deadlock": null}),
                    "{name} under {policy} seed {seed}"
                );
            }
        }
    }
}

#[test]
fn a_lucky_run_still_reports_the_race() {
    // Under `io` nothing is preempted: the counter ends exact, but the accesses are unordered.
    let (code, out, rec) = record(
        "scenarios/counter.py",
        &["-D", "ITERATIONS=1000", "--policy", "io"],
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().last(), Some("0"));
    assert_eq!(lost_total(&rec), 0);
    let r = &rec["findings"]["races"][0];
    assert_eq!(r["location"], "global i");
    assert_eq!(r["first"]["line"], 30);
    assert!(r["hint"].as_str().unwrap().contains("no lock"), "{r}");
    let (_, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "ITERATIONS=1000",
        "--policy",
        "io",
    ]);
    assert!(err.contains("unsynchronised: global i"), "{err}");
}

#[test]
fn a_lock_held_on_one_side_only_is_named_in_the_hint() {
    let src = "import threading\ni = 0\nlock = threading.Lock()\ndef careful():\n    global i\n    for _ in range(50):\n        with lock:\n            i += 1\ndef careless():\n    global i\n    for _ in range(50):\n        i += 1\nts = [threading.Thread(target=careful), threading.Thread(target=careless)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(i)\n";
    let file = write_tmp("one_side.py", src);
    let (_, _, rec) = record(&file, &["--policy", "every:2"]);
    let hints: Vec<String> = rec["findings"]["races"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hint"].as_str().unwrap().to_string())
        .collect();
    assert!(
        hints
            .iter()
            .any(|h| h.starts_with("lock is held at line 8 but not at line 12")),
        "{hints:?}"
    );
}

#[test]
fn check_then_act_is_reported_with_its_lines() {
    let (_, out, rec) = record("scenarios/check_then_act.py", &[]);
    assert_eq!(out.lines().last(), Some("1"), "both buyers bought");
    let c = &rec["findings"]["check_then_act"][0];
    assert_eq!(c["location"], "stock['apples']");
    assert_eq!(c["check"]["line"], 28);
    assert_eq!(c["act"]["line"], 30);
    assert_ne!(c["check"]["thread"], c["between"]["thread"]);
    let (_, _, err) = gilsim(&["run", "scenarios/check_then_act.py", "--explain"]);
    assert!(
        err.contains("── how the check on stock['apples'] went stale ──"),
        "{err}"
    );
}

#[test]
fn a_lock_cycle_names_holders_and_waits() {
    let (code, _, rec) = record("scenarios/deadlock.py", &[]);
    assert_eq!(code, 3);
    let cycle = rec["findings"]["deadlock"]["cycle"]
        .as_array()
        .expect("cycle");
    assert_eq!(cycle.len(), 2);
    assert_eq!(cycle[0]["thread"], 1);
    assert_eq!(cycle[0]["holds"], "a");
    assert_eq!(cycle[0]["waits_for"], "b");
    assert_eq!(cycle[1]["holds"], "b");
    assert_eq!(cycle[1]["waits_for"], "a");
    // The cycle is found when it forms, even while another thread still runs.
    let src = "import threading, time\na = threading.Lock()\nb = threading.Lock()\ndef one():\n    with a:\n        time.sleep(0.001)\n        with b:\n            pass\ndef two():\n    with b:\n        time.sleep(0.001)\n        with a:\n            pass\ndef busy():\n    n = 0\n    for _ in range(400000):\n        n += 1\nts = [threading.Thread(target=f, daemon=True) for f in (one, two, busy)]\nfor t in ts: t.start()\nts[2].join()\nprint('busy done')\n";
    let file = write_tmp("cycle_while_running.py", src);
    let (code, out, rec) = record(&file, &[]);
    assert_eq!(code, 0, "the daemons stay stuck; the program ends");
    assert_eq!(out, "busy done\n");
    let d = &rec["findings"]["deadlock"];
    assert!(
        d["step"].as_u64().unwrap() < rec["stats"]["steps"].as_u64().unwrap() / 2,
        "{d}"
    );
    assert_eq!(d["cycle"][0]["waits_line"], 7);
    assert_eq!(d["cycle"][0]["acquired_line"], 5);
}

#[test]
fn detection_changes_nothing_of_the_run() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "scenarios/counter_class.py",
            "-D",
            "ITERATIONS=3000",
            "--policy",
            "random:0.01",
            "--json",
            "-",
        ];
        args.extend_from_slice(extra);
        let (code, out, _) = gilsim(&args);
        let rec: Value = serde_json::from_str(&out).expect("record");
        (code, rec)
    };
    let (c1, mut on) = run(&[]);
    let (c2, mut off) = run(&["--no-detect"]);
    assert_eq!(c1, c2);
    assert!(lost_total(&on) > 0);
    for r in [&mut on, &mut off] {
        r["findings"] = Value::Null;
        r["config"]["detect"] = Value::Null;
    }
    assert_eq!(on, off);
    // And the detectors are deterministic too.
    assert_eq!(run(&[]).1["findings"], run(&[]).1["findings"]);
}

#[test]
fn fail_on_exits_6_only_for_the_kinds_asked() {
    let small = ["-D", "ITERATIONS=2000", "--policy", "every:5:random"];
    let mut args = vec!["run", "scenarios/counter.py"];
    args.extend_from_slice(&small);
    let with = |extra: &[&str]| {
        let mut a = args.clone();
        a.extend_from_slice(extra);
        gilsim(&a).0
    };
    assert_eq!(with(&["--fail-on", "lost-updates"]), 6);
    assert_eq!(with(&["--fail-on", "races"]), 6);
    assert_ne!(with(&["--fail-on", "deadlock"]), 6);
    let (code, _, _) = gilsim(&[
        "run",
        "scenarios/counter_locked.py",
        "-D",
        "ITERATIONS=200",
        "--fail-on",
        "lost-updates,races,deadlock",
    ]);
    assert_eq!(code, 0);
    let (code, _, _) = gilsim(&["run", "scenarios/deadlock.py", "--fail-on", "deadlock"]);
    assert_eq!(code, 6);
}

#[test]
fn explain_narrates_the_first_lost_update_with_lanes() {
    let (_, _, err) = gilsim(&[
        "run",
        "scenarios/counter.py",
        "-D",
        "THREADS=2",
        "-D",
        "ITERATIONS=3",
        "--policy",
        "every:5:random",
        "--seed",
        "2",
        "--explain",
    ]);
    assert!(
        err.contains("── how the first update to global i was lost ──"),
        "{err}"
    );
    assert!(err.contains(" reads global i = "), "{err}");
    assert!(err.contains("← reads global i"), "{err}");
    assert!(err.contains("← writes global i"), "{err}");
    assert!(err.contains("── trace (thread lanes) ──"), "{err}");
    assert!(err.contains("STORE_GLOBAL i"), "{err}");
}

#[test]
fn all_blocked_says_what_each_thread_waits_for() {
    // A lost wake-up: notify() before anyone waits.
    let src = "import threading\ncond = threading.Condition()\ndef waiter():\n    with cond:\n        cond.wait()\ndef setter():\n    with cond:\n        cond.notify()\nt1 = threading.Thread(target=setter)\nt2 = threading.Thread(target=waiter)\nt1.start()\nt1.join()\nt2.start()\nt2.join()\n";
    let file = write_tmp("lost_wakeup.py", src);
    let (code, _, err) = gilsim(&["run", &file]);
    assert_eq!(code, 3);
    assert!(
        err.contains("thread 0 (MainThread) waits at line 14 for thread 2 (Thread-2) to finish"),
        "{err}"
    );
    assert!(err.contains("thread 2 (Thread-2) waits at line 5 for another thread to wake it from Condition.wait()"), "{err}");
    // A join on a thread that waits for a lock the joiner holds: a cycle through a join.
    let src = "import threading\nlock = threading.Lock()\ndef worker():\n    with lock:\n        pass\nlock.acquire()\nt = threading.Thread(target=worker)\nt.start()\nt.join()\n";
    let file = write_tmp("join_cycle.py", src);
    let (code, _, rec) = record(&file, &[]);
    assert_eq!(code, 3);
    let cycle = &rec["findings"]["deadlock"]["cycle"];
    assert_eq!(cycle[0]["holds"], "lock");
    assert_eq!(cycle[0]["acquired_line"], 6);
    assert_eq!(cycle[0]["waits_for"], "thread 1 (Thread-1) to finish");
    assert_eq!(cycle[1]["waits_for"], "lock");
    assert_eq!(cycle[1]["waits_line"], 4);
}

#[test]
fn misuse_of_locks_and_threads_raises_as_cpython() {
    let src = "import threading\nl = threading.Lock()\ndef other():\n    l.release()\nl.acquire()\nt = threading.Thread(target=other)\nt.start(); t.join()\nprint(l.locked())\nr = threading.RLock()\ndef other2():\n    try:\n        r.release()\n    except RuntimeError as e:\n        print('RLock:', e)\nr.acquire()\nt = threading.Thread(target=other2)\nt.start(); t.join()\ntry:\n    threading.Thread(target=other).join()\nexcept RuntimeError as e:\n    print('join:', e)\ntry:\n    threading.Lock().release()\nexcept RuntimeError as e:\n    print('unlocked:', e)\n";
    let file = write_tmp("misuse.py", src);
    let (code, out, _) = gilsim(&["run", &file]);
    assert_eq!(code, 0);
    // CPython lets any thread release a plain Lock; an RLock belongs to its owner.
    assert_eq!(
        out,
        "False\nRLock: cannot release un-acquired lock\njoin: cannot join thread before it is started\nunlocked: release unlocked lock\n"
    );
}

/// The narrated lessons, as a learner reads them.
#[test]
fn explain_snapshots() {
    let cases: [(&str, &[&str]); 4] = [
        (
            "explain__counter_small",
            &[
                "scenarios/counter.py",
                "-D",
                "THREADS=2",
                "-D",
                "ITERATIONS=3",
                "--policy",
                "every:5:random",
            ],
        ),
        (
            "explain__counter_class",
            &[
                "scenarios/counter_class.py",
                "-D",
                "THREADS=2",
                "-D",
                "ITERATIONS=50",
                "--policy",
                "every:7:random",
            ],
        ),
        (
            "explain__list_add",
            &[
                "scenarios/list_add.py",
                "-D",
                "THREADS=2",
                "-D",
                "ITERATIONS=5",
                "--policy",
                "every:5:random",
                "--seed",
                "1",
            ],
        ),
        ("explain__check_then_act", &["scenarios/check_then_act.py"]),
    ];
    for (name, args) in cases {
        let mut all = vec!["run"];
        all.extend_from_slice(args);
        all.push("--explain");
        let (_, _, err) = gilsim(&all);
        let start = err.find("── gilsim").expect("report");
        insta::with_settings!({snapshot_path => root().join("snapshots"), prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, &err[start..]);
        });
    }
}

#[test]
fn more_counter_shapes_are_exact() {
    assert_counts_exactly(
        "dict_get.py",
        "import threading\ncounts = {}\ndef w():\n    for _ in range(300):\n        counts['a'] = counts.get('a', 0) + 1\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(900 - counts['a'])\n",
        "counts['a']",
    );
    assert_counts_exactly(
        "nonlocal.py",
        "import threading\ndef main():\n    count = 0\n    def w():\n        nonlocal count\n        for _ in range(300):\n            count += 1\n    ts = [threading.Thread(target=w) for _ in range(3)]\n    for t in ts: t.start()\n    for t in ts: t.join()\n    return count\nprint(900 - main())\n",
        "variable count of an enclosing function",
    );
    assert_counts_exactly(
        "class_attr.py",
        "import threading\nclass Counter:\n    count = 0\n    def inc(self):\n        Counter.count += 1\nc = Counter()\ndef w():\n    for _ in range(300):\n        c.inc()\nts = [threading.Thread(target=w) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(900 - Counter.count)\n",
        "Counter.count",
    );
}

#[test]
fn review_false_positives_stay_silent() {
    let programs = [
        // A branch on a value read outside the lock, then a fresh locked increment.
        (
            "progress.py",
            "import threading\nlock = threading.Lock()\ncounter = 0\ndef worker():\n    global counter\n    for _ in range(100):\n        with lock:\n            counter += 1\n        if counter % 50 == 0:\n            pass\nts = [threading.Thread(target=worker) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(counter)\n",
        ),
        // A plain Lock used as a signal is released by another thread: no deadlock.
        (
            "signal.py",
            "import threading\ngate = threading.Lock()\nx = 0\ndef worker():\n    global x\n    x += 1\n    gate.release()\ngate.acquire()\nt = threading.Thread(target=worker)\nt.start()\ngate.acquire()\nx += 1\ngate.release()\nt.join()\nprint(x)\n",
        ),
        // Ownership handed over through list.append / list.pop.
        (
            "handoff.py",
            "import threading, time\nclass Job:\n    def __init__(self, n):\n        self.n = n\njobs = []\ndone = []\ndef producer():\n    for k in range(20):\n        jobs.append(Job(k))\ndef consumer():\n    got = 0\n    while got < 20:\n        if jobs:\n            j = jobs.pop(0)\n            j.n = j.n * 2\n            done.append(j)\n            got += 1\n        else:\n            time.sleep(0)\nts = [threading.Thread(target=producer), threading.Thread(target=consumer)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(len(done))\n",
        ),
        // Polling is_alive() until the thread is done orders its work like join().
        (
            "alive.py",
            "import threading, time\ntotal = 0\ndef w():\n    global total\n    for _ in range(50):\n        total += 1\nt = threading.Thread(target=w)\nt.start()\nwhile t.is_alive():\n    time.sleep(0.0001)\ntotal += 1\nprint(total)\n",
        ),
    ];
    for (name, src) in programs {
        let file = write_tmp(name, src);
        for policy in POLICIES {
            let (code, _, rec) = record(&file, &["--policy", policy]);
            assert_eq!(code, 0, "{name} {policy}");
            assert_eq!(
                rec["findings"],
                serde_json::json!({"lost_updates": [], "check_then_act": [], "races": [], "deadlock": null}),
                "{name} under {policy}"
            );
        }
    }
}

#[test]
fn race_hints_and_labels_read_as_python() {
    // A fresh lock per call orders nothing.
    let src = "import threading\ncounter = 0\ndef w():\n    global counter\n    for _ in range(50):\n        with threading.Lock():\n            counter += 1\nts = [threading.Thread(target=w) for _ in range(2)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(counter)\n";
    let file = write_tmp("newlock.py", src);
    let (_, _, rec) = record(&file, &["--policy", "every:3"]);
    let hint = rec["findings"]["races"][0]["hint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        hint.starts_with("each thread holds a different lock object"),
        "{hint}"
    );
    // Keys print as Python writes them.
    let src = "import threading\nd = {(1, 2): 0, None: 0}\ndef w():\n    for _ in range(50):\n        d[(1, 2)] += 1\n        d[None] += 1\nts = [threading.Thread(target=w) for _ in range(2)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nprint(d)\n";
    let file = write_tmp("keys.py", src);
    let (_, _, rec) = record(&file, &["--policy", "every:3"]);
    let locations: Vec<&str> = rec["findings"]["races"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["location"].as_str().unwrap())
        .collect();
    assert_eq!(locations, ["d[(1, 2)]", "d[None]"]);
    // A lock freed by the collector before the report is still named, and nothing panics.
    let src = "import threading\nN = 200\nSIZE = 19100\ntotal = 0\ndef a():\n    global total\n    lk = threading.Lock()\n    for _ in range(N):\n        with lk:\n            total += 1\ndef b():\n    global total\n    for _ in range(N):\n        total += 1\nts = [threading.Thread(target=a), threading.Thread(target=b)]\nfor t in ts: t.start()\nfor t in ts: t.join()\nfor k in range(SIZE):\n    x = [k]\nprint(total, 2*N - total)\n";
    let file = write_tmp("freed_lock.py", src);
    for size in ["19100", "19500"] {
        let def = format!("SIZE={size}");
        let (code, out, rec) = record(&file, &["-D", &def, "--policy", "every:5:random"]);
        assert_eq!(code, 0, "{out}");
        let hint = rec["findings"]["races"][0]["hint"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            hint.starts_with("a lock is held at line 10 but not at line 14"),
            "{hint}"
        );
    }
    // A deadlock through Conditions names the learner's lines.
    let src = "import threading, time\nc1 = threading.Condition()\nc2 = threading.Condition()\ndef one():\n    with c1:\n        time.sleep(0.001)\n        with c2:\n            pass\ndef two():\n    with c2:\n        time.sleep(0.001)\n        with c1:\n            pass\nts = [threading.Thread(target=f) for f in (one, two)]\nfor t in ts: t.start()\nfor t in ts: t.join()\n";
    let file = write_tmp("cond_cycle.py", src);
    let (code, _, rec) = record(&file, &[]);
    assert_eq!(code, 3);
    let cycle = &rec["findings"]["deadlock"]["cycle"];
    assert_eq!(cycle[0]["acquired_line"], 5);
    assert_eq!(cycle[0]["waits_line"], 7);
    assert_eq!(cycle[1]["acquired_line"], 10);
}
