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

use bytes::Bytes;
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
    workspaces: HashMap<String, VecDeque<Kept>>,
    faces: HashMap<Dialect, VecDeque<Kept>>,
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
pub struct Seen {
    /// The face.
    pub face: Dialect,
    /// The workspace the key selected.
    pub workspace: Option<String>,
    /// Arrival, on the sandbox clock (ms).
    pub at_ms: i64,
    /// Method.
    pub method: http::Method,
    /// Path and query.
    pub path: String,
    /// Request headers, as [`header_lines`] keeps them.
    pub headers: String,
    /// Request body.
    pub request_body: Bytes,
    /// Answer status.
    pub status: u16,
    /// Answer body.
    pub response_body: Bytes,
    /// Latency in microseconds.
    pub latency_micros: u64,
}

/// A request as kept: what was seen, as it came (cheap to keep: the
/// bodies are shared, not copied). Masking and formatting wait for a
/// reader, off the request path, but for a body over [`BODY_CAP`], which
/// is masked whole and cut at once (rare, and its cut text could not be
/// masked later).
struct Kept {
    id: u64,
    seen: Seen,
    bodies: [KeptBody; 2],
}

enum KeptBody {
    /// As it came: at most [`BODY_CAP`] bytes.
    Raw(Bytes),
    /// Masked and cut already.
    Text(String),
}

impl KeptBody {
    fn new(body: &Bytes) -> Self {
        if body.len() <= BODY_CAP {
            // A copy: a slice would hold the connection's read buffer,
            // which hyper would then have to allocate anew.
            return Self::Raw(Bytes::copy_from_slice(body));
        }
        let text = masked_body(body);
        let mut end = BODY_CAP.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Self::Text(format!("{}… ({} bytes in all)", &text[..end], body.len()))
    }

    fn text(&self) -> String {
        match self {
            Self::Raw(body) => masked_body(body),
            Self::Text(text) => text.clone(),
        }
    }
}

impl Kept {
    fn view(&self) -> LoggedRequest {
        let seen = &self.seen;
        LoggedRequest {
            id: self.id,
            at: campaign_api::wire::Iso8601::from_millis(seen.at_ms),
            face: seen.face,
            workspace_id: seen.workspace.clone(),
            method: seen.method.to_string(),
            path: seen.path.clone(),
            status: seen.status,
            latency_micros: seen.latency_micros,
            request_headers: masked_headers(&seen.headers),
            request_body: self.bodies[0].text(),
            response_body: self.bodies[1].text(),
        }
    }
}

impl RequestLog {
    /// Records one request.
    pub fn record(&self, mut seen: Seen) {
        let bodies = [
            KeptBody::new(&std::mem::take(&mut seen.request_body)),
            KeptBody::new(&std::mem::take(&mut seen.response_body)),
        ];
        let kept = Kept {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            seen,
            bodies,
        };
        let mut rings = self.lock();
        let ring = match &kept.seen.workspace {
            Some(workspace) => match rings.workspaces.get_mut(workspace) {
                Some(ring) => ring,
                None => rings.workspaces.entry(workspace.clone()).or_default(),
            },
            None => rings.faces.entry(kept.seen.face).or_default(),
        };
        if ring.len() == RING {
            ring.pop_front();
        }
        ring.push_back(kept);
    }

    /// A ring's requests that pass `query`, newest first, masked.
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
                    .is_none_or(|m| e.seen.method.as_str().eq_ignore_ascii_case(m))
            })
            .filter(|e| query.status.is_none_or(|s| e.seen.status == s))
            .filter(|e| {
                query
                    .path
                    .as_deref()
                    .is_none_or(|p| e.seen.path.contains(p))
            })
            .take(limit)
            .map(Kept::view)
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

/// Request headers as the log keeps them: a `name: value` line each, in
/// one allocation (not a copy of the map, whose values would hold the
/// connection's read buffer). Header values have no line breaks.
pub fn header_lines(headers: &HeaderMap) -> String {
    let mut lines = String::with_capacity(headers.len() * 40);
    for (name, value) in headers {
        lines.push_str(name.as_str());
        lines.push_str(": ");
        lines.push_str(&String::from_utf8_lossy(value.as_bytes()));
        lines.push('\n');
    }
    lines
}

fn masked_headers(lines: &str) -> BTreeMap<String, String> {
    lines
        .lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| {
            let shown = if SECRET_HEADERS.contains(&name) {
                mask(value)
            } else {
                value.to_string()
            };
            (name.to_string(), shown)
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

/// A body as text, secrets masked.
fn masked_body(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) if value.is_object() || value.is_array() => {
            mask_json(&mut value);
            value.to_string()
        }
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(workspace: Option<&str>, path: &str, headers: &HeaderMap) -> Seen {
        Seen {
            face: Dialect::Alta,
            workspace: workspace.map(str::to_string),
            at_ms: 0,
            method: http::Method::POST,
            path: path.to_string(),
            headers: header_lines(headers),
            request_body: Bytes::from_static(br#"{"apiKey": "sk_live_secret_value", "name": "x"}"#),
            status: 200,
            response_body: Bytes::from_static(b"{}"),
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
    fn a_long_body_is_masked_then_cut_at_a_character_boundary() {
        let body = Bytes::from(format!(
            r#"{{"apiToken": "tok_secret_value", "pad": "{}"}}"#,
            "é".repeat(BODY_CAP)
        ));
        let kept = KeptBody::new(&body).text();
        assert!(
            kept.ends_with(&format!("é… ({} bytes in all)", body.len())),
            "{kept}"
        );
        assert!(kept.contains(r#""apiToken":"tok_…""#) && !kept.contains("secret_value"));
        assert!(kept.len() < BODY_CAP + 40);
    }
}
