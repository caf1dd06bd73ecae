//! The event queue: earliest first, ties in insertion order.

use std::collections::BTreeMap;

use litestream_core::io::{CheckpointMode, OpId};
use litestream_core::time::Mono;

/// Something that happens at a point in simulated time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Operation `op` of daemon incarnation `gen` completes.
    Complete {
        /// Daemon incarnation that issued it (stale after a crash).
        gen: u64,
        /// The operation.
        op: OpId,
    },
    /// A `poll_timeout` deadline.
    Tick {
        /// Daemon incarnation.
        gen: u64,
    },
    /// The WAL watcher noticed a change.
    WalChanged {
        /// Daemon incarnation.
        gen: u64,
    },
    /// The application finishes its spilled transaction (commit or roll back).
    AppFinish {
        /// Commit (true) or roll back.
        commit: bool,
    },
    /// The random workload's next application action.
    Workload,
    /// The random fault schedule's next fault.
    Chaos,
    /// Start the daemon (after a crash).
    DaemonStart,
    /// An application checkpoint (scripted).
    AppCheckpoint(CheckpointMode),
}

impl Event {
    /// Short name for the trace.
    pub fn name(&self) -> String {
        match self {
            Event::Complete { gen, op } => format!("complete g{gen} op{}", op.0),
            Event::Tick { gen } => format!("tick g{gen}"),
            Event::WalChanged { gen } => format!("walchanged g{gen}"),
            Event::AppFinish { commit } => format!("app-finish commit={commit}"),
            Event::Workload => "workload".into(),
            Event::Chaos => "chaos".into(),
            Event::DaemonStart => "daemon-start".into(),
            Event::AppCheckpoint(m) => format!("app-checkpoint {}", m.as_str()),
        }
    }
}

/// Pending events ordered by (time, insertion).
#[derive(Debug, Default)]
pub struct EventQueue {
    q: BTreeMap<(Mono, u64), Event>,
    seq: u64,
}

impl EventQueue {
    /// Schedule `ev` at `at`.
    pub fn push(&mut self, at: Mono, ev: Event) {
        self.seq += 1;
        self.q.insert((at, self.seq), ev);
    }

    /// The earliest event.
    pub fn pop(&mut self) -> Option<(Mono, Event)> {
        self.q.pop_first().map(|((t, _), e)| (t, e))
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<Mono> {
        self.q.first_key_value().map(|((t, _), _)| *t)
    }

    /// Drop every event matching `f`.
    pub fn remove_if(&mut self, f: impl Fn(&Event) -> bool) {
        self.q.retain(|_, e| !f(e));
    }

    /// True when an event matching `f` is queued.
    pub fn any(&self, f: impl Fn(&Event) -> bool) -> bool {
        self.q.values().any(f)
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}
