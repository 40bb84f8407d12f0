//! Leadterra's webhooks: its four events, their bodies, its signature
//! headers and its retry schedule.

use campaign_engine::{DomainEvent, DueDelivery};
use serde::Serialize;
use serde_json::json;

use crate::delivery::{WebhookRules, envelope, iso, signature};

/// Leadterra's webhook rules.
pub static WEBHOOKS: WebhookRules = WebhookRules {
    events: &[
        "campaign.started",
        "message.sent",
        "message.bounced",
        "reply.received",
    ],
    bodies,
    headers,
    retry_after,
};

/// `message.sent`, with its fields in the documented order.
#[derive(Serialize)]
struct MessageSent<'a> {
    event: &'static str,
    timestamp: String,
    data: SentData<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SentData<'a> {
    campaign_id: &'a str,
    lead_id: &'a str,
    email: Option<&'a str>,
    step: u32,
    sent_at: String,
}

fn bodies(event: &DomainEvent<'_>, now_ms: i64) -> Vec<(&'static str, String)> {
    let at = |t: Option<campaign_engine::Time>| t.map(campaign_api::wire::Iso8601);
    let (name, data) = match event {
        DomainEvent::CampaignStarted(c) => (
            "campaign.started",
            json!({"id": c.id, "status": "running", "startedAt": at(c.started_at)}),
        ),
        DomainEvent::MessageBounced(p, step) => (
            "message.bounced",
            json!({"campaignId": p.campaign_id, "leadId": p.id, "email": p.email, "step": step,
                   "bouncedAt": at(Some(p.updated_at))}),
        ),
        DomainEvent::ReplyReceived(p) => (
            "reply.received",
            json!({"campaignId": p.campaign_id, "leadId": p.id, "email": p.email,
                   "receivedAt": at(Some(p.updated_at))}),
        ),
        DomainEvent::MessageSent(m) => {
            let body = MessageSent {
                event: "message.sent",
                timestamp: iso(now_ms),
                data: SentData {
                    campaign_id: &m.campaign_id,
                    lead_id: &m.prospect_id,
                    email: m.email.as_deref(),
                    step: m.position + 1,
                    sent_at: iso(m.started_at_ms),
                },
            };
            let body = serde_json::to_string(&body).expect("plain structs serialize");
            return vec![("message.sent", body)];
        }
        _ => return Vec::new(),
    };
    vec![(name, envelope(name, now_ms, data))]
}

fn headers(delivery: &DueDelivery, _now_ms: i64) -> Vec<(&'static str, String)> {
    vec![
        (
            "X-Leadterra-Signature",
            signature(&delivery.secret, delivery.body.as_bytes()),
        ),
        ("X-Leadterra-Delivery-ID", delivery.id.clone()),
        ("User-Agent", "Leadterra-Webhook/1.0".into()),
    ]
}

/// About 1 min, 5 min, 30 min, 2 h and 8 h after each failure.
fn retry_after(attempts: u32) -> Option<u64> {
    [60, 300, 1_800, 7_200, 28_800]
        .get((attempts as usize).checked_sub(1)?)
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_follow_the_documented_schedule() {
        let schedule: Vec<_> = (1..=6).map(retry_after).collect();
        assert_eq!(
            schedule,
            [
                Some(60),
                Some(300),
                Some(1_800),
                Some(7_200),
                Some(28_800),
                None
            ]
        );
    }

    #[test]
    fn message_sent_keeps_the_documented_field_order() {
        let message = campaign_engine::SentMessage {
            campaign_id: "camp_1".into(),
            prospect_id: "lead_1".into(),
            email: Some("a@b.c".into()),
            position: 0,
            started_at_ms: 1_767_603_600_000,
        };
        let bodies = bodies(&DomainEvent::MessageSent(&message), 1_767_603_601_000);
        assert_eq!(
            bodies,
            [(
                "message.sent",
                r#"{"event":"message.sent","timestamp":"2026-01-05T09:00:01Z","data":{"campaignId":"camp_1","leadId":"lead_1","email":"a@b.c","step":1,"sentAt":"2026-01-05T09:00:00Z"}}"#.to_string()
            )]
        );
    }
}
