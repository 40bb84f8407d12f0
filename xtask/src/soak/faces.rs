//! The soak's clients: each owns its campaigns on one face and drives them
//! with that vendor's own requests (creates, pauses, resumes, reads,
//! lists, contacts), recording what was acknowledged so that the checks at
//! the end know what must be there.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// Where each API answers now (the server gets new ports at each restart).
pub type Bases = Arc<RwLock<HashMap<String, String>>>;

/// How long a client waits for an answer before it counts the request as
/// lost (its outcome is then unknown for the rest of the soak).
const ANSWER_LIMIT: Duration = Duration::from_secs(30);
/// Campaigns a client creates at most (each makes sends and webhook
/// events on the clock; the drain at the end must keep up).
const MAX_CAMPAIGNS: usize = 20;

/// A request body made from a unique number.
type Body = fn(u64) -> Value;

/// One face's requests. Paths follow the face's base URL (its document's
/// sandbox server); `{id}` is the campaign id.
pub struct Face {
    pub name: &'static str,
    pub key: &'static str,
    header: &'static str,
    /// Whether the key goes in `Authorization: Bearer`.
    bearer: bool,
    get: (&'static str, &'static str),
    list: (&'static str, &'static str),
    pause: (&'static str, &'static str),
    resume: (&'static str, &'static str),
    /// A create request and its body, for faces that have one.
    create: Option<(&'static str, Body)>,
    /// Adding one prospect (path, body of a unique number), or reading the
    /// contacts (body `None`).
    contacts: Option<(&'static str, &'static str, Option<Body>)>,
    /// The sandbox seed of a campaign's steps, prospects and settings.
    seed: fn(u64) -> Value,
    /// Clients on this face (Woodpecker answers one request at a time per
    /// key, as documented).
    pub clients: usize,
}

fn email_steps(n: u64) -> Value {
    json!({
        "steps": (0..12).map(|_| json!({"channel": "email", "delaySeconds": 3600, "subject": "Hi", "body": "Hi"})).collect::<Vec<_>>(),
        "prospects": (0..3).map(|p| json!({"email": format!("s{n}p{p}@soak.example"), "firstName": "Soak"})).collect::<Vec<_>>(),
    })
}

pub const FACES: [Face; 5] = [
    Face {
        name: "alta",
        key: "soak_alta_key",
        header: "authorization",
        bearer: true,
        get: ("GET", "/campaigns/{id}"),
        list: ("GET", "/campaigns"),
        pause: ("POST", "/campaigns/{id}/pause"),
        resume: ("POST", "/campaigns/{id}/resume"),
        create: Some(("/campaigns", |n| json!({"name": format!("soak {n}")}))),
        contacts: Some((
            "POST",
            "/campaigns/{id}/prospects",
            Some(|n| json!({"prospects": [{"email": format!("added{n}@soak.example")}]})),
        )),
        seed: email_steps,
        clients: 2,
    },
    Face {
        name: "voicegenie",
        key: "soak_voicegenie_key",
        header: "x-api-key",
        bearer: false,
        get: ("GET", "/campaign/{id}"),
        list: ("GET", "/fetchCampaignData"),
        pause: ("GET", "/pauseTheCampaign/{id}"),
        resume: ("GET", "/startCampaign/{id}"),
        create: None,
        contacts: None,
        seed: |n| {
            json!({
                "steps": [{"channel": "call", "delaySeconds": 0}],
                "scriptId": "script_soak",
                "settings": {"callDurationSeconds": 86400},
                "prospects": (0..3).map(|p| json!({"phone": format!("+1415{:03}{p:04}", n % 1000)})).collect::<Vec<_>>(),
            })
        },
        clients: 2,
    },
    Face {
        name: "leadterra",
        key: "sk_test_soak",
        header: "authorization",
        bearer: true,
        get: ("GET", "/v1/campaigns/{id}/stats"),
        list: ("GET", "/v1/campaigns/{id}/stats"),
        pause: ("POST", "/v1/campaigns/{id}/pause"),
        resume: ("POST", "/v1/campaigns/{id}/start"),
        create: Some((
            "/v1/campaigns",
            |n| json!({"name": format!("soak {n}"), "sequenceSteps": [{"subject": "Hi", "bodyHtml": "<p>Hi</p>"}]}),
        )),
        contacts: Some((
            "POST",
            "/v1/campaigns/{id}/leads/bulk",
            Some(
                |n| json!({"leads": [{"email": format!("added{n}@soak.example"), "firstName": "Soak"}]}),
            ),
        )),
        seed: email_steps,
        clients: 2,
    },
    Face {
        name: "leadlex",
        key: "wbk_soak",
        header: "authorization",
        bearer: true,
        get: ("GET", "/v1/campaigns/{id}"),
        list: ("GET", "/v1/campaigns"),
        pause: ("POST", "/v1/campaigns/{id}/pause"),
        resume: ("POST", "/v1/campaigns/{id}/start"),
        create: None,
        contacts: Some(("GET", "/v1/campaigns/{id}/contacts", None)),
        seed: email_steps,
        clients: 2,
    },
    Face {
        name: "woodpecker",
        key: "soak_woodpecker_key",
        header: "x-api-key",
        bearer: false,
        get: ("GET", "/v2/campaigns/{id}"),
        list: ("GET", "/v2/campaigns/{id}"),
        pause: ("POST", "/v2/campaigns/{id}/pause"),
        resume: ("POST", "/v2/campaigns/{id}/run"),
        create: Some(("/v2/campaigns", |n| {
            json!({"name": format!("soak {n}"), "emails": [{"subject": "Hi", "body": "<p>Hi</p>", "delay_in_days": 0}],
                   "prospects": [{"email": format!("wp{n}@soak.example")}]})
        })),
        contacts: None,
        seed: email_steps,
        clients: 1,
    },
];

/// The workspace a face's clients use.
pub fn workspace(face: &Face) -> String {
    format!("soak-{}", face.name)
}

/// What the last acknowledged pause or resume of a campaign asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Paused,
    Running,
}

/// A campaign a client created (the create was acknowledged).
#[derive(Debug, Clone)]
pub struct Tracked {
    pub face: &'static str,
    pub id: String,
    /// Seeded active with steps and prospects (face creates make drafts,
    /// whose pause and resume rules differ per vendor: only their presence
    /// is checked).
    pub modelled: bool,
    pub expect: Option<Expect>,
    /// A request on it whose outcome is unknown came after the last
    /// acknowledged one (the server was killed while it ran).
    pub uncertain: bool,
    /// A request on it was never answered: the server may still apply it.
    pub tainted: bool,
    /// Prospects it must have (seeded, plus acknowledged adds) and may
    /// have (plus adds whose outcome is unknown).
    pub prospects_min: u64,
    pub prospects_max: u64,
}

/// Everything the clients did.
#[derive(Debug, Default, Clone)]
pub struct Record {
    pub campaigns: Vec<Tracked>,
    pub requests: u64,
    pub acknowledged: u64,
    /// 4xx answers by status: the documented refusals of requests the
    /// state did not allow (pausing a completed campaign, ...).
    pub refused: HashMap<u16, u64>,
    /// The same, by face, request and status.
    pub refused_by: HashMap<String, u64>,
    /// Requests the server never answered (it was killed).
    pub unanswered: u64,
    /// 5xx answers, or answers that are not JSON: violations.
    pub violations: Vec<String>,
}

enum Outcome {
    Ack(Value),
    Refused,
    Unknown { answered_late: bool },
}

/// One client's loop: seeds its first campaigns, then draws requests until
/// `stop` is set.
pub async fn run_client(
    face: &'static Face,
    index: u64,
    seed: u64,
    bases: Bases,
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<Record>>,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ (index << 32) ^ face_number(face));
    let http = reqwest::Client::builder()
        .timeout(ANSWER_LIMIT)
        .build()
        .expect("an HTTP client builds");
    let client = Client {
        face,
        http,
        bases,
        record: Arc::clone(&record),
    };
    let mut mine: Vec<Tracked> = Vec::new();
    let mut counter = index * 1_000_000;
    while mine.len() < 3 && !stop.load(Ordering::Relaxed) {
        counter += 1;
        if let Some(tracked) = client.seed(counter).await {
            mine.push(tracked);
        }
    }
    while !stop.load(Ordering::Relaxed) {
        counter += 1;
        let draw: f64 = rng.random();
        if draw < 0.05 && mine.len() < MAX_CAMPAIGNS {
            let made = match face.create {
                Some(_) if rng.random_bool(0.5) => client.create(counter).await,
                _ => client.seed(counter).await,
            };
            mine.extend(made);
            continue;
        }
        if mine.is_empty() {
            continue;
        }
        let at = rng.random_range(0..mine.len());
        let campaign = &mut mine[at];
        let (method, path, body, effect) = match draw {
            d if d < 0.30 => (face.pause.0, face.pause.1, None, Some(Expect::Paused)),
            d if d < 0.55 => (face.resume.0, face.resume.1, None, Some(Expect::Running)),
            d if d < 0.75 => (face.get.0, face.get.1, None, None),
            d if d < 0.85 => (face.list.0, face.list.1, None, None),
            _ => match face.contacts {
                Some((method, path, body)) => (method, path, body.map(|b| b(counter)), None),
                None => (face.get.0, face.get.1, None, None),
            },
        };
        let adds = body.is_some() && effect.is_none();
        let outcome = client.call(method, path, &campaign.id, body).await;
        match outcome {
            Outcome::Ack(_) => {
                if let Some(expect) = effect {
                    campaign.expect = Some(expect);
                    campaign.uncertain = false;
                }
                if adds {
                    campaign.prospects_min = campaign.prospects_min.saturating_add(1);
                    campaign.prospects_max = campaign.prospects_max.saturating_add(1);
                }
            }
            Outcome::Refused => {}
            Outcome::Unknown { answered_late } => {
                campaign.uncertain |= effect.is_some();
                campaign.tainted |= answered_late;
                if adds {
                    campaign.prospects_max = campaign.prospects_max.saturating_add(1);
                }
            }
        }
    }
    record.lock().expect("soak record").campaigns.extend(mine);
}

/// The face's place in [`FACES`] (each face's clients draw their own
/// choices).
fn face_number(face: &Face) -> u64 {
    FACES
        .iter()
        .position(|f| f.name == face.name)
        .unwrap_or_default() as u64
}

struct Client {
    face: &'static Face,
    http: reqwest::Client,
    bases: Bases,
    record: Arc<Mutex<Record>>,
}

impl Client {
    fn base(&self, api: &str) -> String {
        self.bases.read().expect("bases")[api].clone()
    }

    /// A campaign seeded active through the sandbox API (retried until the
    /// server answers: setup is not under test).
    async fn seed(&self, n: u64) -> Option<Tracked> {
        let mut body = (self.face.seed)(n);
        body["name"] = json!(format!("soak seed {n}"));
        body["status"] = json!("active");
        let prospects = body["prospects"].as_array().map_or(0, Vec::len) as u64;
        for _ in 0..200 {
            let url = format!(
                "{}/workspaces/{}/campaigns",
                self.base("sandbox"),
                workspace(self.face)
            );
            match self.http.post(&url).json(&body).send().await {
                Ok(answer) if answer.status().is_success() => {
                    let view: Value = answer.json().await.ok()?;
                    return Some(Tracked {
                        face: self.face.name,
                        id: json_id(&view["id"])?,
                        modelled: true,
                        expect: Some(Expect::Running),
                        uncertain: false,
                        tainted: false,
                        prospects_min: prospects,
                        prospects_max: prospects,
                    });
                }
                Ok(answer) => {
                    let status = answer.status();
                    let text = answer.text().await.unwrap_or_default();
                    self.violation(format!(
                        "sandbox seed of {}: {status} {text}",
                        self.face.name
                    ));
                    return None;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        None
    }

    /// A campaign created through the face's own create.
    async fn create(&self, n: u64) -> Option<Tracked> {
        let (path, body) = self.face.create?;
        match self.call("POST", path, "", Some(body(n))).await {
            Outcome::Ack(view) => Some(Tracked {
                face: self.face.name,
                id: json_id(&view["id"])?,
                modelled: false,
                expect: None,
                uncertain: false,
                tainted: false,
                prospects_min: 0,
                prospects_max: u64::MAX,
            }),
            _ => None,
        }
    }

    /// A request to the face; `path` is its template (`{id}` for `id`).
    async fn call(&self, method: &str, path: &str, id: &str, body: Option<Value>) -> Outcome {
        let url = format!("{}{}", self.base(self.face.name), path.replace("{id}", id));
        let mut request = self
            .http
            .request(method.parse().expect("a method"), &url)
            .header(
                self.face.header,
                if self.face.bearer {
                    format!("Bearer {}", self.face.key)
                } else {
                    self.face.key.to_string()
                },
            );
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.record.lock().expect("soak record").requests += 1;
        let answer = match request.send().await {
            Ok(answer) => answer,
            Err(e) => {
                self.record.lock().expect("soak record").unanswered += 1;
                // Not connected: the server is down; let it come back.
                tokio::time::sleep(Duration::from_millis(20)).await;
                return Outcome::Unknown {
                    answered_late: e.is_timeout(),
                };
            }
        };
        let status = answer.status().as_u16();
        let Ok(bytes) = answer.bytes().await else {
            self.record.lock().expect("soak record").unanswered += 1;
            return Outcome::Unknown {
                answered_late: false,
            };
        };
        let parsed: Option<Value> = if bytes.is_empty() {
            Some(Value::Null)
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        let mut record = self.record.lock().expect("soak record");
        match (status, parsed) {
            (200..=299, Some(view)) => {
                record.acknowledged += 1;
                Outcome::Ack(view)
            }
            (400..=499, Some(_)) => {
                *record.refused.entry(status).or_default() += 1;
                *record
                    .refused_by
                    .entry(format!("{} {method} {path} {status}", self.face.name))
                    .or_default() += 1;
                Outcome::Refused
            }
            (_, parsed) => {
                record.violations.push(format!(
                    "{} {method} {path}: {status} {}",
                    self.face.name,
                    parsed.map_or_else(
                        || String::from_utf8_lossy(&bytes).into_owned(),
                        |v| v.to_string()
                    )
                ));
                Outcome::Refused
            }
        }
    }

    fn violation(&self, text: String) {
        self.record
            .lock()
            .expect("soak record")
            .violations
            .push(text);
    }
}

/// An id as text (Woodpecker's are integers).
pub fn json_id(id: &Value) -> Option<String> {
    match id {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}
