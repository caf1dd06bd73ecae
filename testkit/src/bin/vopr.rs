//! `vopr`: run many simulation seeds and report the failures.
//!
//! ```text
//! cargo run --release -p litestream-testkit --bin vopr -- --seeds 1000 --steps 3000 [--start 0]
//! ```

use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds = arg(&args, "--seeds", 100);
    let steps = arg(&args, "--steps", 2000);
    let start = arg(&args, "--start", 0);
    let began = Instant::now();
    let mut failed = Vec::new();
    let mut total_steps = 0;
    std::panic::set_hook(Box::new(|_| {}));
    for seed in start..start + seeds {
        match litestream_testkit::run_seed(seed, steps) {
            Ok(r) => {
                total_steps += r.steps;
                println!(
                    "seed {seed}: ok steps={} commits={} txid={} snapshots={} puts={} acks={} protected-discards={} trace={:016x}",
                    r.steps, r.commits, r.txid, r.stats.snapshots, r.stats.puts, r.stats.acks_checked, r.stats.protected_discards, r.trace_hash
                );
            }
            Err(f) => {
                println!("seed {seed}: FAILED at step {}: {}", f.step, f.message);
                println!("  rerun: SEED={seed} STEPS={steps} cargo test --release -p litestream-testkit --test seeds -- seed_from_env --nocapture");
                failed.push(seed);
            }
        }
    }
    println!(
        "{} seeds, {} failed, {total_steps} steps in {:.1}s; failed seeds: {failed:?}",
        seeds,
        failed.len(),
        began.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
