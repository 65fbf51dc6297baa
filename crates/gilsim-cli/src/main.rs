//! The `gilsim` command line: the only place that prints.

mod lesson;
mod render;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gilsim_compiler::{Profile, apply_defines};
use gilsim_vm::Limits;
use gilsim_vm::Schedule;
use gilsim_vm::record::RunRecord;
use gilsim_vm::run::{RunConfig, SetupError, run_source};
use std::io::Write;
use std::process::ExitCode;

/// gilsim — a deterministic simulator of CPython's threads and GIL, for learning race conditions.
#[derive(Parser)]
#[command(
    name = "gilsim",
    version,
    about = "gilsim — a deterministic simulator of CPython's threads and GIL, for learning race conditions",
    after_help = "Exit codes: 0 finished, 1 uncaught exception, 2 usage/unsupported/corrupt record, 3 deadlock, 4 step limit (explore: search cut short), 5 replay diverged, 6 --fail-on found what it was asked to fail on.\nDocs: docs/cli.md, docs/how-it-works.md, docs/write-your-own-scenario.md, docs/lessons/"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct RunArgs {
    /// The Python file to run.
    file: String,
    /// CPython version to model (3.9).
    #[arg(long = "python", default_value = "3.9")]
    python: String,
    /// Switch policy: every:N, every:N:random, ticks:N, slice:5ms, io, random:P (default: the profile's own).
    #[arg(long)]
    policy: Option<String>,
    /// Seed for every random choice (scheduling, the program's `random`, simulated I/O).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Rewrite the first top-level `NAME = <literal>` (e.g. -D THREADS=2).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Stop after this many instructions (exit 4).
    #[arg(long, default_value_t = Limits::default().max_steps)]
    max_steps: u64,
    /// A schedule to follow first, e.g. "0:120 1:3 1@8".
    #[arg(long)]
    schedule: Option<String>,
    /// Print the interleaving as thread lanes (`--trace=all` for every instruction).
    #[arg(long, num_args = 0..=1, default_missing_value = "window", value_name = "all")]
    trace: Option<String>,
    /// Write the run record as JSON (`-` for stdout).
    #[arg(long, value_name = "PATH")]
    json: Option<String>,
    /// Narrate the first lost update (or check-then-act) as thread lanes.
    #[arg(long)]
    explain: bool,
    /// Exit 6 when the run found any of: lost-updates, races, deadlock (comma-separated).
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    fail_on: Vec<FailOn>,
    /// Turn the detectors off (the run itself is the same; for measuring their cost).
    #[arg(long)]
    no_detect: bool,
    /// Rewrite integer literals above N that size the work (range stops, while bounds,
    /// module-level size constants) to N, and say what was rewritten.
    #[arg(long, value_name = "N")]
    shrink: Option<u64>,
}

/// A kind of finding `--fail-on` can make fatal.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FailOn {
    /// Lost updates and check-then-act violations.
    LostUpdates,
    /// Unsynchronised read-modify-writes.
    Races,
    /// Threads waiting for each other in a cycle, or all blocked.
    Deadlock,
}

#[derive(clap::Args, Clone)]
struct ExploreArgs {
    /// The Python file to explore (keep it small: -D THREADS=2 -D ITERATIONS=3).
    file: String,
    /// CPython version to model (3.9).
    #[arg(long = "python", default_value = "3.9")]
    python: String,
    /// Rewrite the first top-level `NAME = <literal>` (e.g. -D THREADS=2).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Seed of the program's own random numbers and simulated I/O (not of the schedule).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Explore only schedules with at most K preemptions (CHESS-style bound).
    #[arg(long, value_name = "K")]
    max_preemptions: Option<u32>,
    /// Stop after N distinct states, with a partial report (exit 4).
    #[arg(long, value_name = "N", default_value_t = 2_000_000)]
    max_states: u64,
    /// Stop the search after this many seconds of wall-clock time (a cut-off that depends on
    /// the machine, so the partial result is not reproducible; exit 4).
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    max_time: f64,
    /// Rewrite integer literals above N that size the work (range stops, while bounds,
    /// module-level size constants) to N, and say what was rewritten.
    #[arg(long, value_name = "N")]
    shrink: Option<u64>,
    /// Stop each run after this many instructions (that run ends with status step_limit).
    #[arg(long, default_value_t = 1_000_000)]
    max_steps: u64,
    /// Offer a switch at every check point, even inside gilsim's own modules and before
    /// thread-local instructions (the same outcomes, many more states; exact schedule count).
    #[arg(long)]
    no_reduction: bool,
    /// Print the witness of the first N outcomes as thread lanes.
    #[arg(long, value_name = "N", default_value_t = 0)]
    show: usize,
    /// Write the exploration as JSON (`-` for stdout; the table then goes to stderr).
    #[arg(long, value_name = "PATH")]
    json: Option<String>,
}

#[derive(clap::Args, Clone)]
struct CompareArgs {
    /// The Python file (keep it small: -D THREADS=2 -D ITERATIONS=2).
    file: String,
    /// Rewrite the first top-level `NAME = <literal>` (e.g. -D THREADS=2).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Stop each version's search after N distinct states (its row then says "at least").
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    max_states: u64,
    /// Stop the whole comparison after this many seconds of wall-clock time (a cut-off that depends on
    /// the machine, so the partial result is not reproducible; exit 4).
    #[arg(long, value_name = "SECS", default_value_t = 120.0)]
    max_time: f64,
    /// Rewrite integer literals above N that size the work (range stops, while bounds,
    /// module-level size constants) to N, and say what was rewritten.
    #[arg(long, value_name = "N")]
    shrink: Option<u64>,
    /// Stop each run after this many instructions.
    #[arg(long, default_value_t = 1_000_000)]
    max_steps: u64,
}

#[derive(clap::Args, Clone)]
struct SweepArgs {
    /// The Python file.
    file: String,
    /// The seeds, as A..B (B excluded), e.g. 0..1000.
    #[arg(long, default_value = "0..100")]
    seeds: String,
    /// CPython version to model (3.9).
    #[arg(long = "python", default_value = "3.9")]
    python: String,
    /// Switch policy for every run (default: the profile's own).
    #[arg(long)]
    policy: Option<String>,
    /// Rewrite the first top-level `NAME = <literal>` (e.g. -D THREADS=2).
    #[arg(short = 'D', value_name = "NAME=VALUE")]
    define: Vec<String>,
    /// Stop each run after this many instructions.
    #[arg(long, default_value_t = Limits::default().max_steps)]
    max_steps: u64,
    /// Worker threads (default: every core). The result is the same for any number.
    #[arg(long)]
    jobs: Option<usize>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program under the simulated GIL.
    Run(RunArgs),
    /// Print the bytecode as CPython's `dis` does, with switch points marked.
    Dis {
        /// The Python file.
        file: String,
        /// CPython version to model.
        #[arg(long = "python", default_value = "3.9")]
        python: String,
        /// Rewrite the first top-level `NAME = <literal>`.
        #[arg(short = 'D', value_name = "NAME=VALUE")]
        define: Vec<String>,
    },
    /// Explore every interleaving the profile allows and list every outcome with a witness.
    Explore(ExploreArgs),
    /// Run many seeds (in parallel) and print the outcome histogram with the first seed of each.
    Sweep(SweepArgs),
    /// Explore the program under every CPython profile and print one table: version → the
    /// outcomes it can reach.
    Compare(CompareArgs),
    /// List the lessons, or narrate one: the program, the run that shows the problem, how it
    /// happened, the fix, every interleaving of a small configuration.
    Lesson {
        /// The lesson (a scenario's name, e.g. `counter`, or the path of a scenario of your own
        /// with a `Lesson:` block); without it, the list.
        name: Option<String>,
        /// (For the test suite) print the real-CPython runs the lessons' `cpython:` lines
        /// state, as JSON lines.
        #[arg(long, hide = true)]
        cpython_checks: bool,
        /// Stop before each reveal and ask you to predict it (Enter goes on).
        #[arg(long, requires = "name")]
        quiz: bool,
    },
    /// Re-run a recorded run and check it reproduces byte for byte (exit 5 if not).
    Replay {
        /// The run record (from `gilsim run --json PATH`).
        record: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The parser and the compiler recurse over the syntax tree; a 1 GiB stack (reserved, not
    // committed) lets machine-written programs such as a 50,000-term sum compile as CPython's do.
    let worker = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || real_main(cli));
    let result = match worker {
        Ok(handle) => handle.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "[gilsim internal bug] the run panicked; please report it with the program"
            ))
        }),
        Err(e) => Err(anyhow::anyhow!("cannot start the compiler thread: {e}")),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("gilsim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn parse_defines(raw: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    raw.iter()
        .map(|d| {
            d.split_once('=')
                .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                .with_context(|| format!("-D {d}: write NAME=VALUE, e.g. -D THREADS=2"))
        })
        .collect()
}

fn read_source(file: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
    String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{file} is not UTF-8 text; gilsim runs Python source files"))
}

fn real_main(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Dis {
            file,
            python,
            define,
        } => {
            let profile = Profile::parse(&python).map_err(anyhow::Error::msg)?;
            let source = read_source(&file)?;
            let defines = parse_defines(&define)?;
            let source = match apply_defines(&source, &defines) {
                Ok(s) => s,
                Err(e) => return Ok(render::compile_error(&file, &source, &e)),
            };
            match gilsim_compiler::compile(&source, &file, &profile) {
                Ok(p) => {
                    print!("{}", gilsim_compiler::dis::dis_program(&p, &profile));
                    Ok(0)
                }
                Err(e) => Ok(render::compile_error(&file, &source, &e)),
            }
        }
        Command::Run(args) => run_cmd(&args, None),
        Command::Explore(args) => explore_cmd(&args),
        Command::Sweep(args) => sweep_cmd(&args),
        Command::Compare(args) => compare_cmd(&args),
        Command::Lesson {
            name: Some(n),
            quiz: true,
            ..
        } => {
            use std::io::IsTerminal as _;
            let stdin = std::io::stdin();
            let interactive = stdin.is_terminal();
            let mut input = stdin.lock();
            let mut output = std::io::stdout();
            match lesson::quiz(&n, &mut input, interactive, &mut output) {
                Ok(()) => Ok(0),
                Err(e) => {
                    eprintln!("gilsim lesson: {e}");
                    Ok(2)
                }
            }
        }
        Command::Lesson {
            name,
            cpython_checks,
            ..
        } => {
            let text = match name {
                None if cpython_checks => lesson::cpython_checks(),
                None => lesson::list(),
                Some(n) => lesson::narrate(&n),
            };
            match text {
                Ok(t) => {
                    print!("{t}");
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("gilsim lesson: {e}");
                    Ok(2)
                }
            }
        }
        Command::Replay { record } => {
            let text = std::fs::read_to_string(&record)
                .with_context(|| format!("cannot read {record}"))?;
            let rec: RunRecord = match serde_json::from_str(&text) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!(
                        "gilsim: {record} is not a gilsim run record ({e}); record one with `gilsim run FILE --json {record}`"
                    );
                    return Ok(2);
                }
            };
            let args = RunArgs {
                file: rec.config.file.clone(),
                python: rec.config.profile.clone(),
                policy: Some(rec.config.policy.clone()),
                seed: rec.config.seed,
                define: rec
                    .config
                    .defines
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect(),
                max_steps: rec.config.max_steps,
                schedule: Some(rec.schedule.clone()),
                trace: None,
                json: None,
                explain: false,
                fail_on: Vec::new(),
                no_detect: !rec.config.detect,
                shrink: None,
            };
            run_cmd(&args, Some(rec))
        }
    }
}

fn run_cmd(args: &RunArgs, expected: Option<RunRecord>) -> anyhow::Result<u8> {
    let profile = Profile::parse(&args.python).map_err(anyhow::Error::msg)?;
    let original = read_source(&args.file)?;
    let defines = parse_defines(&args.define)?;
    let source = match apply_defines(&original, &defines) {
        Ok(s) => s,
        Err(e) => return Ok(render::compile_error(&args.file, &original, &e)),
    };
    let source = match args.shrink {
        Some(n) => {
            anyhow::ensure!(
                args.json.is_none(),
                "--shrink with --json: a run record of a shrunk program cannot be replayed yet; set the sizes with -D instead"
            );
            let (shrunk, rewrites) = gilsim_compiler::shrink(&source, n, &define_names(&defines));
            eprint!("{}", render::shrink_note(n, &rewrites));
            shrunk
        }
        None => source,
    };
    let schedule = match &args.schedule {
        Some(s) => Some(Schedule::parse(s).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let trace = match args.trace.as_deref() {
        None => None,
        Some("all") => Some(None),
        Some("window") => Some(Some(6)),
        Some(other) => anyhow::bail!("--trace takes no value or `all`, not `{other}`"),
    };
    let cfg = RunConfig {
        file: args.file.clone(),
        profile,
        policy: args.policy.clone(),
        seed: args.seed,
        defines,
        limits: Limits {
            max_steps: args.max_steps,
            ..Limits::default()
        },
        schedule,
        trace,
        trace_steps: None,
        trace_marks: Vec::new(),
        detect: !args.no_detect,
    };
    let result = match run_source(&source, &cfg) {
        Ok(r) => r,
        Err(SetupError::Compile(e)) => return Ok(render::compile_error(&args.file, &source, &e)),
        Err(SetupError::Usage(msg)) => {
            eprintln!("gilsim: {msg}");
            return Ok(2);
        }
    };
    let json_to_stdout = args.json.as_deref() == Some("-");
    {
        let mut out = std::io::stdout().lock();
        if !json_to_stdout {
            out.write_all(&result.stdout)?;
        }
        out.flush()?;
    }
    let mut err = std::io::stderr().lock();
    err.write_all(&result.stderr)?;
    if !result.trace.is_empty() || cfg.trace.is_some() {
        err.write_all(
            render::trace(&result, args.trace.as_deref() == Some("all"), &[]).as_bytes(),
        )?;
    }
    let colour = render::Colour::for_stderr();
    err.write_all(render::report(&result, &source, colour, args.explain).as_bytes())?;
    if args.explain {
        let lanes = explain_lanes(&source, &cfg, &result.record);
        err.write_all(render::explain(&result.record, &source, lanes.as_deref()).as_bytes())?;
    }
    err.flush()?;
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&result.record)? + "\n";
        if path == "-" {
            print!("{text}");
        } else {
            std::fs::write(path, text).with_context(|| format!("cannot write {path}"))?;
        }
    }
    if let Some(expected) = expected {
        if let Some(diff) = render::first_difference(&expected, &result.record) {
            eprintln!("gilsim replay: the run diverged from its record: {diff}");
            return Ok(5);
        }
        eprintln!("gilsim replay: identical to the record");
    }
    let f = &result.record.findings;
    let failed = args.fail_on.iter().any(|k| match k {
        FailOn::LostUpdates => !f.lost_updates.is_empty() || !f.check_then_act.is_empty(),
        FailOn::Races => !f.races.is_empty(),
        FailOn::Deadlock => {
            f.deadlock.is_some() || result.end.status == gilsim_vm::Status::Deadlock
        }
    });
    if failed {
        return Ok(6);
    }
    Ok(u8::try_from(result.end.exit_code.clamp(0, 255)).unwrap_or(1))
}

/// A program read, with its `-D` defines (and `--shrink`) applied, and compiled.
struct Loaded {
    source: String,
    defines: Vec<(String, String)>,
    program: gilsim_compiler::Program,
    /// What `--shrink` rewrote.
    rewrites: Vec<gilsim_compiler::Rewrite>,
}

/// The names `-D` set (`--shrink` leaves them as given).
fn define_names(defines: &[(String, String)]) -> Vec<String> {
    defines.iter().map(|(n, _)| n.clone()).collect()
}

/// Reads, rewrites and compiles `file`; `Ok(Err(code))` when it does not compile (the error
/// is printed, `code` is the exit code).
fn load(
    file: &str,
    define: &[String],
    profile: &Profile,
    shrink: Option<u64>,
) -> anyhow::Result<Result<Loaded, u8>> {
    let original = read_source(file)?;
    let defines = parse_defines(define)?;
    let source = match apply_defines(&original, &defines) {
        Ok(s) => s,
        Err(e) => return Ok(Err(render::compile_error(file, &original, &e))),
    };
    let (source, rewrites) = match shrink {
        Some(n) => gilsim_compiler::shrink(&source, n, &define_names(&defines)),
        None => (source, Vec::new()),
    };
    match gilsim_compiler::compile(&source, file, profile) {
        Ok(program) => Ok(Ok(Loaded {
            source,
            defines,
            program,
            rewrites,
        })),
        Err(e) => Ok(Err(render::compile_error(file, &source, &e))),
    }
}

fn parse_seeds(text: &str) -> anyhow::Result<std::ops::Range<u64>> {
    let (a, b) = text
        .split_once("..")
        .with_context(|| format!("--seeds {text}: write A..B, e.g. --seeds 0..1000"))?;
    let a: u64 = a
        .trim()
        .parse()
        .with_context(|| format!("--seeds {text}: `{a}` is not a seed"))?;
    let b: u64 = b
        .trim()
        .parse()
        .with_context(|| format!("--seeds {text}: `{b}` is not a seed"))?;
    anyhow::ensure!(a < b, "--seeds {text}: the range is empty");
    Ok(a..b)
}

fn sweep_cmd(args: &SweepArgs) -> anyhow::Result<u8> {
    let profile = Profile::parse(&args.python).map_err(anyhow::Error::msg)?;
    let seeds = parse_seeds(&args.seeds)?;
    let Loaded {
        source,
        defines,
        program,
        ..
    } = match load(&args.file, &args.define, &profile, None)? {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cfg = RunConfig {
        file: args.file.clone(),
        profile,
        policy: args.policy.clone(),
        seed: 0,
        defines,
        limits: Limits {
            max_steps: args.max_steps,
            ..Limits::default()
        },
        schedule: None,
        trace: None,
        trace_steps: None,
        trace_marks: Vec::new(),
        detect: true,
    };
    let policy = match gilsim_vm::run::make_policy(&cfg) {
        Ok(p) => p.describe(),
        Err(msg) => {
            eprintln!("gilsim: {msg}");
            return Ok(2);
        }
    };
    let workers = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let total = seeds.end - seeds.start;
    let progress = render::sweep_progress(total);
    let report = match gilsim_explore::sweep::sweep(&program, &cfg, seeds, workers, progress) {
        Ok(r) => r,
        Err(SetupError::Usage(msg)) => {
            eprintln!("gilsim: {msg}");
            return Ok(2);
        }
        Err(SetupError::Compile(e)) => return Ok(render::compile_error(&args.file, &source, &e)),
    };
    print!("{}", render::sweep_table(&report, &cfg, &policy));
    Ok(0)
}

fn compare_cmd(args: &CompareArgs) -> anyhow::Result<u8> {
    let mut rows = Vec::new();
    let mut cut = false;
    let until = deadline(args.max_time);
    let mut note = String::new();
    for profile in Profile::all() {
        if until.is_some_and(|t| std::time::Instant::now() >= t) {
            cut = true;
            rows.push((profile, gilsim_explore::Report::out_of_time()));
            continue;
        }
        let Exploring {
            machine, rewrites, ..
        } = match exploring_machine(
            &args.file,
            &args.define,
            profile,
            (0, args.max_steps),
            args.shrink,
        )? {
            Ok(m) => m,
            Err(code) => return Ok(code),
        };
        if let Some(n) = args.shrink {
            note = render::shrink_note(n, &rewrites);
        }
        let opts = gilsim_explore::Options {
            max_preemptions: None,
            max_states: Some(args.max_states),
            full: false,
            deadline: until,
        };
        let report =
            gilsim_explore::explore(machine, &opts, render::explore_progress(opts.max_states));
        cut |= !report.exhaustive;
        rows.push((profile, report));
    }
    print!(
        "{note}{}",
        render::compare_table(&args.file, &args.define, &rows)
    );
    Ok(if cut { 4 } else { 0 })
}

/// What an exploration of a file starts from.
struct Exploring {
    machine: gilsim_vm::Machine,
    cfg: RunConfig,
    /// The source explored (after `-D` and `--shrink`).
    source: String,
    /// What `--shrink` rewrote.
    rewrites: Vec<gilsim_compiler::Rewrite>,
}

/// The machine an exploration of `file` starts from; `Err` holds the exit code when the file
/// cannot be loaded (the message is printed).
fn exploring_machine(
    file: &str,
    define: &[String],
    profile: Profile,
    (seed, max_steps): (u64, u64),
    shrink: Option<u64>,
) -> anyhow::Result<Result<Exploring, u8>> {
    let Loaded {
        source,
        defines,
        program,
        rewrites,
    } = match load(file, define, &profile, shrink)? {
        Ok(l) => l,
        Err(code) => return Ok(Err(code)),
    };
    let cfg = RunConfig {
        file: file.to_string(),
        profile,
        policy: None,
        seed,
        defines,
        limits: Limits {
            max_steps,
            ..Limits::default()
        },
        schedule: None,
        trace: None,
        trace_steps: None,
        trace_marks: Vec::new(),
        detect: false,
    };
    match gilsim_vm::run::machine_for(program, &cfg) {
        Ok(machine) => Ok(Ok(Exploring {
            machine,
            cfg,
            source,
            rewrites,
        })),
        Err(SetupError::Usage(msg)) => {
            eprintln!("gilsim: {msg}");
            Ok(Err(2))
        }
        Err(SetupError::Compile(e)) => Ok(Err(render::compile_error(file, &source, &e))),
    }
}

/// The wall-clock deadline of a search given `--max-time` seconds.
fn deadline(secs: f64) -> Option<std::time::Instant> {
    (secs.is_finite() && secs > 0.0)
        .then(|| std::time::Instant::now() + std::time::Duration::from_secs_f64(secs.min(1e9)))
}

fn explore_cmd(args: &ExploreArgs) -> anyhow::Result<u8> {
    let profile = Profile::parse(&args.python).map_err(anyhow::Error::msg)?;
    let Exploring {
        machine,
        cfg,
        source,
        rewrites,
    } = match exploring_machine(
        &args.file,
        &args.define,
        profile,
        (args.seed, args.max_steps),
        args.shrink,
    )? {
        Ok(m) => m,
        Err(code) => return Ok(code),
    };
    let opts = gilsim_explore::Options {
        max_preemptions: args.max_preemptions,
        max_states: Some(args.max_states),
        full: args.no_reduction,
        deadline: deadline(args.max_time),
    };
    let started = std::time::Instant::now();
    let report = gilsim_explore::explore(machine, &opts, render::explore_progress(opts.max_states));
    let elapsed = started.elapsed();
    let table = render::explore_table(&render::with_line_witnesses(&report, &source, &cfg), &cfg);
    let mut lanes = String::new();
    for row in report.outcomes.iter().take(args.show) {
        let run = RunConfig {
            schedule: Schedule::parse(&row.schedule).ok(),
            trace: Some(Some(6)),
            ..cfg.clone()
        };
        lanes.push_str(&render::witness_lanes(&source, &run, row));
    }
    let json_to_stdout = args.json.as_deref() == Some("-");
    {
        let mut out: Box<dyn Write> = if json_to_stdout {
            Box::new(std::io::stderr().lock())
        } else {
            Box::new(std::io::stdout().lock())
        };
        if let Some(n) = args.shrink {
            out.write_all(render::shrink_note(n, &rewrites).as_bytes())?;
        }
        out.write_all(table.as_bytes())?;
        out.write_all(lanes.as_bytes())?;
    }
    eprintln!(
        "explored in {:.2} s of wall-clock time (not part of the result)",
        elapsed.as_secs_f64()
    );
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&render::explore_json(&report))? + "\n";
        if json_to_stdout {
            print!("{text}");
        } else {
            std::fs::write(path, text).with_context(|| format!("cannot write {path}"))?;
        }
    }
    Ok(if report.exhaustive { 0 } else { 4 })
}

/// The thread lanes of the first lost update (or check-then-act): the same run again, traced
/// from its read to its write (runs are pure functions of their inputs, so this is the run).
fn explain_lanes(source: &str, cfg: &RunConfig, rec: &RunRecord) -> Option<String> {
    let f = &rec.findings;
    let value = |a: &gilsim_vm::record::AccessRecord| {
        a.value
            .as_ref()
            .map_or_else(String::new, |v| format!(" = {v}"))
    };
    let (from, to, notes) = match (render::first_lost(f), f.check_then_act.first()) {
        (Some(l), _) => {
            let x = &l.first;
            let loc = &l.location;
            let notes = vec![
                (x.read.step, format!("reads {loc}{}", value(&x.read))),
                (
                    x.overwritten.step,
                    format!("writes {loc}{}", value(&x.overwritten)),
                ),
                (
                    x.write.step,
                    format!(
                        "writes {loc}{} from its stale read: {} lost",
                        value(&x.write),
                        x.lost
                    ),
                ),
            ];
            (x.read.step, x.write.step, notes)
        }
        (None, Some(c)) => {
            let loc = &c.location;
            let notes = vec![
                (c.check.step, format!("checks {loc}{}", value(&c.check))),
                (c.between.step, format!("writes {loc}{}", value(&c.between))),
                (
                    c.act.step,
                    format!("acts on the stale check: {loc}{}", value(&c.act)),
                ),
            ];
            (c.check.step, c.act.step, notes)
        }
        _ => return None,
    };
    // A short interleaving is shown whole; a long one as windows around its switches.
    let window = if to - from <= 200 { None } else { Some(4) };
    let cfg = RunConfig {
        trace: Some(window),
        trace_steps: Some(from.saturating_sub(2)..=to + 1),
        trace_marks: notes.iter().map(|(step, _)| *step).collect(),
        ..cfg.clone()
    };
    let again = run_source(source, &cfg).ok()?;
    Some(render::trace(&again, false, &notes))
}
