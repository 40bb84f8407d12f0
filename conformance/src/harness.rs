//! Runs cases: an in-process server (memory store, virtual clock), the
//! world applied through the generated sandbox client, the request sent
//! with reqwest exactly as documented, and the answer judged.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use campaign_client::sandbox;
use campaign_test_utils::TestServer;
use serde::Serialize;
use serde_json::Value;

use crate::case::{Case, Request};
use crate::client_replay::{self, NotReplayed};
use crate::compare::{compare, contains, timestamp_format};
use crate::schema::Document;

/// Response headers that never matter (they change on every run).
const VOLATILE_HEADERS: &[&str] = &["date", "x-request-id", "content-length"];

/// What was sent and what came back, as snapshotted.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// `METHOD path`.
    pub request: String,
    /// The status.
    pub status: u16,
    /// The headers that matter, sorted.
    pub headers: BTreeMap<String, String>,
    /// The JSON body, `null` when there was none.
    pub body: Value,
    /// Whether any body bytes came back.
    #[serde(skip)]
    pub had_body: bool,
    /// The body exactly as it came (for forwarding it unchanged).
    #[serde(skip)]
    pub raw: Vec<u8>,
}

impl Exchange {
    /// The exchange with volatile values redacted: timestamps, and the
    /// case's free paths (generated ids; `[]` stands for every item of an
    /// array, e.g. `data[].id`).
    pub fn redacted(&self, free: &[String]) -> Exchange {
        let mut copy = self.clone();
        redact(&mut copy.body);
        for path in free {
            let segments: Vec<&str> = path.split('.').collect();
            redact_path(&mut copy.body, &segments);
        }
        copy
    }
}

fn redact_path(value: &mut Value, segments: &[&str]) {
    let Some((first, rest)) = segments.split_first() else {
        *value = Value::String("[generated]".into());
        return;
    };
    let (key, every_item) = match first.strip_suffix("[]") {
        Some(key) => (key, true),
        None => (*first, false),
    };
    let Some(child) = (if key.is_empty() {
        Some(value)
    } else {
        value.get_mut(key)
    }) else {
        return;
    };
    if every_item {
        for item in child.as_array_mut().into_iter().flatten() {
            redact_path(item, rest);
        }
    } else {
        redact_path(child, rest);
    }
}

fn redact(value: &mut Value) {
    match value {
        Value::String(text) if timestamp_format(text).is_some() => {
            *value = Value::String("[timestamp]".into())
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(map) => map.values_mut().for_each(redact),
        _ => {}
    }
}

/// The judgement of one case.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    /// Differences from the documented answer (or the sandbox choice).
    pub differences: Vec<String>,
    /// Violations of the face's own OpenAPI document.
    pub schema_violations: Vec<String>,
    /// Failed rule checks.
    pub failed_checks: Vec<String>,
}

impl Verdict {
    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.differences.is_empty()
            && self.schema_violations.is_empty()
            && self.failed_checks.is_empty()
    }

    /// Every failure, one per line.
    pub fn failures(&self) -> Vec<String> {
        let tagged = |tag: &str, items: &[String]| {
            items
                .iter()
                .map(|i| format!("{tag}: {i}"))
                .collect::<Vec<_>>()
        };
        let mut all = tagged("differs", &self.differences);
        all.extend(tagged("schema", &self.schema_violations));
        all.extend(tagged("rule", &self.failed_checks));
        all
    }
}

/// `got` with the `null`s of `expected` restored where `got` lacks the key:
/// the generated types skip an absent optional field when serialized back,
/// which says the client read `null` (or nothing), not that it lost a value.
fn with_nulls_of(expected: &Value, got: &Value) -> Value {
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            let mut out = g.clone();
            for (key, value) in e {
                match g.get(key) {
                    Some(inner) => {
                        out.insert(key.clone(), with_nulls_of(value, inner));
                    }
                    None if value.is_null() => {
                        out.insert(key.clone(), Value::Null);
                    }
                    None => {}
                }
            }
            Value::Object(out)
        }
        (Value::Array(e), Value::Array(g)) => match e.first() {
            Some(template) => {
                Value::Array(g.iter().map(|item| with_nulls_of(template, item)).collect())
            }
            None => got.clone(),
        },
        _ => got.clone(),
    }
}

/// How the answer's headers (lower-case names) differ from the ones the
/// contract fixes.
pub fn header_differences(
    expected: &BTreeMap<String, String>,
    got: &BTreeMap<String, String>,
) -> Vec<String> {
    expected
        .iter()
        .filter_map(|(name, value)| match got.get(&name.to_ascii_lowercase()) {
            Some(actual) if actual == value => None,
            Some(actual) => Some(format!("header {name}: expected {value:?}, got {actual:?}")),
            None => Some(format!("header {name}: expected {value:?}, got none")),
        })
        .collect()
}

/// The judgement of a case replayed through the generated client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientVerdict {
    /// The typed answer is the documented one.
    Passed,
    /// The typed client cannot express the request (why).
    NotExpressible(String),
    /// The typed answer differs, or the client could not read it.
    Failed(Vec<String>),
}

/// One server for every case; the world is reset between cases.
pub struct Harness {
    server: TestServer,
    sandbox: sandbox::Client,
    http: reqwest::Client,
    documents: HashMap<String, Document>,
}

impl Harness {
    /// Starts the server and loads every face's document.
    pub async fn start() -> anyhow::Result<Self> {
        let server = TestServer::in_process(false).await?;
        let sandbox = sandbox::Client::new(server.url("sandbox"));
        let openapi = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi");
        let mut documents = HashMap::new();
        for face in &server.ports().apis {
            let path = openapi.join(format!("{}.json", face.name));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            documents.insert(face.name.to_string(), Document::new(&text)?);
        }
        Ok(Self {
            http: server.http().reqwest().clone(),
            server,
            sandbox,
            documents,
        })
    }

    /// The base URL of a face (with its vendor's path prefix).
    pub fn base_url(&self, vendor: &str) -> &str {
        self.server.url(vendor)
    }

    /// Runs one case of `vendor` (the face's name).
    pub async fn run(&self, vendor: &str, case: &Case) -> anyhow::Result<(Exchange, Verdict)> {
        self.prepare(vendor, case).await?;
        let exchange = self.send_in_world(vendor, case, &case.request).await?;
        let mut verdict = self.judge(vendor, case, &exchange);
        self.check_rules(vendor, case, &mut verdict).await?;
        Ok((exchange, verdict))
    }

    /// Replays the case through the generated client of its face, in the
    /// case's world, and judges the typed answer like the raw one (status
    /// and body; the `then` rules are the raw run's).
    pub async fn run_with_client(
        &self,
        vendor: &str,
        case: &Case,
    ) -> anyhow::Result<ClientVerdict> {
        self.prepare(vendor, case).await?;
        let document = self
            .documents
            .get(vendor)
            .with_context(|| format!("no document for {vendor}"))?;
        let Some((template, operation_id)) =
            document.operation(&case.request.method, &case.request.path)
        else {
            return Ok(ClientVerdict::NotExpressible(
                "no operation of the document matches the request".into(),
            ));
        };
        let base_url = self.server.url(vendor);
        let replay = client_replay::replay(vendor, &operation_id, &template, base_url, case);
        let answer = match self.with_in_flight(vendor, case, replay).await {
            Ok(answer) => answer,
            Err(NotReplayed::NotExpressible(why)) => return Ok(ClientVerdict::NotExpressible(why)),
            Err(NotReplayed::Failed(e)) => {
                return Ok(ClientVerdict::Failed(vec![format!("{e:#}")]));
            }
        };
        let mut differences = Vec::new();
        if answer.status != case.documented.status {
            differences.push(format!(
                "status: expected {}, the client got {}",
                case.documented.status, answer.status
            ));
        }
        let expected = case
            .documented
            .body
            .as_ref()
            .or(case.sandbox_choice.as_ref().map(|c| &c.body));
        match (expected, &answer.body) {
            (Some(expected), Some(got)) => differences.extend(
                compare(expected, &with_nulls_of(expected, got), &case.free_paths())
                    .iter()
                    .map(|d| d.to_string()),
            ),
            (Some(_), None) => differences.push("body: documented, the client read none".into()),
            (None, Some(got)) if case.documented.no_body => {
                differences.push(format!("body: documented as none, the client read {got}"))
            }
            _ => {}
        }
        Ok(if differences.is_empty() {
            ClientVerdict::Passed
        } else {
            ClientVerdict::Failed(differences)
        })
    }

    /// Resets the world and applies the case's `given`.
    pub async fn prepare(&self, vendor: &str, case: &Case) -> anyhow::Result<()> {
        self.sandbox
            .reset_world()
            .send()
            .await
            .context("resetting the world")?;
        self.apply_given(vendor, case).await
    }

    /// Sends `request` to the face of `vendor` in the world of `case`: the
    /// case's in-flight requests first (given time to arrive, and to wait
    /// in the server), then `request`.
    pub async fn send_in_world(
        &self,
        vendor: &str,
        case: &Case,
        request: &Request,
    ) -> anyhow::Result<Exchange> {
        self.with_in_flight(vendor, case, self.send(vendor, request))
            .await
    }

    /// Runs `request` with the case's in-flight requests: they are sent
    /// first and given time to arrive (and to wait in the server).
    async fn with_in_flight<T>(
        &self,
        vendor: &str,
        case: &Case,
        request: impl std::future::Future<Output = T>,
    ) -> T {
        if case.given.in_flight.is_empty() {
            return request.await;
        }
        let in_flight =
            futures::future::join_all(case.given.in_flight.iter().map(|r| self.send(vendor, r)));
        let later = async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            request.await
        };
        let (_, answer) = tokio::join!(in_flight, later);
        answer
    }

    /// Judges an answer against the case's documented answer (status, body,
    /// the face's OpenAPI document); the case's `then` rules are not run.
    pub fn judge(&self, vendor: &str, case: &Case, exchange: &Exchange) -> Verdict {
        let mut verdict = Verdict::default();

        if exchange.status != case.documented.status {
            verdict.differences.push(format!(
                "status: expected {}, got {} (body {})",
                case.documented.status, exchange.status, exchange.body
            ));
        }
        if case.documented.no_body {
            if exchange.had_body {
                verdict
                    .differences
                    .push(format!("body: documented as none, got {}", exchange.body));
            }
        } else if let Some(documented) = &case.documented.body {
            verdict.differences.extend(
                compare(documented, &exchange.body, &case.documented.free)
                    .iter()
                    .map(|d| d.to_string()),
            );
        } else if let Some(choice) = &case.sandbox_choice {
            verdict.differences.extend(
                compare(&choice.body, &exchange.body, &choice.free)
                    .iter()
                    .map(|d| format!("{d} (sandbox choice: {})", choice.why)),
            );
        }

        verdict.differences.extend(header_differences(
            &case.documented.headers,
            &exchange.headers,
        ));
        let body = exchange.had_body.then_some(&exchange.body);
        let path = case.request.path.split('?').next().unwrap_or_default();
        verdict.schema_violations = match self.documents.get(vendor) {
            Some(document) => {
                document.violations(&case.request.method, path, exchange.status, body)
            }
            None => vec![format!("no document for {vendor}")],
        };
        verdict
    }

    /// Checks the case's `then` rules on the sandbox's state.
    async fn check_rules(
        &self,
        vendor: &str,
        case: &Case,
        verdict: &mut Verdict,
    ) -> anyhow::Result<()> {
        for check in &case.then {
            if let Some(request) = &check.request {
                let answer = self.send(vendor, request).await?;
                if !(200..300).contains(&answer.status) {
                    verdict.failed_checks.push(format!(
                        "{}: {} answered {} {}",
                        check.rule, answer.request, answer.status, answer.body
                    ));
                }
            }
            if check.advance_seconds > 0 {
                self.sandbox
                    .advance_clock()
                    .body(sandbox::types::ClockAdvance {
                        seconds: check.advance_seconds,
                        millis: 0,
                    })
                    .send()
                    .await?;
            }
            let url = format!("{}{}", self.server.url("sandbox"), check.get);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            let mut differences = loop {
                let state: Value = self.http.get(&url).send().await?.json().await?;
                let differences = contains(&check.contains, &state);
                if differences.is_empty()
                    || !check.eventually
                    || std::time::Instant::now() > deadline
                {
                    break differences;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            };
            for difference in differences.drain(..) {
                verdict
                    .failed_checks
                    .push(format!("{} (GET {}): {difference}", check.rule, check.get));
            }
        }
        Ok(())
    }

    async fn apply_given(&self, vendor: &str, case: &Case) -> anyhow::Result<()> {
        let given = &case.given;
        for workspace in &given.workspaces {
            self.sandbox
                .create_workspace()
                .body(workspace.clone())
                .send()
                .await
                .context("creating a workspace")?;
        }
        for key in &given.keys {
            self.sandbox
                .create_api_key()
                .workspace_id(&key.workspace)
                .body(sandbox::types::ApiKeyCreate {
                    key: key
                        .key
                        .parse()
                        .map_err(|e| anyhow::anyhow!("key {:?}: {e}", key.key))?,
                    scopes: key.scopes.clone(),
                    expires_at: key.expires_at,
                    rate_tier: key.rate_tier,
                })
                .send()
                .await
                .context("creating a key")?;
        }
        for campaign in &given.campaigns {
            self.sandbox
                .create_campaign()
                .workspace_id(&campaign.workspace)
                .body(campaign.campaign.clone())
                .send()
                .await
                .context("creating a campaign")?;
        }
        for limits in &given.rate_limits {
            self.sandbox
                .set_rate_limits()
                .workspace_id(&limits.workspace)
                .body(limits.limits.clone())
                .send()
                .await
                .context("setting rate limits")?;
        }
        for hook in &given.webhooks {
            let url = hook.url.replace("{sandbox}", self.server.url("sandbox"));
            self.sandbox
                .create_webhook()
                .workspace_id(&hook.workspace)
                .body(sandbox::types::WebhookSubscribe {
                    url: url
                        .parse()
                        .map_err(|e| anyhow::anyhow!("webhook url {url:?}: {e}"))?,
                    events: hook.events.clone(),
                })
                .send()
                .await
                .context("subscribing a webhook")?;
        }
        for fault in &given.faults {
            self.sandbox
                .inject_fault()
                .body(fault.clone())
                .send()
                .await
                .context("arming a fault")?;
        }
        for request in &given.before {
            self.send(vendor, request).await?;
        }
        if given.advance_seconds > 0 {
            self.sandbox
                .advance_clock()
                .body(sandbox::types::ClockAdvance {
                    seconds: given.advance_seconds,
                    millis: 0,
                })
                .send()
                .await
                .context("advancing the clock")?;
        }
        Ok(())
    }

    /// Sends a request to a face exactly as documented (only the origin changes).
    pub async fn send(&self, vendor: &str, request: &Request) -> anyhow::Result<Exchange> {
        let origin = self.server.origin(vendor);
        let headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let body = match &request.json {
            Some(json) => Some(serde_json::to_vec(json)?),
            None => request.raw_body().map(String::into_bytes),
        };
        let answer = self
            .server
            .http()
            .call(
                &request.method,
                &format!("{origin}{}", request.path),
                &headers,
                body.as_deref(),
            )
            .await
            .with_context(|| format!("sending {} {}", request.method, request.path))?;
        let headers = answer
            .headers
            .iter()
            .filter(|(name, _)| !VOLATILE_HEADERS.contains(&name.as_str()))
            .map(|(name, value)| {
                (
                    name.to_string(),
                    value.to_str().unwrap_or("<binary>").to_string(),
                )
            })
            .collect();
        let bytes = answer.raw;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                Value::String(format!("<not JSON> {}", String::from_utf8_lossy(&bytes)))
            })
        };
        Ok(Exchange {
            request: format!("{} {}", request.method, request.path),
            headers,
            body,
            had_body: !bytes.is_empty(),
            status: answer.status,
            raw: bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_header_must_be_there_with_its_value() {
        let expected = BTreeMap::from([("Retry-After".to_string(), "60".to_string())]);
        let same = BTreeMap::from([("retry-after".to_string(), "60".to_string())]);
        assert!(header_differences(&expected, &same).is_empty());
        let other = BTreeMap::from([("retry-after".to_string(), "30".to_string())]);
        assert_eq!(
            header_differences(&expected, &other),
            vec![r#"header Retry-After: expected "60", got "30""#]
        );
        assert_eq!(
            header_differences(&expected, &BTreeMap::new()),
            vec![r#"header Retry-After: expected "60", got none"#]
        );
    }
}
