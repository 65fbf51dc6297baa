//! Renderers: compile errors with source frames, the run report, thread lanes.

use annotate_snippets::{Level, Renderer, Snippet};
use gilsim_compiler::CompileError;
use gilsim_vm::Status;
use gilsim_vm::record::RunRecord;
use gilsim_vm::run::RunResult;
use gilsim_vm::trace::Item;
use std::fmt::Write as _;

/// Prints a compile error with the source line and a caret; returns the exit code.
pub(crate) fn compile_error(file: &str, source: &str, e: &CompileError) -> u8 {
    let kind = match e.kind {
        gilsim_compiler::ErrorKind::Syntax => "SyntaxError",
        gilsim_compiler::ErrorKind::Unsupported => "unsupported",
        gilsim_compiler::ErrorKind::Define => "define",
    };
    let title = format!("{kind}: {}", e.message);
    let origin = format!("{file}:{}:{}", e.line, e.col);
    let end = if e.end > e.start {
        e.end.min(source.len())
    } else {
        (e.start + 1).min(source.len())
    };
    let hint = e.hint.clone().unwrap_or_default();
    let mut msg = Level::Error.title(&title);
    if e.kind != gilsim_compiler::ErrorKind::Define {
        msg = msg.snippet(
            Snippet::source(source)
                .line_start(1)
                .origin(&origin)
                .fold(true)
                .annotation(
                    Level::Error
                        .span(e.start.min(source.len())..end)
                        .label("here"),
                ),
        );
    }
    if !hint.is_empty() {
        msg = msg.footer(Level::Help.title(&hint));
    }
    eprintln!("{}", Renderer::plain().render(msg));
    match e.kind {
        gilsim_compiler::ErrorKind::Syntax => 1,
        _ => 2,
    }
}

/// Virtual time in the unit that reads best (`69.031 ms`).
pub(crate) fn fmt_ns(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.3} s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{:.3} ms", ns as f64 / 1e6)
    } else if ns >= 1_000 {
        format!("{:.3} µs", ns as f64 / 1e3)
    } else {
        format!("{ns} ns")
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether to colour the report: on a terminal, unless `NO_COLOR` is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Colour {
    /// ANSI colours.
    On,
    /// Plain text.
    Off,
}

impl Colour {
    /// The choice for stderr.
    pub(crate) fn for_stderr() -> Colour {
        use std::io::IsTerminal;
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || !std::io::stderr().is_terminal()
        {
            Colour::Off
        } else {
            Colour::On
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        match self {
            Colour::On => format!("\x1b[{code}m{text}\x1b[0m"),
            Colour::Off => text.to_string(),
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The findings in a few lines a student reads in ten seconds.
pub(crate) fn findings(rec: &RunRecord, colour: Colour, explain: bool) -> String {
    let f = &rec.findings;
    let file = &rec.config.file;
    let mut out = String::new();
    if !rec.config.detect {
        return out;
    }
    if f.is_empty() {
        let what = if rec.outcome.status == "deadlock" {
            "no lost update or unsynchronised access in this run; the deadlock is above"
        } else if rec.outcome.status == "exception" {
            "the detectors saw no lost update, unsynchronised access or wait cycle, yet the program failed: \
             they follow variables, attributes and items read and written by key or index, not a list's length or what `pop` and `append` do to it; \
             the traceback above is where it went wrong"
        } else {
            "no lost update, unsynchronised access or wait cycle in this run"
        };
        let _ = writeln!(out, "findings: none ({what})");
        return out;
    }
    let _ = writeln!(out, "findings:");
    // The biggest few of each kind; the record has them all.
    const SHOWN: usize = 3;
    let mut lost: Vec<&gilsim_vm::record::LostUpdateRecord> = f.lost_updates.iter().collect();
    lost.sort_by_key(|l| std::cmp::Reverse(l.count));
    for l in lost.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  {} to {} ({file}:{}): each was overwritten by a thread that had read the value before it",
            colour.paint(
                "1;31",
                &format!("lost {}", plural(l.count, "update", "updates"))
            ),
            l.location,
            l.first.write.line
        );
    }
    if lost.len() > SHOWN {
        let rest: u64 = lost[SHOWN..].iter().map(|l| l.count).sum();
        let _ = writeln!(
            out,
            "  … and {} more lost at {} other locations (all in the --json record)",
            thousands(rest),
            lost.len() - SHOWN
        );
    }
    for c in f.check_then_act.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  {} on {} ({file}:{} checks, line {} acts): another thread changed it in between, {}",
            colour.paint("1;31", "check-then-act"),
            c.location,
            c.check.line,
            c.act.line,
            plural(c.count, "time", "times")
        );
    }
    if f.check_then_act.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … and check-then-act at {} other locations",
            f.check_then_act.len() - SHOWN
        );
    }
    for r in f.races.iter().take(SHOWN) {
        let lines = if r.first.line == r.second.line {
            format!(
                "{file}:{} in threads {} and {}",
                r.first.line, r.first.thread, r.second.thread
            )
        } else {
            format!(
                "{file}:{} (thread {}) and line {} (thread {})",
                r.first.line, r.first.thread, r.second.line, r.second.thread
            )
        };
        let how = if r.first.read_modify_write && r.second.read_modify_write {
            "read and written"
        } else {
            "written"
        };
        let _ = writeln!(
            out,
            "  {} {} is {how} at {lines} with nothing ordering them; {}",
            colour.paint("1;33", "unsynchronised:"),
            r.location,
            r.hint
        );
    }
    if f.races.len() > SHOWN {
        let _ = writeln!(
            out,
            "  … and {} more unsynchronised pairs of lines",
            f.races.len() - SHOWN
        );
    }
    if let Some(d) = &f.deadlock {
        let parts: Vec<String> = d
            .cycle
            .iter()
            .map(|c| {
                let holds = match (&c.holds, c.acquired_line) {
                    (Some(h), Some(line)) => format!("holds {h} (acquired at line {line}) and "),
                    _ => String::new(),
                };
                format!(
                    "thread {} ({}) {holds}waits for {} at line {}",
                    c.thread, c.name, c.waits_for, c.waits_line
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  {} {}",
            colour.paint("1;31", "deadlock:"),
            parts.join("; ")
        );
    }
    if !explain && (!f.lost_updates.is_empty() || !f.check_then_act.is_empty()) {
        let _ = writeln!(out, "run with --explain for the interleaving");
    }
    out
}

fn source_line(source: &str, line: u32) -> &str {
    source
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or("")
        .trim()
}

fn value_text(a: &gilsim_vm::record::AccessRecord) -> String {
    a.value
        .as_ref()
        .map_or_else(String::new, |v| format!(" = {v}"))
}

/// The lost update that happened first in the run (of all locations).
pub(crate) fn first_lost(
    f: &gilsim_vm::record::Findings,
) -> Option<&gilsim_vm::record::LostUpdateRecord> {
    f.lost_updates.iter().min_by_key(|l| l.first.write.step)
}

/// The narrated first lost update (or check-then-act), with its thread lanes if given.
pub(crate) fn explain(rec: &RunRecord, source: &str, lanes: Option<&str>) -> String {
    let f = &rec.findings;
    let file = &rec.config.file;
    let mut out = String::new();
    if let Some(l) = first_lost(f) {
        let x = &l.first;
        let loc = &l.location;
        let _ = writeln!(out, "── how the first update to {loc} was lost ──");
        let _ = writeln!(
            out,
            "1. thread {} reads {loc}{} ({file}:{}, {}):  {}",
            x.read.thread,
            value_text(&x.read),
            x.read.line,
            x.read.op,
            source_line(source, x.read.line)
        );
        let _ = writeln!(
            out,
            "2. before it writes, thread {} is switched out and other threads write {loc} {}; the last, thread {}, writes {loc}{} ({file}:{}, {})",
            x.read.thread,
            plural(x.writes_between, "time", "times"),
            x.overwritten.thread,
            value_text(&x.overwritten),
            x.overwritten.line,
            x.overwritten.op
        );
        let _ = writeln!(
            out,
            "3. thread {} runs again and writes {loc}{} ({file}:{}, {}), computed from its stale read: {} {}",
            x.write.thread,
            value_text(&x.write),
            x.write.line,
            x.write.op,
            plural(x.lost, "update", "updates"),
            if x.lost == 1 { "vanishes" } else { "vanish" }
        );
        let _ = writeln!(
            out,
            "   A read-modify-write such as `{}` is several instructions; a switch between the read and the write loses the other threads' work. Hold one lock around it in every thread.",
            source_line(source, x.write.line)
        );
    } else if let Some(c) = f.check_then_act.first() {
        let loc = &c.location;
        let _ = writeln!(out, "── how the check on {loc} went stale ──");
        let _ = writeln!(
            out,
            "1. thread {} checks {loc}{} ({file}:{}):  {}",
            c.check.thread,
            value_text(&c.check),
            c.check.line,
            source_line(source, c.check.line)
        );
        let _ = writeln!(
            out,
            "2. thread {} changes {loc}{} ({file}:{}):  {}",
            c.between.thread,
            value_text(&c.between),
            c.between.line,
            source_line(source, c.between.line)
        );
        let _ = writeln!(
            out,
            "3. thread {} acts on its old check and writes {loc}{} ({file}:{}):  {}",
            c.act.thread,
            value_text(&c.act),
            c.act.line,
            source_line(source, c.act.line)
        );
        let _ = writeln!(
            out,
            "   The check and the act must be one step: hold one lock around both in every thread."
        );
    } else {
        let _ = writeln!(
            out,
            "── nothing to explain: no update was lost in this run ──"
        );
        if !f.races.is_empty() {
            let _ = writeln!(
                out,
                "   but the unsynchronised accesses above can lose updates under another schedule: try other --seed values or --policy random:0.1"
            );
        }
    }
    if let Some(lanes) = lanes {
        out.push_str(lanes);
    }
    out
}

/// The run's policy as the learner should read it: the profile's time slice names the switch
/// interval the program set with `sys.setswitchinterval`, not the default it started with.
pub(crate) fn policy_text(r: &RunResult) -> String {
    let policy = &r.record.config.policy;
    let Some(profile) = gilsim_compiler::Profile::parse(&r.record.config.profile).ok() else {
        return policy.clone();
    };
    let set = r.machine.switch_interval_ns();
    let default = profile.default_switch_interval_ns();
    if *policy == format!("slice:{}", gilsim_vm::policy::format_duration(default)) && set != default
    {
        format!(
            "slice:{} (the program set the switch interval with sys.setswitchinterval)",
            gilsim_vm::policy::format_duration(set)
        )
    } else {
        policy.clone()
    }
}

/// A folded `Thread.start` line, until the switch after it names the thread it started.
const STARTS_A_THREAD: &str = "inside Thread.start()";

/// A stretch of gilsim's own Python (threading, queue, …) in the learner's words, for a
/// folded trace line; `--trace=all` shows its instructions.
fn machinery_words(module: &str, qualname: &str) -> String {
    match (module, qualname) {
        ("threading", "Thread.start") => STARTS_A_THREAD.to_string(),
        ("threading", "Thread._bootstrap" | "Thread._bootstrap_inner") => {
            "threading sets the thread up or winds it down".to_string()
        }
        ("threading", "Thread.run") => "Thread.run() calls the target".to_string(),
        ("threading", "Thread.join") => "join(): waits for the thread to finish".to_string(),
        _ => format!("inside {module}.{qualname}"),
    }
}

/// The short report on stderr after a run.
pub(crate) fn report(r: &RunResult, source: &str, colour: Colour, explain: bool) -> String {
    let rec = &r.record;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "── gilsim ─────────────────────────────────────────────"
    );
    let _ = writeln!(
        out,
        "profile CPython {} · policy {} · seed {}",
        rec.config.profile,
        policy_text(r),
        rec.config.seed
    );
    let _ = writeln!(
        out,
        "{} threads · {} instructions · {} switches · virtual time {}",
        rec.stats.threads,
        thousands(rec.stats.steps),
        thousands(rec.stats.switches),
        fmt_ns(rec.stats.virtual_ns)
    );
    let outcome = match r.end.status {
        Status::Finished => format!("finished, exit code {}", r.end.exit_code),
        Status::Exception => "the main thread raised an exception (exit code 1)".to_string(),
        Status::Deadlock => {
            "deadlock: every live thread is blocked forever (exit code 3)".to_string()
        }
        Status::StepLimit => format!(
            "stopped at the step limit of {} instructions (exit code 4); raise it with --max-steps",
            thousands(rec.config.max_steps)
        ),
        Status::Unsupported => {
            "stopped: the program uses something gilsim does not support (exit code 2)".to_string()
        }
        Status::ScheduleError => {
            "stopped: the schedule could not be followed (exit code 5)".to_string()
        }
    };
    let _ = writeln!(out, "outcome: {outcome}");
    for d in &r.end.detail {
        let _ = writeln!(out, "  {d}");
    }
    if let (Status::Unsupported, Some((line, col))) = (&r.end.status, r.end.location) {
        let text = source
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("");
        let _ = writeln!(out, "  --> {}:{line}:{col}", rec.config.file);
        let _ = writeln!(out, "   | {text}");
        let _ = writeln!(out, "   | {}^", " ".repeat(col.saturating_sub(1) as usize));
    }
    out.push_str(&findings(rec, colour, explain));
    out.push_str(&never_split(rec, source));
    out
}

/// When the run lost nothing but has unsynchronised read-modify-writes, says for each line
/// that this profile never splits why, from its check points: no lost update is possible there
/// under this version, though the code is still not atomic by the language's rules.
fn never_split(rec: &RunRecord, source: &str) -> String {
    let f = &rec.findings;
    let mut out = String::new();
    if !rec.config.detect || !f.lost_updates.is_empty() || f.races.is_empty() {
        return out;
    }
    let Ok(profile) = gilsim_compiler::Profile::parse(&rec.config.profile) else {
        return out;
    };
    let Ok(program) = gilsim_compiler::compile(source, &rec.config.file, &profile) else {
        return out;
    };
    let mut lines: Vec<u32> = f
        .races
        .iter()
        .filter(|r| r.first.read_modify_write && r.second.read_modify_write)
        .flat_map(|r| [r.first.line, r.second.line])
        .collect();
    lines.sort_unstable();
    lines.dedup();
    for line in lines {
        if gilsim_compiler::dis::line_can_be_split(&profile, &program, line) != Some(false) {
            continue;
        }
        let _ = writeln!(
            out,
            "why nothing was lost: CPython {} can switch threads {}, and no such point lies inside line {line} (`{}`), so it is never split under this version. It is still not atomic by the language's rules: CPython 3.9 splits it and loses updates, and so does every version once a call sits between the read and the write (`gilsim lesson counter_call`); `gilsim compare {}` shows every version.",
            profile.name(),
            profile.switch_points_text(),
            source_line(source, line).trim(),
            rec.config.file
        );
    }
    out
}

/// Thread lanes for the trace items; `full` shows the rows inside gilsim's bundled modules too;
/// `notes` are remarks to print beside the rows of given steps.
pub(crate) fn trace(r: &RunResult, full: bool, notes: &[(u64, String)]) -> String {
    let m = &r.machine;
    let nthreads = m.threads.len();
    let lanes = nthreads <= 4;
    let width = 30;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "── trace (thread lanes) ────────────────────────────────"
    );
    if lanes {
        let mut header = String::from("    step  ");
        for t in &m.threads {
            let _ = write!(header, "{:<width$}", format!("T{} {}", t.id, t.name));
        }
        let _ = writeln!(out, "{}", header.trim_end());
    }
    // Rows inside gilsim's own modules (threading, queue...) are folded into one line per
    // run of rows, named by the function the learner called.
    let mut folded: Option<(u32, u64, u64, String)> = None; // thread, first step, count, what
    let flush = |out: &mut String, folded: &mut Option<(u32, u64, u64, String)>| {
        if let Some((thread, step, n, what)) = folded.take() {
            let cell = format!(
                "… {what} ({n} instruction{})",
                if n == 1 { "" } else { "s" }
            );
            if lanes {
                let pad = " ".repeat(width * thread as usize);
                let _ = writeln!(out, "{step:>8}  {pad}{cell}");
            } else {
                let _ = writeln!(out, "{step:>8}  T{thread:<4} {cell}");
            }
        }
    };
    // The reason in the policy's own words.
    let policy = r.record.config.policy.clone();
    // The threads that have run so far: a `start()` that hands the GIL to one of them hands
    // it to a thread that was waiting, not to the new one.
    let mut ran: std::collections::BTreeSet<u32> = std::collections::BTreeSet::new();
    let why = |reason: gilsim_vm::trace::SwitchReason,
               to: u32,
               ran: &std::collections::BTreeSet<u32>|
     -> String {
        match reason {
            gilsim_vm::trace::SwitchReason::Start if ran.contains(&to) => format!(
                "start() waits for its new thread; T{to}, which was waiting for the GIL, gets it first"
            ),
            gilsim_vm::trace::SwitchReason::Interval if policy.starts_with("slice") => {
                "switch interval expired".to_string()
            }
            gilsim_vm::trace::SwitchReason::Interval => {
                format!("preempted at a check point ({policy})")
            }
            other => other.describe().to_string(),
        }
    };
    for item in &r.trace {
        match item {
            Item::Row(row) => {
                ran.insert(row.thread);
                let unit = &m.units[row.unit as usize];
                let code = &unit.codes[row.code as usize].obj;
                if unit.bundled && !full {
                    let what = machinery_words(
                        unit.program.filename.trim_end_matches(".py"),
                        &code.qualname,
                    );
                    match &mut folded {
                        Some((t, _, n, w)) if *t == row.thread && *w == what => *n += 1,
                        _ => {
                            flush(&mut out, &mut folded);
                            folded = Some((row.thread, row.step, 1, what));
                        }
                    }
                    continue;
                }
                let ins = code.instrs[row.pc as usize];
                if ins.has(gilsim_compiler::bytecode::flag::HIDDEN) {
                    // Not an instruction of this version (a block kept in its exception table).
                    continue;
                }
                flush(&mut out, &mut folded);
                let line = code.lines[row.pc as usize];
                let where_ = if unit.bundled {
                    format!("{}:{line}", unit.program.filename)
                } else {
                    format!("L{line}")
                };
                let arg = arg_text(code, ins);
                let cell = format!("{where_} {}{arg}", ins.view.name());
                let note = notes
                    .iter()
                    .find(|(s, _)| *s == row.step)
                    .map_or_else(String::new, |(_, n)| format!("   ← {n}"));
                if lanes {
                    let pad = " ".repeat(width * row.thread as usize);
                    let _ = writeln!(out, "{:>8}  {pad}{cell}{note}", row.step);
                } else {
                    let _ = writeln!(out, "{:>8}  T{:<4} {cell}{note}", row.step, row.thread);
                }
            }
            Item::Switch {
                from, to, reason, ..
            } => {
                flush(&mut out, &mut folded);
                // The instruction that gave the GIL up did not complete: it runs again later.
                // A start() that hands the GIL to a thread that has not run yet started that one.
                if *reason == gilsim_vm::trace::SwitchReason::Start
                    && !ran.contains(to)
                    && let Some(k) = out.rfind(STARTS_A_THREAD)
                    && !out[k..].trim_end_matches('\n').contains('\n')
                {
                    out.replace_range(
                        k..k + STARTS_A_THREAD.len(),
                        &format!("start() starts thread {to}"),
                    );
                }
                if matches!(
                    reason,
                    gilsim_vm::trace::SwitchReason::Blocked
                        | gilsim_vm::trace::SwitchReason::Sleep
                        | gilsim_vm::trace::SwitchReason::Io
                        | gilsim_vm::trace::SwitchReason::Start
                ) && out.ends_with('\n')
                    && !out.ends_with("──\n")
                {
                    out.pop();
                    out.push_str("   ← waits here\n");
                }
                if from == to {
                    let _ = writeln!(
                        out,
                        "          ── T{from} gave the GIL up and got it back: {} ──",
                        why(*reason, *to, &ran)
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "          ── switch T{from} → T{to}: {} ──",
                        why(*reason, *to, &ran)
                    );
                }
            }
            Item::Gap(n) => {
                flush(&mut out, &mut folded);
                let _ = writeln!(
                    out,
                    "          … {} …",
                    plural(*n, "instruction", "instructions")
                );
            }
        }
    }
    flush(&mut out, &mut folded);
    out
}

fn arg_text(code: &gilsim_compiler::CodeObject, ins: gilsim_compiler::Instr) -> String {
    use gilsim_compiler::bytecode::ArgKind;
    let a = ins.arg as usize;
    match ins.op.arg_kind() {
        ArgKind::Name => format!(" {}", code.names[a]),
        ArgKind::Local => format!(" {}", code.varnames[a]),
        ArgKind::Free => {
            let n = if a < code.cellvars.len() {
                &code.cellvars[a]
            } else {
                &code.freevars[a - code.cellvars.len()]
            };
            format!(" {n}")
        }
        ArgKind::Const => match &code.consts[a] {
            gilsim_compiler::Const::Code(_) => " <code>".into(),
            gilsim_compiler::Const::Str(s) if s.len() > 20 => " '…'".into(),
            c => format!(" {}", short_const(c)),
        },
        ArgKind::None => String::new(),
        _ => format!(" {a}"),
    }
}

fn short_const(c: &gilsim_compiler::Const) -> String {
    match c {
        gilsim_compiler::Const::None => "None".into(),
        gilsim_compiler::Const::Bool(b) => {
            if *b {
                "True".into()
            } else {
                "False".into()
            }
        }
        gilsim_compiler::Const::Int(i) => i.to_string(),
        gilsim_compiler::Const::Str(s) => gilsim_compiler::dis::str_repr(s),
        gilsim_compiler::Const::Float(f) => gilsim_compiler::dis::float_repr(*f),
        _ => "…".into(),
    }
}

/// The first field where a replayed run differs from its record.
pub(crate) fn first_difference(a: &RunRecord, b: &RunRecord) -> Option<String> {
    if a.config.source_hash != b.config.source_hash {
        return Some(format!(
            "the source changed since it was recorded (hash {} now {})",
            a.config.source_hash, b.config.source_hash
        ));
    }
    if a.schedule != b.schedule {
        return Some("the schedule followed differs".into());
    }
    if a.outcome.status != b.outcome.status {
        return Some(format!(
            "outcome.status was {} and is now {}",
            a.outcome.status, b.outcome.status
        ));
    }
    if a.outcome.exit_code != b.outcome.exit_code {
        return Some(format!(
            "outcome.exit_code was {} and is now {}",
            a.outcome.exit_code, b.outcome.exit_code
        ));
    }
    if a.outcome.stdout != b.outcome.stdout {
        return Some("outcome.stdout differs".into());
    }
    if a.outcome.globals != b.outcome.globals {
        return Some("outcome.globals differ".into());
    }
    if a.stats != b.stats {
        return Some(format!(
            "stats differ: recorded {:?}, now {:?}",
            a.stats, b.stats
        ));
    }
    if a.findings != b.findings {
        return Some("findings differ".into());
    }
    None
}

/// A progress spinner on stderr for long explorations, on a terminal only: states so far,
/// the state limit and the time taken, cleared when the exploration ends.
pub(crate) fn explore_progress(max_states: Option<u64>) -> Option<Box<dyn FnMut(u64)>> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let limit = max_states.map_or(String::new(), |m| format!(" of at most {}", thousands(m)));
    let bar = indicatif::ProgressBar::new_spinner()
        .with_style(
            indicatif::ProgressStyle::with_template(&format!(
                "  {{spinner}} exploring: {{human_pos}} states{limit} · {{elapsed}}"
            ))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        )
        .with_finish(indicatif::ProgressFinish::AndClear);
    Some(Box::new(move |states| bar.set_position(states)))
}

/// What `--shrink N` rewrote, one line per literal, before the result it changes.
pub(crate) fn shrink_note(n: u64, rewrites: &[gilsim_compiler::Rewrite]) -> String {
    if rewrites.is_empty() {
        return format!(
            "--shrink {n}: nothing to rewrite (no range stop, while bound or module-level int constant above {n})\n"
        );
    }
    let mut out = format!(
        "--shrink {n} rewrote {} literal{} (the program explored is this smaller one; replay a witness with `gilsim run FILE --shrink {n} --schedule …`):\n",
        rewrites.len(),
        if rewrites.len() == 1 { "" } else { "s" }
    );
    for r in rewrites {
        let _ = writeln!(
            out,
            "  {}:{} {} → {} ({})",
            r.line, r.col, r.old, r.new, r.role
        );
    }
    out
}

/// A short, one-line view of an outcome's stdout.
/// `gilsim compare`: one row per profile with the outcomes its exploration reached (by the
/// program's output and exit status), then which versions agree.
pub(crate) fn compare_table(
    file: &str,
    defines: &[String],
    rows: &[(gilsim_compiler::Profile, gilsim_explore::Report)],
) -> String {
    let mut out = String::new();
    let d: Vec<String> = defines.iter().map(|d| format!(" -D {d}")).collect();
    let _ = writeln!(
        out,
        "── gilsim compare ── {file}{} ─────────────────────",
        d.concat()
    );
    let _ = writeln!(
        out,
        "every schedule each CPython allows; an outcome is the program's output and exit status"
    );
    let key = outcome_key;
    let mut sets: Vec<(String, Vec<String>)> = Vec::new();
    for (profile, r) in rows {
        if r.states == 0 && r.timed_out {
            let why = r.stopped.as_deref().unwrap_or_default();
            let _ = writeln!(out, "  {:<6} {why}", profile.name());
            continue;
        }
        let mut outs: Vec<String> = r.outcomes.iter().map(|o| key(&o.outcome)).collect();
        outs.sort();
        outs.dedup();
        let n = if r.exhaustive {
            format!("{}", outs.len())
        } else {
            format!("≥{}", outs.len())
        };
        let _ = writeln!(
            out,
            "  {:<6} {:>3} {:<9} {}",
            profile.name(),
            n,
            if outs.len() == 1 {
                "outcome:"
            } else {
                "outcomes:"
            },
            if outs.is_empty() {
                "none reached yet".to_string()
            } else {
                outs.join("  |  ")
            }
        );
        sets.push((profile.name().to_string(), outs));
    }
    // Group the versions that reach exactly the same outcomes.
    let explored = sets.len();
    let mut groups: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (name, outs) in sets {
        match groups.iter_mut().find(|(o, _)| *o == outs) {
            Some((_, names)) => names.push(name),
            None => groups.push((outs, vec![name])),
        }
    }
    let cut = rows.iter().any(|(_, r)| !r.exhaustive);
    let so_far = if cut { " so far" } else { "" };
    if explored < 2 {
        // Nothing to compare.
    } else if groups.len() == 1 {
        let _ = writeln!(
            out,
            "every version explored reaches the same outcomes{so_far}"
        );
    } else if !groups.is_empty() {
        let parts: Vec<String> = groups.iter().map(|(_, n)| n.join(", ")).collect();
        let _ = writeln!(out, "versions that agree{so_far}: {}", parts.join("  ·  "));
    }
    if rows.iter().any(|(_, r)| r.timed_out) {
        let _ = writeln!(
            out,
            "≥: a search was cut short by --max-time, a wall-clock bound: another machine or run may get further, so this partial result is not reproducible; make the program smaller with --shrink 2 or -D"
        );
    } else if cut {
        let _ = writeln!(
            out,
            "≥: that search stopped at --max-states before it was exhaustive; shrink the program with --shrink 2 or -D"
        );
    }
    out
}

/// An outcome in `compare`'s words: its stdout on one line, and its exit code when not 0.
pub(crate) fn outcome_key(o: &gilsim_explore::Outcome) -> String {
    let mut k = stdout_text(&o.stdout);
    if k.is_empty() {
        k.push_str("nothing printed");
    }
    match o.status.as_str() {
        "deadlock" => k.push_str(" (deadlock, exit 3)"),
        _ if o.exit_code != 0 => {
            let _ = write!(k, " (exit {})", o.exit_code);
        }
        _ => {}
    }
    k
}

fn stdout_text(s: &str) -> String {
    let one = s.trim_end_matches('\n').replace('\n', " ⏎ ");
    if one.chars().count() > 60 {
        let cut: String = one.chars().take(57).collect();
        format!("{cut}…")
    } else {
        one
    }
}

/// The explored outcomes as a table: one row per outcome with its share of the schedules,
/// the fewest preemptions that reach it, the globals that tell it from the others, and a
/// witness schedule.
pub(crate) fn explore_table(r: &gilsim_explore::Report, cfg: &gilsim_vm::run::RunConfig) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "── gilsim explore ─────────────────────────────────────"
    );
    let scope = match r.bound {
        Some(k) => format!(
            "schedules with at most {k} preemption{}",
            if k == 1 { "" } else { "s" }
        ),
        None => "every schedule".to_string(),
    };
    let points = if r.full {
        "a switch at every check point"
    } else {
        "a switch at every check point before a shared access"
    };
    let _ = writeln!(
        out,
        "profile CPython {} · {points} · {scope}",
        cfg.profile.name()
    );
    let completeness = if r.exhaustive {
        match r.bound {
            Some(_) => "exhaustive within the bound",
            None => "exhaustive",
        }
    } else {
        "NOT exhaustive"
    };
    let schedules = if r.schedules_exact && r.full {
        format!("{} schedules", thousands_big(&r.schedules))
    } else if r.schedules_exact {
        format!(
            "{} schedules (orders of thread-local steps merged; --no-reduction counts them all)",
            thousands_big(&r.schedules)
        )
    } else if r.cyclic {
        format!(
            "infinitely many schedules (a loop can spin forever); {} without repeating a state",
            thousands_big(&r.schedules)
        )
    } else {
        format!("at least {} schedules", thousands_big(&r.schedules))
    };
    let _ = writeln!(
        out,
        "{completeness}: {} · {} · {schedules}",
        plural(r.states, "state", "states"),
        plural(r.ends, "end state", "end states")
    );
    if let Some(why) = &r.stopped {
        let _ = writeln!(out, "{why}");
    }
    let all: Vec<&gilsim_explore::Outcome> = r.outcomes.iter().map(|o| &o.outcome).collect();
    let telling = telling_globals(&all);
    let _ = writeln!(
        out,
        "{} outcome{}:",
        r.outcomes.len(),
        if r.outcomes.len() == 1 { "" } else { "s" }
    );
    for (i, row) in r.outcomes.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>3}. {}",
            i + 1,
            outcome_text(&row.outcome, &telling)
        );
        // A count, not a share: a real run does not pick among schedules uniformly, so a
        // percentage would read as odds it is not.
        let _ = writeln!(
            out,
            "     reached by {} schedule{} · fewest preemptions {}",
            thousands_big(&row.schedules),
            if row.schedules == 1u32.into() {
                ""
            } else {
                "s"
            },
            row.preemptions
        );
        let _ = writeln!(out, "     witness: --schedule \"{}\"", row.schedule);
    }
    out
}

/// The globals whose final value differs between outcomes: they tell them apart.
pub(crate) fn telling_globals(outcomes: &[&gilsim_explore::Outcome]) -> Vec<String> {
    let Some(first) = outcomes.first() else {
        return Vec::new();
    };
    first
        .globals
        .keys()
        .filter(|name| {
            outcomes
                .iter()
                .any(|o| o.globals.get(*name) != first.globals.get(*name))
        })
        .cloned()
        .collect()
}

/// One outcome in a line: how the program ended, the telling globals, its stdout.
/// A global's final value, as the record keeps it (JSON; a dict's keys are Python reprs), in
/// Python's own notation: `{'apples': -1}`, `['ann', 'bob']`, `None`.
pub(crate) fn python_text(v: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match v {
        J::Null => "None".into(),
        J::Bool(b) => if *b { "True" } else { "False" }.into(),
        J::Number(n) => n.to_string(),
        // An object gilsim keeps as its repr (`<locked lock>`) is shown as Python shows it.
        J::String(s) if s.starts_with('<') && s.ends_with('>') => s.clone(),
        J::String(s) => {
            let quote = if s.contains('\'') && !s.contains('"') {
                '"'
            } else {
                '\''
            };
            let mut out = String::from(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        J::Array(items) => format!(
            "[{}]",
            items.iter().map(python_text).collect::<Vec<_>>().join(", ")
        ),
        J::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}: {}", python_text(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn outcome_text(o: &gilsim_explore::Outcome, telling: &[String]) -> String {
    let status = match o.status.as_str() {
        "finished" => format!("finished (exit {})", o.exit_code),
        "exception" => "uncaught exception (exit 1)".to_string(),
        other => format!("{other} (exit {})", o.exit_code),
    };
    let globals: Vec<String> = telling
        .iter()
        .map(|n| {
            let v = o.globals.get(n).map_or("-".to_string(), python_text);
            format!("{n} = {v}")
        })
        .collect();
    format!(
        "{status}{}{}",
        if globals.is_empty() {
            String::new()
        } else {
            format!(" · {}", globals.join(", "))
        },
        if o.stdout.is_empty() {
            String::new()
        } else {
            format!(" · stdout: {}", stdout_text(&o.stdout))
        }
    )
}

/// A sweep's histogram: how often each kind of finding and each outcome occurred, with the
/// first seed that shows it.
pub(crate) fn sweep_table(
    r: &gilsim_explore::sweep::SweepReport,
    cfg: &gilsim_vm::run::RunConfig,
    policy: &str,
) -> String {
    let mut out = String::new();
    let runs = r.seeds.end - r.seeds.start;
    let _ = writeln!(
        out,
        "── gilsim sweep ───────────────────────────────────────"
    );
    let _ = writeln!(
        out,
        "profile CPython {} · policy {policy} · seeds {}..{} ({})",
        cfg.profile.name(),
        r.seeds.start,
        r.seeds.end,
        plural(runs, "run", "runs")
    );
    let file = &cfg.file;
    let defines: String = cfg
        .defines
        .iter()
        .map(|(n, v)| format!(" -D {n}={v}"))
        .collect();
    let policy_arg = if cfg.policy.is_some() {
        format!(" --policy {policy}")
    } else {
        String::new()
    };
    for (what, (n, first)) in [
        ("lost updates", r.lost),
        ("unsynchronised accesses", r.races),
        ("a deadlock", r.deadlocks),
    ] {
        match first {
            Some(seed) => {
                let _ = writeln!(
                    out,
                    "{what} in {} of {} runs; `gilsim run {file}{defines}{policy_arg} --seed {seed}` shows one",
                    thousands(n),
                    thousands(runs)
                );
            }
            None => {
                let _ = writeln!(out, "{what} in none of the runs");
            }
        }
    }
    let all: Vec<&gilsim_explore::Outcome> = r.rows.iter().map(|o| &o.outcome).collect();
    let telling = telling_globals(&all);
    let _ = writeln!(
        out,
        "{} outcome{}:",
        r.rows.len(),
        if r.rows.len() == 1 { "" } else { "s" }
    );
    for (i, row) in r.rows.iter().enumerate() {
        let share = row.runs as f64 * 100.0 / runs.max(1) as f64;
        let _ = writeln!(
            out,
            "{:>3}. {}",
            i + 1,
            outcome_text(&row.outcome, &telling)
        );
        let _ = writeln!(
            out,
            "     {} ({share:.1}%) · first seed {}",
            plural(row.runs, "run", "runs"),
            row.first_seed
        );
    }
    out
}

/// A progress bar on stderr for long sweeps, on a terminal only, cleared when the sweep ends.
pub(crate) fn sweep_progress(total: u64) -> Option<Box<dyn FnMut(u64)>> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total)
        .with_style(
            indicatif::ProgressStyle::with_template(
                "  sweeping [{bar:30}] {human_pos}/{human_len} runs · eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        )
        .with_finish(indicatif::ProgressFinish::AndClear);
    Some(Box::new(move |done| bar.set_position(done)))
}

fn thousands_big(n: &num_bigint::BigUint) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The line of the learner's program a trace row ran (0 inside gilsim's own modules): what
/// a `T@LINE` schedule entry and a witness story count by.
pub(crate) fn row_line(m: &gilsim_vm::Machine, row: &gilsim_vm::trace::Row) -> u32 {
    let unit = &m.units[row.unit as usize];
    if row.unit != 0 || unit.bundled {
        return 0;
    }
    unit.codes[row.code as usize].obj.lines[row.pc as usize]
}

/// A witness schedule with `T@LINE` entries where one says the same as `T:N`: the thread's
/// stretch ends just before it starts a line of the learner's program that it did not reach
/// earlier in the stretch. A switch inside a line (after the load of `i += 1`) stays `T:N`.
/// The rewritten schedule is replayed, and kept only if it makes the very same run.
pub(crate) fn line_schedule(source: &str, cfg: &gilsim_vm::run::RunConfig, text: &str) -> String {
    use gilsim_vm::policy::schedule::{Segment, Until};
    let Ok(schedule) = gilsim_vm::Schedule::parse(text) else {
        return text.to_string();
    };
    let traced = gilsim_vm::run::RunConfig {
        schedule: Some(schedule.clone()),
        trace: Some(None),
        detect: false,
        ..cfg.clone()
    };
    let Ok(first) = gilsim_vm::run::run_source(source, &traced) else {
        return text.to_string();
    };
    // The rows of each stretch: (thread, line of the learner's program or 0).
    let mut stretches: Vec<Vec<(u32, u32)>> = vec![Vec::new()];
    for item in &first.trace {
        match item {
            Item::Row(row) => {
                if let Some(last) = stretches.last_mut() {
                    last.push((row.thread, row_line(&first.machine, row)));
                }
            }
            Item::Switch { .. } => stretches.push(Vec::new()),
            Item::Gap(_) => return text.to_string(),
        }
    }
    let mut changed = false;
    let mut out: Vec<Segment> = Vec::new();
    for (i, seg) in schedule.0.iter().enumerate() {
        let mut seg = *seg;
        let rows = stretches.get(i).map_or(&[][..], Vec::as_slice);
        let next = stretches
            .get(i + 1..)
            .unwrap_or(&[])
            .iter()
            .flatten()
            .find(|(t, _)| *t == seg.thread)
            .map(|&(_, l)| l);
        let Until::Instructions(n) = seg.until else {
            out.push(seg);
            continue;
        };
        let own = rows.iter().all(|(t, _)| *t == seg.thread);
        if let Some(l) = next
            && l != 0
            && own
            && rows.len() as u64 == n
            && rows.last().is_some_and(|&(_, last)| last != l)
            && !rows.iter().skip(1).any(|&(_, line)| line == l)
        {
            seg.until = Until::Line(l);
            changed = true;
        }
        out.push(seg);
    }
    if !changed {
        return text.to_string();
    }
    let candidate = gilsim_vm::Schedule(out);
    let again = gilsim_vm::run::RunConfig {
        schedule: Some(candidate.clone()),
        trace: None,
        detect: false,
        ..cfg.clone()
    };
    match gilsim_vm::run::run_source(source, &again) {
        Ok(r)
            if r.record.schedule == first.record.schedule
                && r.record.outcome.stdout == first.record.outcome.stdout =>
        {
            candidate.to_string()
        }
        _ => text.to_string(),
    }
}

/// The report with each witness in [`line_schedule`]'s words, for the table (the JSON keeps
/// the instruction counts).
pub(crate) fn with_line_witnesses(
    report: &gilsim_explore::Report,
    source: &str,
    cfg: &gilsim_vm::run::RunConfig,
) -> gilsim_explore::Report {
    let mut r = report.clone();
    for row in &mut r.outcomes {
        row.schedule = line_schedule(source, cfg, &row.schedule);
    }
    r
}

/// The witness of one outcome, re-run as an ordinary run under its schedule, as lanes.
pub(crate) fn witness_lanes(
    source: &str,
    cfg: &gilsim_vm::run::RunConfig,
    row: &gilsim_explore::OutcomeRow,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "── witness: {} ({} preemption{}) ──",
        stdout_text(&row.outcome.stdout),
        row.preemptions,
        if row.preemptions == 1 { "" } else { "s" }
    );
    match gilsim_vm::run::run_source(source, cfg) {
        Ok(r) if r.end.status != Status::ScheduleError => out.push_str(&trace(&r, false, &[])),
        _ => {
            let _ = writeln!(
                out,
                "   (this schedule wakes a sleeping thread before its time, which only exploration does; it cannot be replayed as a run)"
            );
        }
    }
    out
}

/// The exploration as the JSON document DESIGN.md names.
pub(crate) fn explore_json(r: &gilsim_explore::Report) -> serde_json::Value {
    serde_json::json!({
        "exhaustive": r.exhaustive,
        "bound": r.bound,
        "states": r.states,
        "end_states": r.ends,
        "schedules": r.schedules.to_string(),
        "schedules_exact": r.schedules_exact,
        "cyclic": r.cyclic,
        "stopped": r.stopped,
        "outcomes": r.outcomes.iter().map(|o| serde_json::json!({
            "status": o.outcome.status,
            "exit_code": o.outcome.exit_code,
            "stdout": o.outcome.stdout,
            "globals": o.outcome.globals,
            "count": o.schedules.to_string(),
            "preemptions": o.preemptions,
            "witness": o.schedule,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Thread 1 sets `a`, then `b`; a switch can land between the two lines (after
    /// STORE_GLOBAL), but not inside `a = 1` (after LOAD_CONST, under 3.9).
    const AB: &str = "import threading\na = 0\nb = 0\n\ndef worker():\n    global a, b\n    a = 1\n    b = 2\n\nt = threading.Thread(target=worker)\nt.start()\nt.join()\nprint(a, b)\n";

    fn cfg() -> gilsim_vm::run::RunConfig {
        gilsim_vm::run::RunConfig {
            policy: Some("io".into()),
            ..gilsim_vm::run::RunConfig::new(
                "ab.py",
                gilsim_compiler::Profile::parse("3.9").expect("3.9"),
            )
        }
    }

    /// The run of `AB` under `io` with a schedule first, traced.
    fn run(schedule: Option<&str>) -> gilsim_vm::run::RunResult {
        let cfg = gilsim_vm::run::RunConfig {
            trace: Some(None),
            schedule: schedule.map(|s| gilsim_vm::Schedule::parse(s).expect("a schedule")),
            ..cfg()
        };
        gilsim_vm::run::run_source(AB, &cfg).expect("runs")
    }

    #[test]
    fn a_stretch_that_ends_before_a_line_is_written_as_that_line() {
        // Under `io` main runs up to start(), then thread 1 runs to its end.
        let plain = run(None);
        let main_first: u64 = plain
            .record
            .schedule
            .split_whitespace()
            .next()
            .expect("entry")[2..]
            .trim_end_matches('+')
            .parse()
            .expect("a count");
        let lines: Vec<u32> = plain
            .trace
            .iter()
            .filter_map(|item| match item {
                Item::Row(row) if row.thread == 1 => Some(row_line(&plain.machine, row)),
                _ => None,
            })
            .collect();
        let before_b = lines
            .iter()
            .position(|&l| l == 8)
            .expect("thread 1 runs line 8") as u64;
        // Thread 1 stopped right before `b = 2`: the recorded schedule says `1:N`, shown `1@8`.
        let witness = run(Some(&format!("0:{main_first}+ 1:{before_b} 0:1")))
            .record
            .schedule;
        assert!(witness.contains(&format!(" 1:{before_b} ")), "{witness}");
        let shown = line_schedule(AB, &cfg(), &witness);
        assert_eq!(
            shown,
            witness.replacen(&format!(" 1:{before_b} "), " 1@8 ", 1),
            "{witness}"
        );
        // The same run, followed from what is shown.
        assert_eq!(run(Some(&shown)).record.schedule, witness);
    }

    #[test]
    fn a_stretch_that_ends_inside_a_line_keeps_its_count() {
        // The counter's lost update needs a switch after the load of `i += 1`: no `T@L` says it.
        let counter = "import threading\ni = 0\n\ndef worker():\n    global i\n    for x in range(2):\n        i += 1\n\nts = [threading.Thread(target=worker) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(i)\n";
        let program = gilsim_compiler::compile(counter, "c.py", &cfg().profile).expect("compiles");
        let machine = gilsim_vm::run::machine_for(program, &cfg()).expect("a machine");
        let report = gilsim_explore::explore(machine, &gilsim_explore::Options::default(), None);
        let lost = report
            .outcomes
            .iter()
            .find(|o| o.outcome.stdout == "2\n")
            .expect("an outcome that loses two updates");
        assert_eq!(
            line_schedule(counter, &cfg(), &lost.schedule),
            lost.schedule
        );
    }
}
