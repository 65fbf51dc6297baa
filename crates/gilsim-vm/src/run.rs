//! One-call runs: compile, configure, run, and collect the record.

use crate::machine::{Limits, Machine, RunEnd, Status};
use crate::object::value::{Obj, Value};
use crate::policy::replay::Replay;
use crate::policy::schedule::Schedule;
use crate::policy::{Policy, parse_policy};
use crate::record::{Config, FORMAT_VERSION, Outcome, RunRecord, Stats, source_hash};
use crate::trace::{Item, Tracer};
use gilsim_compiler::{CompileError, Profile, Program};
use std::collections::BTreeMap;

/// Everything that determines a run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The file name as the user gave it.
    pub file: String,
    /// The profile.
    pub profile: Profile,
    /// The policy string (`None`: the profile's default).
    pub policy: Option<String>,
    /// The seed.
    pub seed: u64,
    /// Defines already applied to the source (recorded).
    pub defines: Vec<(String, String)>,
    /// Limits.
    pub limits: Limits,
    /// A schedule to follow first.
    pub schedule: Option<Schedule>,
    /// Trace: `None` off, `Some(None)` all rows, `Some(Some(w))` a window of w rows per switch.
    pub trace: Option<Option<usize>>,
    /// The steps the trace covers (all when `None`).
    pub trace_steps: Option<std::ops::RangeInclusive<u64>>,
    /// Steps a windowed trace shows with their window, as it shows each switch: the
    /// instructions a story points at (sorted).
    pub trace_marks: Vec<u64>,
    /// Whether the detectors run (lost updates, races, check-then-act, wait cycles). They
    /// change nothing of the run itself.
    pub detect: bool,
}

impl RunConfig {
    /// A run of `file` under `profile` with everything else at its default: the profile's own
    /// policy, seed 0, no defines, the default limits, no schedule, no trace, no detectors.
    #[must_use]
    pub fn new(file: impl Into<String>, profile: Profile) -> Self {
        RunConfig {
            file: file.into(),
            profile,
            policy: None,
            seed: 0,
            defines: Vec::new(),
            limits: Limits::default(),
            schedule: None,
            trace: None,
            trace_steps: None,
            trace_marks: Vec::new(),
            detect: false,
        }
    }
}

/// What a run produced.
pub struct RunResult {
    /// The record.
    pub record: RunRecord,
    /// The program's stdout bytes.
    pub stdout: Vec<u8>,
    /// The program's stderr bytes (tracebacks).
    pub stderr: Vec<u8>,
    /// How it ended.
    pub end: RunEnd,
    /// Trace items, if requested.
    pub trace: Vec<Item>,
    /// The machine after the run (for renderers that need code and names).
    pub machine: Machine,
}

/// Errors before the run starts.
#[derive(Debug)]
pub enum SetupError {
    /// The program does not compile.
    Compile(CompileError),
    /// A bad `--policy` or schedule.
    Usage(String),
}

/// Compiles `source` and runs it.
///
/// # Errors
/// A compile error or a bad policy; a Python exception is an outcome, not an error.
pub fn run_source(source: &str, cfg: &RunConfig) -> Result<RunResult, SetupError> {
    let program =
        gilsim_compiler::compile(source, &cfg.file, &cfg.profile).map_err(SetupError::Compile)?;
    run_program(program, cfg)
}

/// Builds the policy for a config.
///
/// # Errors
/// A message for a bad policy string.
pub fn make_policy(cfg: &RunConfig) -> Result<Box<dyn Policy>, String> {
    let text = cfg
        .policy
        .clone()
        .unwrap_or_else(|| cfg.profile.default_policy().to_string());
    parse_policy(&text)
}

/// Runs a compiled program.
///
/// # Errors
/// A bad policy string.
pub fn run_program(program: Program, cfg: &RunConfig) -> Result<RunResult, SetupError> {
    let hash = source_hash(&program.source);
    let mut m = machine_for(program, cfg)?;
    let describe = m.policy.describe();
    if let Some(w) = cfg.trace {
        let mut tracer = match &cfg.trace_steps {
            Some(r) => Tracer::with_steps(w, r.clone()),
            None => Tracer::new(w),
        };
        tracer.marks.clone_from(&cfg.trace_marks);
        tracer.marks.sort_unstable();
        m.tracer = Some(tracer);
    }
    if cfg.detect {
        m.detect = Some(Box::new(crate::detect::Detector::new()));
    }
    let mut end = m.run();
    if end.status == Status::Finished && m.replay.as_ref().is_some_and(|r| !r.finished()) {
        end.detail
            .push("the program ended before the schedule was used up".into());
    }
    let trace = match m.tracer.as_mut() {
        Some(t) => {
            t.finish();
            std::mem::take(&mut t.items)
        }
        None => Vec::new(),
    };
    let outcome = outcome_of(&mut m, &end);
    let record = RunRecord {
        format_version: FORMAT_VERSION,
        config: Config {
            file: cfg.file.clone(),
            source_hash: hash,
            profile: cfg.profile.name().to_string(),
            policy: describe,
            seed: cfg.seed,
            defines: cfg.defines.clone(),
            max_steps: cfg.limits.max_steps,
            detect: cfg.detect,
        },
        schedule: recorded_schedule(&m, &end, cfg),
        outcome,
        stats: Stats {
            steps: m.steps,
            switches: m.switches,
            virtual_ns: m.virtual_time(),
            threads: m.threads.len() as u32,
        },
        findings: m.findings(),
    };
    Ok(RunResult {
        record,
        stdout: std::mem::take(&mut m.stdout),
        stderr: std::mem::take(&mut m.stderr),
        end,
        trace,
        machine: m,
    })
}

/// A machine ready to run a compiled program under `cfg`'s profile, policy, seed and limits.
///
/// # Errors
/// A bad policy string.
pub fn machine_for(program: Program, cfg: &RunConfig) -> Result<Machine, SetupError> {
    let policy = make_policy(cfg).map_err(SetupError::Usage)?;
    let describe = policy.describe();
    let mut m = Machine::new(program, cfg.profile, policy, cfg.seed, cfg.limits);
    m.replay = cfg.schedule.clone().map(Replay::new);
    if let Some(ns) = describe
        .strip_prefix("slice:")
        .and_then(|d| crate::policy::parse_duration(d).ok())
    {
        m.switch_interval_ns = ns;
    }
    Ok(m)
}

/// The outcome of a run that ended with `end`: status, exit code, stdout (capped at 64 KiB)
/// and the final module globals as plain data.
pub fn outcome_of(m: &mut Machine, end: &RunEnd) -> Outcome {
    const CAP: usize = 64 * 1024;
    let globals = globals_data(m);
    let mut stdout = String::from_utf8_lossy(&m.stdout).to_string();
    let truncated = stdout.len() > CAP;
    if truncated {
        let mut cut = CAP;
        while !stdout.is_char_boundary(cut) {
            cut -= 1;
        }
        stdout.truncate(cut);
    }
    Outcome {
        status: status_name(&end.status).to_string(),
        exit_code: end.exit_code,
        stdout,
        stdout_truncated: truncated,
        globals,
        detail: end.detail.clone(),
    }
}

/// The schedule the record keeps. A run whose `--schedule` was refused keeps the schedule it
/// was given, so that replaying the record is refused at the same place; any other run keeps
/// the schedule it followed.
fn recorded_schedule(m: &Machine, end: &RunEnd, cfg: &RunConfig) -> String {
    match &cfg.schedule {
        Some(given) if end.status == Status::ScheduleError => given.to_string(),
        _ => m.recorder.schedule(m.steps).to_string(),
    }
}

/// The record's name for a status.
#[must_use]
pub fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Finished => "finished",
        Status::Exception => "exception",
        Status::Deadlock => "deadlock",
        Status::StepLimit => "step_limit",
        Status::Unsupported => "unsupported",
        Status::ScheduleError => "schedule_error",
    }
}

/// Final module globals as plain data: data values only (no modules, functions, classes).
pub fn globals_data(m: &mut Machine) -> BTreeMap<String, serde_json::Value> {
    let main = m.main_module;
    let items: Vec<(String, Value)> = match m.heap.get(main) {
        Obj::Module(md) => md
            .dict
            .iter()
            .filter_map(|(k, _, v)| match k {
                crate::object::dict::HKey::Str(s) if !s.starts_with("__") => {
                    Some((s.to_string(), v))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut out = BTreeMap::new();
    for (k, v) in items {
        if let Some(d) = data_of(m, v, 0) {
            out.insert(k, d);
        }
    }
    out
}

fn data_of(m: &mut Machine, v: Value, depth: usize) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    if depth > 8 {
        return Some(J::String("…".into()));
    }
    Some(match v {
        Value::None | Value::Null => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Int(i) => J::from(i),
        Value::Float(f) => J::String(gilsim_compiler::dis::float_repr(f)),
        Value::Obj(o) => match m.heap.get(o).clone() {
            Obj::Str(s) => J::String(s.to_string()),
            Obj::BigInt(b) => J::String(b.to_string()),
            Obj::List(l) => J::Array(l.iter().filter_map(|x| data_of(m, *x, depth + 1)).collect()),
            Obj::Tuple(t) => J::Array(t.iter().filter_map(|x| data_of(m, *x, depth + 1)).collect()),
            Obj::Dict(d) => {
                let mut map = serde_json::Map::new();
                for (_, k, val) in d.iter() {
                    let key = m.repr_of(k);
                    if let Some(j) = data_of(m, val, depth + 1) {
                        map.insert(key, j);
                    }
                }
                J::Object(map)
            }
            Obj::Set(d) => {
                let mut items: Vec<String> = d
                    .iter()
                    .map(|(_, k, _)| k)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .map(|k| m.repr_of(k))
                    .collect();
                items.sort();
                J::Array(items.into_iter().map(J::String).collect())
            }
            Obj::Instance(i) => {
                let cls = m.class_name(i.class);
                let mut map = serde_json::Map::new();
                map.insert("__class__".into(), J::String(cls.to_string()));
                for (k, _, val) in i.dict.iter() {
                    if let crate::object::dict::HKey::Str(s) = k {
                        if s.starts_with('_') {
                            continue;
                        }
                        if let Some(j) = data_of(m, val, depth + 1) {
                            map.insert(s.to_string(), j);
                        }
                    }
                }
                J::Object(map)
            }
            Obj::Lock(l) => J::String(if l.owner.is_some() {
                "<locked lock>".into()
            } else {
                "<unlocked lock>".into()
            }),
            Obj::Range { .. } => J::String(m.repr_of(v)),
            Obj::View(kind, d) => {
                let items = m.view_items(kind, d);
                J::Array(
                    items
                        .iter()
                        .filter_map(|x| data_of(m, *x, depth + 1))
                        .collect(),
                )
            }
            _ => return None,
        },
    })
}
