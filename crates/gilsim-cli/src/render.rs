//! Renderers: compile errors with source frames, the run report, thread lanes.

use annotate_snippets::{Level, Renderer, Snippet};
use gilsim_compiler::CompileError;
use gilsim_vm::Status;
use gilsim_vm::record::RunRecord;
use gilsim_vm::run::RunResult;
use gilsim_vm::trace::Item;
use std::fmt::Write as _;

/// Prints a compile error with the source line and a caret; returns the exit code.
pub fn compile_error(file: &str, source: &str, e: &CompileError) -> u8 {
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

fn fmt_ns(ns: u64) -> String {
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

fn thousands(n: u64) -> String {
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

/// The short report on stderr after a run.
pub fn report(r: &RunResult, source: &str) -> String {
    let rec = &r.record;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "── gilsim ─────────────────────────────────────────────"
    );
    let _ = writeln!(
        out,
        "profile CPython {} · policy {} · seed {}",
        rec.config.profile, rec.config.policy, rec.config.seed
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
    out
}

/// Thread lanes for the trace items; `full` shows the rows inside gilsim's bundled modules too.
pub fn trace(r: &RunResult, full: bool) -> String {
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
    let why = |reason: gilsim_vm::trace::SwitchReason| -> String {
        match reason {
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
                let unit = &m.units[row.unit as usize];
                let code = &unit.codes[row.code as usize].obj;
                if unit.bundled && !full {
                    let what = format!(
                        "inside {}.{}",
                        unit.program.filename.trim_end_matches(".py"),
                        code.qualname
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
                flush(&mut out, &mut folded);
                let ins = code.instrs[row.pc as usize];
                let line = code.lines[row.pc as usize];
                let where_ = if unit.bundled {
                    format!("{}:{line}", unit.program.filename)
                } else {
                    format!("L{line}")
                };
                let arg = arg_text(code, ins);
                let cell = format!("{where_} {}{arg}", ins.op.name());
                if lanes {
                    let pad = " ".repeat(width * row.thread as usize);
                    let _ = writeln!(out, "{:>8}  {pad}{cell}", row.step);
                } else {
                    let _ = writeln!(out, "{:>8}  T{:<4} {cell}", row.step, row.thread);
                }
            }
            Item::Switch {
                from, to, reason, ..
            } => {
                flush(&mut out, &mut folded);
                // The instruction that gave the GIL up did not complete: it runs again later.
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
                        why(*reason)
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "          ── switch T{from} → T{to}: {} ──",
                        why(*reason)
                    );
                }
            }
            Item::Gap(n) => {
                flush(&mut out, &mut folded);
                let _ = writeln!(out, "          … {} instructions …", thousands(*n));
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
pub fn first_difference(a: &RunRecord, b: &RunRecord) -> Option<String> {
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
