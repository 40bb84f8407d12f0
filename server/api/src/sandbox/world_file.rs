//! The world file (`campaignd serve --world FILE`, `GET /world`): a whole
//! sandbox set-up as data. Each part has the shape of the sandbox API's
//! request that creates it, so what a file says and what a test sends
//! are one language; the JSON Schema of this type is published as
//! `worlds/world.schema.json`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApiKeyCreate, CampaignSeed, Dialect, FaultCreate, RateLimits, WebhookSubscribe};

/// A world: workspaces with everything in them, and armed faults.
///
/// What happened since (sends, deliveries, timestamps, the clock) is not
/// part of it: loading a world sets it up as of the server's clock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct World {
    /// The workspaces, in creation order. One that exists already when
    /// the world is loaded is left as it is (a restart keeps its state).
    #[serde(default)]
    pub workspaces: Vec<WorldWorkspace>,
    /// Faults armed when the world is loaded (`injectFault`'s body).
    #[serde(default)]
    pub faults: Vec<FaultCreate>,
}

/// A workspace of a world file: `createWorkspace`'s body with an id, and
/// what `setRateLimits`, `createApiKey`, `createCampaign` and
/// `createWebhook` would add to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorldWorkspace {
    /// The workspace id (no control characters).
    #[schemars(regex(pattern = r"^[^\x00-\x1f\x7f-\x9f]+$"))]
    pub id: String,
    /// The API the workspace speaks.
    pub dialect: Dialect,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Leadlex: resuming a campaign needs approval (`pending_approval`).
    #[serde(default)]
    pub requires_approval: bool,
    /// Rate limits; an absent one means the vendor's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<RateLimits>,
    /// The keys that select this workspace.
    #[serde(default)]
    pub keys: Vec<ApiKeyCreate>,
    /// Campaigns, in creation order, with their steps and prospects.
    #[serde(default)]
    pub campaigns: Vec<CampaignSeed>,
    /// Webhook subscriptions.
    #[serde(default)]
    pub webhooks: Vec<WebhookSubscribe>,
}
