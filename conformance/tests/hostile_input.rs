//! The hostile-input sweep: every operation of every face (read from its
//! checked-in document, not a hand list) gets what a careless or hostile
//! client sends: unknown paths, wrong methods, no key, unsupported media
//! types, malformed JSON, wrong field types, bad path parameters, invalid
//! query parameters and bodies over the limit. No answer may be a 5xx, a
//! body in dropshot's own shape (on a vendor face), or a body outside the
//! face's documented shapes; the fixed refusals have their fixed statuses
//! (`404`, `405` with `Allow`, `401` before `413`).

use campaign_client::sandbox;
use campaignd::demo;
use conformance::schema::{Document, Operation};
use reqwest::Method;
use serde_json::{Value, json};

/// A face's demo key and one of its campaigns' ids.
fn demo_of(face: &str) -> (&'static str, &'static str) {
    match face {
        "alta" => (demo::ALTA_TOKEN, demo::ALTA_CAMPAIGN),
        "voicegenie" => (demo::VOICEGENIE_KEY, demo::VOICEGENIE_CAMPAIGN),
        "leadterra" => (demo::LEADTERRA_KEY, demo::LEADTERRA_CAMPAIGN),
        "leadlex" => (demo::LEADLEX_KEY, demo::LEADLEX_CAMPAIGN),
        "woodpecker" => (demo::WOODPECKER_KEYS[0], demo::WOODPECKER_CAMPAIGN),
        _ => ("", "camp_sweep"),
    }
}

/// One request of the sweep and what it must get.
struct Probe {
    what: String,
    method: Method,
    path: String,
    with_key: bool,
    content_type: Option<&'static str>,
    body: Option<Vec<u8>>,
    /// The status it must get, when one is fixed.
    status: Option<u16>,
    /// Whose document judges a documented status: the operation's.
    operation: Option<String>,
}

impl Probe {
    fn new(what: impl Into<String>, method: &str, path: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            method: method.parse().expect("a method"),
            path: path.into(),
            with_key: true,
            content_type: None,
            body: None,
            status: None,
            operation: None,
        }
    }

    fn json_body(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.content_type = Some(content_type);
        self.body = Some(body.into());
        self
    }
}

/// A concrete path for `operation`, each path parameter `value_of(name)`.
fn fill(operation: &Operation, value_of: impl Fn(&str) -> String) -> String {
    let mut path = operation.path.clone();
    for name in &operation.path_params {
        path = path.replace(&format!("{{{name}}}"), &value_of(name));
    }
    path
}

/// A value of the wrong JSON type for a property of `kind`.
fn wrong_value(kind: &str) -> Value {
    match kind {
        "string" => json!(12345),
        "integer" | "number" => json!("not a number"),
        "boolean" => json!("yes"),
        "array" => json!({"not": "a list"}),
        _ => json!([1, 2, 3]),
    }
}

fn probes(operation: &Operation, campaign: &str) -> Vec<Probe> {
    let name = format!("{} {}", operation.method, operation.template);
    let id_for = |param: &str| -> String {
        if param.to_lowercase().contains("prospect") {
            "0b6f2a53-3c1e-4d4e-9a55-1f0a4f3b8c01".to_string()
        } else {
            campaign.to_string()
        }
    };
    let path = fill(operation, id_for);
    let method = operation.method.as_str();
    let mut probes = Vec::new();
    let judged = |mut probe: Probe| {
        probe.operation = Some(path.clone());
        probe
    };

    for other in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        if !operation.methods.iter().any(|m| m == other) {
            let mut probe = Probe::new(format!("{name}: wrong method {other}"), other, &path);
            probe.status = Some(405);
            probes.push(probe);
        }
    }
    if operation.secured {
        let mut probe = Probe::new(format!("{name}: no key"), method, &path);
        probe.with_key = false;
        probe.status = Some(401);
        probes.push(judged(probe));
        let mut probe = Probe::new(format!("{name}: no key, huge body"), method, &path)
            .json_body("application/json", vec![b' '; 70_000]);
        probe.with_key = false;
        probe.status = Some(401);
        probes.push(judged(probe));
    }
    let mut huge = Probe::new(format!("{name}: body over the limit"), method, &path).json_body(
        "application/json",
        format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000)),
    );
    huge.status = Some(413);
    probes.push(huge);

    let bodies: Vec<(&str, &'static str, Vec<u8>)> = vec![
        ("malformed JSON", "application/json", b"{nope".to_vec()),
        (
            "truncated JSON",
            "application/json",
            b"{\"a\": [1, 2".to_vec(),
        ),
        ("XML", "application/xml", b"<campaign/>".to_vec()),
        (
            "a form",
            "application/x-www-form-urlencoded",
            b"a=b&c=d".to_vec(),
        ),
        ("plain text", "text/plain", b"hello".to_vec()),
        ("a JSON array", "application/json", b"[1, 2, 3]".to_vec()),
        ("a JSON string", "application/json", b"\"text\"".to_vec()),
        ("JSON null", "application/json", b"null".to_vec()),
        ("a bare number", "application/json", b"42".to_vec()),
        (
            "invalid UTF-8",
            "application/json",
            vec![b'"', 0xff, 0xfe, b'"'],
        ),
        (
            "deep nesting",
            "application/json",
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        ),
    ];
    for (what, content_type, body) in bodies {
        probes.push(judged(
            Probe::new(format!("{name}: {what}"), method, &path).json_body(content_type, body),
        ));
    }
    for (property, kind) in &operation.body_properties {
        let body = json!({ property: wrong_value(kind) }).to_string();
        probes.push(judged(
            Probe::new(
                format!("{name}: {property} of the wrong type"),
                method,
                &path,
            )
            .json_body("application/json", body),
        ));
    }
    let hostile_ids = [
        "%ZZ",
        "%00",
        "-1",
        "0",
        "99999999999999999999999999",
        "%F0%9F%92%A5",
        "%7Bcampaign_id%7D",
        "a%2Fb",
        "%20",
        "null",
    ];
    for param in &operation.path_params {
        for bad in hostile_ids.iter().copied().chain([&*"x".repeat(2_000)]) {
            let probe_path = fill(operation, |p| {
                if p == param {
                    bad.to_string()
                } else {
                    id_for(p)
                }
            });
            let shown: String = bad.chars().take(24).collect();
            let mut probe = Probe::new(format!("{name}: {param} = {shown}"), method, probe_path);
            if operation.has_body {
                probe = probe.json_body("application/json", "{}");
            }
            probes.push(judged(probe));
        }
    }
    let mut queries: Vec<String> = vec!["zzz=1".into(), "%ZZ=%ZZ".into(), "&&&".into()];
    for param in &operation.query_params {
        for bad in ["abc", "-1", "0", "99999999999999999999", "", "1.5", "%00"] {
            queries.push(format!("{param}={bad}"));
        }
        queries.push(format!("{param}=1&{param}=2"));
    }
    for query in queries {
        let mut probe = Probe::new(
            format!("{name}: ?{query}"),
            method,
            format!("{path}?{query}"),
        );
        if operation.has_body {
            probe = probe.json_body("application/json", "{}");
        }
        probes.push(judged(probe));
    }
    probes
}

/// Paths no operation has: beside the base path, below the deepest
/// operation, broken encodings.
fn unknown_paths(document: &Document, operations: &[Operation]) -> Vec<Probe> {
    let base = document.base_path();
    let deepest = operations
        .iter()
        .max_by_key(|o| o.path.matches('/').count())
        .expect("an operation");
    [
        "/".to_string(),
        format!("{base}/"),
        format!("{base}/no/such/thing"),
        format!("{}/extra", deepest.path.replace(['{', '}'], "x")),
        "/%ZZ".to_string(),
        format!("{base}//"),
        "/openapi.json/x".to_string(),
    ]
    .into_iter()
    .filter(|path| path != "/" || !base.is_empty())
    .map(|path| {
        let mut probe = Probe::new(format!("unknown path {path}"), "GET", path);
        probe.status = Some(404);
        probe
    })
    .collect()
}

#[tokio::test]
async fn hostile_input_never_gets_a_5xx_a_dropshot_body_or_an_undocumented_shape() {
    let server = campaign_test_utils::TestServer::in_process(true)
        .await
        .unwrap();
    let http = server.http().reqwest().clone();
    // Lift every workspace's limits: the sweep must reach the handlers.
    let sandbox = sandbox::Client::new(server.url("sandbox"));
    let workspaces = sandbox.list_workspaces().send().await.unwrap();
    for workspace in &workspaces.items {
        let plenty = std::num::NonZeroU32::new(1_000_000);
        let lifted = sandbox::types::RateLimits {
            per_day: plenty,
            per_minute: plenty,
            prospects_per_minute: plenty,
        };
        sandbox
            .set_rate_limits()
            .workspace_id(&workspace.id)
            .body(lifted)
            .send()
            .await
            .unwrap();
    }

    let openapi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
    let mut failures = Vec::new();
    let mut sent = 0;
    // The sandbox API last: its /reset would undo the lifted limits.
    for face in [
        "alta",
        "voicegenie",
        "leadterra",
        "leadlex",
        "woodpecker",
        "sandbox",
    ] {
        let text = std::fs::read_to_string(openapi.join(format!("{face}.json"))).unwrap();
        let document = Document::new(&text).unwrap();
        let origin = server.origin(face);
        let (key, campaign) = demo_of(face);
        let credential = document.credential_header();
        let operations = document.operations();
        assert!(!operations.is_empty(), "{face} has no operations");
        let mut all: Vec<Probe> = unknown_paths(&document, &operations);
        for operation in &operations {
            all.extend(probes(operation, campaign));
        }
        for probe in all {
            sent += 1;
            let mut request = http.request(probe.method.clone(), format!("{origin}{}", probe.path));
            if let (true, Some((header, prefix))) = (probe.with_key, &credential) {
                request = request.header(header, format!("{prefix}{key}"));
            }
            if let Some(content_type) = probe.content_type {
                request = request.header("content-type", content_type);
            }
            if let Some(body) = probe.body.clone() {
                request = request.body(body);
            }
            let answer = request.send().await.unwrap();
            let status = answer.status().as_u16();
            let allow = answer
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap_or("").to_string());
            let bytes = answer.bytes().await.unwrap();
            let body: Option<Value> = if bytes.is_empty() {
                None
            } else {
                match serde_json::from_slice(&bytes) {
                    Ok(body) => Some(body),
                    Err(_) => {
                        failures.push(format!(
                            "{face} {}: {status} with a body that is not JSON: {}",
                            probe.what,
                            String::from_utf8_lossy(&bytes)
                        ));
                        continue;
                    }
                }
            };
            let mut problems = Vec::new();
            if status >= 500 {
                problems.push("a server error".to_string());
            }
            if let Some(expected) = probe.status
                && status != expected
            {
                problems.push(format!("expected {expected}"));
            }
            if status == 405 && allow.is_none() {
                problems.push("a 405 without Allow".to_string());
            }
            if face != "sandbox" && body.as_ref().is_some_and(|b| b.get("request_id").is_some()) {
                problems.push("dropshot's own error body".to_string());
            }
            // The operation's schema judges a status it documents; any other
            // error must be one of the face's error shapes.
            let documented = probe.operation.as_ref().filter(|path| {
                status < 500
                    && document
                        .expected(probe.method.as_str(), path, status)
                        .is_ok()
            });
            match (documented, &body) {
                (Some(path), _) => problems.extend(document.violations(
                    probe.method.as_str(),
                    path,
                    status,
                    body.as_ref(),
                )),
                (None, Some(body)) if status >= 400 => {
                    problems.extend(document.error_violations(body))
                }
                (None, None) if status >= 400 => problems.push("an error with no body".to_string()),
                (None, _) => {}
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{face} {}: {status} {}: {}",
                    probe.what,
                    body.map(|b| b.to_string()).unwrap_or_default(),
                    problems.join("; ")
                ));
            }
        }
    }
    println!(
        "hostile-input sweep: {sent} requests, {} failures",
        failures.len()
    );
    assert!(sent > 500, "the sweep sent only {sent} requests");
    assert!(
        failures.is_empty(),
        "{} of {sent} hostile requests were answered wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    server.close().await;
}
