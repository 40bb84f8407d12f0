//! A conformance case: one documented example, as data
//! (`conformance/cases/<vendor>/<name>.json`).

use std::collections::BTreeMap;

use campaign_client::sandbox::types as sandbox;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One documented example and the world it presupposes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    /// Where on the vendor's page the example comes from.
    pub source: Source,
    /// The world the example presupposes, applied through the sandbox API.
    #[serde(default)]
    pub given: Given,
    /// The request, exactly as documented.
    pub request: Request,
    /// The documented answer.
    pub documented: Documented,
    /// Where the page shows no body, the sandbox's documented choice.
    #[serde(default)]
    pub sandbox_choice: Option<SandboxChoice>,
    /// Rules the page states, checked on sandbox state after the request.
    #[serde(default)]
    pub then: Vec<Check>,
}

impl Case {
    /// Every free path of the case (documented and sandbox choice).
    pub fn free_paths(&self) -> Vec<String> {
        let mut free = self.documented.free.clone();
        if let Some(choice) = &self.sandbox_choice {
            free.extend(choice.free.iter().cloned());
        }
        free
    }
}

/// The page and section an example comes from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source {
    /// The vendor page's file name in `shared/vendor-docs/`.
    pub page: String,
    /// The section of the page.
    pub section: String,
    /// The request samples the case stands for (curl, Python, JavaScript, Java).
    #[serde(default)]
    pub samples: Vec<String>,
    /// Ids of the documented examples covered (see `documented.json`).
    pub examples: Vec<String>,
}

/// The world before the request.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Given {
    /// Workspaces to create.
    #[serde(default)]
    pub workspaces: Vec<sandbox::WorkspaceCreate>,
    /// Keys to create.
    #[serde(default)]
    pub keys: Vec<KeyGiven>,
    /// Campaigns to create.
    #[serde(default)]
    pub campaigns: Vec<CampaignGiven>,
    /// Rate limits to set.
    #[serde(default)]
    pub rate_limits: Vec<RateLimitsGiven>,
    /// Faults to arm.
    #[serde(default)]
    pub faults: Vec<sandbox::FaultCreate>,
    /// Webhook subscriptions; `{sandbox}` in a URL is the sandbox API's
    /// base URL (its built-in sinks receive deliveries).
    #[serde(default)]
    pub webhooks: Vec<WebhookGiven>,
    /// Requests to the face before the documented one (e.g. to use up a
    /// rate limit); their answers are not compared.
    #[serde(default)]
    pub before: Vec<Request>,
    /// Requests to the face sent concurrently just before the documented
    /// one and still in flight when it is sent (e.g. to fill Woodpecker's
    /// per-key queue); their answers are not compared.
    #[serde(default)]
    pub in_flight: Vec<Request>,
    /// Seconds to advance the virtual clock before the request.
    #[serde(default)]
    pub advance_seconds: u64,
}

/// A key of a workspace.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyGiven {
    /// The workspace.
    pub workspace: String,
    /// The exact key string.
    pub key: String,
    /// Its scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Its expiry.
    #[serde(default)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Its rate tier (Leadlex).
    #[serde(default)]
    pub rate_tier: Option<sandbox::RateTier>,
}

/// A campaign of a workspace.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CampaignGiven {
    /// The workspace.
    pub workspace: String,
    /// The campaign.
    pub campaign: sandbox::CampaignSeed,
}

/// A webhook subscription of a workspace.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookGiven {
    /// The workspace.
    pub workspace: String,
    /// The receiver.
    pub url: String,
    /// The events.
    pub events: Vec<String>,
}

/// Rate limits of a workspace.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateLimitsGiven {
    /// The workspace.
    pub workspace: String,
    /// The limits.
    pub limits: sandbox::RateLimits,
}

/// An HTTP request as documented.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The path (and query), exactly as documented.
    pub path: String,
    /// Headers, as documented.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A raw body (e.g. empty, or malformed on purpose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// Send `raw` this many times over (a body over the size limit without
    /// 64 KiB of padding in the case file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_repeat: Option<usize>,
}

impl Request {
    /// The raw body as sent: `raw`, repeated `raw_repeat` times.
    pub fn raw_body(&self) -> Option<String> {
        let raw = self.raw.as_ref()?;
        Some(raw.repeat(self.raw_repeat.unwrap_or(1)))
    }
}

/// A documented answer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Documented {
    /// The status.
    pub status: u16,
    /// The documented body; absent when the page shows none.
    #[serde(default)]
    pub body: Option<Value>,
    /// The page says the answer has no body at all.
    #[serde(default)]
    pub no_body: bool,
    /// Dotted paths whose values the page cannot fix (compared by type).
    #[serde(default)]
    pub free: Vec<String>,
    /// Response headers the contract fixes (Content-Type, Retry-After,
    /// RateLimit-*, Allow), with their exact values.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A sandbox choice standing in for an undocumented body.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SandboxChoice {
    /// Why (the VENDORS.md choice).
    pub why: String,
    /// The chosen body, compared like a documented one.
    pub body: Value,
    /// Free paths, as in `documented`.
    #[serde(default)]
    pub free: Vec<String>,
}

/// A check on sandbox state after the request.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Check {
    /// What the rule is, in a few words.
    pub rule: String,
    /// A request to the face first (e.g. a resume), answer not compared
    /// beyond a 2xx status.
    #[serde(default)]
    pub request: Option<Request>,
    /// Seconds to advance the virtual clock then (after the request).
    #[serde(default)]
    pub advance_seconds: u64,
    /// A sandbox API path to GET.
    pub get: String,
    /// What the answer must contain.
    pub contains: Value,
    /// Asynchronous effects (webhook deliveries): retry the GET for up to
    /// five seconds until it holds.
    #[serde(default)]
    pub eventually: bool,
}
