//! Webhooks: a transactional outbox, each vendor's event format and
//! signature, and at-least-once delivery with the vendor's retry schedule.
//!
//! - The engine reports domain events from inside the transaction of the
//!   change that causes them; [`record`] turns each into one delivery row
//!   per subscribed webhook, in the vendor's format, in that same
//!   transaction: no event for a change that did not commit, no committed
//!   change without its event.
//! - The delivery worker ([`run_worker`]) POSTs due deliveries (10 s
//!   timeout, a bounded number at a time, never on a request's path),
//!   records every attempt and schedules retries on the sandbox clock:
//!   Leadterra after about 1 min, 5 min, 30 min, 2 h and 8 h; Leadlex with
//!   exponential backoff (30 s, doubling, 8 retries).
//! - A delivery's id is stable across attempts (`X-LeadLex-Delivery-ID`,
//!   and `X-Leadterra-Delivery-ID`, a sandbox addition) for de-duplication.
//!   Rows survive restarts; a delivery caught mid-attempt by a crash is
//!   attempted again (at least once).

use std::sync::Arc;
use std::time::Duration;

use campaign_api::sandbox::{CampaignView, Dialect, ProspectView};
use campaign_api::wire::Iso8601;
use hmac::{Hmac, Mac};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::engine::{EngineResult, dialect_str};

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries attempted at once.
const CONCURRENT: usize = 16;

/// Something that happened, as the engine reports it.
#[derive(Debug, Clone)]
pub enum DomainEvent<'a> {
    /// A campaign was created (with its steps and prospects).
    CampaignCreated(&'a CampaignView),
    /// A campaign started or resumed.
    CampaignStarted(&'a CampaignView),
    /// A campaign was paused.
    CampaignPaused(&'a CampaignView),
    /// A campaign was deleted.
    CampaignDeleted(&'a CampaignView),
    /// A prospect's email bounced (the sandbox API simulates it).
    MessageBounced(&'a ProspectView, Option<u32>),
    /// A prospect replied (the sandbox API simulates it).
    ReplyReceived(&'a ProspectView),
    /// Prospects were added to a campaign.
    ContactsAdded {
        /// The campaign.
        campaign_id: &'a str,
        /// The new prospects' ids.
        prospect_ids: &'a [String],
    },
}

/// Checks a receiver URL: https anywhere, or plain http on loopback (a
/// sandbox allowance: the vendors require https).
pub fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("url {url:?} is not an absolute http(s) URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let hostname = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| h.trim_start_matches('['))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or_default()
    };
    if hostname.is_empty() {
        return Err(format!("url {url:?} has no host"));
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(hostname, "127.0.0.1" | "localhost" | "::1") => Ok(()),
        "http" => Err(format!(
            "url {url:?} must use https (plain http only on loopback)"
        )),
        _ => Err(format!("url {url:?} must use https")),
    }
}

/// The events a dialect's webhooks may subscribe to.
pub fn events_of(dialect: Dialect) -> &'static [&'static str] {
    match dialect {
        Dialect::Leadterra => &[
            "campaign.started",
            "message.sent",
            "message.bounced",
            "reply.received",
        ],
        Dialect::Leadlex => &[
            "campaign.created",
            "campaign.started",
            "campaign.paused",
            "campaign.deleted",
            "campaign.step_created",
            "campaign.contacts_added",
        ],
        _ => &[],
    }
}

/// The vendor's (event name, data) pairs for a domain event; one domain
/// event may be several vendor events (a Leadlex campaign created with
/// steps and contacts).
fn vendor_events(dialect: Dialect, event: &DomainEvent<'_>) -> Vec<(&'static str, Value)> {
    let iso = |t: Option<Iso8601>| t.map(|t| json!(t));
    match (dialect, event) {
        (Dialect::Leadterra, DomainEvent::CampaignStarted(c)) => vec![(
            "campaign.started",
            json!({"id": c.id, "status": "running", "startedAt": iso(c.started_at)}),
        )],
        (Dialect::Leadterra, DomainEvent::MessageBounced(p, step)) => vec![(
            "message.bounced",
            json!({"campaignId": p.campaign_id, "leadId": p.id, "email": p.email, "step": step, "bouncedAt": p.updated_at}),
        )],
        (Dialect::Leadterra, DomainEvent::ReplyReceived(p)) => vec![(
            "reply.received",
            json!({"campaignId": p.campaign_id, "leadId": p.id, "email": p.email, "receivedAt": p.updated_at}),
        )],
        (Dialect::Leadlex, DomainEvent::CampaignCreated(c)) => {
            let mut events = vec![(
                "campaign.created",
                json!({"campaign": {"id": c.id, "name": c.name, "status": "draft", "created_at": c.created_at}}),
            )];
            for step in &c.steps {
                events.push((
                    "campaign.step_created",
                    json!({"campaign_id": c.id, "step": {"position": step.position + 1, "subject": step.subject}}),
                ));
            }
            if c.prospect_count > 0 {
                events.push((
                    "campaign.contacts_added",
                    json!({"campaign_id": c.id, "count": c.prospect_count}),
                ));
            }
            events
        }
        (Dialect::Leadlex, DomainEvent::CampaignStarted(c)) => vec![(
            "campaign.started",
            json!({"campaign": {"id": c.id, "status": leadlex_status(c), "started_at": iso(c.started_at)}}),
        )],
        (Dialect::Leadlex, DomainEvent::CampaignPaused(c)) => vec![(
            "campaign.paused",
            json!({"campaign": {"id": c.id, "status": "paused", "paused_at": iso(c.paused_at)}}),
        )],
        (Dialect::Leadlex, DomainEvent::CampaignDeleted(c)) => {
            vec![("campaign.deleted", json!({"campaign": {"id": c.id}}))]
        }
        (
            Dialect::Leadlex,
            DomainEvent::ContactsAdded {
                campaign_id,
                prospect_ids,
            },
        ) => vec![(
            "campaign.contacts_added",
            json!({"campaign_id": campaign_id, "count": prospect_ids.len(), "contact_ids": prospect_ids}),
        )],
        _ => Vec::new(),
    }
}

fn leadlex_status(c: &CampaignView) -> &'static str {
    match c.status {
        campaign_api::sandbox::EngineStatus::PendingApproval => "pending_approval",
        _ => "active",
    }
}

/// Writes the outbox rows of `event` for every webhook of the workspace
/// subscribed to it, inside the caller's transaction.
pub fn record(
    tx: &Connection,
    workspace_id: &str,
    event: &DomainEvent<'_>,
    now_ms: i64,
) -> EngineResult<()> {
    let hooks: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT w.id, w.events, ws.dialect FROM webhooks w JOIN workspaces ws ON ws.id = w.workspace_id
             WHERE w.workspace_id = ?1 AND w.status = 'active'",
        )?
        .query_map(params![workspace_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    if hooks.is_empty() {
        return Ok(());
    }
    let dialect = parse_dialect(&hooks[0].2);
    for (name, data) in vendor_events(dialect, event) {
        let body = serde_json::to_string(&json!({
            "event": name,
            "timestamp": Iso8601::from_millis(now_ms),
            "data": data,
        }))
        .expect("JSON values serialize");
        for (webhook_id, events, _) in &hooks {
            let subscribed: Vec<String> = serde_json::from_str(events).unwrap_or_default();
            if !subscribed.iter().any(|e| e == name) {
                continue;
            }
            tx.prepare_cached(
                "INSERT INTO deliveries (id, webhook_id, event, body, created_at, state, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?5)",
            )?
            .execute(params![uuid::Uuid::new_v4().to_string(), webhook_id, name, body, now_ms])?;
        }
    }
    Ok(())
}

/// Records `message.sent` for the sends just started (the dispatcher's
/// scratch table `temp.dispatch_started`) of one campaign, if its
/// workspace has a Leadterra webhook subscribed to it. One statement.
pub fn record_messages_sent(tx: &Connection, campaign_id: &str, now_ms: i64) -> EngineResult<()> {
    let timestamp = Iso8601::from_millis(now_ms);
    let timestamp = serde_json::to_value(timestamp).expect("timestamps serialize");
    tx.prepare_cached(
        "INSERT INTO deliveries (id, webhook_id, event, body, created_at, state, next_attempt_at)
                  SELECT 'dlv_' || lower(hex(randomblob(16))), w.id, 'message.sent',
                json_object('event', 'message.sent', 'timestamp', ?3,
                    'data', json_object('campaignId', s.campaign_id, 'leadId', s.prospect_id,
                        'email', p.email, 'step', s.position + 1,
                        'sentAt', strftime('%Y-%m-%dT%H:%M:%SZ', s.started_at / 1000, 'unixepoch'))),
                ?2, 'pending', ?2
         FROM temp.dispatch_started d
         JOIN sends s ON s.id = d.send_id
         JOIN prospects p ON p.id = s.prospect_id
         JOIN campaigns c ON c.id = s.campaign_id
         JOIN webhooks w ON w.workspace_id = c.workspace_id AND w.status = 'active'
         JOIN workspaces ws ON ws.id = c.workspace_id AND ws.dialect = 'leadterra'
         WHERE c.id = ?1 AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = 'message.sent')
         ORDER BY s.id",
    )?
    .execute(params![campaign_id, now_ms, timestamp.as_str().unwrap_or_default()])?;
    Ok(())
}

fn parse_dialect(text: &str) -> Dialect {
    [
        Dialect::Alta,
        Dialect::Voicegenie,
        Dialect::Leadterra,
        Dialect::Leadlex,
        Dialect::Woodpecker,
    ]
    .into_iter()
    .find(|d| dialect_str(*d) == text)
    .unwrap_or(Dialect::Alta)
}

/// Seconds to wait before the next attempt after `attempts` failed ones;
/// `None` when the schedule is exhausted.
pub fn retry_delay(dialect: Dialect, attempts: u32) -> Option<u64> {
    match dialect {
        // About 1 min, 5 min, 30 min, 2 h, 8 h.
        Dialect::Leadterra => [60, 300, 1_800, 7_200, 28_800]
            .get(attempts as usize - 1)
            .copied(),
        // Exponential: 30 s, 1 min, 2 min, ... (8 retries).
        _ => (attempts <= 8).then(|| 30u64 << (attempts - 1)),
    }
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

/// A delivery due now, as the worker sends it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The delivery's stable id.
    pub id: String,
    /// The receiver.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// The raw body.
    pub body: String,
    /// The vendor.
    pub dialect: Dialect,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// The vendor's headers of a delivery.
pub fn headers(delivery: &DueDelivery, now_ms: i64) -> Vec<(&'static str, String)> {
    let signature = signature(&delivery.secret, delivery.body.as_bytes());
    match delivery.dialect {
        Dialect::Leadterra => vec![
            ("X-Leadterra-Signature", signature),
            ("X-Leadterra-Delivery-ID", delivery.id.clone()),
            ("User-Agent", "Leadterra-Webhook/1.0".into()),
        ],
        _ => vec![
            ("X-LeadLex-Signature", format!("sha256={signature}")),
            (
                "X-LeadLex-Timestamp",
                serde_json::to_value(Iso8601::from_millis(now_ms))
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
            ),
            ("X-LeadLex-Delivery-ID", delivery.id.clone()),
            ("User-Agent", "LeadLex-Webhook/1.0".into()),
        ],
    }
}

/// Delivers due webhooks until the process ends: polls every 100 ms (real
/// time) for deliveries due on the sandbox clock.
pub async fn run_worker(app: Arc<crate::app::App>) {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .expect("an HTTP client builds");
    let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT));
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let available = slots.available_permits();
        if available == 0 {
            continue;
        }
        let engine_app = Arc::clone(&app);
        let due =
            tokio::task::spawn_blocking(move || engine_app.engine.claim_due_deliveries(available))
                .await;
        let Ok(Ok(due)) = due else { continue };
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
                for (name, value) in headers(&delivery, now) {
                    request = request.header(name, value);
                }
                let outcome = match request.body(delivery.body.clone()).send().await {
                    Ok(response) => Ok(response.status().as_u16()),
                    Err(e) if e.is_timeout() => {
                        Err(format!("no answer within {} s", TIMEOUT.as_secs()))
                    }
                    Err(e) => Err(format!("{e:#}")),
                };
                let _ = tokio::task::spawn_blocking(move || {
                    app.engine.finish_delivery(&delivery, outcome)
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
    fn receivers_must_be_https_or_loopback() {
        assert!(check_url("https://hooks.example.com/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://localhost/hook").is_ok());
        assert!(check_url("http://example.com/hook").is_err());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn retry_schedules_follow_the_vendors() {
        let leadterra: Vec<_> = (1..=6)
            .map(|n| retry_delay(Dialect::Leadterra, n))
            .collect();
        assert_eq!(
            leadterra,
            [
                Some(60),
                Some(300),
                Some(1_800),
                Some(7_200),
                Some(28_800),
                None
            ]
        );
        assert_eq!(retry_delay(Dialect::Leadlex, 1), Some(30));
        assert_eq!(retry_delay(Dialect::Leadlex, 4), Some(240));
        assert_eq!(retry_delay(Dialect::Leadlex, 9), None);
    }
}
