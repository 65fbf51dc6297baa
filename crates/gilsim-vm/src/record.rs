//! The run record: one JSON document describing a run, with stable field names.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the record format.
pub const FORMAT_VERSION: u32 = 1;

/// The whole record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Format version.
    pub format_version: u32,
    /// What was run.
    pub config: Config,
    /// The schedule followed, in schedule text.
    pub schedule: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Counters.
    pub stats: Stats,
    /// What the detectors found.
    pub findings: Findings,
}

/// What was run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// The file as given.
    pub file: String,
    /// FNV-1a hash of the source after defines, hex.
    pub source_hash: String,
    /// Profile (`3.9`).
    pub profile: String,
    /// Resolved policy string.
    pub policy: String,
    /// The seed.
    pub seed: u64,
    /// `-D` defines in order.
    pub defines: Vec<(String, String)>,
    /// Step limit.
    pub max_steps: u64,
    /// Whether the detectors ran.
    #[serde(default = "detect_default")]
    pub detect: bool,
}

fn detect_default() -> bool {
    true
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// finished / exception / deadlock / step_limit / unsupported / schedule_error.
    pub status: String,
    /// Process exit code.
    pub exit_code: i32,
    /// The program's stdout (capped at 64 KiB).
    pub stdout: String,
    /// Whether stdout was cut.
    pub stdout_truncated: bool,
    /// Final module globals as plain data.
    pub globals: BTreeMap<String, serde_json::Value>,
    /// Extra detail (deadlock waits, unsupported construct).
    pub detail: Vec<String>,
}

/// Counters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Instructions completed.
    pub steps: u64,
    /// Thread switches.
    pub switches: u64,
    /// Virtual time at the end.
    pub virtual_ns: u64,
    /// Threads created (main included).
    pub threads: u32,
}

/// What the detectors found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// One entry per location that lost updates, in order of first use.
    pub lost_updates: Vec<LostUpdateRecord>,
    /// One entry per location where a checked value was acted on after another thread
    /// changed it.
    #[serde(default)]
    pub check_then_act: Vec<CheckThenActRecord>,
    /// Unsynchronised read-modify-writes, one per pair of source lines.
    pub races: Vec<RaceRecord>,
    /// The first cycle of threads waiting for each other.
    pub deadlock: Option<DeadlockRecord>,
}

impl Findings {
    /// Whether nothing was found.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lost_updates.is_empty()
            && self.check_then_act.is_empty()
            && self.races.is_empty()
            && self.deadlock.is_none()
    }
}

/// One access of a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    /// The thread.
    pub thread: u32,
    /// The source line.
    pub line: u32,
    /// The instruction (`LOAD_GLOBAL`, `STORE_SUBSCR`...).
    pub op: String,
    /// Its index in the run (instructions completed before it).
    pub step: u64,
    /// The value read or written, when a plain value.
    pub value: Option<String>,
}

/// Lost updates at one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostUpdateRecord {
    /// The location in the learner's words (`global i`, `counter.value`).
    pub location: String,
    /// Updates that vanished.
    pub count: u64,
    /// The first one.
    pub first: FirstLostRecord,
}

/// The first lost update at a location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstLostRecord {
    /// The read the stale write was computed from.
    pub read: AccessRecord,
    /// The last write of another thread between the read and the write.
    pub overwritten: AccessRecord,
    /// How many writes of other threads landed in between.
    pub writes_between: u64,
    /// How many updates the stale write made vanish.
    pub lost: u64,
    /// The stale write.
    pub write: AccessRecord,
}

/// Check-then-act violations at one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckThenActRecord {
    /// The location.
    pub location: String,
    /// How many times.
    pub count: u64,
    /// The read that decided the branch.
    pub check: AccessRecord,
    /// Another thread's write after it.
    pub between: AccessRecord,
    /// The write that acted on the stale check.
    pub act: AccessRecord,
}

/// One side of an unsynchronised pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceSideRecord {
    /// The thread.
    pub thread: u32,
    /// The source line.
    pub line: u32,
    /// The instruction.
    pub op: String,
    /// Whether it wrote a value computed from its own read.
    pub read_modify_write: bool,
    /// The locks held there, by name.
    pub locks: Vec<String>,
}

/// Two writes of one location that no synchronisation orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceRecord {
    /// The location.
    pub location: String,
    /// The earlier write.
    pub first: RaceSideRecord,
    /// The later one.
    pub second: RaceSideRecord,
    /// What would fix it.
    pub hint: String,
}

/// A cycle of threads waiting for each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlockRecord {
    /// The step at which the cycle formed.
    pub step: u64,
    /// Each thread of the cycle.
    pub cycle: Vec<CycleRecord>,
}

/// One thread of a wait cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleRecord {
    /// The thread.
    pub thread: u32,
    /// Its name.
    pub name: String,
    /// What it holds that the previous thread waits for (a lock by name), if a lock.
    pub holds: Option<String>,
    /// Where it acquired that lock.
    pub acquired_line: Option<u32>,
    /// What it waits for: a lock by name, or `thread N to finish`.
    pub waits_for: String,
    /// Where it waits.
    pub waits_line: u32,
}

/// FNV-1a of a text, as 16 hex digits.
#[must_use]
pub fn source_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
