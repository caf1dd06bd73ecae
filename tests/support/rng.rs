//! A small seeded random generator whose seed is printed so a failing run can be repeated.

use std::time::{SystemTime, UNIX_EPOCH};

/// A small xorshift generator; the seed comes from `LITESTREAM_E2E_SEED` or the clock and
/// is printed so a failing run can be repeated.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the environment or the clock (printed).
    pub fn from_env(test: &str) -> Rng {
        let seed = std::env::var("LITESTREAM_E2E_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("{test}: LITESTREAM_E2E_SEED={seed}");
        Rng(seed | 1)
    }

    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}
