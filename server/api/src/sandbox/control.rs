//! The sandbox API's controls and observations: the clock, faults,
//! webhooks and their deliveries, sinks, paths and listings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Dialect;
use crate::wire::Iso8601;

/// Clock modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Wall-clock time.
    Real,
    /// Moves only when advanced through this API.
    Virtual,
    /// The wall clock, stopped by `freezeClock` until `unfreezeClock`.
    Frozen,
}

/// The sandbox clock.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// Real, frozen or virtual.
    pub mode: ClockMode,
    /// The current time.
    pub now: Iso8601,
}

/// Body of `advanceClock`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClockAdvance {
    /// Seconds to move forward.
    #[serde(default)]
    #[schemars(range(max = 9007199254740991_u64))]
    pub seconds: u64,
    /// Extra milliseconds to move forward.
    #[serde(default)]
    #[schemars(range(max = 9007199254740991_u64))]
    pub millis: u64,
}

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// The request fails with the face's internal-error answer.
    Error,
    /// The request is delayed by `delayMs`, then served normally.
    Delay,
}

/// Body of `injectFault`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultCreate {
    /// The face whose operation is affected.
    pub dialect: Dialect,
    /// The operationId, e.g. `pauseCampaign`.
    pub operation_id: String,
    /// How many of the next requests are affected (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 4294967295_u32))]
    pub count: Option<u32>,
    /// Error or delay.
    pub kind: FaultKind,
    /// Delay in milliseconds (for `delay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 9007199254740991_u64))]
    pub delay_ms: Option<u64>,
}

/// An armed fault.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FaultView {
    /// The face.
    pub dialect: Dialect,
    /// The operationId.
    pub operation_id: String,
    /// Requests still to be affected.
    pub remaining: u32,
    /// Error or delay.
    pub kind: FaultKind,
    /// Delay in milliseconds.
    pub delay_ms: u64,
}

/// Path with a workspace id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspacePath {
    /// The workspace id.
    pub workspace_id: String,
}

/// Path with a campaign id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignIdPath {
    /// The campaign id.
    pub campaign_id: String,
}

/// Body of `createWebhook`: a subscription (Leadlex's own subscription
/// endpoint is not documented; Leadterra's is, on its face).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSubscribe {
    /// Where deliveries are POSTed: https, or plain http on loopback.
    #[schemars(regex(
        pattern = r"^(https://[^/?#@\s:]+|http://(127\.0\.0\.1|localhost|\[::1\]))(:[0-9]{1,5})?([/?#]\S*)?$"
    ))]
    pub url: String,
    /// The vendor's event names.
    #[schemars(length(min = 1))]
    pub events: Vec<String>,
}

/// A webhook subscription.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    /// Its id.
    pub id: String,
    /// Its workspace.
    pub workspace_id: String,
    /// Where deliveries go.
    pub url: String,
    /// Its events.
    pub events: Vec<String>,
    /// Created.
    pub created_at: Iso8601,
    /// The signing secret: shown once, when created; null afterwards.
    pub signing_secret: Option<String>,
}

/// One attempt of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttempt {
    /// 1, 2, ...
    pub attempt: u32,
    /// When it was made (sandbox clock).
    pub at: Iso8601,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is under way.
    Sending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt of the schedule failed.
    Failed,
}

/// One event delivery to one webhook, with every attempt.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    /// The stable delivery id (the de-duplication key).
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event name.
    pub event: String,
    /// The body exactly as sent (the signature covers these bytes).
    pub body: String,
    /// State.
    pub state: DeliveryState,
    /// When the event was recorded.
    pub created_at: Iso8601,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<Iso8601>,
    /// When it was delivered.
    pub delivered_at: Option<Iso8601>,
    /// Every attempt, in order.
    pub attempts: Vec<DeliveryAttempt>,
}

/// Query of `listDeliveries`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryQuery {
    /// Only this webhook's deliveries.
    pub webhook_id: Option<String>,
    /// Only this event.
    pub event: Option<String>,
}

/// Path with a delivery id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPath {
    /// The delivery id.
    pub delivery_id: String,
}

/// Path of a sink.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SinkPath {
    /// The sink's name.
    pub name: String,
}

/// Query of a sink's receiving endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SinkAnswer {
    /// The status to answer with (default 200): point a webhook at
    /// `/sink/<name>?status=500` to watch retries.
    #[schemars(range(min = 200, max = 599))]
    pub status: Option<u16>,
}

/// A request a sink received.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkRequest {
    /// Received at (sandbox clock).
    pub at: Iso8601,
    /// Its headers (lower-case names).
    pub headers: std::collections::BTreeMap<String, String>,
    /// Its body as text.
    pub body: String,
    /// The status the sink answered.
    pub answered: u16,
}

/// Path with a prospect id.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProspectIdPath {
    /// The prospect id.
    pub prospect_id: String,
}

/// A list of items.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Listing<T> {
    /// The items.
    pub items: Vec<T>,
}
