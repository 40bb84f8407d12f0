//! The Woodpecker face (port P+5): cold-email campaigns under `/rest/v2`,
//! `x-api-key` auth, integer campaign ids, and Woodpecker's three error
//! shapes, each exactly as documented:
//! - 400 and 401: `{title, status, detail, timestamp}` with the timestamp
//!   as `YYYY-MM-DD HH:MM:SS` (UTC);
//! - 404: `{code, message, details}`;
//! - 500: `{type, message, details}`.

use dropshot::{HttpError, RequestContext};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{EmptyReply, Iso8601, JsonInput, Reply};

/// A campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Campaign {
    /// The campaign's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// `DRAFT`, `RUNNING`, `PAUSED`, `STOPPED`, `EDITED` or `COMPLETED`.
    pub status: String,
    /// When it was created (ISO 8601).
    pub created: Iso8601,
    /// Prospects in the campaign.
    pub prospects: u64,
    /// Emails in its sequence.
    pub steps: u64,
}

/// One email of a new campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailStep {
    /// Subject line.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Days after the previous email (the first: after the campaign runs).
    #[serde(default)]
    #[schemars(range(max = 3650))]
    pub delay_in_days: u32,
}

/// One prospect of a new campaign.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProspectCreate {
    /// Email address.
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
}

/// Body of `createCampaign` (sandbox choice: Woodpecker's full create body
/// is richer; these are the fields the sandbox uses).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignCreate {
    /// The campaign's name (not blank).
    #[schemars(length(min = 1), regex(pattern = r"\S"))]
    pub name: String,
    /// The emails, in order.
    #[serde(default)]
    pub emails: Vec<EmailStep>,
    /// Its prospects.
    #[serde(default)]
    pub prospects: Vec<ProspectCreate>,
}

/// A Woodpecker error body: one of the three documented shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ErrorBody {
    /// 400, 401 (and the sandbox's 409 and 429): `{title, status, detail, timestamp}`.
    Problem {
        /// A short title.
        title: String,
        /// The HTTP status.
        status: u16,
        /// What went wrong.
        detail: String,
        /// When, as `YYYY-MM-DD HH:MM:SS` UTC.
        timestamp: String,
    },
    /// 404: `{code, message, details}`.
    Coded {
        /// `CAMPAIGN_NOT_EXIST`.
        code: String,
        /// `Campaign not found`.
        message: String,
        /// Always null.
        details: Option<String>,
    },
    /// 500: `{type, message, details}`.
    Typed {
        /// `UNKNOWN`.
        r#type: String,
        /// E.g. `Unknown error during pause campaign call`.
        message: String,
        /// Always null.
        details: Option<String>,
    },
}

/// A Woodpecker error answered before a handler runs (an unknown path, a
/// wrong method, a body over the limit, a request that could not be read).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct WoodpeckerError {
    /// The body.
    #[serde(flatten)]
    pub body: ErrorBody,
    #[serde(skip)]
    #[schemars(skip)]
    status: u16,
}

impl WoodpeckerError {
    /// An error with a status and body.
    pub fn new(status: u16, body: ErrorBody) -> Self {
        Self { body, status }
    }

    /// Its status.
    pub fn status(&self) -> u16 {
        self.status
    }
}

impl std::fmt::Display for WoodpeckerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.status, self.body)
    }
}

impl From<HttpError> for WoodpeckerError {
    fn from(e: HttpError) -> Self {
        let status = e.status_code.as_u16();
        let body = if status >= 500 {
            ErrorBody::Typed {
                r#type: "UNKNOWN".into(),
                message: e.external_message,
                details: None,
            }
        } else {
            ErrorBody::Problem {
                title: e
                    .status_code
                    .as_status()
                    .canonical_reason()
                    .unwrap_or("Error")
                    .into(),
                status,
                detail: e.external_message,
                // Dropshot has no sandbox clock here. Only a request the
                // front layer let through and dropshot still cannot read (a
                // broken connection) ends here: unknown routes, wrong
                // methods and oversized bodies are answered by the front
                // layer, stamped with the sandbox clock (`at`).
                timestamp: problem_timestamp(chrono::Utc::now().timestamp_millis()),
            }
        };
        Self { body, status }
    }
}

impl crate::wire::Rejection for WoodpeckerError {
    fn at(mut self, now_ms: i64) -> Self {
        if let ErrorBody::Problem { timestamp, .. } = &mut self.body {
            *timestamp = problem_timestamp(now_ms);
        }
        self
    }
}

/// The timestamp of Woodpecker's problem bodies: `YYYY-MM-DD HH:MM:SS` UTC.
pub fn problem_timestamp(now_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

crate::wire::status_field_error!(WoodpeckerError);

/// Path of campaign operations (one name for every route: dropshot needs
/// the same variable name at the same position).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct CampaignPath {
    /// The campaign's id, an integer. Anything else (including the literal
    /// `{campaign_id}` of the documented curl) is the documented 400.
    #[schemars(with = "u64", range(min = 1, max = 9007199254740991_u64))]
    pub campaign_id: String,
}

/// A JSON answer of the Woodpecker face.
pub type WoodpeckerResult<T> = Result<Reply<T>, WoodpeckerError>;
/// A bodiless answer of the Woodpecker face.
pub type WoodpeckerEmpty = Result<EmptyReply, WoodpeckerError>;

/// The Woodpecker cold-email API.
#[dropshot::api_description]
pub trait WoodpeckerApi {
    /// Server state shared by every handler.
    type Context;

    /// Pause campaign
    ///
    /// Changes the campaign status to PAUSED and halts any further contact
    /// with prospects until the status is RUNNING again (use `/run`). 200
    /// with no body. A campaign_id that is not an integer is a 400 "Value of
    /// campaign_id is incorrect."; an unknown one a 404 `CAMPAIGN_NOT_EXIST`.
    /// Sandbox choices: pausing a PAUSED campaign is a 200 no-op; pausing a
    /// DRAFT, STOPPED or COMPLETED one is a 400 "Campaign is not running.".
    /// Requests are processed one at a time per key: up to 6 wait (at most
    /// 15 s each), the rest are refused with a 429.
    #[endpoint { method = POST, path = "/rest/v2/campaigns/{campaign_id}/pause", tags = ["Campaigns"], operation_id = "pauseCampaign" }]
    async fn pause_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
        body: JsonInput<serde_json::Value, true>,
    ) -> WoodpeckerEmpty;

    /// Run campaign
    ///
    /// Sets a DRAFT, PAUSED or STOPPED campaign RUNNING (a paused or stopped
    /// one continues each prospect where it stopped); 200 with no body. A
    /// RUNNING campaign is a 200 no-op. A COMPLETED campaign, or a DRAFT
    /// without prospects or emails, is a 409.
    #[endpoint { method = POST, path = "/rest/v2/campaigns/{campaign_id}/run", tags = ["Campaigns"], operation_id = "runCampaign" }]
    async fn run_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
        body: JsonInput<serde_json::Value, true>,
    ) -> WoodpeckerEmpty;

    /// Stop campaign
    ///
    /// Sets a RUNNING or PAUSED campaign STOPPED (resumed by `/run`); 200
    /// with no body. Stopping a STOPPED campaign is a no-op; a DRAFT or
    /// COMPLETED one is a 400.
    #[endpoint { method = POST, path = "/rest/v2/campaigns/{campaign_id}/stop", tags = ["Campaigns"], operation_id = "stopCampaign" }]
    async fn stop_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
        body: JsonInput<serde_json::Value, true>,
    ) -> WoodpeckerEmpty;

    /// Get campaign
    ///
    /// One campaign with its integer id and status.
    #[endpoint { method = GET, path = "/rest/v2/campaigns/{campaign_id}", tags = ["Campaigns"], operation_id = "getCampaign" }]
    async fn get_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
    ) -> WoodpeckerResult<Campaign>;

    /// Delete campaign
    ///
    /// Deletes a campaign that is not RUNNING (a RUNNING one is a 409);
    /// 200 with no body.
    #[endpoint { method = DELETE, path = "/rest/v2/campaigns/{campaign_id}", tags = ["Campaigns"], operation_id = "deleteCampaign" }]
    async fn delete_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignPath>,
    ) -> WoodpeckerEmpty;

    /// Create campaign
    ///
    /// Creates a DRAFT campaign with its emails and prospects; `/run` starts
    /// it.
    #[endpoint { method = POST, path = "/rest/v2/campaigns", tags = ["Campaigns"], operation_id = "createCampaign", request_body_max_bytes = 1048576 }]
    async fn create_campaign(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<CampaignCreate>,
    ) -> WoodpeckerResult<Campaign>;
}
