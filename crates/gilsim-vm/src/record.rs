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

/// Detector findings (filled by the findings issue's detectors).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Findings {
    /// One entry per location that lost updates.
    pub lost_updates: Vec<serde_json::Value>,
    /// Unsynchronised access pairs.
    pub races: Vec<serde_json::Value>,
    /// The deadlock, if any.
    pub deadlock: Option<serde_json::Value>,
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
