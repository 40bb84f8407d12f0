//! The engine's domain types: what commands take and what they answer.
//! They carry no wire format; each face maps them onto its vendor's
//! shapes (the sandbox face onto its own wire types, field by field).

use chrono::{DateTime, Utc};

/// A point in time (stored as milliseconds since the Unix epoch).
pub type Time = DateTime<Utc>;

/// A stored millisecond time as a [`Time`], within what RFC 3339 can
/// write (years 0000 to 9999). The clock stops at the end of 9999
/// ([`crate::MAX_TIME_MS`]), but a send started then is due to complete a
/// little later, which it never will: it reads as the end of time, not as
/// the unwritable year 10000.
pub fn time(ms: i64) -> Time {
    DateTime::from_timestamp_millis(ms.clamp(0, crate::MAX_TIME_MS)).unwrap_or_default()
}

/// A campaign's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineStatus {
    /// Created, never launched.
    Draft,
    /// Launched and dispatching.
    Active,
    /// Held by a pause: no new send starts; in-flight sends complete.
    Paused,
    /// Held by a stop; resumed like a pause.
    Stopped,
    /// Waiting for approval before it may dispatch.
    PendingApproval,
    /// Every prospect finished its sequence.
    Completed,
}

/// A sequence step's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// An email: in flight for the campaign's email transit time.
    Email,
    /// A phone call: in flight for the campaign's call duration.
    Call,
    /// A LinkedIn message: in flight for the campaign's LinkedIn time.
    Linkedin,
}

/// A prospect's own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendState {
    /// Waiting for its due time (and for the campaign and prospect).
    Queued,
    /// Started: a call in progress, an email in transit.
    InFlight,
    /// Completed normally.
    Delivered,
    /// Completed with a failure.
    Failed,
}

/// The state of a webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A workspace to create.
#[derive(Debug, Clone)]
pub struct WorkspaceCreate {
    /// The id; generated when absent.
    pub id: Option<String>,
    /// The dialect tag of the face it speaks (opaque to the engine).
    pub dialect: String,
    /// A display name (the id when absent).
    pub name: Option<String>,
    /// Resuming needs approval (`pending_approval`).
    pub requires_approval: bool,
}

/// Rate-limit overrides of a workspace; `None` is the face's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests per minute.
    pub per_minute: Option<u32>,
    /// Requests per day.
    pub per_day: Option<u32>,
    /// Add-prospects requests per minute.
    pub prospects_per_minute: Option<u32>,
}

/// A workspace (tenant).
#[derive(Debug, Clone)]
pub struct Workspace {
    /// Id.
    pub id: String,
    /// The dialect tag of the face it speaks.
    pub dialect: String,
    /// Display name.
    pub name: String,
    /// Rate-limit overrides.
    pub rate_limits: RateLimits,
    /// Whether resuming needs approval.
    pub requires_approval: bool,
    /// Created.
    pub created_at: Time,
}

/// An API key to create.
#[derive(Debug, Clone)]
pub struct ApiKeyCreate {
    /// The exact key string callers send.
    pub key: String,
    /// Scopes (the face decides what they mean).
    pub scopes: Vec<String>,
    /// When it stops working.
    pub expires_at: Option<Time>,
    /// A rate tier (the face decides what it means).
    pub rate_tier: Option<String>,
}

/// A key as authentication sees it.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// The key string.
    pub key: String,
    /// Its rate tier, if set.
    pub tier: Option<String>,
    /// The key's workspace.
    pub workspace: Workspace,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it expires (ms), if ever.
    pub expires_at_ms: Option<i64>,
    /// Whether it belongs to the demo world.
    pub demo: bool,
}

/// A sequence step to create.
#[derive(Debug, Clone)]
pub struct StepSeed {
    /// The channel.
    pub channel: Channel,
    /// Seconds after the previous step (after launch, for the first).
    pub delay_seconds: u64,
    /// Email subject.
    pub subject: Option<String>,
    /// Message body or call script.
    pub body: Option<String>,
}

/// A prospect to enroll.
#[derive(Debug, Clone, Default)]
pub struct ProspectSeed {
    /// The id; generated (a UUID) when absent.
    pub id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// LinkedIn URL.
    pub linkedin_url: Option<String>,
    /// Initial status (default active).
    pub status: Option<ProspectState>,
}

/// Per-campaign timing of sends, in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignSettings {
    /// How long an email is in transit.
    pub email_transit_seconds: u64,
    /// How long a call lasts.
    pub call_duration_seconds: u64,
    /// How long a LinkedIn message is in flight.
    pub linkedin_seconds: u64,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            email_transit_seconds: 30,
            call_duration_seconds: 180,
            linkedin_seconds: 10,
        }
    }
}

/// A campaign to create, with its steps and prospects.
#[derive(Debug, Clone)]
pub struct CampaignSeed {
    /// The id in the workspace's id scheme; generated when absent.
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Initial status (default draft).
    pub status: Option<EngineStatus>,
    /// The sequence.
    pub steps: Vec<StepSeed>,
    /// Prospects to enroll.
    pub prospects: Vec<ProspectSeed>,
    /// Send timing.
    pub settings: Option<CampaignSettings>,
    /// A script id (for calls).
    pub script_id: Option<String>,
    /// For a draft: when it launches itself.
    pub scheduled_at: Option<Time>,
}

impl CampaignSeed {
    /// A draft named `name` with nothing else: no steps, no prospects,
    /// default timing, a generated id (fill in the rest with `..`).
    pub fn named(name: String) -> Self {
        Self {
            id: None,
            name,
            description: None,
            status: None,
            steps: Vec::new(),
            prospects: Vec::new(),
            settings: None,
            script_id: None,
            scheduled_at: None,
        }
    }
}

/// Counters of a campaign's sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendCounters {
    /// Waiting (held, while paused).
    pub queued: u64,
    /// In progress.
    pub in_flight: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
}

/// A step as stored.
#[derive(Debug, Clone)]
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

/// A campaign.
#[derive(Debug, Clone)]
pub struct CampaignView {
    /// Id.
    pub id: String,
    /// Workspace.
    pub workspace_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Status.
    pub status: EngineStatus,
    /// Archived flag.
    pub is_archived: bool,
    /// Created.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// First launch.
    pub launched_at: Option<Time>,
    /// Last pause.
    pub paused_at: Option<Time>,
    /// Last start or resume.
    pub started_at: Option<Time>,
    /// Send timing.
    pub settings: CampaignSettings,
    /// When a draft launches itself, if scheduled.
    pub scheduled_at: Option<Time>,
    /// Script id.
    pub script_id: Option<String>,
    /// The sequence.
    pub steps: Vec<StepView>,
    /// Prospects enrolled.
    pub prospect_count: u64,
    /// Send counters.
    pub counters: SendCounters,
}

/// A prospect.
#[derive(Debug, Clone)]
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
    /// Next step (0-based); the step count when finished.
    pub position: u32,
    /// Enrolled.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Last send started.
    pub last_sent_at: Option<Time>,
}

/// One send.
#[derive(Debug, Clone)]
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
    pub due_at: Time,
    /// When it started.
    pub started_at: Option<Time>,
    /// When it completes (in flight) or completed.
    pub completes_at: Option<Time>,
    /// When it finished.
    pub finished_at: Option<Time>,
}

/// Which sends to list.
#[derive(Debug, Clone, Default)]
pub struct SendQuery {
    /// Only this campaign's.
    pub campaign_id: Option<String>,
    /// Only after this id.
    pub after_id: Option<i64>,
    /// At most this many (default 1000, at most 10000).
    pub limit: Option<u32>,
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub struct WebhookRecord {
    /// Its id.
    pub id: String,
    /// Its workspace.
    pub workspace_id: String,
    /// Where deliveries go.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// The HMAC signing secret (empty when listed).
    pub secret: String,
    /// When it was created (ms).
    pub created_at_ms: i64,
}

/// One attempt of a delivery.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    /// 1, 2, ...
    pub attempt: u32,
    /// When it was made.
    pub at: Time,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// One event delivery to one webhook, with every attempt.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    /// The stable delivery id.
    pub id: String,
    /// The webhook.
    pub webhook_id: String,
    /// The event name.
    pub event: String,
    /// The body exactly as sent.
    pub body: String,
    /// State.
    pub state: DeliveryState,
    /// When the event was recorded.
    pub created_at: Time,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<Time>,
    /// When it was delivered.
    pub delivered_at: Option<Time>,
    /// Every attempt, in order.
    pub attempts: Vec<DeliveryAttempt>,
}

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    /// Only this webhook's.
    pub webhook_id: Option<String>,
    /// Only this event.
    pub event: Option<String>,
}

/// A delivery due now, as the delivery worker sends it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The delivery's stable id.
    pub id: String,
    /// The receiver.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// The raw body.
    pub body: String,
    /// The dialect tag of the webhook's workspace.
    pub dialect: String,
    /// Attempts made before this one.
    pub attempts: u32,
}
