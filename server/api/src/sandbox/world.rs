//! The sandbox API's world: dialects, workspaces, keys, campaigns, steps,
//! prospects and sends.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::wire::Iso8601;

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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// The exact key string callers will send.
    #[schemars(length(min = 1), regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]+$"))]
    pub key: String,
    /// Scopes, e.g. `campaigns:read`, `campaigns:write` (Leadlex).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the key stops working (sandbox clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Iso8601>,
    /// Leadlex: the key's rate tier (default starter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Message body or call script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// A prospect to enroll.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProspectSeed {
    /// The prospect id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Job title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// LinkedIn URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkedin_url: Option<String>,
    /// Initial status (default active).
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignSeed {
    /// The campaign id in the vendor's format; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Initial status (default draft). `active` launches it at once, so
    /// due steps start on the spot; `paused` launches and then pauses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<EngineStatus>,
    /// The sequence.
    #[serde(default)]
    pub steps: Vec<StepSeed>,
    /// Prospects to enroll.
    #[serde(default)]
    pub prospects: Vec<ProspectSeed>,
    /// Send timing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<CampaignSettings>,
    /// VoiceGenie's script id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_id: Option<String>,
    /// For a draft: when it starts itself, on the sandbox clock
    /// (VoiceGenie's `schedule_time`). Ignored for other statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
