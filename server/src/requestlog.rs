//! The request log: every request a vendor face answers, kept in memory in
//! a bounded ring per workspace (the workspace its key selected) and one
//! per face for requests that reached no workspace. The front layer
//! ([`crate::front`]) records; the sandbox API reads and clears.
//!
//! Credentials are masked before anything is kept: the values of
//! `Authorization`, `x-api-key` and similar headers keep their first
//! characters only, and so do the string values of JSON body fields named
//! like a key, token, secret or password.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use campaign_api::sandbox::{Dialect, LoggedRequest, RequestLogQuery};
use http::HeaderMap;

/// Requests kept per workspace and per face.
pub const RING: usize = 500;
/// Bytes of a body kept.
pub const BODY_CAP: usize = 16 * 1024;
/// Requests a query returns when it names no limit.
const DEFAULT_LIMIT: usize = 100;

/// Headers that carry credentials.
const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "proxy-authorization",
];

/// The logs.
#[derive(Default)]
pub struct RequestLog {
    rings: Mutex<Rings>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Rings {
    workspaces: HashMap<String, VecDeque<LoggedRequest>>,
    faces: HashMap<Dialect, VecDeque<LoggedRequest>>,
}

/// Which ring.
#[derive(Debug, Clone, Copy)]
pub enum Ring<'a> {
    /// A workspace's.
    Workspace(&'a str),
    /// A face's requests that reached no workspace.
    Face(Dialect),
}

/// What the front layer saw of one request and its answer.
pub struct Seen<'a> {
    /// The face.
    pub face: Dialect,
    /// The workspace the key selected.
    pub workspace: Option<String>,
    /// Arrival, on the sandbox clock (ms).
    pub at_ms: i64,
    /// Method.
    pub method: &'a str,
    /// Path and query.
    pub path: &'a str,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// Request body.
    pub request_body: &'a [u8],
    /// Answer status.
    pub status: u16,
    /// Answer body.
    pub response_body: &'a [u8],
    /// Latency in microseconds.
    pub latency_micros: u64,
}

impl RequestLog {
    /// Records one request, masked.
    pub fn record(&self, seen: Seen<'_>) {
        let entry = LoggedRequest {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            at: campaign_api::wire::Iso8601::from_millis(seen.at_ms),
            face: seen.face,
            workspace_id: seen.workspace.clone(),
            method: seen.method.to_string(),
            path: seen.path.to_string(),
            status: seen.status,
            latency_micros: seen.latency_micros,
            request_headers: masked_headers(seen.headers),
            request_body: masked_body(seen.request_body),
            response_body: masked_body(seen.response_body),
        };
        let mut rings = self.lock();
        let ring = match seen.workspace {
            Some(workspace) => rings.workspaces.entry(workspace).or_default(),
            None => rings.faces.entry(seen.face).or_default(),
        };
        if ring.len() == RING {
            ring.pop_front();
        }
        ring.push_back(entry);
    }

    /// A ring's requests that pass `query`, newest first.
    pub fn list(&self, ring: Ring<'_>, query: &RequestLogQuery) -> Vec<LoggedRequest> {
        let rings = self.lock();
        let entries = match ring {
            Ring::Workspace(id) => rings.workspaces.get(id),
            Ring::Face(face) => rings.faces.get(&face),
        };
        let limit = query.limit.map_or(DEFAULT_LIMIT, |n| n as usize);
        entries
            .into_iter()
            .flat_map(|ring| ring.iter().rev())
            .filter(|e| query.after_id.is_none_or(|after| e.id > after))
            .filter(|e| {
                query
                    .method
                    .as_deref()
                    .is_none_or(|m| e.method.eq_ignore_ascii_case(m))
            })
            .filter(|e| query.status.is_none_or(|s| e.status == s))
            .filter(|e| query.path.as_deref().is_none_or(|p| e.path.contains(p)))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Empties a ring.
    pub fn clear(&self, ring: Ring<'_>) {
        let mut rings = self.lock();
        match ring {
            Ring::Workspace(id) => rings.workspaces.remove(id),
            Ring::Face(face) => rings.faces.remove(&face),
        };
    }

    /// Empties every ring (a reset of the world).
    pub fn clear_all(&self) {
        *self.lock() = Rings::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rings> {
        self.rings.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The first characters of a secret, then an ellipsis: enough to tell
/// keys apart, too little to use one.
fn mask(secret: &str) -> String {
    let (scheme, value) = match secret.split_once(' ') {
        Some((scheme, value)) => (format!("{scheme} "), value),
        None => (String::new(), secret),
    };
    let shown: String = value.chars().take(4).collect();
    format!("{scheme}{shown}…")
}

fn masked_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown = if SECRET_HEADERS.contains(&name.as_str()) {
                mask(&text)
            } else {
                text.into_owned()
            };
            (name.as_str().to_string(), shown)
        })
        .collect()
}

/// Whether a JSON field's name says it holds a secret.
fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["key", "token", "secret", "password"]
        .iter()
        .any(|word| name.contains(word))
}

fn mask_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                match field {
                    serde_json::Value::String(text) if is_secret_field(name) => {
                        *text = mask(text);
                    }
                    _ => mask_json(field),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// A body as text, secrets masked, at most [`BODY_CAP`] bytes.
fn masked_body(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) if value.is_object() || value.is_array() => {
            mask_json(&mut value);
            value.to_string()
        }
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    if text.len() <= BODY_CAP {
        return text;
    }
    let mut end = BODY_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen<'a>(workspace: Option<&str>, path: &'a str, headers: &'a HeaderMap) -> Seen<'a> {
        Seen {
            face: Dialect::Alta,
            workspace: workspace.map(str::to_string),
            at_ms: 0,
            method: "POST",
            path,
            headers,
            request_body: br#"{"apiKey": "sk_live_secret_value", "name": "x"}"#,
            status: 200,
            response_body: b"{}",
            latency_micros: 10,
        }
    }

    #[test]
    fn secrets_are_masked_and_rings_are_bounded_and_filtered() {
        let log = RequestLog::default();
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer alta_demo_token".parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        for n in 0..RING + 3 {
            let path = format!("/v1/campaigns/{n}");
            log.record(seen(Some("acme"), &path, &headers));
        }
        log.record(seen(None, "/nowhere", &headers));
        let all = log.list(
            Ring::Workspace("acme"),
            &RequestLogQuery {
                limit: Some(1000),
                ..Default::default()
            },
        );
        assert_eq!(all.len(), RING, "the ring keeps the last {RING}");
        assert_eq!(
            all[0].path,
            format!("/v1/campaigns/{}", RING + 2),
            "newest first"
        );
        assert_eq!(all[0].request_headers["authorization"], "Bearer alta…");
        assert_eq!(all[0].request_headers["content-type"], "application/json");
        assert!(
            all[0].request_body.contains(r#""apiKey":"sk_l…""#),
            "{}",
            all[0].request_body
        );
        assert!(!all[0].request_body.contains("secret_value"));
        let one = log.list(
            Ring::Workspace("acme"),
            &RequestLogQuery {
                path: Some("/campaigns/7".into()),
                ..Default::default()
            },
        );
        assert!(one.iter().all(|e| e.path.contains("/campaigns/7")) && !one.is_empty());
        let face = log.list(Ring::Face(Dialect::Alta), &RequestLogQuery::default());
        assert_eq!(face.len(), 1);
        assert_eq!(face[0].workspace_id, None);
        log.clear(Ring::Workspace("acme"));
        assert!(
            log.list(Ring::Workspace("acme"), &RequestLogQuery::default())
                .is_empty()
        );
        assert_eq!(
            log.list(Ring::Face(Dialect::Alta), &RequestLogQuery::default())
                .len(),
            1
        );
    }

    #[test]
    fn a_long_body_is_cut_at_a_character_boundary() {
        let body = "é".repeat(BODY_CAP);
        let kept = masked_body(body.as_bytes());
        assert!(kept.ends_with(&format!("… ({} bytes in all)", body.len())));
        assert!(kept.len() < BODY_CAP + 40);
    }
}
