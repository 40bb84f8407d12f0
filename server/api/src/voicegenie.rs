//! The VoiceGenie face (port P+2): voice-call campaigns, paths exactly as
//! VoiceGenie documents them (no prefix), `x-api-key` auth and the
//! `{success, data, message}` envelope.

use dropshot::{HttpError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{Iso8601, JsonInput, Reply};

/// Data of a pause.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PauseData {
    /// ID of the paused campaign.
    pub campaign_id: String,
    /// New status of the campaign: `paused`.
    pub status: String,
    /// When the campaign was paused (ISO 8601).
    pub paused_at: Iso8601,
    /// Number of calls still in progress; they complete normally.
    pub active_calls: u64,
}

/// Answer of `pauseCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PauseResponse {
    /// Always `true`.
    pub success: bool,
    /// The pause.
    pub data: PauseData,
    /// `Campaign paused successfully. Active calls will complete normally.`
    pub message: String,
}

/// Data of a start.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StartData {
    /// ID of the started campaign.
    pub campaign_id: String,
    /// New status: `running`.
    pub status: String,
    /// When the campaign started (ISO 8601).
    pub started_at: Iso8601,
}

/// Answer of `startCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StartResponse {
    /// Always `true`.
    pub success: bool,
    /// The start.
    pub data: StartData,
    /// `Campaign started successfully`.
    pub message: String,
}

/// A voice campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Campaign {
    /// The campaign's UUID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `draft`, `scheduled`, `running`, `paused` or `completed`.
    pub campaign_status: String,
    /// The call script, if any.
    pub script_id: Option<String>,
    /// Its contacts' ids.
    pub contact_ids: Vec<String>,
    /// Number of contacts.
    pub total_count: u64,
    /// Calls completed.
    pub completed_count: u64,
    /// Calls failed.
    pub failed_count: u64,
    /// Created (ISO 8601).
    pub created_at: Iso8601,
    /// Last change (ISO 8601).
    pub updated_at: Iso8601,
}

/// Answer of `getCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignResponse {
    /// Always `true`.
    pub success: bool,
    /// The campaign.
    pub data: Campaign,
    /// `Campaign fetched successfully`.
    pub message: String,
}

/// Offset pagination of a list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Pagination {
    /// Campaigns in all.
    pub total: u64,
    /// Page size.
    pub limit: u32,
    /// Offset of this page.
    pub offset: u64,
}

/// Data of a list.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignList {
    /// The campaigns on this page, oldest first.
    pub campaigns: Vec<Campaign>,
    /// Where this page is.
    pub pagination: Pagination,
}

/// Answer of `listCampaigns`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignListResponse {
    /// Always `true`.
    pub success: bool,
    /// The page.
    pub data: CampaignList,
    /// `Campaigns fetched successfully`.
    pub message: String,
}

/// Query of `listCampaigns`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ListParams {
    /// Page size, 1 to 1000 (default 10).
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
    /// Campaigns to skip (default 0; at most 2^53 - 1).
    #[schemars(range(max = 9007199254740991_u64))]
    pub offset: Option<u64>,
}

/// Data of a delete.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeleteData {
    /// ID of the deleted campaign.
    pub campaign_id: String,
    /// Always `true`.
    pub deleted: bool,
}

/// Answer of `deleteCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DeleteResponse {
    /// Always `true`.
    pub success: bool,
    /// The delete.
    pub data: DeleteData,
    /// `Campaign deleted successfully`.
    pub message: String,
}

/// One contact to call.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ContactUpload {
    /// The number to call (required).
    pub phone_number: Option<String>,
    /// The contact's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The contact's email.
    #[serde(default)]
    pub email: Option<String>,
}

/// Body of `uploadCampaignData`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignUpload {
    /// The campaign's name (required, not blank).
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub campaign_name: String,
    /// Contacts to call; duplicate phone numbers are skipped.
    pub contacts: Vec<ContactUpload>,
    /// The call script.
    #[serde(default)]
    pub script_id: Option<String>,
    /// When to start (ISO 8601 date-time): the campaign is `scheduled` and
    /// starts itself then, on the sandbox clock (at once when the time has
    /// passed). Needs `script_id` and contacts.
    #[serde(default)]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub schedule_time: Option<String>,
}

/// A contact that was not uploaded.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadError {
    /// Index of the contact in the request.
    pub index: u64,
    /// Its phone number, if it had one.
    pub phone_number: Option<String>,
    /// Why it was skipped.
    pub reason: String,
}

/// Data of an upload.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadData {
    /// The new campaign's UUID.
    pub campaign_id: String,
    /// Contacts uploaded.
    pub uploaded_count: u64,
    /// Contacts skipped.
    pub failed_count: u64,
    /// Why each skipped contact was skipped.
    pub errors: Vec<UploadError>,
}

/// Answer of `uploadCampaignData`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UploadResponse {
    /// Always `true`.
    pub success: bool,
    /// The upload.
    pub data: UploadData,
    /// `Campaign data uploaded successfully`.
    pub message: String,
}

/// Details of an `INVALID_CAMPAIGN_STATE` error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetails {
    /// What the campaign lacks: `script_id`, `contacts`.
    pub missing: Vec<String>,
}

/// VoiceGenie's error body. `error` is absent on 401 (as documented).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub message: String,
    /// The error code: `CAMPAIGN_NOT_RUNNING`, `NOT_FOUND`,
    /// `CAMPAIGN_ALREADY_RUNNING`, `INVALID_CAMPAIGN_STATE`,
    /// `CAMPAIGN_RUNNING`, `RATE_LIMIT_EXCEEDED`, `VALIDATION_ERROR`,
    /// `METHOD_NOT_ALLOWED`, `INTERNAL_ERROR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Details, for `INVALID_CAMPAIGN_STATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
}

/// A VoiceGenie error answered before a handler runs (an unknown path, a
/// wrong method, a body over the limit, a request that could not be read),
/// in VoiceGenie's shape.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "ErrorBody")]
pub struct VoiceGenieError {
    /// Always `false`.
    pub success: bool,
    /// What went wrong.
    pub message: String,
    /// The error code (absent on 401, as documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Details, for `INVALID_CAMPAIGN_STATE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
    #[serde(skip)]
    #[schemars(skip)]
    status: u16,
}

impl std::fmt::Display for VoiceGenieError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status,
            self.error.as_deref().unwrap_or("-"),
            self.message
        )
    }
}

impl From<HttpError> for VoiceGenieError {
    fn from(e: HttpError) -> Self {
        let status = e.status_code.as_u16();
        let error = match status {
            404 => "NOT_FOUND",
            405 => "METHOD_NOT_ALLOWED",
            413 => "PAYLOAD_TOO_LARGE",
            s if s >= 500 => "INTERNAL_ERROR",
            _ => "VALIDATION_ERROR",
        };
        Self {
            success: false,
            message: e.external_message,
            error: Some(error.into()),
            details: None,
            status,
        }
    }
}

impl crate::wire::Rejection for VoiceGenieError {}

crate::wire::status_field_error!(VoiceGenieError);

/// Rate-limit headers of every authenticated answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct XRateLimitHeaders {
    /// Requests allowed per minute.
    #[serde(rename = "X-RateLimit-Limit")]
    pub limit: u32,
    /// Requests left.
    #[serde(rename = "X-RateLimit-Remaining")]
    pub remaining: u32,
    /// When the allowance is whole again (epoch seconds).
    #[serde(rename = "X-RateLimit-Reset")]
    pub reset: i64,
}

/// Path of campaign operations.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignIdPath {
    /// The campaign's UUID.
    pub campaign_id: String,
}

/// Path of `getCampaign`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IdPath {
    /// The campaign's UUID.
    pub id: String,
}

/// A reply of the VoiceGenie face.
pub type VoiceGenieResult<T> = Result<Reply<T, XRateLimitHeaders>, VoiceGenieError>;

/// The VoiceGenie voice-campaign API.
#[dropshot::api_description]
pub trait VoiceGenieApi {
    /// Server state shared by every handler.
    type Context;

    /// Pause Campaign
    ///
    /// Pause a running campaign. Ongoing calls will complete, but no new
    /// calls will be initiated; `active_calls` is the number still in
    /// progress when the pause is acknowledged. Any campaign that is not
    /// running is a 400 `CAMPAIGN_NOT_RUNNING`. Sandbox choice: a campaignId
    /// that is not a UUID names no campaign: 404 `NOT_FOUND`.
    #[endpoint { method = GET, path = "/pauseTheCampaign/{campaignId}", tags = ["Campaigns"], operation_id = "pauseCampaign" }]
    async fn pause_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> VoiceGenieResult<PauseResponse>;

    /// Start Campaign
    ///
    /// Starts a draft or scheduled campaign, or resumes a paused one: each
    /// contact continues where it stopped. A running campaign is a 400
    /// `CAMPAIGN_ALREADY_RUNNING`; a campaign without a script or contacts
    /// is a 422 `INVALID_CAMPAIGN_STATE` with `details.missing`.
    #[endpoint { method = GET, path = "/startCampaign/{campaignId}", tags = ["Campaigns"], operation_id = "startCampaign" }]
    async fn start_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> VoiceGenieResult<StartResponse>;

    /// Get Campaign
    ///
    /// One campaign with its call counts. Sandbox choice: the answer uses
    /// the `{success, data, message}` envelope of pause and start.
    #[endpoint { method = GET, path = "/campaign/{id}", tags = ["Campaigns"], operation_id = "getCampaign" }]
    async fn get_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<IdPath>,
    ) -> VoiceGenieResult<CampaignResponse>;

    /// Fetch Campaign Data
    ///
    /// Lists campaigns, oldest first: `limit` 1–1000 (default 10) and
    /// `offset`. Anything else is a 400 `VALIDATION_ERROR`.
    #[endpoint { method = GET, path = "/fetchCampaignData", tags = ["Campaigns"], operation_id = "listCampaigns" }]
    async fn list_campaigns(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<ListParams>,
    ) -> VoiceGenieResult<CampaignListResponse>;

    /// Delete Campaign
    ///
    /// Deletes a campaign that is not running (a paused one can be
    /// deleted). A running campaign is a 400 `CAMPAIGN_RUNNING`.
    #[endpoint { method = GET, path = "/deleteCampaign/{campaignId}", tags = ["Campaigns"], operation_id = "deleteCampaign" }]
    async fn delete_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> VoiceGenieResult<DeleteResponse>;

    /// Upload Campaign Data
    ///
    /// Creates a campaign of calls: one call per contact, phone numbers as
    /// contacts; duplicate or missing phone numbers are skipped and listed
    /// in `errors`. The campaign is a draft until started, or `scheduled`
    /// with a `schedule_time`, when it starts itself on the sandbox clock
    /// (sandbox choice: a scheduled campaign needs a `script_id` and
    /// contacts, since starting needs them; an invalid time is a 400
    /// `VALIDATION_ERROR`).
    #[endpoint { method = POST, path = "/uploadCampaignData", tags = ["Campaigns"], operation_id = "uploadCampaignData" }]
    async fn upload_campaign_data(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<CampaignUpload>,
    ) -> VoiceGenieResult<UploadResponse>;
}
