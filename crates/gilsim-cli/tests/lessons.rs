//! The lessons: `gilsim lesson NAME` for every scenario, snapshotted in `snapshots/`, with
//! its page in `docs/lessons/` checked against the same text (set `GILSIM_UPDATE_DOCS=1` to
//! rewrite the pages), and its exploration table where the lesson explores.

mod common;

use common::{gilsim, root, snapshot, write_tmp};

/// The page of a lesson in `docs/lessons/`: a header and the lesson's text, verbatim.
fn page(name: &str, title: &str, text: &str) -> String {
    format!(
        "# Lesson `{name}`: {title}\n\n<!-- Generated: this is the output of `gilsim lesson {name}`, checked by \
         crates/gilsim-cli/tests/lessons.rs against snapshots/lesson__{name}.snap. Do not edit; \
         change scenarios/{name}.py and run `GILSIM_UPDATE_DOCS=1 cargo test -p gilsim-cli --test lessons`. -->\n\n\
         ```text\n$ gilsim lesson {name}\n{text}```\n"
    )
}

/// Compares a generated doc page with the file, or rewrites it under `GILSIM_UPDATE_DOCS`.
fn check_page(file: &str, want: &str) {
    let path = root().join(file);
    if std::env::var_os("GILSIM_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{file} is not what gilsim prints; regenerate it with GILSIM_UPDATE_DOCS=1 cargo test -p gilsim-cli --test lessons"
    );
}

/// The value of a `key:` line of a scenario's `Lesson:` block.
fn lesson_key(name: &str, key: &str) -> Option<String> {
    let src = std::fs::read_to_string(root().join(format!("scenarios/{name}.py"))).unwrap();
    let prefix = format!("{key}:");
    src.lines().find_map(|l| {
        l.trim()
            .strip_prefix(prefix.as_str())
            .map(|v| v.trim().to_string())
    })
}

/// Narrates one lesson, snapshots it and its exploration, checks its page and what it claims.
fn lesson(name: &str) {
    let (code, text, err) = gilsim(&["lesson", name]);
    assert_eq!(code, 0, "gilsim lesson {name}: {err}");
    assert!(err.is_empty(), "{err}");
    snapshot(&format!("lesson__{name}"), &text);
    let title = text.lines().nth(1).unwrap_or_default();
    check_page(
        &format!("docs/lessons/{name}.md"),
        &page(name, title, &text),
    );
    // A lesson that promises to show something found a run that shows it.
    if let Some(shows) = lesson_key(name, "shows") {
        assert!(
            !text.lines().any(|l| l.starts_with("none of the ")),
            "{name}: no run showed {shows}"
        );
    }
    // A fix is proved by its run: it finishes with nothing found.
    if let Some(fix) = text.split("── the fix: ").nth(1) {
        let run = fix.split("\n\n── ").next().unwrap();
        assert!(
            run.contains("outcome: finished, exit code 0"),
            "{name}: {run}"
        );
        assert!(run.contains("findings: none"), "{name}: {run}");
    }
    if let Some(args) = lesson_key(name, "explore") {
        let file = format!("scenarios/{name}.py");
        let mut argv = vec!["explore", file.as_str()];
        argv.extend(args.split_whitespace());
        let (code, out, err) = gilsim(&argv);
        assert_eq!(code, 0, "{name}: exploration cut short: {err}");
        snapshot(
            &format!("explore__{name}"),
            &format!("$ gilsim {}\n{out}", argv.join(" ")),
        );
    }
}

/// One test per lesson, so they run in parallel and fail one by one.
macro_rules! lessons {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { lesson(stringify!($name)); })*
        /// The lessons tested here.
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

lessons!(
    counter,
    counter_locked,
    counter_acquire,
    counter_whole_loop,
    list_add,
    list_iadd,
    sort_one_call,
    hundred_threads,
    counter_class,
    counter_class_locked,
    requests_counter,
    check_then_act,
    check_then_act_locked,
    deadlock,
    deadlock_ordered,
    switch_interval,
    phase_lock,
    cpu_bound,
    io_bound,
    producer_consumer_list,
    producer_consumer_queue,
    spin_forever,
    counter_call,
    counter_call_locked,
);

#[test]
fn every_scenario_is_a_lesson_and_tested() {
    let (code, list, err) = gilsim(&["lesson"]);
    assert_eq!(code, 0, "{err}");
    snapshot("lesson__list", &list);
    let listed: std::collections::BTreeSet<String> = list
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let files: std::collections::BTreeSet<String> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|n| n != "requests") // the stub module python3 imports, not a scenario
        .collect();
    assert_eq!(listed, files, "every scenario has a Lesson: block");
    let tested: std::collections::BTreeSet<String> =
        TESTED.iter().map(|s| (*s).to_string()).collect();
    assert_eq!(tested, files, "every lesson has a test in lessons.rs");
    let mut index = String::from(
        "# Lessons\n\n<!-- Generated from `gilsim lesson`; checked by crates/gilsim-cli/tests/lessons.rs. -->\n\n\
         Each page is the output of `gilsim lesson NAME`: the program, the run that shows the\n\
         problem, how it happened, the fix and the run that proves it, and every interleaving of\n\
         a small configuration. Every number on them is computed by gilsim.\n\n",
    );
    for line in list.lines().skip(1) {
        let (name, title) = line.trim().split_once(' ').unwrap();
        index.push_str(&format!("- [`{name}`]({name}.md): {}\n", title.trim()));
    }
    check_page("docs/lessons/README.md", &index);
}

#[test]
fn a_lesson_is_the_same_bytes_every_time() {
    for name in ["hundred_threads", "check_then_act"] {
        let a = gilsim(&["lesson", name]);
        let b = gilsim(&["lesson", name]);
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn an_unknown_lesson_is_a_usage_error() {
    let (code, out, err) = gilsim(&["lesson", "nope"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("scenarios/nope.py: there is no such lesson; the lessons are counter"),
        "{err}"
    );
}

#[test]
fn a_scenario_of_ones_own_is_a_lesson_too() {
    let fix = "\"\"\"The tellers take turns.\n\nLesson:\n    explore: -D DEPOSITS=1\n\"\"\"\nimport threading\n\nDEPOSITS = 50\nbalance = 0\nlock = threading.Lock()\n\n\ndef teller():\n    global balance\n    for k in range(DEPOSITS):\n        with lock:\n            balance = balance + 10\n\n\nts = [threading.Thread(target=teller) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(balance)\n";
    let bank = "\"\"\"Two tellers deposit into one account without a lock.\n\nLesson:\n    shows: lost-updates\n    search: random:0.3\n    seeds: 0..10\n    fix: bank_locked\n    explore: -D DEPOSITS=1\n\"\"\"\nimport threading\n\nDEPOSITS = 50\nbalance = 0\n\n\ndef teller():\n    global balance\n    for k in range(DEPOSITS):\n        balance = balance + 10\n\n\nts = [threading.Thread(target=teller) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(balance)\n";
    write_tmp("bank_locked.py", fix);
    let path = write_tmp("bank.py", bank);
    let (code, text, err) = gilsim(&["lesson", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("run 1 is the first to show lost updates"),
        "{text}"
    );
    assert!(text.contains("updates to global balance"), "{text}");
    assert!(
        text.contains("── the fix: ") && text.contains("bank_locked.py ──"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with('+') && l.ends_with("│         with lock:")),
        "{text}"
    );
    let plain = write_tmp("plain.py", "\"\"\"No lesson here.\"\"\"\nprint(1)\n");
    let (code, _, err) = gilsim(&["lesson", &plain]);
    assert_eq!(code, 2);
    assert!(
        err.contains("its docstring does not end with a `Lesson:` block"),
        "{err}"
    );
    let (code, _, err) = gilsim(&["lesson", "no/such.py"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such.py: there is no such file"), "{err}");
}

#[test]
fn a_claim_the_runs_do_not_bear_out_stops_the_lesson() {
    let src = "\"\"\"Two threads add to a counter.\n\nLesson:\n    topic: 1\n    \
               claim: loses | --policy every:101\n    claim: keeps | -D N=2\n\"\"\"\n\
               import threading\nN = 2000\ni = 0\ndef w():\n    global i\n    for _ in range(N):\n        \
               i += 1\nts = [threading.Thread(target=w) for _ in range(2)]\nfor t in ts:\n    t.start()\n\
               for t in ts:\n    t.join()\nprint(i)\n";
    let good = write_tmp("claims_ok.py", src);
    let (code, out, err) = gilsim(&["lesson", &good]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("what this lesson claims, checked"), "{out}");
    assert!(out.contains("every:101` loses updates: lost"), "{out}");
    // Claim the opposite: the lesson refuses to narrate, naming the claim's line.
    let bad = write_tmp(
        "claims_bad.py",
        &src.replace("claim: loses", "claim: keeps"),
    );
    let (code, _, err) = gilsim(&["lesson", &bad]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(":5") && err.contains("claims that") && err.contains("loses no update"),
        "{err}"
    );
}

/// Whether a real run went wrong: it failed, or its last line, the count of what it lost, is
/// not `0` (`None`: it printed no count, so the lesson's program does not follow the rule).
fn went_wrong(run: &std::process::Output) -> Option<bool> {
    let last: i64 = String::from_utf8_lossy(&run.stdout)
        .trim_end()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())?;
    Some(!run.status.success() || last != 0)
}

/// Each lesson's `cpython:` lines, run under the installed interpreters with a 1 µs switch
/// interval: a version said to go wrong must in one of up to forty runs (most races show in
/// the first; a rare one, such as a single `n += 1` per thread, in one run of ten or so); one
/// said to be right must stay right in three. Slow (a few minutes): `.ci/run` runs it.
#[test]
#[ignore = "runs the lessons' programs under every installed CPython; .ci/run runs it"]
fn real_cpython_does_what_each_lesson_says() {
    let (code, out, err) = gilsim(&["lesson", "--cpython-checks"]);
    assert_eq!(code, 0, "{err}");
    let prelude = "import sys as _s\nif hasattr(_s, 'setswitchinterval'): _s.setswitchinterval(1e-6)\nelse: _s.setcheckinterval(1)\n";
    let mut wrong = Vec::new();
    let mut checked = 0;
    for line in out.lines() {
        let c: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let (lesson, version) = (
            c["lesson"].as_str().unwrap(),
            c["version"].as_str().unwrap(),
        );
        let Some((_, release)) = common::RELEASES.iter().find(|(v, _)| *v == version) else {
            eprintln!("skipped {lesson} under {version}: no release of it is known here");
            continue;
        };
        let Some(python) = common::interpreter(release) else {
            eprintln!(
                "skipped {lesson} under {version}: no CPython {release} under ~/.pyenv/versions"
            );
            continue;
        };
        let want = c["wrong"] == true;
        let source = format!("{prelude}{}", c["source"].as_str().unwrap());
        let mut seen = Vec::new();
        for _ in 0..if want { 40 } else { 3 } {
            // From scenarios/, so `import requests` finds the scenario beside it.
            let run = std::process::Command::new(&python)
                .arg("-c")
                .arg(&source)
                .current_dir(root().join("scenarios"))
                .output()
                .expect("run python");
            let Some(w) = went_wrong(&run) else {
                wrong.push(format!(
                    "{lesson} under {version}: the run printed no count as its last line: {:?} {}",
                    String::from_utf8_lossy(&run.stdout),
                    String::from_utf8_lossy(&run.stderr)
                ));
                break;
            };
            seen.push(w);
            if w {
                break;
            }
        }
        checked += 1;
        let went = seen.iter().any(|&w| w);
        eprintln!(
            "{lesson} under {version}: {} in {} runs",
            if went { "went wrong" } else { "right" },
            seen.len()
        );
        if went != want {
            wrong.push(format!(
                "scenarios/{lesson}.py:{}: the lesson says CPython {version} {}, but it {} in {} runs",
                c["line"],
                if want { "goes wrong" } else { "stays right" },
                if went { "went wrong" } else { "stayed right" },
                seen.len()
            ));
        }
    }
    eprintln!("{checked} lesson × version cells checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_quiz_asks_before_each_reveal_and_then_shows_the_lesson() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gilsim"))
        .args(["lesson", "counter", "--quiz"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run gilsim");
    assert!(out.status.success());
    let quiz = String::from_utf8_lossy(&out.stdout);
    let (_, lesson, _) = gilsim(&["lesson", "counter"]);
    // The questions come before what they ask about…
    for (question, reveal) in [
        (
            "what will this run print?",
            "── the run that shows lost updates ──",
        ),
        (
            "How would you fix it?",
            "── the fix: scenarios/counter_locked.py ──",
        ),
        (
            "Small configuration (-D THREADS=2 -D ITERATIONS=2): how many different outcomes",
            "── every interleaving of a small configuration ──",
        ),
        (
            "Which CPython versions can go wrong",
            "── on each CPython version ──",
        ),
    ] {
        let q = quiz
            .find(question)
            .unwrap_or_else(|| panic!("no question {question:?}"));
        let r = quiz
            .find(reveal)
            .unwrap_or_else(|| panic!("no section {reveal:?}"));
        assert!(q < r, "{question:?} comes after {reveal:?}");
        assert!(
            !quiz[q..r].contains("── "),
            "{question:?} is not right before {reveal:?}"
        );
    }
    // …and without them the quiz is the lesson, line for line.
    let kept: Vec<&str> = quiz
        .lines()
        .filter(|l| {
            !l.starts_with("❓") && !l.contains("(think, then press Enter)") && !l.is_empty()
        })
        .collect();
    let whole: Vec<&str> = lesson.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(kept, whole);
}

#[test]
fn a_lesson_tells_its_witness_line_by_line_with_the_shared_values() {
    let (code, out, err) = gilsim(&["lesson", "counter"]);
    assert_eq!(code, 0, "{err}");
    let story = out
        .split("── how outcome 2 (2 ⏎ 2 (exit 1)) happens, line by line ──")
        .nth(1)
        .expect("a story of the outcome that loses two updates");
    let story: Vec<&str> = story.lines().take_while(|l| !l.starts_with('$')).collect();
    // Thread 1 is switched out inside `i += 1`, thread 2 adds twice, and thread 1's stale
    // store takes `i` from 2 back to 1.
    assert!(
        story
            .iter()
            .any(|l| l.starts_with("  T1     30    i += 1 …")
                && l.contains("switched out inside the line")),
        "{story:#?}"
    );
    let resumed = story
        .iter()
        .position(|l| l.starts_with("  T1     30    …i += 1"))
        .expect("thread 1 resumes its line");
    assert!(
        story[resumed].split_whitespace().any(|w| w == "1"),
        "{}",
        story[resumed]
    );
    assert!(
        story[..resumed]
            .iter()
            .any(|l| l.starts_with("  T2") && l.trim_end().ends_with(" 2"))
    );
    assert!(
        !story.iter().any(|l| l.contains("threading")),
        "machinery shown: {story:#?}"
    );
}
