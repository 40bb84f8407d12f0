//! The canonical, Alta-style campaigns API (served on port P+1 under `/v1`).
//!
//! Alta publishes OpenAPI for pause; the rest of the lifecycle follows its
//! other public pages. Where Alta is silent the operation's description says
//! what the sandbox chose.

use dropshot::{HttpError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{EmptyReply, Iso8601, JsonInput, Reply};

/// The lifecycle status of an Alta campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignStatus {
    /// Created, never launched.
    Draft,
    /// Launched and reaching out to prospects.
    Active,
    /// Outreach halted until resumed.
    Paused,
    /// Every prospect has finished the sequence.
    Completed,
}

/// The `objectType` discriminator of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignObjectType {
    /// Always `campaign`.
    Campaign,
}

/// A campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Campaign {
    /// The campaign's UUID.
    pub id: uuid::Uuid,
    /// Always `campaign`.
    pub object_type: CampaignObjectType,
    /// When the campaign was created (ISO 8601).
    pub created_at: Iso8601,
    /// When the campaign last changed (ISO 8601).
    pub updated_at: Iso8601,
    /// The campaign's name (at most 255 characters).
    pub name: String,
    /// The campaign's description (at most 255 characters).
    pub description: Option<String>,
    /// Where the campaign is in its lifecycle.
    pub status: CampaignStatus,
    /// Whether the campaign has been archived.
    pub is_archived: bool,
    /// When the campaign was launched, if it has been (ISO 8601).
    pub launched_at: Option<Iso8601>,
}

/// Body of `createCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignCreate {
    /// The campaign's name: required, 1 to 255 characters, not blank.
    #[schemars(length(min = 1, max = 255), regex(pattern = r"\S"))]
    pub name: String,
    /// An optional description, at most 255 characters.
    #[serde(default)]
    #[schemars(length(max = 255))]
    pub description: Option<String>,
}

/// Optional body of `pauseCampaign`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PauseCampaignBody {
    /// When `true`, also pauses all active prospects in the campaign.
    #[serde(default)]
    pub pause_prospects: Option<bool>,
}

/// Optional body of `resumeCampaign`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResumeCampaignBody {
    /// When `true`, also resumes every paused prospect in the campaign.
    #[serde(default)]
    pub resume_prospects: Option<bool>,
}

/// The status of one prospect within its campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProspectStatus {
    /// Receiving the sequence.
    Active,
    /// Held: receives nothing until resumed.
    Paused,
    /// Finished every step.
    Completed,
    /// A send to this prospect bounced.
    Bounced,
    /// The prospect replied.
    Replied,
}

/// The `objectType` discriminator of a prospect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProspectObjectType {
    /// Always `prospect`.
    Prospect,
}

/// A prospect enrolled in a campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Prospect {
    /// The prospect's UUID.
    pub id: uuid::Uuid,
    /// Always `prospect`.
    pub object_type: ProspectObjectType,
    /// The campaign the prospect is enrolled in.
    pub campaign_id: uuid::Uuid,
    /// Email address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Company name.
    pub company: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// LinkedIn profile URL.
    pub linkedin_url: Option<String>,
    /// The prospect's own status.
    pub status: ProspectStatus,
    /// Index (0-based) of the next sequence step this prospect will receive.
    pub current_step: u32,
    /// When the prospect was added (ISO 8601).
    pub created_at: Iso8601,
    /// When the prospect last changed (ISO 8601).
    pub updated_at: Iso8601,
}

/// One prospect to add. Needs an email, a LinkedIn URL, a phone, or first
/// name + last name + company.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProspectCreate {
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Company name.
    #[serde(default)]
    pub company: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// LinkedIn profile URL.
    #[serde(default)]
    pub linkedin_url: Option<String>,
}

/// Body of `addProspects`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProspectsAdd {
    /// 1 to 20 prospects.
    #[schemars(length(min = 1, max = 20))]
    pub prospects: Vec<ProspectCreate>,
}

/// Result of `addProspects`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProspectsAdded {
    /// The prospects created, in request order.
    pub data: Vec<Prospect>,
}

/// A page of campaigns.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignPage {
    /// The campaigns on this page, oldest first.
    pub data: Vec<Campaign>,
    /// Whether a further page exists.
    pub has_more: bool,
    /// Cursor of the next page, if any.
    pub next: Option<String>,
    /// Cursor of the previous page, if any.
    pub previous: Option<String>,
}

/// A page of prospects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProspectPage {
    /// The prospects on this page, oldest first.
    pub data: Vec<Prospect>,
    /// Whether a further page exists.
    pub has_more: bool,
    /// Cursor of the next page, if any.
    pub next: Option<String>,
    /// Cursor of the previous page, if any.
    pub previous: Option<String>,
}

/// Cursor pagination parameters.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
pub struct PageParams {
    /// Page size, 1 to 100 (default 10).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// A `next` or `previous` cursor from an earlier page (opaque hex);
    /// any other value is a 400 `ValidationError`.
    #[schemars(length(min = 2), regex(pattern = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

/// Parameters of `listProspects`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProspectListParams {
    /// Only prospects of this campaign (a UUID). Changing it between pages
    /// is an error.
    #[schemars(with = "Option<uuid::Uuid>")]
    pub campaign_id: Option<String>,
    /// Page size, 1 to 100 (default 10).
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// A `next` or `previous` cursor from an earlier page (opaque hex);
    /// any other value is a 400 `ValidationError`.
    #[schemars(length(min = 2), regex(pattern = "^([0-9a-f]{2})+$"))]
    pub cursor: Option<String>,
}

/// Path of campaign operations.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignPath {
    /// The UUID of the campaign.
    #[schemars(with = "uuid::Uuid")]
    pub campaign_id: String,
}

/// Path of prospect operations.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProspectPath {
    /// The UUID of the prospect.
    #[schemars(with = "uuid::Uuid")]
    pub prospect_id: String,
}

/// Rate-limit headers sent with every authenticated answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RateLimitHeaders {
    /// Requests allowed per window.
    #[serde(rename = "RateLimit-Limit")]
    pub limit: u32,
    /// Requests left in the current window.
    #[serde(rename = "RateLimit-Remaining")]
    pub remaining: u32,
    /// Seconds until the allowance is whole again.
    #[serde(rename = "RateLimit-Reset")]
    pub reset: u64,
    /// The policy, e.g. `100;w=60`.
    #[serde(rename = "RateLimit-Policy")]
    pub policy: String,
}

/// Alta's error body, used by every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    /// Error type: `Unauthorized`, `NotFound`, `ValidationError`,
    /// `Forbidden`, `TooManyRequests` or `InternalServerError` (and the
    /// sandbox's `MethodNotAllowed` and `PayloadTooLarge`, for a wrong
    /// method and a body over the limit, which Alta does not document).
    pub error: String,
    /// Human-readable error message.
    pub message: String,
}

/// An Alta error answered before a handler runs (an unknown path, a wrong
/// method, a body over the limit, a request that could not be read), in
/// Alta's `{"error", "message"}` shape.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct AltaError {
    /// Error type.
    pub error: String,
    /// Human-readable error message.
    pub message: String,
    #[serde(skip)]
    #[schemars(skip)]
    status: u16,
}

impl AltaError {
    /// An error with the given status, type and message.
    pub fn new(status: u16, error: &str, message: impl Into<String>) -> Self {
        Self {
            error: error.to_string(),
            message: message.into(),
            status,
        }
    }
}

impl std::fmt::Display for AltaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error, self.message)
    }
}

impl From<HttpError> for AltaError {
    fn from(e: HttpError) -> Self {
        let status = e.status_code.as_u16();
        let kind = match status {
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            413 => "PayloadTooLarge",
            429 => "TooManyRequests",
            s if s >= 500 => "InternalServerError",
            _ => "ValidationError",
        };
        let message = match status {
            401 => "Invalid API token".to_string(),
            404 => "Resource not found".to_string(),
            _ => e.external_message,
        };
        Self::new(status, kind, message)
    }
}

impl crate::wire::Rejection for AltaError {}

crate::wire::status_field_error!(AltaError);

/// A reply of the Alta face.
pub type AltaReply<T> = Reply<T, RateLimitHeaders>;
/// What every Alta endpoint returns.
pub type AltaResult<T> = Result<AltaReply<T>, AltaError>;
/// What Alta's bodiless state changes (pause, resume) return: `200` with
/// no body, as Alta's published OpenAPI says.
pub type AltaEmptyResult = Result<EmptyReply, AltaError>;

/// The Alta-style campaigns API.
#[dropshot::api_description]
pub trait AltaApi {
    /// Server state shared by every handler.
    type Context;

    /// Create a campaign
    ///
    /// Creates a draft campaign. `name` is required (1–255 characters) and
    /// `description` is at most 255 characters; anything else is a 400
    /// `ValidationError`. Alta launches campaigns in its app: in the sandbox,
    /// launch with the sandbox control API.
    #[endpoint { method = POST, path = "/v1/campaigns", tags = ["Campaigns"], operation_id = "createCampaign" }]
    async fn create_campaign(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<CampaignCreate>,
    ) -> AltaResult<Campaign>;

    /// List campaigns
    ///
    /// Lists the account's campaigns, oldest first, with cursor pagination:
    /// `limit` 1–100 (default 10) and the `next`/`previous` cursor of an
    /// earlier page. A malformed cursor is a 400 `ValidationError`.
    #[endpoint { method = GET, path = "/v1/campaigns", tags = ["Campaigns"], operation_id = "listCampaigns" }]
    async fn list_campaigns(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<PageParams>,
    ) -> AltaResult<CampaignPage>;

    /// Get a campaign
    ///
    /// Returns one campaign. A campaignId that is not a UUID is a 400
    /// `ValidationError` (sandbox choice); an unknown one is a 404.
    #[endpoint { method = GET, path = "/v1/campaigns/{campaignId}", tags = ["Campaigns"], operation_id = "getCampaign" }]
    async fn get_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
    ) -> AltaResult<Campaign>;

    /// Pause a campaign
    ///
    /// Pauses an active campaign, halting outreach to all prospects until
    /// resumed. Optionally pause all prospects in the campaign. The body is
    /// optional: absent, empty and `{}` all mean `pauseProspects: false`.
    /// As Alta's published OpenAPI says, the answer is `200` with no body:
    /// read the new state with `getCampaign`. Sandbox choices where Alta is
    /// silent: pausing a paused campaign is a 200 no-op; pausing a draft or
    /// completed campaign is a 400 `ValidationError` "Campaign is not
    /// active"; a campaignId that is not a UUID is a 400.
    #[endpoint { method = POST, path = "/v1/campaigns/{campaignId}/pause", tags = ["Campaigns"], operation_id = "pauseCampaign" }]
    async fn pause_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
        body: JsonInput<PauseCampaignBody, true>,
    ) -> AltaEmptyResult;

    /// Resume a campaign
    ///
    /// Resumes a paused campaign: each prospect continues from the step
    /// where it stopped. With `resumeProspects: true`, paused prospects are
    /// resumed too; otherwise a prospect paused on its own stays paused.
    /// The answer is `200` with no body, like pause's in Alta's published
    /// OpenAPI (sandbox choice: Alta publishes no document for resume, and
    /// a client written for pause must not meet a different convention on
    /// its mirror; read the new state with `getCampaign`). Sandbox choices:
    /// resuming an active campaign is a 200 no-op; resuming
    /// a draft or completed campaign is a 400 `ValidationError` "Campaign is
    /// not paused".
    #[endpoint { method = POST, path = "/v1/campaigns/{campaignId}/resume", tags = ["Campaigns"], operation_id = "resumeCampaign" }]
    async fn resume_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
        body: JsonInput<ResumeCampaignBody, true>,
    ) -> AltaEmptyResult;

    /// Add prospects to a campaign
    ///
    /// Adds 1 to 20 prospects. Each needs an email, a LinkedIn URL, a phone,
    /// or first name + last name + company. Limited to 10 requests per
    /// minute per account, besides the account's overall limit. Prospects
    /// added to an active campaign start at the first step.
    #[endpoint { method = POST, path = "/v1/campaigns/{campaignId}/prospects", tags = ["Prospects"], operation_id = "addProspects" }]
    async fn add_prospects(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
        body: JsonInput<ProspectsAdd>,
    ) -> AltaResult<ProspectsAdded>;

    /// List prospects
    ///
    /// Lists prospects, oldest first, optionally of one campaign
    /// (`campaignId`), with cursor pagination. Changing `campaignId` between
    /// pages is a 400 `ValidationError`.
    #[endpoint { method = GET, path = "/v1/prospects", tags = ["Prospects"], operation_id = "listProspects" }]
    async fn list_prospects(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<ProspectListParams>,
    ) -> AltaResult<ProspectPage>;

    /// Pause a prospect
    ///
    /// Pauses one prospect: it receives nothing until resumed, even while
    /// its campaign is active. Pausing a paused prospect is a no-op; a
    /// completed, bounced or replied prospect is a 400 `ValidationError`.
    #[endpoint { method = POST, path = "/v1/prospects/{prospectId}/pause", tags = ["Prospects"], operation_id = "pauseProspect" }]
    async fn pause_prospect(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<ProspectPath>,
    ) -> AltaResult<Prospect>;

    /// Resume a prospect
    ///
    /// Resumes one paused prospect from the step where it stopped. Resuming
    /// an active prospect is a no-op; a completed, bounced or replied
    /// prospect is a 400 `ValidationError`.
    #[endpoint { method = POST, path = "/v1/prospects/{prospectId}/resume", tags = ["Prospects"], operation_id = "resumeProspect" }]
    async fn resume_prospect(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<ProspectPath>,
    ) -> AltaResult<Prospect>;
}
