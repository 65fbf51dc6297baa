//! Lessons: the scenarios of `scenarios/`, narrated.
//!
//! A scenario is a lesson when its docstring ends with a `Lesson:` block of `key: value`
//! lines (the format is in `docs/write-your-own-scenario.md`). The prose of a lesson is the
//! docstring; everything else — which seed and policy show the problem, how it happened,
//! the fix's run, the explored outcomes, the runs side by side — is computed here by running
//! gilsim, so the text cannot drift from what gilsim does.

use crate::render;
use gilsim_compiler::{Profile, apply_defines};
use gilsim_vm::Limits;
use gilsim_vm::Status;
use gilsim_vm::run::{RunConfig, RunResult, SetupError, run_source};
use gilsim_vm::trace::{Item, SwitchReason};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Every `scenarios/*.py` of the workspace, `(name, source)` in name order, embedded at build
/// time by `build.rs`.
const SCENARIOS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/scenarios.rs"));

/// How many distinct states one exploration in a lesson may visit before it stops.
const MAX_STATES: u64 = 200_000;

/// How to read an exploration, said once per lesson before its tables.
const EXPLORE_LEGEND: &str = "\
How to read it: gilsim runs a small version of the program under every order of the
threads' steps that the CPython version allows, and lists what can come out.
  state       a moment where a switch could happen, counted once however the run got there
  end state   a way a run can end; two end states can print the same thing
  outcome     what the program printed and how it ended: what you would see
  schedule    one whole order of the threads' steps; \"reached by N schedules\" is a count,
              not the odds: a real run does not pick among schedules evenly
  witness     one schedule that reaches the outcome, with the fewest preemptions (switches
              away from a thread that could have gone on); `gilsim run FILE --schedule \"…\"`
              replays it. `0:667+ 1:27 …` reads: thread 0 (main) runs 667 instructions and
              then gives the GIL up by itself (+), thread 1 runs 27 and is switched out, …;
              `1@8` would read: thread 1 runs until it is about to start line 8 (used where
              a switch falls between two lines; most races need one inside a line)
";

/// Lines of a run's stdout or stderr a lesson shows before it cuts them short.
const SHOWN_LINES: usize = 12;

/// A mistake in a lesson (its `Lesson:` block, or a run it asks for that cannot start):
/// where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LessonError {
    /// The scenario file, as `scenarios/NAME.py`.
    pub file: String,
    /// The line of the file the mistake is on (1-based; 0 when it is not one line's).
    pub line: usize,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// What the run of a lesson must show; the search stops at the first run that shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shows {
    /// The detectors found lost updates.
    LostUpdates,
    /// The detectors found a check-then-act violation.
    CheckThenAct,
    /// Every live thread blocked forever.
    Deadlock,
    /// The main thread raised an uncaught exception.
    Exception,
    /// The run stopped at the step limit.
    StepLimit,
}

impl Shows {
    fn parse(text: &str) -> Result<Shows, String> {
        Ok(match text {
            "lost-updates" => Shows::LostUpdates,
            "check-then-act" => Shows::CheckThenAct,
            "deadlock" => Shows::Deadlock,
            "exception" => Shows::Exception,
            "step-limit" => Shows::StepLimit,
            other => {
                return Err(format!(
                    "`shows: {other}`: write one of lost-updates, check-then-act, deadlock, exception, step-limit"
                ));
            }
        })
    }

    fn words(self) -> &'static str {
        match self {
            Shows::LostUpdates => "lost updates",
            Shows::CheckThenAct => "a check-then-act",
            Shows::Deadlock => "a deadlock",
            Shows::Exception => "an uncaught exception",
            Shows::StepLimit => "the step limit",
        }
    }

    fn seen_in(self, r: &RunResult) -> bool {
        let f = &r.record.findings;
        match self {
            Shows::LostUpdates => !f.lost_updates.is_empty(),
            Shows::CheckThenAct => !f.check_then_act.is_empty(),
            Shows::Deadlock => r.end.status == Status::Deadlock,
            Shows::Exception => r.end.status == Status::Exception,
            Shows::StepLimit => r.end.status == Status::StepLimit,
        }
    }
}

/// What a claim says a run shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The run loses updates (the detector counts at least one).
    Loses,
    /// The run finishes and loses no update.
    Keeps,
    /// The run deadlocks.
    Deadlocks,
}

impl Expect {
    fn parse(text: &str) -> Result<Expect, String> {
        Ok(match text {
            "loses" => Expect::Loses,
            "keeps" => Expect::Keeps,
            "deadlocks" => Expect::Deadlocks,
            other => {
                return Err(format!(
                    "`claim: {other} | …`: a claim is `loses`, `keeps` or `deadlocks`, then `|` and the run's arguments"
                ));
            }
        })
    }

    fn words(self) -> &'static str {
        match self {
            Expect::Loses => "loses updates",
            Expect::Keeps => "loses no update",
            Expect::Deadlocks => "deadlocks",
        }
    }

    fn holds(self, r: &RunResult) -> bool {
        match self {
            Expect::Loses => Shows::LostUpdates.seen_in(r),
            Expect::Keeps => !Shows::LostUpdates.seen_in(r) && r.end.status == Status::Finished,
            Expect::Deadlocks => Shows::Deadlock.seen_in(r),
        }
    }
}

/// A claim the lesson's prose makes about a run (`claim: loses | --policy every:101`), run
/// and checked every time the lesson is narrated: a lesson whose claim fails is an error, so
/// its text cannot drift from what gilsim computes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Claim {
    expect: Expect,
    args: Args,
    /// Its line in the scenario file.
    line: usize,
}

/// What real CPython does with the lesson's program, as a `cpython:` line states it
/// (`cpython: wrong | 2.7 3.9`, `cpython: right | 3.10 3.11 | -D ITERATIONS=10000`): the
/// program, run under each named version with a 1 µs switch interval, goes wrong in some run
/// (it fails, or its last line, the count of what it lost, is not `0`) or in none. The lesson shows it beside gilsim's verdicts;
/// `gilsim lesson --cpython-checks` lists the runs, and the lessons test runs them under the
/// interpreters installed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RealClaim {
    /// Whether some run goes wrong (`wrong`) or none does (`right`).
    wrong: bool,
    /// The versions it names, as `--python` takes them.
    versions: Vec<String>,
    /// Defines on top of the lesson's `run:` ones.
    args: Args,
    /// Its line in the scenario file.
    line: usize,
}

impl RealClaim {
    fn parse(value: &str, line: usize) -> Result<RealClaim, String> {
        let mut parts = value.split('|');
        let wrong = match parts.next().map(str::trim) {
            Some("wrong") => true,
            Some("right") => false,
            _ => {
                return Err(format!(
                    "`cpython: {value}`: write `cpython: wrong | VERSIONS` or `cpython: right | VERSIONS`, then optionally `| -D NAME=VALUE`"
                ));
            }
        };
        let versions: Vec<String> = parts
            .next()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if versions.is_empty() {
            return Err(format!(
                "`cpython: {value}`: name the versions, e.g. `| 2.7 3.9`"
            ));
        }
        for v in &versions {
            if !gilsim_compiler::profile::KNOWN_VERSIONS.contains(&v.as_str()) {
                return Err(format!(
                    "cpython: `{v}` is not a modelled version; write one of {}",
                    gilsim_compiler::profile::KNOWN_VERSIONS.join(", ")
                ));
            }
        }
        let args = Args::parse(parts.next().unwrap_or(""), false)?;
        if args.policy.is_some() || args.python.is_some() || args.seed.is_some() {
            return Err(
                "cpython: a real run takes only -D NAME=VALUE (it runs with a 1 µs switch interval)"
                    .into(),
            );
        }
        Ok(RealClaim {
            wrong,
            versions,
            args,
            line,
        })
    }
}

/// The arguments of one run in a lesson, written as on the command line:
/// `[SCENARIO] [-D NAME=VALUE]... [--python V] [--policy P] [--seed N] [--max-steps N]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Args {
    /// Another scenario to run instead of the lesson's own (`compare:` only).
    scenario: Option<String>,
    defines: Vec<(String, String)>,
    /// The CPython version (`--python`), the default profile's when absent.
    python: Option<String>,
    policy: Option<String>,
    seed: Option<u64>,
    max_steps: Option<u64>,
    /// The seeds of a sweep (`sweep:` only).
    seeds: Option<std::ops::Range<u64>>,
}

/// Parses `A..B` with A < B.
fn parse_range(text: &str) -> Option<std::ops::Range<u64>> {
    let (a, b) = text.split_once("..")?;
    let r = a.trim().parse().ok()?..b.trim().parse().ok()?;
    (r.start < r.end).then_some(r)
}

impl Args {
    fn parse(text: &str, scenario_allowed: bool) -> Result<Args, String> {
        let mut args = Args::default();
        let mut words = text.split_whitespace().peekable();
        if scenario_allowed
            && let Some(first) = words.peek()
            && !first.starts_with('-')
        {
            args.scenario = Some(first.trim_end_matches(".py").to_string());
            words.next();
        }
        while let Some(word) = words.next() {
            let mut value = || {
                words
                    .next()
                    .ok_or_else(|| format!("`{word}` needs a value after it"))
            };
            match word {
                "-D" => {
                    let d = value()?;
                    let (n, v) = d
                        .split_once('=')
                        .ok_or_else(|| format!("-D {d}: write NAME=VALUE"))?;
                    args.defines.push((n.to_string(), v.to_string()));
                }
                "--policy" => args.policy = Some(value()?.to_string()),
                "--python" => {
                    let v = value()?;
                    Profile::parse(v)?;
                    args.python = Some(v.to_string());
                }
                "--seed" => {
                    let v = value()?;
                    args.seed = Some(v.parse().map_err(|_| format!("--seed {v}: not a seed"))?);
                }
                "--seeds" => {
                    let v = value()?;
                    args.seeds = Some(
                        parse_range(v).ok_or_else(|| format!("--seeds {v}: write A..B, A < B"))?,
                    );
                }
                "--max-steps" => {
                    let v = value()?;
                    args.max_steps = Some(
                        v.parse()
                            .map_err(|_| format!("--max-steps {v}: not a number"))?,
                    );
                }
                other => {
                    return Err(format!(
                        "`{other}`: a lesson's runs take -D NAME=VALUE, --python V, --policy P, --seed N, --max-steps N (and --seeds A..B in sweep:)"
                    ));
                }
            }
        }
        Ok(args)
    }

    /// `self` with `over`'s settings on top (defines of `over` applied after).
    fn and(&self, over: &Args) -> Args {
        let mut defines = self.defines.clone();
        defines.extend(over.defines.iter().cloned());
        Args {
            scenario: over.scenario.clone().or_else(|| self.scenario.clone()),
            defines,
            python: over.python.clone().or_else(|| self.python.clone()),
            policy: over.policy.clone().or_else(|| self.policy.clone()),
            seed: over.seed.or(self.seed),
            max_steps: over.max_steps.or(self.max_steps),
            seeds: over.seeds.clone().or_else(|| self.seeds.clone()),
        }
    }

    /// The command line that makes this run.
    fn command(&self, verb: &str, file: &str) -> String {
        let mut out = format!("$ gilsim {verb} {file}");
        for (n, v) in &self.defines {
            let _ = write!(out, " -D {n}={v}");
        }
        if let Some(v) = &self.python {
            let _ = write!(out, " --python {v}");
        }
        if let Some(p) = &self.policy {
            let _ = write!(out, " --policy {p}");
        }
        if let Some(s) = self.seed {
            let _ = write!(out, " --seed {s}");
        }
        if let Some(m) = self.max_steps {
            let _ = write!(out, " --max-steps {m}");
        }
        if let Some(r) = &self.seeds {
            let _ = write!(out, " --seeds {}..{}", r.start, r.end);
        }
        out
    }
}

/// A scenario read as a lesson: its docstring's prose and its `Lesson:` block.
#[derive(Clone, Debug)]
pub(crate) struct Lesson {
    /// The scenario's name (its file name without `.py`).
    pub name: String,
    /// `scenarios/NAME.py`.
    pub file: String,
    source: String,
    /// The docstring's first line.
    pub title: String,
    prose: Vec<String>,
    /// The first line of code after the docstring (1-based).
    code_from: usize,
    /// `topic: N` or `topic: N.M` (M orders the lessons within a topic).
    topic: (u32, u32),
    fix: Option<String>,
    shows: Option<Shows>,
    search: Vec<String>,
    seeds: std::ops::Range<u64>,
    run: Args,
    compare: Vec<Args>,
    explore: Option<Args>,
    sweep: Option<Args>,
    claims: Vec<Claim>,
    real: Vec<RealClaim>,
    /// `exercise:` lines: what to try next, each a task with a way to check it.
    exercises: Vec<String>,
}

impl Lesson {
    /// Reads the lesson of a scenario (`file` as it is shown, `name` its stem): `Ok(None)` when
    /// its docstring has no `Lesson:` block (a helper module such as `requests.py`).
    ///
    /// # Errors
    /// A line of the block that is not a known `key: value`.
    pub(crate) fn parse(
        name: &str,
        file: &str,
        source: &str,
    ) -> Result<Option<Lesson>, LessonError> {
        let file = file.to_string();
        let err = |line: usize, message: String| LessonError {
            file: file.clone(),
            line,
            message,
        };
        let lines: Vec<&str> = source.lines().collect();
        let Some(first) = lines.first().and_then(|l| l.strip_prefix("\"\"\"")) else {
            return Ok(None);
        };
        let Some(end) = lines.iter().position(|l| l.trim_end().ends_with("\"\"\"")) else {
            return Err(err(1, "the docstring does not end".into()));
        };
        if end == 0 {
            return Ok(None);
        }
        let Some(block) = (1..end).find(|&i| lines[i].trim() == "Lesson:") else {
            return Ok(None);
        };
        let mut prose: Vec<String> = lines[1..block]
            .iter()
            .map(|l| l.trim_end().to_string())
            .collect();
        while prose.first().is_some_and(String::is_empty) {
            prose.remove(0);
        }
        while prose.last().is_some_and(String::is_empty) {
            prose.pop();
        }
        let mut lesson = Lesson {
            name: name.to_string(),
            file: file.clone(),
            source: source.to_string(),
            title: first.trim().to_string(),
            prose,
            code_from: end + 2,
            topic: (u32::MAX, 0),
            fix: None,
            shows: None,
            search: Vec::new(),
            seeds: 0..1,
            run: Args::default(),
            compare: Vec::new(),
            explore: None,
            sweep: None,
            claims: Vec::new(),
            real: Vec::new(),
            exercises: Vec::new(),
        };
        for (i, line) in lines.iter().enumerate().take(end).skip(block + 1) {
            let line_no = i + 1;
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            let (key, value) = text.split_once(':').ok_or_else(|| {
                err(
                    line_no,
                    format!("`{text}` in the Lesson: block is not `key: value`"),
                )
            })?;
            let value = value.trim();
            let bad = |m: String| err(line_no, m);
            match key.trim() {
                "topic" => {
                    let (major, minor) = value.split_once('.').unwrap_or((value, "0"));
                    lesson.topic = major
                        .parse()
                        .ok()
                        .zip(minor.parse().ok())
                        .ok_or_else(|| bad(format!("topic: `{value}` is not N or N.M")))?;
                }
                "fix" => lesson.fix = Some(value.trim_end_matches(".py").to_string()),
                "shows" => lesson.shows = Some(Shows::parse(value).map_err(bad)?),
                "search" => {
                    lesson.search = value.split_whitespace().map(str::to_string).collect();
                }
                "seeds" => {
                    lesson.seeds = parse_range(value)
                        .ok_or_else(|| bad(format!("seeds: `{value}` is not A..B with A < B")))?;
                }
                "sweep" => {
                    let args = Args::parse(value, false).map_err(bad)?;
                    if args.seeds.is_none() {
                        return Err(bad("sweep: needs --seeds A..B".into()));
                    }
                    lesson.sweep = Some(args);
                }
                "run" => lesson.run = Args::parse(value, false).map_err(bad)?,
                "compare" => {
                    lesson.compare = value
                        .split('|')
                        .map(|entry| Args::parse(entry, true))
                        .collect::<Result<_, _>>()
                        .map_err(bad)?;
                }
                "explore" => lesson.explore = Some(Args::parse(value, false).map_err(bad)?),
                "claim" => {
                    let (expect, args) = value.split_once('|').unwrap_or((value, ""));
                    lesson.claims.push(Claim {
                        expect: Expect::parse(expect.trim()).map_err(bad)?,
                        args: Args::parse(args, true).map_err(bad)?,
                        line: line_no,
                    });
                }
                "exercise" => lesson.exercises.push(value.to_string()),
                "cpython" => lesson
                    .real
                    .push(RealClaim::parse(value, line_no).map_err(bad)?),
                other => {
                    return Err(bad(format!(
                        "`{other}` is not a lesson key; use topic, fix, shows, search, seeds, run, compare, sweep, explore, claim, cpython or exercise"
                    )));
                }
            }
        }
        Ok(Some(lesson))
    }
}

impl Lesson {
    /// The lesson and arguments of a `compare:` or `claim:` entry (`key` names it in the
    /// error): its own scenario or the one it names, under the lesson's `run:` arguments.
    fn entry_run<'a>(
        &'a self,
        lessons: &'a [Lesson],
        entry: &Args,
        key: &str,
    ) -> Result<(&'a Lesson, Args), LessonError> {
        let target = match &entry.scenario {
            Some(n) => lessons
                .iter()
                .find(|l| l.name == *n)
                .ok_or_else(|| self.error(format!("{key}: there is no lesson `{n}`")))?,
            None => self,
        };
        let args = self.run.and(&Args {
            scenario: None,
            ..entry.clone()
        });
        Ok((target, args))
    }
}

/// Every lesson built into gilsim, in course order (by `topic:`, then by name).
///
/// # Errors
/// The first scenario whose `Lesson:` block is wrong.
pub(crate) fn all() -> Result<Vec<Lesson>, LessonError> {
    let mut out = Vec::new();
    for (name, source) in SCENARIOS {
        if let Some(l) = Lesson::parse(name, &format!("scenarios/{name}.py"), source)? {
            out.push(l);
        }
    }
    out.sort_by(|a, b| (a.topic, &a.name).cmp(&(b.topic, &b.name)));
    Ok(out)
}

/// The lessons in the folder of `path` (a scenario of one's own, and the fixes and
/// comparisons it names beside it), read from disk; file names are shown as `path` shows
/// its folder.
fn from_folder(path: &str) -> Result<Vec<Lesson>, LessonError> {
    let unreadable = |message: String| LessonError {
        file: path.to_string(),
        line: 0,
        message,
    };
    let dir = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let shown = |stem: &str| {
        if dir.as_os_str().is_empty() {
            format!("{stem}.py")
        } else {
            format!("{}/{stem}.py", dir.display())
        }
    };
    let folder = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    let entries = std::fs::read_dir(folder)
        .map_err(|e| unreadable(format!("cannot read its folder: {e}")))?;
    let mut stems: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    stems.sort();
    let mut out = Vec::new();
    for stem in stems {
        let file = shown(&stem);
        let Ok(bytes) = std::fs::read(folder.join(format!("{stem}.py"))) else {
            continue;
        };
        let Ok(source) = String::from_utf8(bytes) else {
            continue;
        };
        if let Some(l) = Lesson::parse(&stem, &file, &source)? {
            out.push(l);
        }
    }
    Ok(out)
}

/// The list `gilsim lesson` prints: one line per lesson with its title.
///
/// # Errors
/// As [`all`].
pub(crate) fn list() -> Result<String, LessonError> {
    let lessons = all()?;
    let width = lessons.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut out = String::from("Lessons, in course order (`gilsim lesson NAME` narrates one):\n");
    for l in &lessons {
        let _ = writeln!(out, "  {:<width$}  {}", l.name, l.title);
    }
    Ok(out)
}

/// The names of the lessons, for a message about a name that is not one.
fn names(lessons: &[Lesson]) -> String {
    lessons
        .iter()
        .map(|l| l.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One run of a lesson: its result, the source it ran (defines applied) and its config.
struct Ran {
    result: RunResult,
    source: String,
    cfg: RunConfig,
}

impl Lesson {
    /// A mistake of this lesson that is not on one line of its file.
    fn error(&self, message: String) -> LessonError {
        LessonError {
            file: self.file.clone(),
            line: 0,
            message,
        }
    }

    /// The source with `args`' defines applied, and the config of a run, sweep or
    /// exploration of it (`max_steps` unless `args` sets it).
    fn config(
        &self,
        args: &Args,
        max_steps: u64,
        detect: bool,
    ) -> Result<(String, RunConfig), LessonError> {
        let source = apply_defines(&self.source, &args.defines)
            .map_err(|e| self.error(format!("-D in the lesson: {}", e.message)))?;
        let cfg = RunConfig {
            file: self.file.clone(),
            profile: match &args.python {
                Some(v) => Profile::parse(v).map_err(|e| self.error(e))?,
                None => Profile::default(),
            },
            policy: args.policy.clone(),
            seed: args.seed.unwrap_or(0),
            defines: args.defines.clone(),
            limits: Limits {
                max_steps: args.max_steps.unwrap_or(max_steps),
                ..Limits::default()
            },
            schedule: None,
            trace: None,
            trace_steps: None,
            trace_marks: Vec::new(),
            detect,
        };
        Ok((source, cfg))
    }

    /// [`Lesson::config`], compiled: (source, program, config).
    fn compiled(
        &self,
        args: &Args,
        max_steps: u64,
        detect: bool,
    ) -> Result<(String, gilsim_compiler::Program, RunConfig), LessonError> {
        let (source, cfg) = self.config(args, max_steps, detect)?;
        let program = gilsim_compiler::compile(&source, &self.file, &cfg.profile)
            .map_err(|e| self.setup_error(SetupError::Compile(e)))?;
        Ok((source, program, cfg))
    }

    fn setup_error(&self, e: SetupError) -> LessonError {
        match e {
            SetupError::Compile(e) => {
                self.error(format!("does not compile (line {}): {}", e.line, e.message))
            }
            SetupError::Usage(m) => self.error(m),
        }
    }
}

/// Runs one configuration of a scenario (its source with the defines applied).
fn run(lesson: &Lesson, args: &Args, trace: Option<Option<usize>>) -> Result<Ran, LessonError> {
    let (source, cfg) = lesson.config(args, Limits::default().max_steps, true)?;
    let cfg = RunConfig { trace, ..cfg };
    let result = run_source(&source, &cfg).map_err(|e| lesson.setup_error(e))?;
    Ok(Ran {
        result,
        source,
        cfg,
    })
}

/// Lines of program output, indented, cut short after [`SHOWN_LINES`].
fn output_block(out: &mut String, what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{what}:");
    for l in lines.iter().take(SHOWN_LINES) {
        let _ = writeln!(out, "  {l}");
    }
    if lines.len() > SHOWN_LINES {
        let _ = writeln!(out, "  … {} more lines", lines.len() - SHOWN_LINES);
    }
}

/// A run as the learner would see it: the command, the program's output, gilsim's report.
fn run_text(out: &mut String, args: &Args, r: &RunResult, source: &str) {
    let _ = writeln!(out, "{}", args.command("run", &r.record.config.file));
    output_block(out, "stdout", &r.stdout);
    output_block(out, "stderr", &r.stderr);
    out.push_str(&render::report(r, source, render::Colour::Off, true));
}

/// The program's code (after the docstring) with its line numbers.
fn program_text(out: &mut String, lesson: &Lesson) {
    for (i, line) in lesson.source.lines().enumerate().skip(lesson.code_from - 1) {
        if line.is_empty() {
            let _ = writeln!(out, "{:>4} │", i + 1);
        } else {
            let _ = writeln!(out, "{:>4} │ {line}", i + 1);
        }
    }
}

/// The lines that differ between two programs, as `-`/`+` lines with one line of context (a
/// longest-common-subsequence diff). Each line shows its number in the old program and in
/// the new one, so a docstring of another length shifts no number out of place.
fn diff_text(out: &mut String, old: &str, new: &str, skip_old: usize, skip_new: usize) {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let (a0, b0) = (skip_old.min(a.len()), skip_new.min(b.len()));
    let (a, b) = (&a[a0..], &b[b0..]);
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // (sign, line in the old program, line in the new one, text)
    let mut ops: Vec<(char, Option<usize>, Option<usize>, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', Some(a0 + i + 1), Some(b0 + j + 1), b[j]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', Some(a0 + i + 1), None, a[i]));
            i += 1;
        } else {
            ops.push(('+', None, Some(b0 + j + 1), b[j]));
            j += 1;
        }
    }
    let near = |k: usize| {
        (k.saturating_sub(1)..=(k + 1).min(ops.len().saturating_sub(1))).any(|m| ops[m].0 != ' ')
    };
    let number = |n: Option<usize>| n.map_or_else(|| " ".repeat(4), |n| format!("{n:>4}"));
    let mut skipped = false;
    for (k, (sign, old_line, new_line, text)) in ops.iter().enumerate() {
        if *sign == ' ' && !near(k) {
            skipped = true;
            continue;
        }
        if skipped {
            let _ = writeln!(out, "            ⋮");
            skipped = false;
        }
        let (o, n) = (number(*old_line), number(*new_line));
        let _ = writeln!(out, "{}", format!("{sign} {o} {n} │ {text}").trim_end());
    }
}

/// Where a run's preemptions landed: the instruction each preempted thread had just run, with
/// how often, most often first.
fn preempted_after(r: &RunResult) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut last: Option<gilsim_vm::trace::Row> = None;
    for item in &r.trace {
        match item {
            Item::Row(row) => last = Some(*row),
            Item::Switch { reason, .. } => {
                if let (SwitchReason::Interval, Some(row)) = (reason, last) {
                    let unit = &r.machine.units[row.unit as usize];
                    let code = &unit.codes[row.code as usize].obj;
                    let place = if unit.bundled {
                        format!("inside {}", unit.program.filename.trim_end_matches(".py"))
                    } else {
                        format!(
                            "L{} {}",
                            code.lines[row.pc as usize],
                            code.instrs[row.pc as usize].view.name()
                        )
                    };
                    *counts.entry(place).or_default() += 1;
                }
                last = None;
            }
            Item::Gap(_) => last = None,
        }
    }
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// How a run ended, in a word or two: `exit N` when it finished, else why it stopped.
fn status_words(r: &RunResult) -> String {
    match r.end.status {
        Status::Exception => "exception".to_string(),
        Status::Deadlock => "deadlock".to_string(),
        Status::StepLimit => "step limit".to_string(),
        _ => format!("exit {}", r.end.exit_code),
    }
}

/// The findings of a run in one line.
fn findings_line(r: &RunResult) -> String {
    let f = &r.record.findings;
    let mut parts = Vec::new();
    let lost: u64 = f.lost_updates.iter().map(|l| l.count).sum();
    if lost > 0 {
        parts.push(format!("lost {} updates", render::thousands(lost)));
    }
    let cta: u64 = f.check_then_act.iter().map(|c| c.count).sum();
    if cta > 0 {
        parts.push(format!("check-then-act {} times", render::thousands(cta)));
    }
    if !f.races.is_empty() {
        parts.push("unsynchronised accesses".to_string());
    }
    if f.deadlock.is_some() || r.end.status == Status::Deadlock {
        parts.push("deadlock".to_string());
    }
    if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    }
}

/// Explores a small configuration of a scenario and renders the outcome table.
fn explore_text(
    out: &mut String,
    lesson: &Lesson,
    args: &Args,
    story: bool,
) -> Result<(), LessonError> {
    let _ = writeln!(out, "{}", args.command("explore", &lesson.file));
    // As `gilsim explore`: each run stops after 1,000,000 instructions.
    let (source, program, cfg) = lesson.compiled(args, 1_000_000, false)?;
    let machine =
        gilsim_vm::run::machine_for(program.clone(), &cfg).map_err(|e| lesson.setup_error(e))?;
    let opts = gilsim_explore::Options {
        max_preemptions: None,
        max_states: Some(MAX_STATES),
        full: false,
        deadline: None,
    };
    let report = gilsim_explore::explore(machine, &opts, None);
    out.push_str(&render::explore_table(
        &render::with_line_witnesses(&report, &source, &cfg),
        &cfg,
    ));
    if story {
        witness_story(out, lesson, &program, &cfg, &report)?;
    }
    Ok(())
}

/// Whether an explored outcome went wrong: the program failed (an exception, a deadlock, the
/// step limit) or its last line, the count of what it lost, is not `0`.
fn goes_wrong(o: &gilsim_explore::Outcome) -> bool {
    o.status != "finished"
        || o.exit_code != 0
        || o.stdout
            .trim_end()
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<i64>().ok())
            .is_some_and(|n| n != 0)
}

/// The versions section: the small configuration explored under every profile, with what
/// can go wrong under each, beside what the lesson says real CPython does. A `cpython:` line
/// that says a version loses where gilsim finds no schedule that does is an error, and so is
/// a title that names no version when the versions disagree.
fn versions_text(out: &mut String, lesson: &Lesson, args: &Args) -> Result<(), LessonError> {
    let _ = writeln!(out, "\n── on each CPython version ──");
    let mut command = args.command("compare", &lesson.file);
    if let Some(v) = &args.python {
        command = command.replace(&format!(" --python {v}"), "");
    }
    let _ = writeln!(out, "{command}");
    let mut rows = Vec::new();
    for profile in Profile::all() {
        let name = profile.name().to_string();
        let args = Args {
            python: Some(name.clone()),
            ..args.clone()
        };
        let (_, program, cfg) = lesson.compiled(&args, 1_000_000, false)?;
        let machine =
            gilsim_vm::run::machine_for(program, &cfg).map_err(|e| lesson.setup_error(e))?;
        let opts = gilsim_explore::Options {
            max_preemptions: None,
            max_states: Some(MAX_STATES),
            full: false,
            deadline: None,
        };
        let report = gilsim_explore::explore(machine, &opts, None);
        let wrong = report.outcomes.iter().any(|o| goes_wrong(&o.outcome));
        let mut outs: Vec<String> = report
            .outcomes
            .iter()
            .map(|o| render::outcome_key(&o.outcome))
            .collect();
        outs.sort();
        outs.dedup();
        let claim = lesson.real.iter().find(|c| c.versions.contains(&name));
        let real = claim.map(|c| c.wrong);
        if let Some(claim) = claim.filter(|c| c.wrong && !wrong) {
            return Err(LessonError {
                file: lesson.file.clone(),
                line: claim.line,
                message: format!(
                    "the lesson says real CPython {name} goes wrong, but no schedule gilsim allows under {name} goes wrong ({})",
                    outs.join(" | ")
                ),
            });
        }
        rows.push((name, wrong, report.exhaustive, real, outs));
    }
    let _ = writeln!(
        out,
        "  version  gilsim: every schedule  real CPython, 1 µs interval  the outcomes gilsim reaches"
    );
    let mut narrow = false;
    for (name, wrong, exhaustive, real, outs) in &rows {
        let verdict = match (wrong, exhaustive) {
            (true, _) => "can go wrong",
            (false, true) => "always right",
            (false, false) => "none found",
        };
        let real = match real {
            Some(true) => "went wrong",
            Some(_) if *wrong => {
                narrow = true;
                "always right †"
            }
            Some(_) => "always right",
            None if name.ends_with('t') => "— (no such build here)",
            None => "—",
        };
        let _ = writeln!(
            out,
            "  {name:<7}  {verdict:<22}  {real:<27}  {}",
            outs.join("  |  ")
        );
    }
    let _ = writeln!(
        out,
        "An outcome is what the program prints (⏎ between lines); it goes wrong when its last line, what was lost, is not 0, or when the program fails."
    );
    let _ = writeln!(
        out,
        "The real-CPython column is what the lesson states for its full-size program; `cargo test -p gilsim-cli --test lessons -- --ignored` runs each installed version and checks it (—: the lesson states nothing: a failure too rare to check, or a version that cannot run the program)."
    );
    if narrow {
        let _ = writeln!(
            out,
            "† gilsim's model of that version has a schedule that goes wrong, but runs of the real interpreter did not show it: the window is there, and too narrow to hit in practice."
        );
    }
    let verdicts: Vec<bool> = rows.iter().map(|r| r.1).collect();
    if verdicts.iter().any(|&w| w) && verdicts.iter().any(|&w| !w) {
        let names_a_version = lesson
            .title
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .any(|w| w.starts_with("2.") || w.starts_with("3."));
        if !names_a_version {
            let wrong: Vec<&str> = rows.iter().filter(|r| r.1).map(|r| r.0.as_str()).collect();
            return Err(lesson.error(format!(
                "its title `{}` reads as true on every version, but only {} can go wrong: name the versions in the title",
                lesson.title,
                wrong.join(", ")
            )));
        }
    }
    Ok(())
}

/// The most rows a witness story shows; a longer witness is left to `gilsim run --trace`.
const STORY_ROWS: usize = 48;

/// One row of a witness story: a thread running one line of the learner's program.
struct StoryRow {
    thread: u32,
    line: u32,
    /// The step of its last instruction.
    last: u64,
    /// The thread was switched out before it finished the line.
    cut: bool,
    /// The thread resumes a line it was switched out of.
    resumed: bool,
    /// Only a function's implicit `return None` ran (CPython gives it the last line's number).
    returns: bool,
}

/// The witness of the first outcome that goes wrong, told line by line as OSTEP's x86.py
/// tells a run: which thread runs which line of the learner's program, where it is switched
/// out, and the shared variables' values after each line, in a column. gilsim's own modules
/// (threading's machinery) are left out.
fn witness_story(
    out: &mut String,
    lesson: &Lesson,
    program: &gilsim_compiler::Program,
    cfg: &RunConfig,
    report: &gilsim_explore::Report,
) -> Result<(), LessonError> {
    let Some((k, row)) = report
        .outcomes
        .iter()
        .enumerate()
        .find(|(_, o)| goes_wrong(&o.outcome))
    else {
        return Ok(());
    };
    let Ok(schedule) = gilsim_vm::Schedule::parse(&row.schedule) else {
        return Ok(());
    };
    let cfg = RunConfig {
        schedule: Some(schedule),
        ..cfg.clone()
    };
    let traced = RunConfig {
        trace: Some(None),
        ..cfg.clone()
    };
    let r =
        gilsim_vm::run::run_program(program.clone(), &traced).map_err(|e| lesson.setup_error(e))?;
    if r.end.status == Status::ScheduleError {
        return Ok(());
    }
    // The learner's lines, a row per stretch of one thread on one line.
    let mut rows: Vec<StoryRow> = Vec::new();
    let mut switched = false;
    for item in &r.trace {
        match item {
            Item::Row(step) => {
                let line = render::row_line(&r.machine, step);
                if line == 0 {
                    continue;
                }
                let code = &r.machine.units[step.unit as usize].codes[step.code as usize].obj;
                let name = code.instrs[step.pc as usize].view.name();
                let returning = name == "RETURN_VALUE"
                    || (name == "LOAD_CONST"
                        && code
                            .instrs
                            .get(step.pc as usize + 1)
                            .is_some_and(|i| i.view.name() == "RETURN_VALUE"));
                match rows.last_mut() {
                    Some(last) if last.thread == step.thread && last.line == line && !switched => {
                        last.last = step.step;
                        last.returns &= returning;
                    }
                    _ => {
                        let resumed = rows
                            .iter()
                            .rev()
                            .find(|x| x.thread == step.thread)
                            .is_some_and(|x| x.cut && x.line == line);
                        rows.push(StoryRow {
                            thread: step.thread,
                            line,
                            last: step.step,
                            cut: false,
                            resumed,
                            returns: returning,
                        });
                    }
                }
                switched = false;
            }
            Item::Switch { from, .. } => {
                switched = true;
                if let Some(last) = rows.iter_mut().rev().find(|x| x.thread == *from) {
                    last.cut = true;
                }
            }
            Item::Gap(_) => {}
        }
    }
    // A cut is only a cut when the thread comes back to the same line.
    for i in 0..rows.len() {
        if rows[i].cut {
            let t = rows[i].thread;
            let back = rows[i + 1..].iter().find(|x| x.thread == t);
            rows[i].cut = back.is_some_and(|x| x.resumed);
        }
    }
    // In a deadlock, each thread's last line is where it waits for ever.
    let deadlocked = r.end.status == Status::Deadlock;
    let mut waits_forever: Vec<usize> = Vec::new();
    if deadlocked {
        let mut seen = std::collections::BTreeSet::new();
        for (i, x) in rows.iter().enumerate().rev() {
            if seen.insert(x.thread) {
                waits_forever.push(i);
            }
        }
    }
    // Start where a second thread first runs: what main did before is set-up.
    let Some(from) = rows.iter().position(|x| x.thread != 0) else {
        return Ok(());
    };
    let from = from.saturating_sub(1);
    if rows.len() - from > STORY_ROWS {
        return Ok(());
    }
    let outcomes: Vec<&gilsim_explore::Outcome> =
        report.outcomes.iter().map(|o| &o.outcome).collect();
    let shown = render::telling_globals(&outcomes);
    let lines: Vec<&str> = lesson.source.lines().collect();
    let _ = writeln!(
        out,
        "\n── how outcome {} ({}) happens, line by line ──",
        k + 1,
        render::outcome_key(&row.outcome)
    );
    let _ = writeln!(
        out,
        "The witness replayed; each row is a thread running a line of the program, with the values after it."
    );
    // Each row: its cells (thread, line, code) and the shared values after it.
    let mut table: Vec<(String, Vec<String>, &str)> = Vec::new();
    for (i, x) in rows.iter().enumerate().skip(from) {
        // The globals once this stretch is done: the run again, stopped right after it.
        let limits = Limits {
            max_steps: x.last + 1,
            ..cfg.limits
        };
        let at = gilsim_vm::run::run_program(
            program.clone(),
            &RunConfig {
                limits,
                ..cfg.clone()
            },
        )
        .map_err(|e| lesson.setup_error(e))?;
        let mut text = if x.returns {
            "(the function returns)".to_string()
        } else {
            let code = lines.get(x.line as usize - 1).map_or("", |l| l.trim());
            // A trailing comment is the program's, not the story's.
            code.split_once("  #").map_or(code, |(c, _)| c).to_string()
        };
        if x.resumed {
            text.insert(0, '…');
        }
        if x.cut {
            text.push_str(" …");
        }
        let text: String = text.chars().take(40).collect();
        let values = shown
            .iter()
            .map(|g| {
                at.record
                    .outcome
                    .globals
                    .get(g)
                    .map_or_else(|| "-".to_string(), render::python_text)
            })
            .collect();
        let note = if waits_forever.contains(&i) {
            "← waits here for ever"
        } else if x.cut {
            "← switched out inside the line"
        } else {
            ""
        };
        table.push((
            format!("  T{:<5} {:<5} {text:<40}", x.thread, x.line),
            values,
            note,
        ));
    }
    let widths: Vec<usize> = shown
        .iter()
        .enumerate()
        .map(|(k, g)| {
            table
                .iter()
                .map(|(_, v, _)| v[k].chars().count())
                .max()
                .unwrap_or(0)
                .max(g.chars().count())
        })
        .collect();
    let mut header = format!("  {:<6} {:<5} {:<40}", "thread", "line", "");
    for (g, w) in shown.iter().zip(&widths) {
        let _ = write!(header, " {g:<w$}");
    }
    let _ = writeln!(out, "{}", header.trim_end());
    for (cells, values, note) in &table {
        let mut row = cells.clone();
        for (v, w) in values.iter().zip(&widths) {
            let _ = write!(row, " {v:<w$}");
        }
        if !note.is_empty() {
            let _ = write!(row, "  {note}");
        }
        let _ = writeln!(out, "{}", row.trim_end());
    }
    let _ = writeln!(
        out,
        "(… before a line: the thread resumes it; … after: it was switched out before finishing it.)"
    );
    Ok(())
}

/// The versions section of a lesson that explores nothing (its program is about time, or
/// never ends): the lesson's own run under every profile, side by side.
fn version_runs_text(out: &mut String, lesson: &Lesson) -> Result<(), LessonError> {
    let _ = writeln!(out, "\n── on each CPython version ──");
    let _ = writeln!(
        out,
        "The lesson's run ({}) under each version's profile and default policy:",
        lesson
            .run
            .command("run", &lesson.file)
            .trim_start_matches("$ gilsim run ")
    );
    for profile in Profile::all() {
        let name = profile.name().to_string();
        let args = Args {
            python: Some(name.clone()),
            ..lesson.run.clone()
        };
        let r = run(lesson, &args, None)?.result;
        let stdout = String::from_utf8_lossy(&r.stdout)
            .trim_end()
            .replace('\n', " ⏎ ");
        let stdout: String = stdout.chars().take(40).collect();
        let status = status_words(&r);
        let _ = writeln!(
            out,
            "  {name:<7}  {:<40}  {status:<10}  virtual time {:>10}  {}",
            if stdout.is_empty() {
                "(nothing printed)"
            } else {
                &stdout
            },
            render::fmt_ns(r.record.stats.virtual_ns),
            findings_line(&r)
        );
    }
    Ok(())
}

/// Runs a scenario once per seed, as `gilsim sweep` does, and renders the histogram.
fn sweep_text(out: &mut String, lesson: &Lesson, args: &Args) -> Result<(), LessonError> {
    let _ = writeln!(out, "{}", args.command("sweep", &lesson.file));
    let (_, program, cfg) = lesson.compiled(args, Limits::default().max_steps, true)?;
    let cfg = RunConfig { seed: 0, ..cfg };
    let policy = gilsim_vm::run::make_policy(&cfg)
        .map_err(|m| lesson.error(m))?
        .describe();
    let seeds = args.seeds.clone().unwrap_or(0..1);
    // The report is the same for any number of workers; one keeps the lesson simple.
    let report = gilsim_explore::sweep::sweep(&program, &cfg, seeds, 1, None)
        .map_err(|e| lesson.setup_error(e))?;
    out.push_str(&render::sweep_table(&report, &cfg, &policy));
    Ok(())
}

/// The lessons `name` is read among, and its index there: a path to a file of one's own is
/// read from disk, with the lessons beside it; any other name is a built-in lesson.
///
/// # Errors
/// An unknown name, a file without a `Lesson:` block, or a wrong block.
fn resolve(name: &str) -> Result<(Vec<Lesson>, usize), LessonError> {
    let own = std::path::Path::new(name).is_file();
    let lessons = if own { from_folder(name)? } else { all()? };
    let given = name;
    let name = name.trim_end_matches(".py");
    let name = name.rsplit('/').next().unwrap_or(name);
    if let Some(k) = lessons.iter().position(|l| l.name == name) {
        return Ok((lessons, k));
    }
    if own {
        return Err(LessonError {
            file: given.to_string(),
            line: 0,
            message: "its docstring does not end with a `Lesson:` block; see docs/write-your-own-scenario.md".into(),
        });
    }
    let path_like = given.ends_with(".py") || given.contains('/');
    Err(LessonError {
        file: if path_like {
            given.to_string()
        } else {
            format!("scenarios/{name}.py")
        },
        line: 0,
        message: format!(
            "there is no such {}; the lessons are {}",
            if path_like { "file" } else { "lesson" },
            names(&lessons)
        ),
    })
}

/// The narrated lesson `name`.
///
/// # Errors
/// An unknown name, a wrong `Lesson:` block, or a run the lesson asks for that cannot start.
pub(crate) fn narrate(name: &str) -> Result<String, LessonError> {
    let (lessons, k) = resolve(name)?;
    let lesson = &lessons[k];
    let find = |n: &str| lessons.iter().find(|l| l.name == n);
    let mut out = String::new();
    let rule = "═".repeat(60usize.saturating_sub(lesson.name.len() + 12));
    let _ = writeln!(out, "══ lesson {} {rule}", lesson.name);
    let _ = writeln!(out, "{}", lesson.title);
    if !lesson.prose.is_empty() {
        out.push('\n');
        for l in &lesson.prose {
            let _ = writeln!(out, "{l}");
        }
    }
    for other in lessons
        .iter()
        .filter(|l| l.fix.as_deref() == Some(&lesson.name))
    {
        let _ = writeln!(
            out,
            "\nThis is the fix in lesson {} (`gilsim lesson {}`).",
            other.name, other.name
        );
    }

    let _ = writeln!(out, "\n── the program: {} ──", lesson.file);
    program_text(&mut out, lesson);

    // The run that shows the problem: the first of the search that shows it.
    let (args, shown) = match lesson.shows {
        None => {
            let _ = writeln!(out, "\n── the run ──");
            (lesson.run.clone(), run(lesson, &lesson.run, None)?)
        }
        Some(shows) => {
            let _ = writeln!(out, "\n── the run that shows {} ──", shows.words());
            let policies: Vec<Option<String>> = if lesson.search.is_empty() {
                vec![lesson.run.policy.clone()]
            } else {
                lesson.search.iter().cloned().map(Some).collect()
            };
            let mut tried = 0u64;
            let mut found = None;
            'search: for policy in &policies {
                for seed in lesson.seeds.clone() {
                    let args = lesson.run.and(&Args {
                        policy: policy.clone(),
                        seed: Some(seed),
                        ..Args::default()
                    });
                    let ran = run(lesson, &args, None)?;
                    tried += 1;
                    if shows.seen_in(&ran.result) {
                        found = Some((args, ran));
                        break 'search;
                    }
                }
            }
            let space = format!(
                "polic{} {} × seeds {}..{}",
                if policies.len() == 1 { "y" } else { "ies" },
                policies
                    .iter()
                    .map(|p| p.clone().unwrap_or_else(|| "(default)".into()))
                    .collect::<Vec<_>>()
                    .join(", "),
                lesson.seeds.start,
                lesson.seeds.end
            );
            match found {
                Some(found) if tried == 1 && lesson.search.is_empty() => {
                    let _ = writeln!(
                        out,
                        "the first run, with the default policy, shows {}:",
                        shows.words()
                    );
                    found
                }
                Some(found) => {
                    let _ = writeln!(
                        out,
                        "searched {space} in order; run {tried} is the first to show {}:",
                        shows.words()
                    );
                    found
                }
                None => {
                    let _ = writeln!(
                        out,
                        "none of the {tried} runs of {space} shows {}; the first of them:",
                        shows.words()
                    );
                    let args = lesson.run.and(&Args {
                        policy: policies[0].clone(),
                        seed: Some(lesson.seeds.start),
                        ..Args::default()
                    });
                    let ran = run(lesson, &args, None)?;
                    (args, ran)
                }
            }
        }
    };
    run_text(&mut out, &args, &shown.result, &shown.source);

    let f = &shown.result.record.findings;
    if !f.lost_updates.is_empty() || !f.check_then_act.is_empty() {
        out.push('\n');
        let record = &shown.result.record;
        let lanes = crate::explain_lanes(&shown.source, &shown.cfg, record);
        out.push_str(&render::explain(record, &shown.source, lanes.as_deref()));
    }

    if let Some(fix_name) = &lesson.fix {
        let Some(fix) = find(fix_name) else {
            return Err(lesson.error(format!("fix: there is no lesson `{fix_name}`")));
        };
        let _ = writeln!(out, "\n── the fix: {} ──", fix.file);
        let _ = writeln!(out, "{}", fix.title);
        let _ = writeln!(
            out,
            "what changes (line numbers of {} and of {}):",
            lesson.file, fix.file
        );
        diff_text(
            &mut out,
            &lesson.source,
            &fix.source,
            lesson.code_from - 1,
            fix.code_from - 1,
        );
        let _ = writeln!(out, "the same policy and seed:");
        let fix_args = Args {
            scenario: None,
            ..args.clone()
        };
        let ran = run(fix, &fix_args, None)?;
        run_text(&mut out, &fix_args, &ran.result, &ran.source);
    }

    let fix_explore = lesson
        .fix
        .as_deref()
        .and_then(find)
        .and_then(|fix| fix.explore.as_ref().map(|e| (fix, e)));
    if lesson.explore.is_some() || fix_explore.is_some() {
        let _ = writeln!(out, "\n── every interleaving of a small configuration ──");
        out.push_str(EXPLORE_LEGEND);
        if let Some(e) = &lesson.explore {
            explore_text(&mut out, lesson, e, true)?;
        }
        if let Some((fix, e)) = fix_explore {
            explore_text(&mut out, fix, e, false)?;
        }
    }

    if let Some(e) = &lesson.explore {
        versions_text(&mut out, lesson, e)?;
    } else if lesson.real.is_empty() {
        version_runs_text(&mut out, lesson)?;
    } else {
        return Err(lesson.error(
            "cpython: lines need an `explore:` line, the configuration each version is explored at"
                .into(),
        ));
    }

    if let Some(args) = &lesson.sweep {
        let _ = writeln!(out, "\n── many seeds ──");
        sweep_text(&mut out, lesson, &lesson.run.and(args))?;
    }

    if !lesson.compare.is_empty() {
        let _ = writeln!(out, "\n── side by side ──");
        for entry in &lesson.compare {
            let (target, args) = lesson.entry_run(&lessons, entry, "compare")?;
            let r = run(target, &args, Some(Some(1)))?.result;
            let _ = writeln!(out, "{}", args.command("run", &target.file));
            let stdout = String::from_utf8_lossy(&r.stdout)
                .trim_end()
                .replace('\n', " ⏎ ");
            let mut status = status_words(&r);
            if r.end.status != Status::Finished && status != format!("exit {}", r.end.exit_code) {
                let _ = write!(status, " (exit {})", r.end.exit_code);
            }
            let stats = &r.record.stats;
            let _ = writeln!(
                out,
                "  stdout: {stdout} · {status} · policy {} · {} instructions · {} switches · virtual time {}",
                render::policy_text(&r),
                render::thousands(stats.steps),
                render::thousands(stats.switches),
                render::fmt_ns(stats.virtual_ns)
            );
            let _ = writeln!(out, "  {}", findings_line(&r));
            // Without a GIL the threads run at once: a "switch" there is only where the
            // simulation moved to another core, not a preemption.
            let parallel = Profile::parse(&r.record.config.profile).is_ok_and(|p| !p.has_gil());
            let landed = if parallel {
                Vec::new()
            } else {
                preempted_after(&r)
            };
            if !landed.is_empty() {
                let shown: Vec<String> = landed
                    .iter()
                    .take(5)
                    .map(|(p, n)| format!("{p} ×{}", render::thousands(*n)))
                    .collect();
                let more = if landed.len() > 5 { ", …" } else { "" };
                let _ = writeln!(out, "  preempted after: {}{more}", shown.join(", "));
            }
        }
    }

    if !lesson.claims.is_empty() {
        let _ = writeln!(out, "\n── what this lesson claims, checked ──");
        for claim in &lesson.claims {
            check_claim(&mut out, lesson, &lessons, claim)?;
        }
    }

    if !lesson.exercises.is_empty() {
        let _ = writeln!(out, "\n── try it yourself ──");
        for e in &lesson.exercises {
            let _ = writeln!(out, "• {e}");
        }
    }
    if let Some(next) = lessons.get(k + 1) {
        let _ = writeln!(out, "\nnext: gilsim lesson {}: {}", next.name, next.title);
    }
    Ok(out)
}

/// The real-CPython runs every lesson's `cpython:` lines ask for, one JSON object per line
/// (`lesson`, `line`, `version`, `wrong` (whether some run should go wrong), and `source`, the program with
/// its defines applied), for the test that runs them under the installed interpreters.
///
/// # Errors
/// As [`all`], and a define a program does not have.
pub(crate) fn cpython_checks() -> Result<String, LessonError> {
    let mut out = String::new();
    for lesson in all()? {
        for claim in &lesson.real {
            let args = lesson.run.and(&claim.args);
            let (source, _) = lesson.config(&args, 0, false)?;
            for version in &claim.versions {
                let line = serde_json::json!({
                    "lesson": lesson.name,
                    "line": claim.line,
                    "version": version,
                    "wrong": claim.wrong,
                    "source": source,
                });
                let _ = writeln!(out, "{line}");
            }
        }
    }
    Ok(out)
}

/// The question `--quiz` asks before a section of a lesson, keyed by the section's heading:
/// the learner predicts, presses Enter, and the section reveals the answer.
fn quiz_question(heading: &str, lesson: &Lesson) -> Option<String> {
    let small = lesson
        .explore
        .as_ref()
        .map(|a| {
            let c = a.command("explore", &lesson.file);
            c.trim_start_matches(&format!("$ gilsim explore {}", lesson.file))
                .trim()
                .to_string()
        })
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "as it is".to_string());
    let q = if heading.starts_with("── the run") {
        "Predict before you look: what will this run print? Will every update arrive?".to_string()
    } else if heading.starts_with("── how ") && heading.contains("line by line") {
        "Before the replay: at which line must a thread be switched out for this outcome?"
            .to_string()
    } else if heading.starts_with("── how ") {
        "Before the explanation: between which two instructions was a thread switched out?"
            .to_string()
    } else if heading.starts_with("── the fix") {
        "How would you fix it? Think of the smallest change.".to_string()
    } else if heading.starts_with("── every interleaving") {
        format!("Small configuration ({small}): how many different outcomes can it reach?")
    } else if heading.starts_with("── on each CPython version") {
        "Which CPython versions can go wrong with this program, and why those?".to_string()
    } else if heading.starts_with("── many seeds") {
        "Out of a hundred seeds, how many runs will lose an update?".to_string()
    } else if heading.starts_with("── side by side") {
        "Which of the runs below loses the most, and why?".to_string()
    } else {
        return None;
    };
    Some(q)
}

/// `gilsim lesson NAME --quiz`: the lesson, stopping before each reveal to ask the learner to
/// predict it, as OSTEP's simulators do with `-c`; Enter (or the end of the input) goes on.
/// When `input` is not a terminal its Enter is not echoed, so the quiz ends the line itself.
///
/// # Errors
/// As [`narrate`], and a failure to write `output`.
pub(crate) fn quiz(
    name: &str,
    input: &mut dyn std::io::BufRead,
    interactive: bool,
    output: &mut dyn std::io::Write,
) -> Result<(), LessonError> {
    let text = narrate(name)?;
    let (lessons, k) = resolve(name)?;
    let lesson = &lessons[k];
    let io_error = |e: std::io::Error| lesson.error(format!("cannot write the quiz: {e}"));
    let mut asked = 0;
    for line in text.lines() {
        if let Some(q) = quiz_question(line, lesson) {
            asked += 1;
            write!(output, "\n❓ {asked}. {q}\n   (think, then press Enter) ").map_err(io_error)?;
            output.flush().map_err(io_error)?;
            let mut answer = String::new();
            let _ = input.read_line(&mut answer);
            if !interactive {
                writeln!(output).map_err(io_error)?;
            }
        }
        writeln!(output, "{line}").map_err(io_error)?;
    }
    Ok(())
}

/// Runs a claim's run and says whether it shows what the claim says; a claim that does not
/// hold is an error that names its line.
fn check_claim(
    out: &mut String,
    lesson: &Lesson,
    lessons: &[Lesson],
    claim: &Claim,
) -> Result<(), LessonError> {
    let (target, args) = lesson.entry_run(lessons, &claim.args, "claim")?;
    let r = run(target, &args, None)?.result;
    let command = args.command("run", &target.file);
    let command = command.trim_start_matches("$ ");
    if !claim.expect.holds(&r) {
        return Err(LessonError {
            file: lesson.file.clone(),
            line: claim.line,
            message: format!(
                "the lesson claims that `{command}` {}, but it does not: {} ({})",
                claim.expect.words(),
                findings_line(&r),
                String::from_utf8_lossy(&r.stdout)
                    .trim_end()
                    .replace('\n', " ⏎ ")
            ),
        });
    }
    let _ = writeln!(
        out,
        "✓ `{command}` {}: {}",
        claim.expect.words(),
        findings_line(&r)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lesson_block_is_read_and_checked() {
        let src = "\"\"\"Title.\n\nProse.\n\nLesson:\n    topic: 3\n    fix: other.py\n    shows: lost-updates\n    search: slice:5ms io\n    seeds: 0..5\n    compare: -D A=1 | other --policy io\n    sweep: --policy io --seeds 0..9\n    explore: -D A=2\n\"\"\"\nA = 3\n";
        let l = Lesson::parse("x", "x.py", src).unwrap().unwrap();
        assert_eq!(l.title, "Title.");
        assert_eq!(l.prose, vec!["Prose.".to_string()]);
        assert_eq!((l.topic, l.fix.as_deref()), ((3, 0), Some("other")));
        assert_eq!(l.shows, Some(Shows::LostUpdates));
        assert_eq!(l.seeds, 0..5);
        assert_eq!(l.compare[1].scenario.as_deref(), Some("other"));
        assert_eq!(l.sweep.unwrap().seeds, Some(0..9));
        assert_eq!(l.code_from, 15);
        let bad = "\"\"\"T.\n\nLesson:\n    colour: red\n\"\"\"\n";
        let e = Lesson::parse("y", "y.py", bad).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("not a lesson key"), "{}", e.message);
        assert!(
            Lesson::parse("z", "z.py", "\"\"\"No block.\"\"\"\n")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn every_embedded_lesson_block_parses() {
        let lessons = all().unwrap();
        assert!(lessons.iter().any(|l| l.name == "counter"));
    }
}
