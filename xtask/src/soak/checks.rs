//! The soak's end: drain the webhook retries, then check every invariant
//! against what the server holds after its last kill, and write the report.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use campaign_test_utils::http::Client;
use serde_json::{Value, json};

use super::faces::{Expect, Record, Tracked};
use super::receiver::{Seen, Tally};
use super::{Figures, MAX_OPEN_FILES, MAX_RSS_KIB};

/// How long the drain may take (real time).
const DRAIN_LIMIT: Duration = Duration::from_secs(300);

/// The engine's campaign states (the sandbox document's `EngineStatus`).
const STATES: &[&str] = &[
    "draft",
    "active",
    "paused",
    "stopped",
    "pending_approval",
    "completed",
];

/// The ids of the planted violations: a campaign whose create was
/// "acknowledged" but never sent, and a delivery the receiver "got" that
/// the server never made.
pub const CANARIES: [&str; 2] = ["soak-canary-campaign", "soak-canary-delivery"];

/// The record and the receiver's log with the [`CANARIES`] planted.
pub fn canaries(record: &Record, seen: &HashMap<String, Seen>) -> (Record, HashMap<String, Seen>) {
    let mut planted = record.clone();
    let mut tracked = planted
        .campaigns
        .first()
        .cloned()
        .unwrap_or_else(|| Tracked {
            face: "alta",
            id: String::new(),
            modelled: false,
            expect: None,
            uncertain: false,
            tainted: false,
            prospects_min: 0,
            prospects_max: 0,
        });
    tracked.id = CANARIES[0].to_string();
    planted.campaigns.push(tracked);
    let mut seen = seen.clone();
    seen.insert(
        CANARIES[1].to_string(),
        Seen {
            accepted: true,
            requests: 1,
            ..Seen::default()
        },
    );
    (planted, seen)
}

/// What the checks counted, besides the violations.
#[derive(Debug, Default)]
pub struct Outcome {
    pub violations: Vec<String>,
    pub campaigns: usize,
    pub sends: usize,
    pub deliveries: usize,
    pub attempts: u64,
}

async fn get(http: &Client, url: &str) -> anyhow::Result<(u16, Value)> {
    let answer = http.call("GET", url, &[], None).await?;
    Ok((answer.status, answer.body))
}

async fn deliveries(http: &Client, sandbox: &str) -> anyhow::Result<Vec<Value>> {
    let (status, body) = get(http, &format!("{sandbox}/deliveries")).await?;
    if status != 200 {
        bail!("GET /deliveries: {status} {body}");
    }
    Ok(body["items"].as_array().cloned().unwrap_or_default())
}

/// Advances the virtual clock an hour at a time until every webhook
/// delivery is delivered (each retry falls due on the sandbox clock).
pub async fn drain(http: &Client, sandbox: &str) -> anyhow::Result<Vec<String>> {
    let started = Instant::now();
    loop {
        let open: Vec<Value> = deliveries(http, sandbox)
            .await?
            .into_iter()
            .filter(|d| d["state"] != "delivered")
            .collect();
        if open.is_empty() {
            return Ok(Vec::new());
        }
        if started.elapsed() > DRAIN_LIMIT {
            return Ok(open
                .iter()
                .take(5)
                .map(|d| {
                    format!(
                        "delivery {} still {} after the drain: {d}",
                        d["id"], d["state"]
                    )
                })
                .chain(std::iter::once(format!(
                    "{} deliveries not delivered",
                    open.len()
                )))
                .collect());
        }
        http.json(
            "POST",
            &format!("{sandbox}/clock/advance"),
            Some(&json!({"seconds": 3600})),
        )
        .await
        .context("advancing the clock")?;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Checks every invariant against the server's state.
pub async fn check(
    http: &Client,
    sandbox: &str,
    record: &Record,
    seen: &HashMap<String, Seen>,
    tally: &Tally,
    figures: &Figures,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut violations = record.violations.clone();
    let mut counters: HashMap<String, u64> = HashMap::new();
    for campaign in &record.campaigns {
        let (status, view) = get(http, &format!("{sandbox}/campaigns/{}", campaign.id)).await?;
        if status != 200 {
            violations.push(format!(
                "{} campaign {}: acknowledged create, now {status} {view}",
                campaign.face, campaign.id
            ));
            continue;
        }
        outcome.campaigns += 1;
        let state = view["status"].as_str().unwrap_or_default();
        if !STATES.contains(&state) {
            violations.push(format!(
                "campaign {}: state {state:?} is not an engine state",
                campaign.id
            ));
        }
        if campaign.modelled && !campaign.uncertain && !campaign.tainted {
            let expected: &[&str] = match campaign.expect {
                Some(Expect::Paused) => &["paused"],
                Some(Expect::Running) | None => &["active", "completed"],
            };
            if !expected.contains(&state) {
                violations.push(format!(
                    "{} campaign {}: the last acknowledged request asked for {expected:?}, it is {state:?}",
                    campaign.face, campaign.id
                ));
            }
        }
        let prospects = view["prospectCount"].as_u64().unwrap_or_default();
        if !campaign.tainted
            && !(campaign.prospects_min..=campaign.prospects_max).contains(&prospects)
        {
            violations.push(format!(
                "{} campaign {}: {prospects} prospects, expected {}..={} (seeded plus acknowledged adds)",
                campaign.face, campaign.id, campaign.prospects_min, campaign.prospects_max
            ));
        }
        let c = &view["counters"];
        let total = ["queued", "inFlight", "delivered", "failed"]
            .iter()
            .map(|k| c[k].as_u64().unwrap_or_default())
            .sum();
        counters.insert(campaign.id.clone(), total);
    }

    // No send twice: one per (prospect, step); each counted once.
    let mut after = 0u64;
    let mut pairs = HashSet::new();
    let mut per_campaign: HashMap<String, u64> = HashMap::new();
    loop {
        let (status, page) = get(
            http,
            &format!("{sandbox}/sends?afterId={after}&limit=10000"),
        )
        .await?;
        if status != 200 {
            bail!("GET /sends: {status} {page}");
        }
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let Some(last) = items.last() else { break };
        after = last["id"].as_u64().context("a send id")?;
        for send in &items {
            outcome.sends += 1;
            let pair = (send["prospectId"].to_string(), send["step"].to_string());
            if !pairs.insert(pair) {
                violations.push(format!("send made twice: {send}"));
            }
            *per_campaign
                .entry(send["campaignId"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    for (id, total) in &counters {
        let sends = per_campaign.get(id).copied().unwrap_or_default();
        if sends != *total {
            violations.push(format!(
                "campaign {id}: counters sum to {total}, it has {sends} sends"
            ));
        }
    }

    // Every webhook event delivered, with a stable identity.
    let delivered = deliveries(http, sandbox).await?;
    outcome.deliveries = delivered.len();
    let known: HashSet<&str> = delivered.iter().filter_map(|d| d["id"].as_str()).collect();
    for delivery in &delivered {
        let id = delivery["id"].as_str().unwrap_or_default();
        outcome.attempts += delivery["attempts"].as_array().map_or(0, Vec::len) as u64;
        match seen.get(id) {
            Some(s) if s.accepted && s.body == delivery["body"].as_str().unwrap_or_default() => {}
            Some(s) if !s.accepted => {
                violations.push(format!("delivery {id}: the receiver never accepted it"))
            }
            Some(_) => violations.push(format!(
                "delivery {id}: the receiver got another body than the server logged"
            )),
            None => violations.push(format!("delivery {id}: never reached the receiver")),
        }
    }
    for (id, s) in seen {
        if !known.contains(id.as_str()) {
            violations.push(format!(
                "the receiver got delivery id {id}, which the server does not know"
            ));
        }
        if s.changed_bodies > 0 {
            violations.push(format!("delivery {id}: its body changed between attempts"));
        }
    }
    if tally.without_id > 0 {
        violations.push(format!(
            "{} webhook requests without a delivery id",
            tally.without_id
        ));
    }
    if figures.max_rss_kib > MAX_RSS_KIB {
        violations.push(format!(
            "resident memory reached {} KiB (bound {MAX_RSS_KIB})",
            figures.max_rss_kib
        ));
    }
    if figures.max_open_files > MAX_OPEN_FILES {
        violations.push(format!(
            "open files reached {} (bound {MAX_OPEN_FILES})",
            figures.max_open_files
        ));
    }
    outcome.violations = violations;
    Ok(outcome)
}

/// The report, as Markdown.
pub fn report(
    figures: &Figures,
    record: &Record,
    tally: &Tally,
    outcome: &Outcome,
    violations: &[String],
) -> String {
    let mut refused: Vec<_> = record.refused.iter().collect();
    refused.sort();
    let refused = refused
        .iter()
        .map(|(status, n)| format!("{n} × {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = String::new();
    let _ = writeln!(
        text,
        "# Fault soak (`cargo xtask soak --minutes {} --seed {}`)\n",
        figures.minutes, figures.seed
    );
    let _ = writeln!(text, "| figure | value |\n|---|---|");
    let rows = [
        (
            "requests to the five vendor faces",
            record.requests.to_string(),
        ),
        ("acknowledged (2xx)", record.acknowledged.to_string()),
        (
            "documented refusals (4xx)",
            if refused.is_empty() {
                "0".into()
            } else {
                refused
            },
        ),
        (
            "unanswered (the server was killed)",
            record.unanswered.to_string(),
        ),
        ("kill -9 and restart", figures.kills.to_string()),
        (
            "clock advances (a minute each)",
            figures.clock_advances.to_string(),
        ),
        ("campaigns checked", outcome.campaigns.to_string()),
        ("sends checked", outcome.sends.to_string()),
        ("webhook deliveries", outcome.deliveries.to_string()),
        (
            "delivery attempts (retries)",
            format!(
                "{} ({})",
                outcome.attempts,
                outcome.attempts.saturating_sub(outcome.deliveries as u64)
            ),
        ),
        (
            "receiver: requests, 503s, hangs, dropped, slow",
            format!(
                "{}, {}, {}, {}, {}",
                tally.requests, tally.failed_503, tally.hung, tally.dropped, tally.slow
            ),
        ),
        (
            "drain of the retries",
            format!("{:.1} s", figures.drain_seconds),
        ),
        (
            "server memory, max (KiB)",
            format!("{} (bound {MAX_RSS_KIB})", figures.max_rss_kib),
        ),
        (
            "server open files, max",
            format!("{} (bound {MAX_OPEN_FILES})", figures.max_open_files),
        ),
        (
            "planted violations the checks caught",
            format!("{} of {}", figures.canaries_caught, CANARIES.len()),
        ),
        ("**violations**", format!("**{}**", violations.len())),
    ];
    for (name, value) in rows {
        let _ = writeln!(text, "| {name} | {value} |");
    }
    let mut by: Vec<_> = record.refused_by.iter().collect();
    by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let _ = writeln!(
        text,
        "\nRefusals by request (the documented answers to requests the state did not allow):\n"
    );
    for (request, n) in by {
        let _ = writeln!(text, "- {n} × {request}");
    }
    for violation in violations.iter().take(50) {
        let _ = writeln!(text, "\n- {violation}");
    }
    text
}
