//! The sandbox clock: wall-clock time, or a virtual time that moves only
//! when the sandbox API advances it. Times are milliseconds since the Unix
//! epoch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

/// Whether the clock follows the wall clock or moves only when told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// The wall clock.
    Real,
    /// Moves only when advanced.
    Virtual,
    /// The wall clock, stopped where it was frozen until it is unfrozen
    /// (then it is the wall clock again).
    Frozen,
}

/// Where a fresh virtual clock starts: 2026-01-05T09:00:00Z (a Monday
/// morning), so that tests and snapshots are deterministic.
pub const VIRTUAL_EPOCH_MS: i64 = 1_767_603_600_000;

/// A shared clock; clones see the same time.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: ClockMode,
    /// A real clock frozen: it reads `virtual_now`.
    frozen: Arc<AtomicBool>,
    virtual_now: Arc<AtomicI64>,
}

impl Clock {
    /// The wall clock.
    pub fn real() -> Self {
        Self {
            mode: ClockMode::Real,
            frozen: Arc::new(AtomicBool::new(false)),
            virtual_now: Arc::new(AtomicI64::new(0)),
        }
    }

    /// A virtual clock standing at `now_ms`.
    pub fn virtual_at(now_ms: i64) -> Self {
        Self {
            mode: ClockMode::Virtual,
            frozen: Arc::new(AtomicBool::new(false)),
            virtual_now: Arc::new(AtomicI64::new(now_ms)),
        }
    }

    /// Real, frozen or virtual.
    pub fn mode(&self) -> ClockMode {
        match self.mode {
            ClockMode::Real if self.frozen.load(Ordering::SeqCst) => ClockMode::Frozen,
            mode => mode,
        }
    }

    /// The current time in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        match self.mode() {
            ClockMode::Real => chrono::Utc::now().timestamp_millis(),
            ClockMode::Virtual | ClockMode::Frozen => self.virtual_now.load(Ordering::SeqCst),
        }
    }

    /// Stops a real clock where it is (a virtual one stands still between
    /// advances already: it stays as it is).
    pub fn freeze(&self) {
        if self.mode == ClockMode::Real && !self.frozen.load(Ordering::SeqCst) {
            self.virtual_now
                .store(chrono::Utc::now().timestamp_millis(), Ordering::SeqCst);
            self.frozen.store(true, Ordering::SeqCst);
        }
    }

    /// Lets a frozen real clock follow the wall clock again (which has
    /// moved on meanwhile, so time never goes back).
    pub fn unfreeze(&self) {
        self.frozen.store(false, Ordering::SeqCst);
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

    /// Rewinds a virtual clock to its epoch, and unfreezes a real one
    /// (sandbox reset only).
    pub fn rewind_virtual(&self) {
        if self.mode == ClockMode::Virtual {
            self.virtual_now.store(VIRTUAL_EPOCH_MS, Ordering::SeqCst);
        }
        self.unfreeze();
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

    #[test]
    fn a_frozen_real_clock_stands_still_until_unfrozen() {
        let clock = Clock::real();
        clock.freeze();
        assert_eq!(clock.mode(), ClockMode::Frozen);
        let frozen = clock.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(clock.now_ms(), frozen);
        assert!(
            !clock.set_virtual(frozen + 1_000),
            "a frozen clock is not advanced"
        );
        clock.unfreeze();
        assert_eq!(clock.mode(), ClockMode::Real);
        assert!(clock.now_ms() >= frozen + 20);
        let virtual_clock = Clock::virtual_at(VIRTUAL_EPOCH_MS);
        virtual_clock.freeze();
        assert_eq!(virtual_clock.mode(), ClockMode::Virtual);
    }
}
