//! The request log's wire types: what a vendor face answered, per
//! workspace (`GET /workspaces/{id}/requests`) or, for requests that
//! reached no workspace, per face (`GET /faces/{face}/requests`).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Dialect;
use crate::wire::Iso8601;

/// One request a vendor face answered, with secrets masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Increasing with every request the server logs (any face).
    pub id: u64,
    /// When it arrived, on the sandbox clock.
    pub at: Iso8601,
    /// The face that answered.
    pub face: Dialect,
    /// The workspace its key selected; absent when no key did.
    pub workspace_id: Option<String>,
    /// Method.
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// From the request's arrival to its answer's last byte ready, in
    /// microseconds.
    pub latency_micros: u64,
    /// Request headers; credentials show only their first characters.
    pub request_headers: BTreeMap<String, String>,
    /// The request body as text (secrets masked, at most 16 KiB).
    pub request_body: String,
    /// The answer's body as text (secrets masked, at most 16 KiB).
    pub response_body: String,
}

/// Filters of a request log; the newest requests come first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestLogQuery {
    /// Only this method (any case).
    #[serde(default)]
    pub method: Option<String>,
    /// Only this status.
    #[serde(default)]
    #[schemars(range(min = 100, max = 599))]
    pub status: Option<u16>,
    /// Only paths containing this text.
    #[serde(default)]
    pub path: Option<String>,
    /// Only requests after this id (for polling).
    #[serde(default)]
    #[schemars(range(max = 9007199254740991_u64))]
    pub after_id: Option<u64>,
    /// At most this many (default 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// A face, as a path parameter.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FacePath {
    /// The face: alta, voicegenie, leadterra, leadlex or woodpecker.
    pub face: Dialect,
}

/// How many of a workspace's campaigns to list.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignListQuery {
    /// At most this many (default 100).
    #[serde(default)]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}
