//! Webhook delivery: the worker that POSTs the engine's outbox rows with
//! each vendor's headers and signature, at least once, retrying on the
//! vendor's schedule (both read from the face's [`WebhookRules`]).
//!
//! - The worker ([`run_worker`]) polls for due deliveries (10 s timeout, a
//!   bounded number at a time, never on a request's path), records every
//!   attempt and schedules retries on the sandbox clock.
//! - A delivery's id is stable across attempts (the de-duplication key).
//!   Rows survive restarts; a delivery caught mid-attempt by a crash is
//!   attempted again (at least once).

use std::sync::Arc;
use std::time::Duration;

use campaign_api::wire::Iso8601;
use campaign_engine::{DomainEvent, DueDelivery};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries attempted at once (a receiver that hangs holds one for the
/// whole timeout).
const CONCURRENT: usize = 64;

/// A face's webhooks: what may be subscribed, what each domain event
/// becomes, how a delivery is signed and when a failed one is retried.
pub struct WebhookRules {
    /// The events a webhook may subscribe to.
    pub events: &'static [&'static str],
    /// The (event name, exact body) pairs of a domain event recorded at a
    /// time (ms); none when the vendor has no such event.
    pub bodies: fn(&DomainEvent<'_>, i64) -> Vec<(&'static str, String)>,
    /// The headers of a delivery sent at a time (ms).
    pub headers: fn(&DueDelivery, i64) -> Vec<(&'static str, String)>,
    /// Seconds before the next attempt after this many failed ones; `None`
    /// when the schedule is exhausted.
    pub retry_after: fn(u32) -> Option<u64>,
}

/// The body `{"event", "timestamp", "data"}` both vendors send.
pub fn envelope(name: &str, now_ms: i64, data: Value) -> String {
    json!({"event": name, "timestamp": Iso8601::from_millis(now_ms), "data": data}).to_string()
}

/// A time as the vendors' ISO 8601 text.
pub fn iso(ms: i64) -> String {
    serde_json::to_value(Iso8601::from_millis(ms))
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Hex HMAC-SHA256 of `body` with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Delivers due webhooks until the process ends: polls every 100 ms (real
/// time) for deliveries due on the sandbox clock, and without waiting while
/// a backlog lasts.
pub async fn run_worker(app: Arc<crate::app::App>) {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("an HTTP client builds");
    let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut backlog = false;
    loop {
        if backlog {
            // The last claim took every free slot, so more may be due: claim
            // again as soon as a slot frees up, not at the next tick (a
            // backlog drains at the receivers' pace, not a batch per tick).
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            drop(slot);
        } else {
            tick.tick().await;
        }
        let available = slots.available_permits();
        if available == 0 {
            backlog = true;
            continue;
        }
        let engine_app = Arc::clone(&app);
        let due =
            tokio::task::spawn_blocking(move || engine_app.engine.claim_due_deliveries(available))
                .await;
        let Ok(Ok(due)) = due else {
            backlog = false;
            continue;
        };
        backlog = due.len() == available;
        for delivery in due {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return;
            };
            let (app, client) = (Arc::clone(&app), client.clone());
            tokio::spawn(async move {
                let now = app.engine.clock().now_ms();
                let mut request = client
                    .post(&delivery.url)
                    .header("Content-Type", "application/json");
                let rules = crate::registry::webhooks(&delivery.dialect);
                for (name, value) in rules
                    .map(|r| (r.headers)(&delivery, now))
                    .unwrap_or_default()
                {
                    request = request.header(name, value);
                }
                let outcome = match request.body(delivery.body.clone()).send().await {
                    Ok(response) => Ok(response.status().as_u16()),
                    Err(e) if e.is_timeout() => {
                        Err(format!("no answer within {} s", TIMEOUT.as_secs()))
                    }
                    Err(e) => Err(format!("{e:#}")),
                };
                let retry = rules.and_then(|r| (r.retry_after)(delivery.attempts + 1));
                let _ = tokio::task::spawn_blocking(move || {
                    app.engine.finish_delivery(&delivery, outcome, retry)
                })
                .await;
                drop(slot);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
