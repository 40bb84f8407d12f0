//! The mixed workload: four faces at once (Alta, Leadterra, Leadlex,
//! VoiceGenie), each with its own wrk on a quarter of the connections,
//! each mixing reads of a campaign, pauses and resumes, and (Alta and
//! Leadterra) creates, with the workspaces' rate limits lifted.
//!
//! Woodpecker is left out: its documented throttling runs one request at
//! a time per key, which would measure the throttle, not the server.

use std::path::{Path, PathBuf};

use anyhow::Context;
use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use serde_json::{Value, json};

/// Campaigns per face: a pause and the resume of the same campaign are
/// this many writes apart, so concurrent connections never reorder them.
/// Each has a prospect with a send a day away, so none ever completes.
const CAMPAIGNS: usize = 64;

/// One face's share of the load.
pub struct Face {
    pub name: &'static str,
    /// The origin plus path prefix the script's paths follow.
    pub base: String,
    pub script: PathBuf,
}

/// How one face is driven: its credential header, its campaign ids, and
/// its requests (Lua expressions of the campaign id `id`).
struct Shape {
    name: &'static str,
    key: &'static str,
    header: (&'static str, &'static str),
    id: fn(usize) -> String,
    read: &'static str,
    pause: &'static str,
    resume: &'static str,
    /// A create request (method, path, body), if the face has one.
    create: Option<(&'static str, &'static str, &'static str)>,
    seed: fn(usize) -> Value,
}

fn uuid(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

const SHAPES: [Shape; 4] = [
    Shape {
        name: "alta",
        key: "mixed_alta",
        header: ("Authorization", "Bearer mixed_alta"),
        // Clear of the single-face load's ids (which could share them now
        // that each workspace is a namespace, but the figures stay
        // comparable with earlier runs).
        id: |n| uuid(2_000_000 + n),
        read: r#"wrk.format("GET", "/v1/campaigns/" .. id, h)"#,
        pause: r#"wrk.format("POST", "/v1/campaigns/" .. id .. "/pause", h, "{}")"#,
        resume: r#"wrk.format("POST", "/v1/campaigns/" .. id .. "/resume", h, "{}")"#,
        create: Some(("POST", "/v1/campaigns", r#"{\"name\": \"mixed\"}"#)),
        seed: |n| {
            json!({
                "steps": [{"channel": "email", "delaySeconds": 86400}],
                "prospects": [{"email": format!("p{n}@mixed.example")}]
            })
        },
    },
    Shape {
        name: "leadterra",
        key: "sk_test_mixed",
        header: ("Authorization", "Bearer sk_test_mixed"),
        id: |n| format!("camp_mixed{n}"),
        read: r#"wrk.format("GET", "/v1/campaigns/" .. id .. "/stats", h)"#,
        pause: r#"wrk.format("POST", "/v1/campaigns/" .. id .. "/pause", h)"#,
        resume: r#"wrk.format("POST", "/v1/campaigns/" .. id .. "/start", h)"#,
        create: Some((
            "POST",
            "/v1/campaigns",
            r#"{\"name\": \"mixed\", \"sequenceSteps\": [{\"subject\": \"Hi\", \"bodyHtml\": \"<p>Hi</p>\"}]}"#,
        )),
        seed: |n| {
            json!({
                "steps": [{"channel": "email", "delaySeconds": 86400, "subject": "Hi"}],
                "prospects": [{"email": format!("p{n}@mixed.example")}]
            })
        },
    },
    Shape {
        name: "leadlex",
        key: "wbk_mixed",
        header: ("Authorization", "Bearer wbk_mixed"),
        id: |n| format!("cmp_mixed{n}"),
        read: r#"wrk.format("GET", "/functions/v1/api-gateway/v1/campaigns/" .. id, h)"#,
        pause: r#"wrk.format("POST", "/functions/v1/api-gateway/v1/campaigns/" .. id .. "/pause", h)"#,
        resume: r#"wrk.format("POST", "/functions/v1/api-gateway/v1/campaigns/" .. id .. "/start", h)"#,
        create: None,
        seed: |n| {
            json!({
                "steps": [{"channel": "email", "delaySeconds": 86400}],
                "prospects": [{"email": format!("p{n}@mixed.example")}]
            })
        },
    },
    Shape {
        name: "voicegenie",
        key: "vg_mixed",
        header: ("x-api-key", "vg_mixed"),
        id: |n| uuid(1_000_000 + n),
        read: r#"wrk.format("GET", "/campaign/" .. id, h)"#,
        pause: r#"wrk.format("GET", "/pauseTheCampaign/" .. id, h)"#,
        resume: r#"wrk.format("GET", "/startCampaign/" .. id, h)"#,
        create: None,
        seed: |n| {
            json!({
                "steps": [{"channel": "call", "delaySeconds": 0}],
                "scriptId": "script_mixed",
                "settings": {"callDurationSeconds": 86400},
                "prospects": [{"phone": format!("+1415555{n:04}")}]
            })
        },
    },
];

/// Seeds one workspace per face on `server` (limits lifted, [`CAMPAIGNS`]
/// active campaigns each) and writes each face's wrk script into `dir`.
/// Each round gets fresh workspaces: a run stops mid-cycle, leaving some
/// campaigns paused, which the next run's script would pause again.
pub fn prepare(server: &TestServer, dir: &Path, round: u32) -> anyhow::Result<Vec<Face>> {
    let sandbox = server.url("sandbox");
    let call = |method: &str, path: &str, body: Value| {
        blocking::json(method, &format!("{sandbox}{path}"), Some(&body))
    };
    let mut faces = Vec::new();
    for shape in &SHAPES {
        let ws = format!("mixed-{}-{round}", shape.name);
        call(
            "POST",
            "/workspaces",
            json!({"id": ws, "dialect": shape.name}),
        )?;
        call(
            "POST",
            &format!("/workspaces/{ws}/keys"),
            json!({"key": format!("{}{round}", shape.key), "scopes": ["campaigns:read", "campaigns:write"]}),
        )?;
        call(
            "PUT",
            &format!("/workspaces/{ws}/rate-limits"),
            json!({"perMinute": 100_000_000, "perDay": 1_000_000_000, "prospectsPerMinute": 100_000_000}),
        )?;
        let first = round as usize * CAMPAIGNS;
        for n in first..first + CAMPAIGNS {
            let mut campaign = (shape.seed)(n);
            campaign["id"] = json!((shape.id)(n));
            campaign["name"] = json!(format!("mixed {n}"));
            campaign["status"] = json!("active");
            call("POST", &format!("/workspaces/{ws}/campaigns"), campaign)
                .with_context(|| format!("seeding {} campaign {n}", shape.name))?;
        }
        let script = dir.join(format!("mixed_{}_{round}.lua", shape.name));
        std::fs::write(&script, script_text(shape, first, round))?;
        faces.push(Face {
            name: shape.name,
            base: server.origin(shape.name).to_string(),
            script,
        });
    }
    Ok(faces)
}

/// Requests alternate between a read and a write; the writes pause every
/// campaign in turn, then resume every one; every 32nd request of a face
/// that can create is a create instead of a read. The first 64 requests
/// are reads: wrk drops the request it makes for each new connection.
fn script_text(shape: &Shape, first: usize, round: u32) -> String {
    let ids: Vec<String> = (first..first + CAMPAIGNS)
        .map(|n| format!("\"{}\"", (shape.id)(n)))
        .collect();
    let create = match shape.create {
        Some((method, path, body)) => format!(
            "if n % 32 == 0 then return wrk.format(\"{method}\", \"{path}\", h, \"{body}\") end"
        ),
        None => String::new(),
    };
    format!(
        r#"-- The mixed workload of {name}: reads, pauses, resumes{creates}.
local ids = {{{ids}}}
local h = {{["{header}"] = "{value}{round}", ["Content-Type"] = "application/json"}}
local n = 0
local w = 0
request = function()
  n = n + 1
  -- wrk makes a request for each connection as it connects and never
  -- sends it: the first requests are reads, so no write is lost.
  if n > 64 then
    {create}
  end
  if n <= 64 or n % 2 == 0 then
    local id = ids[math.floor(n / 2) % {count} + 1]
    return {read}
  end
  local k = w
  w = w + 1
  local id = ids[k % {count} + 1]
  if math.floor(k / {count}) % 2 == 0 then
    return {pause}
  end
  return {resume}
end
"#,
        name = shape.name,
        creates = if shape.create.is_some() {
            ", creates"
        } else {
            ""
        },
        ids = ids.join(", "),
        header = shape.header.0,
        value = shape.header.1,
        count = CAMPAIGNS,
        read = shape.read,
        pause = shape.pause,
        resume = shape.resume,
    )
}
