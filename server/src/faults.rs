//! Injected faults: the next N requests to a named operation of a face fail
//! with that face's internal error, or are delayed.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use campaign_api::sandbox::{Dialect, FaultCreate, FaultKind, FaultView};

/// What a request must suffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Fail with the face's internal-error answer.
    Fail,
    /// Wait this long, then proceed.
    Delay(Duration),
}

/// The armed faults, in arming order.
#[derive(Default)]
pub struct Faults {
    armed: Mutex<Vec<FaultView>>,
    /// Whether anything is armed: lets every request skip the lock.
    any: AtomicBool,
}

impl Faults {
    /// Arms a fault.
    pub fn arm(&self, input: &FaultCreate) -> FaultView {
        let view = FaultView {
            dialect: input.dialect,
            operation_id: input.operation_id.clone(),
            remaining: input.count.unwrap_or(1).max(1),
            kind: input.kind,
            delay_ms: input.delay_ms.unwrap_or(0),
        };
        let mut armed = self.lock();
        armed.push(view.clone());
        self.any.store(true, Ordering::SeqCst);
        view
    }

    /// Takes one use of the first fault armed for this operation.
    pub fn take(&self, dialect: Dialect, operation_id: &str) -> Option<FaultAction> {
        if !self.any.load(Ordering::SeqCst) {
            return None;
        }
        let mut armed = self.lock();
        let index = armed
            .iter()
            .position(|f| f.dialect == dialect && f.operation_id == operation_id)?;
        let fault = &mut armed[index];
        fault.remaining -= 1;
        let action = match fault.kind {
            FaultKind::Error => FaultAction::Fail,
            FaultKind::Delay => FaultAction::Delay(Duration::from_millis(fault.delay_ms)),
        };
        if fault.remaining == 0 {
            armed.remove(index);
            self.any.store(!armed.is_empty(), Ordering::SeqCst);
        }
        Some(action)
    }

    /// Every armed fault.
    pub fn list(&self) -> Vec<FaultView> {
        self.lock().clone()
    }

    /// Disarms everything.
    pub fn clear(&self) {
        let mut armed = self.lock();
        armed.clear();
        self.any.store(false, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultView>> {
        self.armed.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_used_up_after_count_requests() {
        let faults = Faults::default();
        faults.arm(&FaultCreate {
            dialect: Dialect::Woodpecker,
            operation_id: "pauseCampaign".into(),
            count: Some(2),
            kind: FaultKind::Error,
            delay_ms: None,
        });
        assert_eq!(faults.take(Dialect::Alta, "pauseCampaign"), None);
        assert_eq!(
            faults.take(Dialect::Woodpecker, "pauseCampaign"),
            Some(FaultAction::Fail)
        );
        assert_eq!(faults.list()[0].remaining, 1);
        assert_eq!(
            faults.take(Dialect::Woodpecker, "pauseCampaign"),
            Some(FaultAction::Fail)
        );
        assert_eq!(faults.take(Dialect::Woodpecker, "pauseCampaign"), None);
    }
}
