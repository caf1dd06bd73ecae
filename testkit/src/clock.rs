//! Simulated time: a monotonic clock that only moves forward (it drives the core's timers)
//! and a wall clock that may jump either way (the core only stores it).

use std::time::Duration;

use litestream_core::time::{Mono, UnixMs};

/// Wall time at the start of every simulation (2025-01-01T00:00:00Z).
pub const WALL_START: i64 = 1_735_689_600_000;

/// The simulation's clocks.
#[derive(Debug, Clone)]
pub struct SimClock {
    mono: Mono,
    wall_offset_ms: i64,
}

impl Default for SimClock {
    fn default() -> Self {
        SimClock::new()
    }
}

impl SimClock {
    /// Both clocks at their origin.
    pub fn new() -> SimClock {
        SimClock {
            mono: Mono(0),
            wall_offset_ms: 0,
        }
    }

    /// Monotonic now.
    pub fn mono(&self) -> Mono {
        self.mono
    }

    /// Wall-clock now: start + elapsed monotonic time + every jump so far.
    pub fn wall(&self) -> UnixMs {
        let elapsed = i64::try_from(self.mono.0 / 1_000_000).unwrap_or(i64::MAX);
        UnixMs(WALL_START + elapsed + self.wall_offset_ms)
    }

    /// Move monotonic time to `t` (never backwards).
    pub fn advance_to(&mut self, t: Mono) {
        self.mono = self.mono.max(t);
    }

    /// Move monotonic time forward by `d`.
    pub fn advance(&mut self, d: Duration) {
        self.mono = self.mono + d;
    }

    /// Jump the wall clock by `ms` (negative = backwards, as after an NTP correction).
    pub fn jump_wall(&mut self, ms: i64) {
        self.wall_offset_ms += ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_never_goes_back_and_wall_jumps() {
        let mut c = SimClock::new();
        c.advance_to(Mono(5_000_000));
        c.advance_to(Mono(1));
        assert_eq!(c.mono(), Mono(5_000_000));
        assert_eq!(c.wall(), UnixMs(WALL_START + 5));
        c.jump_wall(-10);
        assert_eq!(c.wall(), UnixMs(WALL_START - 5));
    }
}
