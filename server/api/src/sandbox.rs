//! The sandbox control API (port P): set up and observe a world without
//! touching the database. It has no authentication and is meant to listen
//! on loopback only.

use dropshot::{
    HttpError, HttpResponseCreated, HttpResponseOk, HttpResponseUpdatedNoContent, RequestContext,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::{Iso8601, JsonInput};

/// Which vendor's API a workspace speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    /// The canonical Alta-style API (P+1).
    Alta,
    /// VoiceGenie (P+2).
    Voicegenie,
    /// Leadterra (P+3).
    Leadterra,
    /// Leadlex (P+4).
    Leadlex,
    /// Woodpecker (P+5).
    Woodpecker,
}

impl Dialect {
    /// Every dialect, in port order.
    pub const ALL: [Dialect; 5] = [
        Dialect::Alta,
        Dialect::Voicegenie,
        Dialect::Leadterra,
        Dialect::Leadlex,
        Dialect::Woodpecker,
    ];

    /// The tag the engine stores for a workspace of this dialect (its wire
    /// name).
    pub fn tag(self) -> &'static str {
        match self {
            Dialect::Alta => "alta",
            Dialect::Voicegenie => "voicegenie",
            Dialect::Leadterra => "leadterra",
            Dialect::Leadlex => "leadlex",
            Dialect::Woodpecker => "woodpecker",
        }
    }

    /// The dialect of a stored tag.
    pub fn from_tag(tag: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.tag() == tag)
    }
}

/// The engine's campaign states; each face maps its vendor's statuses onto
/// these in one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EngineStatus {
    /// Created, never launched.
    Draft,
    /// Launched and dispatching.
    Active,
    /// Held by a pause: no new send starts; in-flight sends complete.
    Paused,
    /// Held by a stop (Woodpecker); resumed like a pause.
    Stopped,
    /// Waiting for approval before it may dispatch (Leadlex).
    PendingApproval,
    /// Every prospect finished its sequence.
    Completed,
}

/// A sequence step's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// An email: in flight for the campaign's email transit time.
    Email,
    /// A phone call: in flight for the campaign's call duration.
    Call,
    /// A LinkedIn message: in flight for the campaign's LinkedIn time.
    Linkedin,
}

/// A prospect's own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProspectState {
    /// Receiving the sequence.
    Active,
    /// Held on its own or with the campaign.
    Paused,
    /// Finished every step.
    Completed,
    /// A send bounced.
    Bounced,
    /// Replied.
    Replied,
}

/// The state of one send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Waiting for its due time (and for the campaign and prospect to be active).
    Queued,
    /// Started: a call in progress, an email in transit.
    InFlight,
    /// Completed normally.
    Delivered,
    /// Completed with a failure.
    Failed,
}

/// Body of `createWorkspace`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceCreate {
    /// The workspace id; generated when absent.
    #[serde(default)]
    #[schemars(regex(pattern = r"\S"))]
    pub id: Option<String>,
    /// The API the workspace speaks.
    pub dialect: Dialect,
    /// A display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Leadlex: resuming a campaign needs approval (`pending_approval`).
    #[serde(default)]
    pub requires_approval: bool,
}

/// Rate limits of a workspace; an absent value means the vendor's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimits {
    /// Requests per minute across the workspace's keys.
    #[serde(default)]
    #[schemars(range(min = 1, max = 4294967295_u32))]
    pub per_minute: Option<u32>,
    /// Requests per day (UTC, on the sandbox clock), where the vendor has one.
    #[serde(default)]
    #[schemars(range(min = 1, max = 4294967295_u32))]
    pub per_day: Option<u32>,
    /// Alta: add-prospects requests per minute.
    #[serde(default)]
    #[schemars(range(min = 1, max = 4294967295_u32))]
    pub prospects_per_minute: Option<u32>,
}

/// A workspace (tenant).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Workspace {
    /// The workspace id.
    pub id: String,
    /// The API it speaks.
    pub dialect: Dialect,
    /// Display name.
    pub name: String,
    /// Rate-limit overrides.
    pub rate_limits: RateLimits,
    /// Whether resuming needs approval (Leadlex).
    pub requires_approval: bool,
    /// Creation time.
    pub created_at: Iso8601,
}

/// Leadlex rate tiers (per key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateTier {
    /// 10 requests per minute, 100 per day (the default).
    Starter,
    /// 50 per minute, 1,000 per day.
    Pro,
    /// 200 per minute, 10,000 per day.
    Org,
}

/// Body of `createApiKey`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// The exact key string callers will send.
    #[schemars(length(min = 1), regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]+$"))]
    pub key: String,
    /// Scopes, e.g. `campaigns:read`, `campaigns:write` (Leadlex).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the key stops working (sandbox clock).
    #[serde(default)]
    pub expires_at: Option<Iso8601>,
    /// Leadlex: the key's rate tier (default starter).
    #[serde(default)]
    pub rate_tier: Option<RateTier>,
}

/// An API key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// The key string.
    pub key: String,
    /// Its workspace.
    pub workspace_id: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// Expiry, if any.
    pub expires_at: Option<Iso8601>,
    /// Rate tier, if set.
    pub rate_tier: Option<RateTier>,
}

/// A sequence step to create.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StepSeed {
    /// The channel.
    pub channel: Channel,
    /// Seconds after the previous step (after launch, for the first); at
    /// most ten years.
    #[serde(default)]
    #[schemars(range(max = 315360000))]
    pub delay_seconds: u64,
    /// Email subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// Message body or call script.
    #[serde(default)]
    pub body: Option<String>,
}

/// A prospect to enroll.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProspectSeed {
    /// The prospect id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
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
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// LinkedIn URL.
    #[serde(default)]
    pub linkedin_url: Option<String>,
    /// Initial status (default active).
    #[serde(default)]
    pub status: Option<ProspectState>,
}

/// Per-campaign timing of sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignSettings {
    /// How long an email is in transit (seconds, default 30).
    #[serde(default = "default_email_transit")]
    #[schemars(range(max = 315360000))]
    pub email_transit_seconds: u64,
    /// How long a call lasts (seconds, default 180).
    #[serde(default = "default_call_duration")]
    #[schemars(range(max = 315360000))]
    pub call_duration_seconds: u64,
    /// How long a LinkedIn message is in flight (seconds, default 10).
    #[serde(default = "default_linkedin")]
    #[schemars(range(max = 315360000))]
    pub linkedin_seconds: u64,
}

fn default_email_transit() -> u64 {
    30
}
fn default_call_duration() -> u64 {
    180
}
fn default_linkedin() -> u64 {
    10
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            email_transit_seconds: default_email_transit(),
            call_duration_seconds: default_call_duration(),
            linkedin_seconds: default_linkedin(),
        }
    }
}

/// Body of `createCampaign`: a campaign with an explicit id, status, steps
/// and prospects.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignSeed {
    /// The campaign id in the vendor's format; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Initial status (default draft). `active` launches it at once, so
    /// due steps start on the spot; `paused` launches and then pauses it.
    #[serde(default)]
    pub status: Option<EngineStatus>,
    /// The sequence.
    #[serde(default)]
    pub steps: Vec<StepSeed>,
    /// Prospects to enroll.
    #[serde(default)]
    pub prospects: Vec<ProspectSeed>,
    /// Send timing.
    #[serde(default)]
    pub settings: Option<CampaignSettings>,
    /// VoiceGenie's script id.
    #[serde(default)]
    pub script_id: Option<String>,
    /// For a draft: when it starts itself, on the sandbox clock
    /// (VoiceGenie's `schedule_time`). Ignored for other statuses.
    #[serde(default)]
    pub scheduled_at: Option<Iso8601>,
}

/// Counters of a campaign's sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendCounters {
    /// Sends waiting (held, while paused).
    pub queued: u64,
    /// Sends in progress.
    pub in_flight: u64,
    /// Sends delivered.
    pub delivered: u64,
    /// Sends failed.
    pub failed: u64,
}

/// A step as stored.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepView {
    /// 0-based position.
    pub position: u32,
    /// Channel.
    pub channel: Channel,
    /// Seconds after the previous step.
    pub delay_seconds: u64,
    /// Email subject.
    pub subject: Option<String>,
    /// Message body or script.
    pub body: Option<String>,
}

/// A campaign as the engine sees it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignView {
    /// Id.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Engine status.
    pub status: EngineStatus,
    /// Archived flag.
    pub is_archived: bool,
    /// Created.
    pub created_at: Iso8601,
    /// Last change.
    pub updated_at: Iso8601,
    /// First launch.
    pub launched_at: Option<Iso8601>,
    /// Last pause.
    pub paused_at: Option<Iso8601>,
    /// Last start or resume.
    pub started_at: Option<Iso8601>,
    /// Send timing.
    pub settings: CampaignSettings,
    /// When a draft starts itself (on the sandbox clock), if it is
    /// scheduled (VoiceGenie's `schedule_time`).
    pub scheduled_at: Option<Iso8601>,
    /// VoiceGenie script id.
    pub script_id: Option<String>,
    /// The sequence.
    pub steps: Vec<StepView>,
    /// Number of prospects enrolled.
    pub prospect_count: u64,
    /// Send counters.
    pub counters: SendCounters,
}

/// A prospect as the engine sees it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProspectView {
    /// Id.
    pub id: String,
    /// Campaign.
    pub campaign_id: String,
    /// Email.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// LinkedIn URL.
    pub linkedin_url: Option<String>,
    /// Own status.
    pub status: ProspectState,
    /// Next step (0-based); equals the step count when finished.
    pub position: u32,
    /// Enrolled.
    pub created_at: Iso8601,
    /// Last change.
    pub updated_at: Iso8601,
    /// Last send started.
    pub last_sent_at: Option<Iso8601>,
}

/// One send.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendView {
    /// Sequence number, increasing in queue order.
    pub id: i64,
    /// Campaign.
    pub campaign_id: String,
    /// Prospect.
    pub prospect_id: String,
    /// Step position (0-based).
    pub step: u32,
    /// Channel.
    pub channel: Channel,
    /// State.
    pub state: SendState,
    /// When it became due.
    pub due_at: Iso8601,
    /// When it started.
    pub started_at: Option<Iso8601>,
    /// When it completes (in flight) or completed.
    pub completes_at: Option<Iso8601>,
    /// When it finished.
    pub finished_at: Option<Iso8601>,
}

/// Query of `listSends`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendQuery {
    /// Only sends of this campaign.
    pub campaign_id: Option<String>,
    /// Only sends after this id (for paging).
    #[schemars(range(min = -9007199254740991_i64, max = 9007199254740991_i64))]
    pub after_id: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    #[schemars(range(max = 4294967295_u32))]
    pub limit: Option<u32>,
}

/// Clock modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClockMode {
    /// Wall-clock time.
    Real,
    /// Moves only when advanced through this API.
    Virtual,
}

/// The sandbox clock.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockView {
    /// Real or virtual.
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultCreate {
    /// The face whose operation is affected.
    pub dialect: Dialect,
    /// The operationId, e.g. `pauseCampaign`.
    pub operation_id: String,
    /// How many of the next requests are affected (default 1).
    #[serde(default)]
    #[schemars(range(max = 4294967295_u32))]
    pub count: Option<u32>,
    /// Error or delay.
    pub kind: FaultKind,
    /// Delay in milliseconds (for `delay`).
    #[serde(default)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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

/// The sandbox control API.
#[dropshot::api_description]
pub trait SandboxApi {
    /// Server state shared by every handler.
    type Context;

    /// Reset the world
    ///
    /// Deletes every workspace, key, campaign, prospect, send and fault, and
    /// rewinds a virtual clock to its start. A demo server reloads its demo
    /// world.
    #[endpoint { method = POST, path = "/reset", tags = ["World"], operation_id = "resetWorld" }]
    async fn reset_world(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError>;

    /// Create a workspace
    ///
    /// Creates a tenant that speaks one vendor's API. A duplicate id is a 409.
    #[endpoint { method = POST, path = "/workspaces", tags = ["Workspaces"], operation_id = "createWorkspace" }]
    async fn create_workspace(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<WorkspaceCreate>,
    ) -> Result<HttpResponseCreated<Workspace>, HttpError>;

    /// List workspaces
    ///
    /// Every workspace, oldest first.
    #[endpoint { method = GET, path = "/workspaces", tags = ["Workspaces"], operation_id = "listWorkspaces" }]
    async fn list_workspaces(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Listing<Workspace>>, HttpError>;

    /// Set a workspace's rate limits
    ///
    /// Replaces the workspace's rate-limit overrides; absent values fall
    /// back to the vendor's defaults. Counters start afresh.
    #[endpoint { method = PUT, path = "/workspaces/{workspaceId}/rate-limits", tags = ["Workspaces"], operation_id = "setRateLimits" }]
    async fn set_rate_limits(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<RateLimits>,
    ) -> Result<HttpResponseOk<Workspace>, HttpError>;

    /// Create an API key
    ///
    /// Creates a key with an exact string, scopes and optional expiry. A key
    /// string already in use is a 409.
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/keys", tags = ["Keys"], operation_id = "createApiKey" }]
    async fn create_api_key(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<ApiKeyCreate>,
    ) -> Result<HttpResponseCreated<ApiKey>, HttpError>;

    /// Create a campaign
    ///
    /// Creates a campaign with an explicit id, status, steps and prospects.
    /// The id must fit the workspace's dialect (a UUID for Alta and
    /// VoiceGenie, an integer for Woodpecker). An id already in use is a 409.
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/campaigns", tags = ["Campaigns"], operation_id = "createCampaign", request_body_max_bytes = 16777216 }]
    async fn create_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<CampaignSeed>,
    ) -> Result<HttpResponseCreated<CampaignView>, HttpError>;

    /// Get a campaign
    ///
    /// The campaign with its steps and send counters.
    #[endpoint { method = GET, path = "/campaigns/{campaignId}", tags = ["Campaigns"], operation_id = "getCampaign" }]
    async fn get_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError>;

    /// List a campaign's prospects
    ///
    /// Every prospect with its status and position, in enrolment order.
    #[endpoint { method = GET, path = "/campaigns/{campaignId}/prospects", tags = ["Campaigns"], operation_id = "listCampaignProspects" }]
    async fn list_campaign_prospects(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<Listing<ProspectView>>, HttpError>;

    /// Approve a campaign
    ///
    /// Approves a campaign waiting in `pending_approval` (Leadlex workspaces
    /// that require approval): it becomes active and dispatches. Any other
    /// status is a 409.
    #[endpoint { method = POST, path = "/campaigns/{campaignId}/approve", tags = ["Campaigns"], operation_id = "approveCampaign" }]
    async fn approve_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError>;

    /// Simulate a bounce
    ///
    /// The prospect's last delivered email bounced: the send becomes
    /// failed, the prospect `bounced` and out of the sequence, and
    /// Leadterra's `message.bounced` event is recorded. A prospect that
    /// already bounced or replied is a 409.
    #[endpoint { method = POST, path = "/prospects/{prospectId}/bounce", tags = ["Prospects"], operation_id = "bounceProspect" }]
    async fn bounce_prospect(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<ProspectIdPath>,
    ) -> Result<HttpResponseOk<ProspectView>, HttpError>;

    /// Simulate a reply
    ///
    /// The prospect replied: it becomes `replied` and leaves the sequence,
    /// and Leadterra's `reply.received` event is recorded. A prospect that
    /// already bounced or replied is a 409.
    #[endpoint { method = POST, path = "/prospects/{prospectId}/reply", tags = ["Prospects"], operation_id = "replyProspect" }]
    async fn reply_prospect(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<ProspectIdPath>,
    ) -> Result<HttpResponseOk<ProspectView>, HttpError>;

    /// Launch a campaign
    ///
    /// Launches a draft campaign (Alta has no launch endpoint): it becomes
    /// active and every active prospect's first step is queued. Launching a
    /// campaign that is not a draft is a 409.
    #[endpoint { method = POST, path = "/campaigns/{campaignId}/launch", tags = ["Campaigns"], operation_id = "launchCampaign" }]
    async fn launch_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError>;

    /// List sends
    ///
    /// The send log: every send with its prospect, step, channel, state and
    /// timestamps, in queue order.
    #[endpoint { method = GET, path = "/sends", tags = ["Sends"], operation_id = "listSends" }]
    async fn list_sends(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<SendQuery>,
    ) -> Result<HttpResponseOk<Listing<SendView>>, HttpError>;

    /// Read the clock
    ///
    /// The sandbox clock's mode and current time.
    #[endpoint { method = GET, path = "/clock", tags = ["Clock"], operation_id = "getClock" }]
    async fn get_clock(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError>;

    /// Advance the clock
    ///
    /// Moves a virtual clock forward and runs everything that falls due on
    /// the way, in time order. The clock stops at 9999-12-31T23:59:59Z.
    /// With the real clock this is a 409.
    #[endpoint { method = POST, path = "/clock/advance", tags = ["Clock"], operation_id = "advanceClock" }]
    async fn advance_clock(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<ClockAdvance>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError>;

    /// Subscribe a webhook
    ///
    /// Subscribes a URL to a workspace's events, in the workspace's vendor
    /// format and signature (Leadlex: `X-LeadLex-Signature: sha256=<hex>`,
    /// `X-LeadLex-Timestamp`, `X-LeadLex-Delivery-ID`, `User-Agent:
    /// LeadLex-Webhook/1.0`; Leadterra: `X-Leadterra-Signature`). The
    /// vendors require https; the sandbox also accepts plain http on
    /// loopback. The signing secret is in this answer only.
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/webhooks", tags = ["Webhooks"], operation_id = "createWebhook" }]
    async fn create_webhook(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<WebhookSubscribe>,
    ) -> Result<HttpResponseCreated<WebhookView>, HttpError>;

    /// List a workspace's webhooks
    ///
    /// Subscriptions, oldest first, without their secrets.
    #[endpoint { method = GET, path = "/workspaces/{workspaceId}/webhooks", tags = ["Webhooks"], operation_id = "listWebhooks" }]
    async fn list_webhooks(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
    ) -> Result<HttpResponseOk<Listing<WebhookView>>, HttpError>;

    /// List deliveries
    ///
    /// Every event delivery with its state, next retry and attempts
    /// (status codes, errors), oldest first.
    #[endpoint { method = GET, path = "/deliveries", tags = ["Webhooks"], operation_id = "listDeliveries" }]
    async fn list_deliveries(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<DeliveryQuery>,
    ) -> Result<HttpResponseOk<Listing<DeliveryView>>, HttpError>;

    /// Redeliver
    ///
    /// Makes a delivery due now again (same id and body), whatever its
    /// state.
    #[endpoint { method = POST, path = "/deliveries/{deliveryId}/redeliver", tags = ["Webhooks"], operation_id = "redeliverDelivery" }]
    async fn redeliver_delivery(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<DeliveryPath>,
    ) -> Result<HttpResponseOk<DeliveryView>, HttpError>;

    /// Receive into a sink
    ///
    /// A built-in webhook receiver: records the request (headers and raw
    /// body) and answers `status` (200 to 599, default 200) with no body.
    #[endpoint { method = POST, path = "/sink/{name}", tags = ["Webhooks"], operation_id = "receiveIntoSink", request_body_max_bytes = 1048576 }]
    async fn receive_into_sink(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<SinkPath>,
        query: dropshot::Query<SinkAnswer>,
        body: dropshot::UntypedBody,
    ) -> Result<crate::wire::EmptyReply, HttpError>;

    /// Read a sink
    ///
    /// What a sink received, oldest first.
    #[endpoint { method = GET, path = "/sink/{name}", tags = ["Webhooks"], operation_id = "listSinkRequests" }]
    async fn list_sink_requests(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<SinkPath>,
    ) -> Result<HttpResponseOk<Listing<SinkRequest>>, HttpError>;

    /// Inject a fault
    ///
    /// The next `count` requests to the named operation of a face fail with
    /// that face's internal-error answer, or are delayed by `delayMs`.
    #[endpoint { method = POST, path = "/faults", tags = ["Faults"], operation_id = "injectFault" }]
    async fn inject_fault(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<FaultCreate>,
    ) -> Result<HttpResponseCreated<FaultView>, HttpError>;

    /// List armed faults
    ///
    /// Faults that have not yet been used up.
    #[endpoint { method = GET, path = "/faults", tags = ["Faults"], operation_id = "listFaults" }]
    async fn list_faults(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Listing<FaultView>>, HttpError>;
}
