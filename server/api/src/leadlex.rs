//! The Leadlex face (port P+4): paths under `/functions/v1/api-gateway` as
//! documented, `Authorization: Bearer wbk_...` keys with scopes, expiry and
//! rate tiers, errors as `{"error": {"code", "message", "details"}}`.

use dropshot::{HttpError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{Iso8601, JsonInput, Reply};

/// The campaign fields of a pause.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PausedCampaign {
    /// Campaign ID.
    pub id: String,
    /// Always `paused` on success.
    pub status: String,
    /// When it was paused (ISO 8601).
    pub paused_at: Iso8601,
}

/// `data` of a pause.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PauseData {
    /// The campaign.
    pub campaign: PausedCampaign,
}

/// Answer of `pauseCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PauseResponse {
    /// The pause.
    pub data: PauseData,
}

/// `data` of a start.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StartData {
    /// Campaign ID.
    pub campaign_id: String,
    /// `active`, or `pending_approval` when the workspace requires approval.
    pub status: String,
    /// The start task's ID.
    pub task_id: String,
}

/// Answer of `startCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StartResponse {
    /// The start.
    pub data: StartData,
}

/// A campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Campaign {
    /// Campaign ID (`cmp_...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `draft`, `active`, `paused`, `completed` or `pending_approval`.
    pub status: String,
    /// Contacts in the campaign.
    pub contact_count: u64,
    /// Sequence steps.
    pub step_count: u64,
    /// Created (ISO 8601).
    pub created_at: Iso8601,
    /// Last change (ISO 8601).
    pub updated_at: Iso8601,
    /// Last pause (ISO 8601), if any.
    pub paused_at: Option<Iso8601>,
}

/// `data` of a get.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignData {
    /// The campaign.
    pub campaign: Campaign,
}

/// Answer of `getCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignResponse {
    /// The campaign.
    pub data: CampaignData,
}

/// Page metadata.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PageMeta {
    /// This page (1-based).
    pub page: u32,
    /// Items per page.
    pub per_page: u32,
    /// Items in all.
    pub total: u64,
}

/// Answer of `listCampaigns`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignListResponse {
    /// The campaigns on this page, oldest first.
    pub data: Vec<Campaign>,
    /// Where this page is.
    pub meta: PageMeta,
}

/// A contact of a campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Contact {
    /// Contact ID.
    pub contact_id: String,
    /// Full name.
    pub full_name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// `active`, `paused`, `completed`, `bounced` or `replied`.
    pub status: String,
    /// The next step (1-based) this contact will receive; the step count
    /// plus one once finished.
    pub current_step: u32,
    /// When the contact was added (ISO 8601).
    pub added_at: Iso8601,
    /// When the last email to it was sent (ISO 8601).
    pub last_sent_at: Option<Iso8601>,
}

/// Answer of `listCampaignContacts`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ContactListResponse {
    /// The contacts on this page, in the order they were added.
    pub data: Vec<Contact>,
    /// Where this page is.
    pub meta: PageMeta,
}

/// Page parameters.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PageParams {
    /// Page number, from 1 (default 1).
    #[schemars(range(min = 1, max = 4294967295_u32))]
    pub page: Option<u32>,
    /// Items per page, 1 to 100 (default 20).
    #[schemars(range(min = 1, max = 100))]
    pub per_page: Option<u32>,
}

/// The code, message and details of an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// `invalid_key`, `insufficient_permissions`, `campaign_not_found`,
    /// `campaign_not_active`, `rate_limited`, `validation_error`,
    /// `internal_error`; and the sandbox's `not_found` (no such path),
    /// `method_not_allowed` and `payload_too_large`.
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// More about it, or null.
    pub details: Option<serde_json::Value>,
}

/// Leadlex's error body.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct LeadlexError {
    /// The error.
    pub error: ErrorDetail,
    #[serde(skip)]
    #[schemars(skip)]
    status: u16,
}

impl LeadlexError {
    /// An error with a status, code, message and details.
    pub fn new(
        status: u16,
        code: &str,
        message: impl Into<String>,
        details: Option<serde_json::Value>,
    ) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                details,
            },
            status,
        }
    }

    /// Its status.
    pub fn status(&self) -> u16 {
        self.status
    }
}

impl std::fmt::Display for LeadlexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status, self.error.code, self.error.message
        )
    }
}

impl From<HttpError> for LeadlexError {
    fn from(e: HttpError) -> Self {
        let status = e.status_code.as_u16();
        let code = match status {
            404 => "not_found",
            405 => "method_not_allowed",
            413 => "payload_too_large",
            s if s >= 500 => "internal_error",
            _ => "validation_error",
        };
        Self::new(status, code, e.external_message, None)
    }
}

impl crate::wire::Rejection for LeadlexError {}

crate::wire::status_field_error!(LeadlexError);

/// Rate-limit headers of every authenticated answer (with `X-Request-ID`,
/// which every answer carries).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RateLimitHeaders {
    /// Requests allowed per minute for the key's tier.
    #[serde(rename = "X-RateLimit-Limit")]
    pub limit: u32,
    /// Requests left in the window.
    #[serde(rename = "X-RateLimit-Remaining")]
    pub remaining: u32,
    /// When the allowance is whole again (epoch seconds).
    #[serde(rename = "X-RateLimit-Reset")]
    pub reset: i64,
}

/// Path of campaign operations.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IdPath {
    /// The campaign's ID, e.g. `cmp_abc123`.
    pub id: String,
}

/// What every Leadlex endpoint returns.
pub type LeadlexResult<T> = Result<Reply<T, RateLimitHeaders>, LeadlexError>;

/// The Leadlex outreach API.
#[dropshot::api_description]
pub trait LeadlexApi {
    /// Server state shared by every handler.
    type Context;

    /// Pause Campaign
    ///
    /// Pause an active campaign; in-flight sends complete but no new sends
    /// are scheduled. Requires `campaigns:write`; the campaign must be
    /// `active` (anything else is a 409 `campaign_not_active`). Fires the
    /// `campaign.paused` webhook event. No request body is needed; one is
    /// ignored.
    #[endpoint { method = POST, path = "/functions/v1/api-gateway/v1/campaigns/{id}/pause", tags = ["Campaigns"], operation_id = "pauseCampaign" }]
    async fn pause_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
        body: JsonInput<serde_json::Value, true>,
    ) -> LeadlexResult<PauseResponse>;

    /// Start Campaign
    ///
    /// Starts a draft or resumes a paused campaign: `active`, or
    /// `pending_approval` when the workspace requires approval (sandbox
    /// choice: otherwise a resume goes straight to `active`). Requires
    /// `campaigns:write`. An empty campaign (no contacts or no steps) or one
    /// already running is a 400 `validation_error`.
    #[endpoint { method = POST, path = "/functions/v1/api-gateway/v1/campaigns/{id}/start", tags = ["Campaigns"], operation_id = "startCampaign" }]
    async fn start_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
        body: JsonInput<serde_json::Value, true>,
    ) -> LeadlexResult<StartResponse>;

    /// Get Campaign
    ///
    /// One campaign. Requires `campaigns:read`.
    #[endpoint { method = GET, path = "/functions/v1/api-gateway/v1/campaigns/{id}", tags = ["Campaigns"], operation_id = "getCampaign" }]
    async fn get_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
    ) -> LeadlexResult<CampaignResponse>;

    /// List Campaigns
    ///
    /// The workspace's campaigns, oldest first, `page` (from 1) and
    /// `per_page` (1–100, default 20). Requires `campaigns:read`. Sandbox
    /// choice for the undocumented shape: `{data: [...], meta}`.
    #[endpoint { method = GET, path = "/functions/v1/api-gateway/v1/campaigns", tags = ["Campaigns"], operation_id = "listCampaigns" }]
    async fn list_campaigns(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<PageParams>,
    ) -> LeadlexResult<CampaignListResponse>;

    /// List Campaign Contacts
    ///
    /// The campaign's contacts with their `current_step` (1-based, from the
    /// engine), paged like campaigns. Requires `campaigns:read`.
    #[endpoint { method = GET, path = "/functions/v1/api-gateway/v1/campaigns/{id}/contacts", tags = ["Contacts"], operation_id = "listCampaignContacts" }]
    async fn list_campaign_contacts(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
        query: dropshot::Query<PageParams>,
    ) -> LeadlexResult<ContactListResponse>;
}
