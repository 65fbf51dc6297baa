//! Seed sweeps: the same program under many seeds, in parallel, summarised as an outcome
//! histogram with the first seed that produced each outcome. The result does not depend on
//! the number of cores: runs are pure functions of their seed and are merged in seed order.

use crate::Outcome;
use gilsim_compiler::Program;
use gilsim_vm::run::{RunConfig, SetupError, run_program};
use std::collections::BTreeMap;

/// One outcome of a sweep.
#[derive(Clone, Debug)]
pub struct SweepRow {
    /// The outcome.
    pub outcome: Outcome,
    /// Runs that ended with it.
    pub runs: u64,
    /// The first seed that produced it.
    pub first_seed: u64,
}

/// The result of a sweep.
#[derive(Clone, Debug)]
pub struct SweepReport {
    /// Seeds run, in order.
    pub seeds: std::ops::Range<u64>,
    /// The outcomes, most frequent first (ties: first seen first).
    pub rows: Vec<SweepRow>,
    /// Runs whose detectors found lost updates (or check-then-act), and the first such seed.
    pub lost: (u64, Option<u64>),
    /// Runs whose detectors found unsynchronised accesses, and the first such seed.
    pub races: (u64, Option<u64>),
    /// Runs that ended in a deadlock, and the first such seed.
    pub deadlocks: (u64, Option<u64>),
}

/// What one run contributes.
struct RunSummary {
    seed: u64,
    outcome: Outcome,
    lost: bool,
    race: bool,
    deadlock: bool,
}

fn run_one(program: &Program, cfg: &RunConfig, seed: u64) -> Result<RunSummary, SetupError> {
    let cfg = RunConfig {
        seed,
        ..cfg.clone()
    };
    let r = run_program(program.clone(), &cfg)?;
    let f = &r.record.findings;
    Ok(RunSummary {
        seed,
        lost: !f.lost_updates.is_empty() || !f.check_then_act.is_empty(),
        race: !f.races.is_empty(),
        deadlock: f.deadlock.is_some() || r.record.outcome.status == "deadlock",
        outcome: Outcome::from_record(r.record.outcome),
    })
}

/// Runs `program` under every seed of `seeds` on `workers` threads; `progress` is told the
/// number of runs done now and then (from the calling thread).
///
/// # Errors
/// A bad policy in `cfg` (reported by the first run).
pub fn sweep(
    program: &Program,
    cfg: &RunConfig,
    seeds: std::ops::Range<u64>,
    workers: usize,
    mut progress: Option<Box<dyn FnMut(u64)>>,
) -> Result<SweepReport, SetupError> {
    // The first run checks the configuration before any thread starts.
    let mut all: Vec<RunSummary> = Vec::new();
    if !seeds.is_empty() {
        all.push(run_one(program, cfg, seeds.start)?);
    }
    let rest = (seeds.start + 1).min(seeds.end)..seeds.end;
    let workers = workers.max(1);
    let done = std::sync::atomic::AtomicU64::new(1);
    let results: Vec<Vec<RunSummary>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers as u64)
            .map(|w| {
                let rest = rest.clone();
                let done = &done;
                s.spawn(move || {
                    let mut out = Vec::new();
                    let mut seed = rest.start + w;
                    while seed < rest.end {
                        if let Ok(r) = run_one(program, cfg, seed) {
                            out.push(r);
                        }
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        seed += workers as u64;
                    }
                    out
                })
            })
            .collect();
        while handles.iter().any(|h| !h.is_finished()) {
            if let Some(p) = &mut progress {
                p(done.load(std::sync::atomic::Ordering::Relaxed));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    all.extend(results.into_iter().flatten());
    all.sort_by_key(|r| r.seed);
    let mut rows: BTreeMap<Outcome, SweepRow> = BTreeMap::new();
    let mut order: Vec<Outcome> = Vec::new();
    let tally = |flag: bool, seed: u64, t: &mut (u64, Option<u64>)| {
        if flag {
            t.0 += 1;
            t.1.get_or_insert(seed);
        }
    };
    let (mut lost, mut races, mut deadlocks) = ((0, None), (0, None), (0, None));
    for r in all {
        tally(r.lost, r.seed, &mut lost);
        tally(r.race, r.seed, &mut races);
        tally(r.deadlock, r.seed, &mut deadlocks);
        match rows.get_mut(&r.outcome) {
            Some(row) => row.runs += 1,
            None => {
                order.push(r.outcome.clone());
                rows.insert(
                    r.outcome.clone(),
                    SweepRow {
                        outcome: r.outcome,
                        runs: 1,
                        first_seed: r.seed,
                    },
                );
            }
        }
    }
    let mut rows: Vec<SweepRow> = order.iter().filter_map(|o| rows.remove(o)).collect();
    rows.sort_by_key(|r| (std::cmp::Reverse(r.runs), r.first_seed));
    Ok(SweepReport {
        seeds,
        rows,
        lost,
        races,
        deadlocks,
    })
}
