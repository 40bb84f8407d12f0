//! The Leadterra face (port P+3): email sequences, paths as documented
//! (they start with `/v1`), `Authorization: Bearer sk_live_...|sk_test_...`.
//!
//! Leadterra documents its error codes but not their body: the sandbox
//! answers `{"error": {"code", "message"}}`.

use dropshot::{HttpError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{Iso8601, JsonInput, Reply};

/// Answer of `pauseCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PauseResult {
    /// The campaign ID.
    pub id: String,
    /// `paused` on success; the current status (`draft`) for the no-op.
    pub status: String,
    /// When the campaign transitioned to `paused` (ISO 8601); null for a
    /// draft.
    pub paused_at: Option<Iso8601>,
}

/// Answer of `startCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StartResult {
    /// The campaign ID.
    pub id: String,
    /// `running`.
    pub status: String,
    /// When the campaign (last) started (ISO 8601).
    pub started_at: Iso8601,
}

/// One email of a sequence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SequenceStep {
    /// The subject line.
    pub subject: String,
    /// The HTML body.
    pub body_html: String,
}

/// Body of `createCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignCreate {
    /// The campaign's name (not blank).
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub name: String,
    /// The emails, in order.
    #[serde(default)]
    pub sequence_steps: Vec<SequenceStep>,
}

/// A campaign as created.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    /// The campaign ID (`camp_...`).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `draft`.
    pub status: String,
    /// The emails, in order.
    pub sequence_steps: Vec<SequenceStep>,
    /// When it was created (ISO 8601).
    pub created_at: Iso8601,
}

/// One lead to enroll.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    /// Email address (required; leads are matched by it).
    #[schemars(regex(pattern = "@"))]
    pub email: String,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Company.
    #[serde(default)]
    pub company: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
}

/// Body of `enrollLeads`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadsBulk {
    /// The leads.
    pub leads: Vec<Lead>,
}

/// Answer of `enrollLeads`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LeadsBulkResult {
    /// Leads new to the campaign.
    pub enrolled: u64,
    /// Leads already enrolled, whose fields were updated (they keep their
    /// position in the sequence).
    pub updated: u64,
    /// Leads in the campaign now.
    pub total: u64,
}

/// Answer of `getCampaignStats`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignStats {
    /// The campaign ID.
    pub campaign_id: String,
    /// Leads enrolled.
    pub total_enrolled: u64,
    /// Emails sent (in transit or delivered).
    pub sent: u64,
    /// Emails delivered.
    pub delivered: u64,
    /// Leads whose email bounced.
    pub bounced: u64,
    /// Leads who replied.
    pub replied: u64,
    /// Emails queued; while paused, the held messages.
    pub queued: u64,
    /// Opens per delivered email (the sandbox records no opens: 0).
    pub open_rate: f64,
    /// Replies per delivered email.
    pub reply_rate: f64,
}

/// Body of `createWebhook`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    /// Where deliveries are POSTed. Leadterra requires https; the sandbox
    /// also accepts plain http on loopback (127.0.0.1, localhost).
    #[schemars(regex(
        pattern = r"^(https://[^/?#@\s:]+|http://(127\.0\.0\.1|localhost|\[::1\]))(:[0-9]{1,5})?([/?#]\S*)?$"
    ))]
    pub url: String,
    /// Events to deliver: `campaign.started`, `message.sent`,
    /// `message.bounced`, `reply.received`.
    #[schemars(length(min = 1))]
    pub events: Vec<String>,
}

/// A webhook subscription.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// The webhook ID (`wh_...`).
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// Its events.
    pub events: Vec<String>,
    /// `active`.
    pub status: String,
    /// When it was created (ISO 8601).
    pub created_at: Iso8601,
    /// The signing secret of `X-Leadterra-Signature` (hex HMAC-SHA256 of the
    /// raw body). Shown once, in this answer only.
    pub signing_secret: String,
}

/// Answer of `createWebhook`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WebhookCreated {
    /// The subscription.
    pub webhook: Webhook,
}

/// The code and message of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// `invalid_request`, `authentication_failed`, `campaign_not_found`,
    /// `no_leads_enrolled`, `no_sequence_steps`, `internal_error`; and
    /// `not_found` (no such path), `method_not_allowed` and
    /// `payload_too_large`.
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// Leadterra's error body (sandbox choice: the shape is not documented).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct LeadterraError {
    /// The error.
    pub error: ErrorDetail,
    #[serde(skip)]
    #[schemars(skip)]
    status: u16,
}

impl LeadterraError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
            },
            status,
        }
    }

    /// Its status.
    pub fn status(&self) -> u16 {
        self.status
    }
}

impl std::fmt::Display for LeadterraError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status, self.error.code, self.error.message
        )
    }
}

impl From<HttpError> for LeadterraError {
    fn from(e: HttpError) -> Self {
        let status = e.status_code.as_u16();
        let code = match status {
            404 => "not_found",
            405 => "method_not_allowed",
            413 => "payload_too_large",
            s if s >= 500 => "internal_error",
            _ => "invalid_request",
        };
        Self::new(status, code, e.external_message)
    }
}

impl crate::wire::Rejection for LeadterraError {}

crate::wire::status_field_error!(LeadterraError);

/// Path of campaign operations.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IdPath {
    /// The campaign ID, e.g. `camp_123`.
    pub id: String,
}

/// What every Leadterra endpoint returns.
pub type LeadterraResult<T> = Result<Reply<T>, LeadterraError>;

/// The Leadterra email-sequence API.
#[dropshot::api_description]
pub trait LeadterraApi {
    /// Server state shared by every handler.
    type Context;

    /// Pause a Running Campaign
    ///
    /// Pauses a running campaign immediately. Queued messages not yet sent
    /// are held and resume from the same position; emails in transit are
    /// still delivered. Pausing a `paused` or `draft` campaign is a no-op
    /// that returns the current state. The endpoint accepts no request body
    /// (an empty body with `Content-Type: application/json`, or `{}`, is
    /// fine) and no query parameters: anything else is a 400
    /// `invalid_request`.
    #[endpoint { method = POST, path = "/v1/campaigns/{id}/pause", tags = ["Campaigns"], operation_id = "pauseCampaign" }]
    async fn pause_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
        body: JsonInput<serde_json::Map<String, serde_json::Value>, true>,
    ) -> LeadterraResult<PauseResult>;

    /// Start a Campaign
    ///
    /// Starting a draft queues step 1 for every enrolled lead; starting a
    /// paused campaign resumes where it left off; starting a running one is
    /// a no-op. A campaign without leads is a 400 `no_leads_enrolled`, one
    /// without steps a 400 `no_sequence_steps`.
    #[endpoint { method = POST, path = "/v1/campaigns/{id}/start", tags = ["Campaigns"], operation_id = "startCampaign" }]
    async fn start_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
        body: JsonInput<serde_json::Map<String, serde_json::Value>, true>,
    ) -> LeadterraResult<StartResult>;

    /// Create a Campaign
    ///
    /// Creates a draft campaign with its email sequence. Sandbox choice
    /// (Leadterra documents no delays): step 1 is sent when the campaign
    /// starts, each later step two days after the previous one.
    #[endpoint { method = POST, path = "/v1/campaigns", tags = ["Campaigns"], operation_id = "createCampaign" }]
    async fn create_campaign(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<CampaignCreate>,
    ) -> LeadterraResult<Campaign>;

    /// Bulk Enroll Leads
    ///
    /// Enrolls leads, matched by email: new leads are enrolled (starting at
    /// step 1 if the campaign is running); existing leads are updated and
    /// keep their position.
    #[endpoint { method = POST, path = "/v1/campaigns/{id}/leads/bulk", tags = ["Leads"], operation_id = "enrollLeads", request_body_max_bytes = 1048576 }]
    async fn enroll_leads(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
        body: JsonInput<LeadsBulk>,
    ) -> LeadterraResult<LeadsBulkResult>;

    /// Get Campaign Stats
    ///
    /// Counts of the campaign's emails; a non-zero `queued` while paused
    /// means held messages.
    #[endpoint { method = GET, path = "/v1/campaigns/{id}/stats", tags = ["Campaigns"], operation_id = "getCampaignStats" }]
    async fn get_campaign_stats(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
    ) -> LeadterraResult<CampaignStats>;

    /// Create a Webhook
    ///
    /// Subscribes a URL to events (`campaign.started`, `message.sent`,
    /// `message.bounced`, `reply.received`). Deliveries are POSTs of
    /// `{event, timestamp, data}` signed with `X-Leadterra-Signature`, the
    /// hex HMAC-SHA256 of the raw body with the signing secret returned
    /// here once. Sandbox choice: plain http is accepted on loopback.
    #[endpoint { method = POST, path = "/v1/webhooks", tags = ["Webhooks"], operation_id = "createWebhook" }]
    async fn create_webhook(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<WebhookCreate>,
    ) -> LeadterraResult<WebhookCreated>;
}
