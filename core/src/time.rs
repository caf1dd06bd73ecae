//! Time as the core sees it: two integer newtypes passed in by the caller.
//!
//! `Mono` drives every timer (monotonic nanoseconds since an arbitrary origin chosen by the
//! shell); `UnixMs` is wall-clock time, only ever stored (LTX timestamps, retention
//! cut-offs, `last_sync_at`), never used to schedule.

use std::ops::{Add, Sub};
use std::time::Duration;

/// Monotonic time in nanoseconds since an origin chosen by the shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Mono(pub u64);

/// Wall-clock time in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMs(pub i64);

impl Mono {
    /// The later of `self` and `other`.
    pub fn max(self, other: Mono) -> Mono {
        if self >= other {
            self
        } else {
            other
        }
    }

    /// Time elapsed since `earlier` (zero if `earlier` is in the future).
    pub fn since(self, earlier: Mono) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Mono {
    type Output = Mono;
    fn add(self, d: Duration) -> Mono {
        Mono(
            self.0
                .saturating_add(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        )
    }
}

impl Sub<Duration> for Mono {
    type Output = Mono;
    fn sub(self, d: Duration) -> Mono {
        Mono(
            self.0
                .saturating_sub(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        )
    }
}

impl Add<Duration> for UnixMs {
    type Output = UnixMs;
    fn add(self, d: Duration) -> UnixMs {
        UnixMs(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

impl Sub<Duration> for UnixMs {
    type Output = UnixMs;
    fn sub(self, d: Duration) -> UnixMs {
        UnixMs(
            self.0
                .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_arithmetic_saturates() {
        assert_eq!(Mono(5) - Duration::from_nanos(10), Mono(0));
        assert_eq!(Mono(u64::MAX) + Duration::from_secs(1), Mono(u64::MAX));
        assert_eq!(Mono(10).since(Mono(4)), Duration::from_nanos(6));
        assert_eq!(Mono(4).since(Mono(10)), Duration::ZERO);
    }

    #[test]
    fn unix_ms_arithmetic() {
        assert_eq!(UnixMs(1000) + Duration::from_secs(2), UnixMs(3000));
        assert_eq!(UnixMs(1000) - Duration::from_millis(1500), UnixMs(-500));
    }
}
