//! The sandbox clock: wall-clock time, or a virtual time that moves only
//! when the sandbox API advances it. Times are milliseconds since the Unix
//! epoch.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Whether the clock follows the wall clock or moves only when told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The wall clock.
    Real,
    /// Moves only when advanced.
    Virtual,
}

/// Where a fresh virtual clock starts: 2026-01-05T09:00:00Z (a Monday
/// morning), so that tests and snapshots are deterministic.
pub const VIRTUAL_EPOCH_MS: i64 = 1_767_603_600_000;

/// A shared clock; clones see the same time.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: ClockMode,
    virtual_now: Arc<AtomicI64>,
}

impl Clock {
    /// The wall clock.
    pub fn real() -> Self {
        Self {
            mode: ClockMode::Real,
            virtual_now: Arc::new(AtomicI64::new(0)),
        }
    }

    /// A virtual clock standing at `now_ms`.
    pub fn virtual_at(now_ms: i64) -> Self {
        Self {
            mode: ClockMode::Virtual,
            virtual_now: Arc::new(AtomicI64::new(now_ms)),
        }
    }

    /// Real or virtual.
    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The current time in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        match self.mode {
            ClockMode::Real => chrono::Utc::now().timestamp_millis(),
            ClockMode::Virtual => self.virtual_now.load(Ordering::SeqCst),
        }
    }

    /// Moves a virtual clock to `to_ms` (never backwards). Returns false for
    /// the real clock.
    pub fn set_virtual(&self, to_ms: i64) -> bool {
        if self.mode != ClockMode::Virtual {
            return false;
        }
        self.virtual_now.fetch_max(to_ms, Ordering::SeqCst);
        true
    }

    /// Rewinds a virtual clock to its epoch (sandbox reset only).
    pub fn rewind_virtual(&self) {
        if self.mode == ClockMode::Virtual {
            self.virtual_now.store(VIRTUAL_EPOCH_MS, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_only_moves_forward() {
        let clock = Clock::virtual_at(VIRTUAL_EPOCH_MS);
        assert!(clock.set_virtual(VIRTUAL_EPOCH_MS + 1_000));
        assert!(clock.set_virtual(VIRTUAL_EPOCH_MS));
        assert_eq!(clock.now_ms(), VIRTUAL_EPOCH_MS + 1_000);
        assert!(!Clock::real().set_virtual(0));
    }
}
