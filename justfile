# Developer recipes. `just --list` shows them. Install just with `cargo install just`.

# Run the whole test suite (the README's test command).
test:
    cargo test --workspace --release

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Fuzz every target for SECONDS each (needs nightly and `cargo install cargo-fuzz`).
fuzz SECONDS="60":
    for t in ltx_decode wal_decode; do cargo +nightly fuzz run $t -- -max_total_time={{SECONDS}} -rss_limit_mb=2048 || exit 1; done

# Benchmarks (figures go in issue notes).
bench:
    cargo bench -p litestream-e2e

# Replicate ./app.db to ./backup (a local-directory replica).
run DB="app.db" REPLICA="backup":
    cargo run --release -p litestream -- replicate {{DB}} file://$PWD/{{REPLICA}}
