//! Random seeds: a fixed slice on every `cargo test`, one seed from `SEED=n`, and the
//! determinism check (one seed twice, same trace hash).

use litestream_testkit::run_seed;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Seeds 0..40, 1500 steps each (about a second in release).
#[test]
fn fixed_slice_of_seeds() {
    let steps = env_u64("STEPS").unwrap_or(1500);
    let mut failures = Vec::new();
    for seed in 0..40 {
        if let Err(f) = run_seed(seed, steps) {
            eprintln!("{f}\n");
            failures.push(seed);
        }
    }
    assert!(
        failures.is_empty(),
        "failed seeds: {failures:?} (rerun one with SEED=n)"
    );
}

/// `SEED=n [STEPS=m, default 1500] cargo test --release -p litestream-testkit --test seeds -- seed_from_env --nocapture`
#[test]
fn seed_from_env() {
    let Some(seed) = env_u64("SEED") else {
        return;
    };
    let steps = env_u64("STEPS").unwrap_or(1500);
    match run_seed(seed, steps) {
        Ok(r) => eprintln!("{r:?}"),
        Err(f) => panic!("{f}"),
    }
}

/// The same seed gives the same trace, step for step.
#[test]
fn a_seed_replays_identically() {
    let a = run_seed(3, 300);
    let b = run_seed(3, 300);
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a.trace_hash, b.trace_hash),
        (Err(a), Err(b)) => {
            assert_eq!(a.message, b.message);
            assert_eq!(a.step, b.step);
            return;
        }
        (a, b) => panic!("one run failed, the other did not: {a:?} / {b:?}"),
    };
    assert_eq!(
        a, b,
        "trace hashes differ: the simulation is not deterministic"
    );
}
