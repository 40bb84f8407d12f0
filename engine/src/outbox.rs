//! The transactional outbox: webhook subscriptions, and one delivery row
//! per subscribed webhook for every domain event, written in the same
//! transaction as the change that causes it (no event for a change that did
//! not commit, no committed change without its event). The delivery worker
//! lives with the server: it claims due rows, sends them and records each
//! attempt here. Event names and bodies come from the dialect
//! ([`Dialects::event_bodies`]).

use std::sync::atomic::Ordering;

use rusqlite::{Connection, params};

use crate::Engine;
use crate::dialect::Dialects;
use crate::error::{EngineError, EngineResult};
use crate::ids::public_owned;
use crate::rows::{load_workspace, opt_millis};
use crate::transaction::exec;
use crate::types::{
    CampaignView, DeliveryAttempt, DeliveryQuery, DeliveryState, DeliveryView, DueDelivery,
    ProspectView, WebhookRecord, time,
};

/// How long a claimed delivery may go without an outcome (wall clock).
const CLAIM_LEASE_MS: i64 = 60_000;

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
    /// A prospect's email bounced (the sandbox API simulates it), with the
    /// 1-based step that bounced, if one had been delivered.
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
    /// A send started.
    MessageSent(&'a SentMessage),
}

/// A send that just started, as [`DomainEvent::MessageSent`] reports it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    /// The campaign.
    pub campaign_id: String,
    /// The prospect.
    pub prospect_id: String,
    /// The prospect's email.
    pub email: Option<String>,
    /// The step's 0-based position.
    pub position: u32,
    /// When it started (ms).
    pub started_at_ms: i64,
}

/// Checks a receiver URL: https anywhere, or plain http on loopback (a
/// sandbox allowance: the vendors require https).
pub fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!("url {url:?} is not an absolute http(s) URL"));
    };
    // The authority ends where a path, query or fragment begins.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // The host ends at the port's colon (after the brackets of an IPv6
    // address).
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |n| n + 1)
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let (host, port) = authority.split_at(host_end);
    let hostname = host.trim_start_matches('[').trim_end_matches(']');
    if hostname.is_empty() {
        return Err(format!("url {url:?} has no host"));
    }
    if authority.contains('@') || url.chars().any(char::is_whitespace) {
        return Err(format!(
            "url {url:?} is not a valid URL (no credentials or spaces in it)"
        ));
    }
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|digits| {
            (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        });
    if !port_ok {
        return Err(format!("url {url:?} has an invalid port"));
    }
    match scheme {
        "https" => Ok(()),
        "http" if matches!(host, "127.0.0.1" | "localhost" | "[::1]") => Ok(()),
        "http" => Err(format!(
            "url {url:?} must use https (plain http only on loopback)"
        )),
        _ => Err(format!("url {url:?} must use https")),
    }
}

#[cfg(test)]
mod url_tests {
    use super::check_url;

    #[test]
    fn urls_follow_the_documented_pattern() {
        for good in [
            "https://hooks.example.com/in?x=1",
            "https://hooks.example.com:8443",
            "http://127.0.0.1:9000/sink/a",
            "http://localhost",
            "http://[::1]:9398/x",
        ] {
            assert_eq!(check_url(good), Ok(()), "{good}");
        }
        for bad in [
            "http://[::1]:9398*",
            "https://user@hooks.example.com/",
            "https://hooks.example.com:123456/",
            "https://hooks.example.com:80a/",
            "https://hooks.example.com/a b",
            "http://example.com/",
            "ftp://example.com/",
            "https:///path",
            "hooks.example.com",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}

/// The active webhooks of a workspace: (id, subscribed events, dialect).
type Hooks = Vec<(String, Vec<String>, String)>;

fn hooks_of(tx: &Connection, sql: &str, key: &str) -> EngineResult<Hooks> {
    let rows: Vec<(String, String, String)> = tx
        .prepare_cached(sql)?
        .query_map(params![key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .map(|(id, events, dialect)| {
            (
                id,
                serde_json::from_str(&events).unwrap_or_default(),
                dialect,
            )
        })
        .collect())
}

/// Writes one pending delivery per webhook subscribed to each of the
/// dialect's bodies for `event`; `id` makes each delivery's id.
fn enqueue(
    tx: &Connection,
    dialects: &dyn Dialects,
    hooks: &Hooks,
    event: &DomainEvent<'_>,
    now_ms: i64,
    id: impl Fn() -> String,
) -> EngineResult<()> {
    let Some((_, _, dialect)) = hooks.first() else {
        return Ok(());
    };
    for (name, body) in dialects.event_bodies(dialect, event, now_ms) {
        for (webhook_id, events, _) in hooks {
            if !events.iter().any(|e| e == name) {
                continue;
            }
            exec(
                tx,
                "INSERT INTO deliveries (id, webhook_id, event, body, created_at, state, next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?5)",
                params![id(), webhook_id, name, body, now_ms],
            )?;
        }
    }
    Ok(())
}

/// Writes the outbox rows of `event` for every webhook of the workspace
/// subscribed to it, inside the caller's transaction.
pub(crate) fn record(
    tx: &Connection,
    dialects: &dyn Dialects,
    workspace_id: &str,
    event: &DomainEvent<'_>,
    now_ms: i64,
) -> EngineResult<()> {
    let hooks = hooks_of(
        tx,
        "SELECT w.id, w.events, ws.dialect FROM webhooks w JOIN workspaces ws ON ws.id = w.workspace_id
         WHERE w.workspace_id = ?1 AND w.status = 'active'",
        workspace_id,
    )?;
    enqueue(tx, dialects, &hooks, event, now_ms, || {
        uuid::Uuid::new_v4().to_string()
    })
}

/// The messages a dispatch batch just sent (`temp.dispatch_started`),
/// with their prospects' addresses. Sends are found by id: the form
/// `dispatch_started JOIN sends` let SQLite walk every send, in id order
/// for the `ORDER BY`, in each batch of a dispatch with a webhook.
pub(crate) const SENT_MESSAGES: &str =
    "SELECT s.campaign_id, s.prospect_id, p.email, s.position, s.started_at
     FROM sends s JOIN prospects p ON p.id = s.prospect_id
     WHERE s.id IN (SELECT send_id FROM temp.dispatch_started) ORDER BY s.id";

/// Records [`DomainEvent::MessageSent`] for the sends of one campaign just
/// started (the dispatcher's scratch table `temp.dispatch_started`), when
/// its workspace has an active webhook.
pub(crate) fn record_messages_sent(
    tx: &Connection,
    dialects: &dyn Dialects,
    campaign_id: &str,
    now_ms: i64,
) -> EngineResult<()> {
    let hooks = hooks_of(
        tx,
        "SELECT w.id, w.events, ws.dialect FROM campaigns c
         JOIN webhooks w ON w.workspace_id = c.workspace_id AND w.status = 'active'
         JOIN workspaces ws ON ws.id = c.workspace_id WHERE c.id = ?1",
        campaign_id,
    )?;
    if hooks.is_empty() {
        return Ok(());
    }
    let sent: Vec<SentMessage> = tx
        .prepare_cached(SENT_MESSAGES)?
        .query_map([], |r| {
            Ok(SentMessage {
                campaign_id: public_owned(r.get(0)?),
                prospect_id: public_owned(r.get(1)?),
                email: r.get(2)?,
                position: r.get(3)?,
                started_at_ms: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    for message in &sent {
        enqueue(
            tx,
            dialects,
            &hooks,
            &DomainEvent::MessageSent(message),
            now_ms,
            || format!("dlv_{}", uuid::Uuid::new_v4().simple()),
        )?;
    }
    Ok(())
}

impl Engine {
    /// Creates a webhook subscription of a workspace; returns it with its
    /// signing secret.
    pub fn create_webhook(
        &self,
        workspace_id: &str,
        url: &str,
        events: &[String],
    ) -> EngineResult<WebhookRecord> {
        check_url(url).map_err(EngineError::Invalid)?;
        self.transact(|tx, now| {
            let workspace = load_workspace(tx, workspace_id)?;
            let known = self.dialects.webhook_events(&workspace.dialect);
            if known.is_empty() {
                return Err(EngineError::Invalid(format!(
                    "{} has no webhooks",
                    self.dialects.label(&workspace.dialect)
                )));
            }
            if events.is_empty() {
                return Err(EngineError::Invalid(
                    "events must name at least one event".into(),
                ));
            }
            if let Some(unknown) = events.iter().find(|e| !known.contains(&e.as_str())) {
                return Err(EngineError::Invalid(format!(
                    "unknown event {unknown:?}: one of {}",
                    known.join(", ")
                )));
            }
            let record = WebhookRecord {
                id: format!("wh_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
                workspace_id: workspace_id.to_string(),
                url: url.to_string(),
                events: events.to_vec(),
                secret: format!(
                    "whsec_{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                ),
                created_at_ms: now,
            };
            exec(
                tx,
                "INSERT INTO webhooks (id, workspace_id, url, events, secret, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6)",
                params![
                    record.id,
                    record.workspace_id,
                    record.url,
                    serde_json::to_string(&record.events).expect("strings serialize"),
                    record.secret,
                    now
                ],
            )?;
            self.has_webhooks.store(true, Ordering::SeqCst);
            Ok(record)
        })
    }

    /// A workspace's webhooks, oldest first (secrets omitted).
    pub fn list_webhooks(&self, workspace_id: &str) -> EngineResult<Vec<WebhookRecord>> {
        self.read_undispatched(|tx| {
            load_workspace(tx, workspace_id)?;
            let rows = tx
                .prepare_cached(
                    "SELECT id, workspace_id, url, events, created_at FROM webhooks
                     WHERE workspace_id = CAST(?1 AS TEXT) ORDER BY seq",
                )?
                .query_map(params![workspace_id], |r| {
                    Ok(WebhookRecord {
                        id: r.get(0)?,
                        workspace_id: r.get(1)?,
                        url: r.get(2)?,
                        events: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                        secret: String::new(),
                        created_at_ms: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// Claims up to `limit` deliveries due now: they become `sending`.
    ///
    /// A delivery claimed more than a minute ago (wall clock) whose outcome
    /// was never recorded is claimed again: attempts take at most 10 s.
    pub fn claim_due_deliveries(&self, limit: usize) -> EngineResult<Vec<DueDelivery>> {
        let wall_ms = chrono::Utc::now().timestamp_millis();
        self.transact(|tx, now| {
            let due: Vec<DueDelivery> = tx
                .prepare_cached(
                    "SELECT d.id, w.url, w.secret, d.body, ws.dialect, d.attempts
                     FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
                     JOIN workspaces ws ON ws.id = w.workspace_id
                                          WHERE (d.state = 'pending' AND d.next_attempt_at <= CAST(?1 AS INTEGER))
                        OR (d.state = 'sending' AND d.claimed_at < CAST(?3 AS INTEGER))
                     ORDER BY d.next_attempt_at, d.seq LIMIT ?2",
                )?
                .query_map(params![now, limit as i64, wall_ms - CLAIM_LEASE_MS], |r| {
                    Ok(DueDelivery {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        secret: r.get(2)?,
                        body: r.get(3)?,
                        dialect: r.get(4)?,
                        attempts: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
                        for delivery in &due {
                exec(
                    tx,
                    "UPDATE deliveries SET state = 'sending', claimed_at = ?2 WHERE id = ?1",
                    params![delivery.id, wall_ms],
                )?;
            }
            Ok(due)
        })
    }

    /// Records the outcome of an attempt: a 2xx delivers; anything else is
    /// retried `retry_after_secs` later (the dialect's schedule, which the
    /// caller reads), or fails when that is `None`.
    pub fn finish_delivery(
        &self,
        delivery: &DueDelivery,
        outcome: Result<u16, String>,
        retry_after_secs: Option<u64>,
    ) -> EngineResult<()> {
        self.transact(|tx, now| {
            let attempt = delivery.attempts + 1;
            let (status, error) = match &outcome {
                Ok(status) => (Some(*status), None),
                Err(error) => (None, Some(error.clone())),
            };
            exec(
                tx,
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![delivery.id, attempt, now, status, error],
            )?;
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let retry = retry_after_secs.filter(|_| !delivered);
            let (state, next) = match (delivered, retry) {
                (true, _) => ("delivered", None),
                (false, Some(delay)) => ("pending", Some(now + 1000 * delay as i64)),
                (false, None) => ("failed", None),
            };
            exec(
                tx,
                                "UPDATE deliveries SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_status = ?5,
                     last_error = ?6, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?7 END
                 WHERE id = ?1 AND state = 'sending'",
                params![delivery.id, state, attempt, next, status, error, now],
            )?;
            Ok(())
        })
    }

    /// Deliveries with their attempts, oldest first.
    pub fn list_deliveries(&self, query: &DeliveryQuery) -> EngineResult<Vec<DeliveryView>> {
        self.read(|tx| {
            // Filtered in SQL (one webhook's by its index), not by loading
            // every delivery: the inspector polls this every second.
            let ids: Vec<String> = match &query.webhook_id {
                Some(webhook) => tx
                    .prepare_cached(
                        "SELECT id FROM deliveries WHERE webhook_id = ?1 AND (?2 IS NULL OR event = ?2)
                         ORDER BY seq",
                    )?
                    .query_map(params![webhook, query.event], |r| r.get(0))?
                    .collect::<Result<_, _>>()?,
                None => tx
                    .prepare_cached(
                        "SELECT id FROM deliveries WHERE ?1 IS NULL OR event = ?1 ORDER BY seq",
                    )?
                    .query_map(params![query.event], |r| r.get(0))?
                    .collect::<Result<_, _>>()?,
            };
            ids.iter().map(|id| load_delivery(tx, id)).collect()
        })
    }

    /// Makes a delivery due now again.
    pub fn redeliver(&self, id: &str) -> EngineResult<DeliveryView> {
        self.transact(|tx, now| {
            let changed = exec(
                tx,
                "UPDATE deliveries SET state = 'pending', next_attempt_at = ?2
                 WHERE id = ?1 AND state <> 'sending'",
                params![id, now],
            )?;
            if changed == 0 {
                let exists: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = ?1)")?
                    .query_row(params![id], |r| r.get(0))?;
                if exists {
                    return Err(EngineError::Conflict(format!(
                        "delivery {id:?} is being attempted now"
                    )));
                }
                return Err(EngineError::Invalid(format!("no delivery {id:?}")));
            }
            load_delivery(tx, id)
        })
    }
}

fn load_delivery(tx: &Connection, id: &str) -> EngineResult<DeliveryView> {
    let attempts = tx
        .prepare_cached(
            "SELECT attempt, at, status, error FROM delivery_attempts WHERE delivery_id = CAST(?1 AS TEXT)
             ORDER BY attempt",
        )?
        .query_map(params![id], |r| {
            Ok(DeliveryAttempt {
                attempt: r.get(0)?,
                at: time(r.get(1)?),
                status: r.get(2)?,
                error: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    tx.prepare_cached(
        "SELECT id, webhook_id, event, body, state, created_at, next_attempt_at, delivered_at
         FROM deliveries WHERE id = ?1",
    )?
    .query_row(params![id], |r| {
        let state = match r.get::<_, String>(4)?.as_str() {
            "sending" => DeliveryState::Sending,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        };
        Ok(DeliveryView {
            id: r.get(0)?,
            webhook_id: r.get(1)?,
            event: r.get(2)?,
            body: r.get(3)?,
            next_attempt_at: if state == DeliveryState::Pending {
                opt_millis(r, 6)?
            } else {
                None
            },
            state,
            created_at: time(r.get(5)?),
            delivered_at: opt_millis(r, 7)?,
            attempts,
        })
    })
    .map_err(EngineError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receivers_must_be_https_or_loopback() {
        assert!(check_url("https://hooks.example.com/x").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://localhost/hook").is_ok());
        assert!(check_url("http://[::1]:8080/hook").is_ok());
        assert!(check_url("http://example.com/hook").is_err());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("not a url").is_err());
    }
}
