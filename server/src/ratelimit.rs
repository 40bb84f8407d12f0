//! Rate limits per workspace and bucket, on the sandbox clock (so a
//! virtual-clock test can exhaust a window and then advance past it).
//! governor does the counting (GCRA: the full allowance as a burst, then
//! one request back every `window / limit`).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use campaign_engine::Clock;

/// The sandbox clock as governor reads it, so rate limits follow virtual
/// time.
#[derive(Debug, Clone)]
struct RateClock(Clock);

impl governor::clock::Clock for RateClock {
    type Instant = governor::nanos::Nanos;

    fn now(&self) -> Self::Instant {
        let ms = u64::try_from(self.0.now_ms()).unwrap_or(0);
        governor::nanos::Nanos::from(ms.saturating_mul(1_000_000))
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, RateClock, StateInformationMiddleware>;
/// Live limiters by (scope, bucket), with the limit each was built for.
type LimiterMap = HashMap<(String, &'static str), (Limit, Arc<Limiter>)>;
/// Calendar-day counters by (scope, bucket): (day number, requests counted).
type DayCounters = HashMap<(String, &'static str), (i64, u32)>;

/// A limit: so many requests per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub window: Duration,
    /// A calendar day (UTC, on the sandbox clock) rather than a sliding
    /// window: the count resets at midnight.
    pub calendar_day: bool,
}

impl Limit {
    /// `requests` per minute.
    pub fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            window: Duration::from_secs(60),
            calendar_day: false,
        }
    }

    /// `requests` per UTC day, reset at midnight.
    pub fn per_utc_day(requests: u32) -> Self {
        Self {
            requests,
            window: Duration::from_secs(DAY_SECS as u64),
            calendar_day: true,
        }
    }
}

const DAY_SECS: i64 = 86_400;

/// The answer to one request's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests allowed per window.
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the allowance is whole again.
    pub reset_secs: u64,
    /// Seconds until one more request is allowed (0 when allowed).
    pub retry_after_secs: u64,
    /// The window in seconds.
    pub window_secs: u64,
}

/// Every live limiter, keyed by workspace and bucket name.
pub struct RateLimiters {
    clock: Clock,
    limiters: Mutex<LimiterMap>,
    days: Mutex<DayCounters>,
}

impl RateLimiters {
    /// Limiters reading `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            limiters: Mutex::new(HashMap::new()),
            days: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request against `scope`'s `bucket` under `limit` (a
    /// scope is a workspace, or a key where limits are per key).
    pub fn check(&self, workspace: &str, bucket: &'static str, limit: Limit) -> Decision {
        if limit.calendar_day {
            return self.check_day(workspace, bucket, limit);
        }
        let limiter = {
            let mut limiters = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
            let entry = limiters
                .entry((workspace.to_string(), bucket))
                .or_insert_with(|| (limit, Arc::new(self.limiter(limit))));
            if entry.0 != limit {
                *entry = (limit, Arc::new(self.limiter(limit)));
            }
            Arc::clone(&entry.1)
        };
        let per_request = limit.window.as_secs_f64() / f64::from(limit.requests.max(1));
        let window_secs = limit.window.as_secs();
        match limiter.check() {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = limit.requests.saturating_sub(remaining);
                Decision {
                    allowed: true,
                    limit: limit.requests,
                    remaining,
                    reset_secs: (f64::from(used) * per_request).ceil() as u64,
                    retry_after_secs: 0,
                    window_secs,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(RateClock(self.clock.clone()).now());
                Decision {
                    allowed: false,
                    limit: limit.requests,
                    remaining: 0,
                    reset_secs: window_secs,
                    retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
                    window_secs,
                }
            }
        }
    }

    /// A calendar-day count: resets at midnight UTC on the sandbox clock.
    fn check_day(&self, scope: &str, bucket: &'static str, limit: Limit) -> Decision {
        let now_secs = self.clock.now_ms().div_euclid(1000);
        let day = now_secs.div_euclid(DAY_SECS);
        let until_midnight = DAY_SECS - now_secs.rem_euclid(DAY_SECS);
        let mut days = self.days.lock().unwrap_or_else(|p| p.into_inner());
        let entry = days.entry((scope.to_string(), bucket)).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        let allowed = entry.1 < limit.requests;
        if allowed {
            entry.1 += 1;
        }
        Decision {
            allowed,
            limit: limit.requests,
            remaining: limit.requests.saturating_sub(entry.1),
            reset_secs: until_midnight as u64,
            retry_after_secs: if allowed { 0 } else { until_midnight as u64 },
            window_secs: DAY_SECS as u64,
        }
    }

    /// Forgets every limiter and counter of a workspace and of its keys'
    /// scopes (`<workspace>/<key>`): its limits changed.
    pub fn forget_workspace(&self, workspace: &str) {
        let prefix = format!("{workspace}/");
        let other = |scope: &String| scope != workspace && !scope.starts_with(&prefix);
        let mut limiters = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        limiters.retain(|(scope, _), _| other(scope));
        let mut days = self.days.lock().unwrap_or_else(|p| p.into_inner());
        days.retain(|(scope, _), _| other(scope));
    }

    /// Forgets every limiter and counter.
    pub fn clear(&self) {
        self.limiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.days.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn limiter(&self, limit: Limit) -> Limiter {
        let burst = NonZeroU32::new(limit.requests.max(1)).expect("max(1) is non-zero");
        let period = limit.window / burst.get();
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("period is non-zero")
            .allow_burst(burst);
        RateLimiter::direct_with_clock(quota, RateClock(self.clock.clone())).with_middleware()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use campaign_engine::VIRTUAL_EPOCH_MS;

    #[test]
    fn exhausts_then_recovers_on_the_virtual_clock() {
        let clock = Clock::virtual_at(VIRTUAL_EPOCH_MS);
        let limits = RateLimiters::new(clock.clone());
        let limit = Limit::per_minute(3);
        let first = limits.check("ws", "all", limit);
        assert!(first.allowed);
        assert_eq!((first.limit, first.remaining, first.reset_secs), (3, 2, 20));
        assert!(limits.check("ws", "all", limit).allowed);
        assert_eq!(limits.check("ws", "all", limit).remaining, 0);
        let refused = limits.check("ws", "all", limit);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_secs, 20);
        // Another workspace has its own allowance.
        assert!(limits.check("other", "all", limit).allowed);
        clock.set_virtual(VIRTUAL_EPOCH_MS + 60_000);
        assert_eq!(limits.check("ws", "all", limit).remaining, 2);
    }

    #[test]
    fn daily_counts_reset_at_midnight_utc() {
        // The virtual epoch is 09:00 UTC: 15 hours to midnight.
        let clock = Clock::virtual_at(VIRTUAL_EPOCH_MS);
        let limits = RateLimiters::new(clock.clone());
        let day = Limit::per_utc_day(2);
        assert_eq!(limits.check("key", "day", day).remaining, 1);
        let last = limits.check("key", "day", day);
        assert_eq!(
            (last.allowed, last.remaining, last.reset_secs),
            (true, 0, 15 * 3600)
        );
        assert!(!limits.check("key", "day", day).allowed);
        clock.set_virtual(VIRTUAL_EPOCH_MS + 14 * 3_600_000);
        assert!(
            !limits.check("key", "day", day).allowed,
            "still the same day at 23:00"
        );
        clock.set_virtual(VIRTUAL_EPOCH_MS + 15 * 3_600_000);
        assert!(
            limits.check("key", "day", day).allowed,
            "a new day at midnight"
        );
    }
}
