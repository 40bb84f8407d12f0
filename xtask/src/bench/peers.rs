//! The peers measured beside campaignd on the same load: WireMock's
//! scenario state machine (the stateful mock users would otherwise reach
//! for) and Prism mocking Alta's document (stateless), both from the
//! pinned npm packages of `cargo xtask tools`.

use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use campaign_test_utils::http::blocking;
use serde_json::json;

use super::CAMPAIGNS;
use crate::contract::{Running, free_port, start_until};
use crate::tools::Tools;

/// The WireMock release of the pinned npm package.
pub const WIREMOCK: &str = "3.13.2";

/// A peer listening on `origin`, serving Alta's paths under `prefix`.
pub struct Peer {
    pub origin: String,
    pub prefix: &'static str,
    _process: Running,
}

/// How WireMock is run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Journal {
    /// As shipped: every request is kept in the request journal (what a
    /// user gets from `java -jar wiremock-standalone.jar`).
    Kept,
    /// `--no-request-journal`: WireMock's fastest configuration.
    Off,
}

/// WireMock standalone, with one scenario per campaign: pause moves it to
/// `paused`, resume back to `Started`, and either answers 200 in any state
/// (wrk's connections interleave), like campaignd's idempotent
/// pause/resume (Alta's pause and resume answer a bodiless 200 too).
pub fn wiremock(tools: &Tools, journal: Journal) -> anyhow::Result<Peer> {
    let jar = tools.dir().join(format!(
        "npm/node_modules/wiremock/build/wiremock-standalone-{WIREMOCK}.jar"
    ));
    let port = free_port()?;
    let mut command = Command::new("java");
    command
        .arg("-jar")
        .arg(&jar)
        .args(["--bind-address", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--disable-banner");
    if journal == Journal::Off {
        command.arg("--no-request-journal");
    }
    let process = start_until(command, "port:", Duration::from_secs(60))
        .with_context(|| format!("starting WireMock ({})", jar.display()))?;
    let origin = format!("http://127.0.0.1:{port}");
    for n in 0..CAMPAIGNS {
        let campaign = format!("00000000-0000-4000-8000-{n:012}");
        for (action, next) in [("pause", "paused"), ("resume", "Started")] {
            for from in ["Started", "paused"] {
                let mapping = json!({
                    "priority": 1,
                    "scenarioName": campaign,
                    "requiredScenarioState": from,
                    "newScenarioState": next,
                    "request": {
                        "method": "POST",
                        "url": format!("/v1/campaigns/{campaign}/{action}"),
                        "headers": {"Authorization": {"equalTo": "Bearer bench_token"}}
                    },
                    "response": {"status": 200}
                });
                blocking::json(
                    "POST",
                    &format!("{origin}/__admin/mappings"),
                    Some(&mapping),
                )
                .context("adding a WireMock mapping")?;
            }
        }
    }
    // WireMock's scenarios are not atomic under concurrent requests: a
    // request can meet a state that a concurrent transition is changing
    // and match no scenario mapping (seen as 404s, "Scenario does not
    // match", a few per thousand). A lower-priority stateless mapping
    // answers those, so that the load measures throughput, not 404s.
    let fallback = json!({
        "priority": 10,
        "request": {"method": "POST", "urlPathPattern": "/v1/campaigns/[^/]+/(pause|resume)"},
        "response": {"status": 200}
    });
    blocking::json(
        "POST",
        &format!("{origin}/__admin/mappings"),
        Some(&fallback),
    )
    .context("adding WireMock's fallback mapping")?;
    Ok(Peer {
        origin,
        prefix: "/v1",
        _process: process,
    })
}

/// Prism mocking `openapi/alta.json`: no state, each answer the
/// document's example for the operation.
pub fn prism(tools: &Tools) -> anyhow::Result<Peer> {
    let port = free_port()?;
    let mut command = Command::new(tools.npm_bin("prism"));
    Tools::quiet_env(&mut command)
        .args(["mock", "openapi/alta.json", "-h", "127.0.0.1", "-p"])
        .arg(port.to_string())
        .current_dir(crate::project_root());
    let process = start_until(command, "Prism is listening", Duration::from_secs(60))
        .context("starting Prism")?;
    // Prism serves the document's paths as written: relative to its
    // server's `/v1`, so without it.
    Ok(Peer {
        origin: format!("http://127.0.0.1:{port}"),
        prefix: "",
        _process: process,
    })
}
