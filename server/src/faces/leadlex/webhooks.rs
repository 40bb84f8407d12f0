//! Leadlex's webhooks: its six events, their bodies, its signature headers
//! and its retry schedule.

use campaign_api::wire::Iso8601;
use campaign_engine::{DomainEvent, DueDelivery};
use serde_json::json;

use super::status_name;
use crate::delivery::{WebhookRules, envelope, iso, signature};

/// Leadlex's webhook rules.
pub static WEBHOOKS: WebhookRules = WebhookRules {
    events: &[
        "campaign.created",
        "campaign.started",
        "campaign.paused",
        "campaign.deleted",
        "campaign.step_created",
        "campaign.contacts_added",
    ],
    bodies,
    headers,
    retry_after,
};

fn bodies(event: &DomainEvent<'_>, now_ms: i64) -> Vec<(&'static str, String)> {
    let at = |t: Option<campaign_engine::Time>| t.map(Iso8601);
    let events = match event {
        // One campaign created with steps and contacts is several events.
        DomainEvent::CampaignCreated(c) => {
            let mut events = vec![(
                "campaign.created",
                json!({"campaign": {"id": c.id, "name": c.name, "status": status_name(c.status),
                                    "created_at": Iso8601(c.created_at)}}),
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
        DomainEvent::CampaignStarted(c) => vec![(
            "campaign.started",
            json!({"campaign": {"id": c.id, "status": status_name(c.status), "started_at": at(c.started_at)}}),
        )],
        DomainEvent::CampaignPaused(c) => vec![(
            "campaign.paused",
            json!({"campaign": {"id": c.id, "status": status_name(c.status), "paused_at": at(c.paused_at)}}),
        )],
        DomainEvent::CampaignDeleted(c) => {
            vec![("campaign.deleted", json!({"campaign": {"id": c.id}}))]
        }
        DomainEvent::ContactsAdded {
            campaign_id,
            prospect_ids,
        } => vec![(
            "campaign.contacts_added",
            json!({"campaign_id": campaign_id, "count": prospect_ids.len(), "contact_ids": prospect_ids}),
        )],
        _ => Vec::new(),
    };
    events
        .into_iter()
        .map(|(name, data)| (name, envelope(name, now_ms, data)))
        .collect()
}

fn headers(delivery: &DueDelivery, now_ms: i64) -> Vec<(&'static str, String)> {
    let signature = signature(&delivery.secret, delivery.body.as_bytes());
    vec![
        ("X-LeadLex-Signature", format!("sha256={signature}")),
        ("X-LeadLex-Timestamp", iso(now_ms)),
        ("X-LeadLex-Delivery-ID", delivery.id.clone()),
        ("User-Agent", "LeadLex-Webhook/1.0".into()),
    ]
}

/// Exponential: 30 s, 1 min, 2 min, ... (8 retries).
fn retry_after(attempts: u32) -> Option<u64> {
    (1..=8).contains(&attempts).then(|| 30u64 << (attempts - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_eight_times() {
        assert_eq!(retry_after(1), Some(30));
        assert_eq!(retry_after(4), Some(240));
        assert_eq!(retry_after(8), Some(3_840));
        assert_eq!(retry_after(9), None);
    }
}
