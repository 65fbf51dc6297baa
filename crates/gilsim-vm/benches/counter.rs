//! Benchmarks of the interpreter on the lessons' hot loops (`cargo bench -p gilsim-vm`).
//! `scripts/bench.sh` times the whole `gilsim run` beside `python3` on the same files.

use gilsim_compiler::Profile;
use gilsim_vm::run::{RunConfig, run_source};

fn main() {
    divan::main();
}

fn config(file: &str) -> RunConfig {
    RunConfig {
        detect: true,
        ..RunConfig::new(file, Profile::default())
    }
}

fn source(name: &str, iterations: u32) -> String {
    let path = format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(path).expect("scenario");
    src.replacen(
        "ITERATIONS = 100000",
        &format!("ITERATIONS = {iterations}"),
        1,
    )
}

/// The classic counter, 10 threads × 20,000 increments (1.4 M instructions), with the
/// detectors on (the default) and off: the difference is what detection costs.
#[divan::bench(sample_count = 10, args = [true, false])]
fn counter_10x20000(detect: bool) {
    let src = source("counter.py", 20_000);
    let cfg = RunConfig {
        detect,
        ..config("counter.py")
    };
    let r = run_source(&src, &cfg).expect("runs");
    divan::black_box(r.record.stats.steps);
}

/// The Counter class (a method call and an attribute read-modify-write per increment).
#[divan::bench(sample_count = 10, args = [true, false])]
fn counter_class_10x20000(detect: bool) {
    let src = source("counter_class.py", 20_000);
    let cfg = RunConfig {
        detect,
        ..config("counter_class.py")
    };
    let r = run_source(&src, &cfg).expect("runs");
    divan::black_box(r.record.stats.steps);
}

/// The locked counter, 10 threads × 20,000 increments.
#[divan::bench(sample_count = 10)]
fn counter_locked_10x20000() {
    let src = source("counter_locked.py", 20_000);
    let r = run_source(&src, &config("counter_locked.py")).expect("runs");
    divan::black_box(r.record.stats.steps);
}

/// Compiling the counter (parse + codegen).
#[divan::bench]
fn compile_counter() {
    let src = source("counter.py", 100_000);
    divan::black_box(
        gilsim_compiler::compile(&src, "counter.py", &Profile::default()).expect("compiles"),
    );
}
