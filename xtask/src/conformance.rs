//! `cargo xtask conformance [--vendor NAME] [--skip-schemathesis]`: runs the
//! conformance suite, prints the vendor × case matrix with the documented
//! examples covered, writes `target/conformance/report.md` and
//! `target/conformance/junit.xml`, runs the vendors' own code samples
//! ([`crate::samples`]), then fuzzes every served document of a demo server
//! with schemathesis (pinned, in a local virtual environment).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context;
use campaign_test_utils::http::blocking;
use campaign_test_utils::{ServedApi, TestServer};
use serde::Deserialize;

/// The header each face needs on a demo server, for schemathesis.
const DEMO_AUTH: &[(&str, &str)] = &[
    ("alta", "Authorization: Bearer alta_demo_token"),
    ("voicegenie", "x-api-key: your-api-key-here"),
    ("leadterra", "Authorization: Bearer sk_live_YOUR_KEY"),
    ("leadlex", "Authorization: Bearer wbk_your_api_key_here"),
    ("woodpecker", "x-api-key: YOUR_API_KEY"),
];

/// Options of the task.
#[derive(clap::Args)]
pub struct Args {
    /// Only this vendor's cases (alta, voicegenie, leadterra, leadlex, woodpecker).
    #[arg(long)]
    vendor: Option<String>,
    /// Do not run schemathesis.
    #[arg(long)]
    skip_schemathesis: bool,
    /// Do not run the vendors' own code samples.
    #[arg(long)]
    skip_samples: bool,
}

#[derive(Deserialize)]
struct CaseResult {
    vendor: String,
    case: String,
    examples: Vec<String>,
    passed: bool,
    failures: Vec<String>,
    /// The replay through the generated client.
    #[serde(default)]
    client: String,
}

#[derive(Deserialize)]
struct Inventory {
    page: String,
    facts: Vec<Fact>,
}

/// One fact of a vendor's page: documented (with the page's words) or a
/// sandbox choice (with its reason).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fact {
    id: String,
    kind: FactKind,
    what: String,
    #[serde(default)]
    words: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
enum FactKind {
    #[serde(rename = "documented")]
    Documented,
    #[serde(rename = "sandbox choice")]
    SandboxChoice,
}

impl Fact {
    /// Its label and the page's words or the choice's reason.
    fn label(&self) -> String {
        match (self.kind, &self.words, &self.reason) {
            (FactKind::Documented, Some(words), _) => format!("documented: “{words}”"),
            (FactKind::SandboxChoice, _, Some(reason)) => format!("sandbox choice: {reason}"),
            (FactKind::Documented, None, _) => "documented (the page's words missing)".into(),
            (FactKind::SandboxChoice, _, None) => "sandbox choice (the reason missing)".into(),
        }
    }

    /// A fact states its words (documented) or reason (sandbox choice).
    fn is_complete(&self) -> bool {
        match self.kind {
            FactKind::Documented => self.words.as_deref().is_some_and(|w| !w.trim().is_empty()),
            FactKind::SandboxChoice => self.reason.as_deref().is_some_and(|r| !r.trim().is_empty()),
        }
    }
}

/// Runs the task.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = crate::project_root();
    let out = crate::tools::target_dir(&root).join("conformance");
    let results = out.join("results");
    let _ = std::fs::remove_dir_all(&results);
    std::fs::create_dir_all(&results)?;

    eprintln!("==> conformance cases");
    let mut test = Command::new(crate::cargo());
    test.args(["test", "-p", "conformance", "--test", "conformance"])
        .current_dir(&root);
    if let Some(vendor) = &args.vendor {
        test.env("CONFORMANCE_VENDOR", vendor);
    }
    let tests = test.status().context("running the conformance tests")?;

    let inventory: BTreeMap<String, Inventory> =
        serde_json::from_slice(&std::fs::read(root.join("conformance/documented.json"))?)
            .context("reading conformance/documented.json")?;
    let mut cases: Vec<CaseResult> = Vec::new();
    for entry in std::fs::read_dir(&results)? {
        let path = entry?.path();
        cases.push(
            serde_json::from_slice(&std::fs::read(&path)?)
                .with_context(|| format!("{}", path.display()))?,
        );
    }
    cases.sort_by(|a, b| (&a.vendor, &a.case).cmp(&(&b.vendor, &b.case)));
    let report = report(&inventory, &cases, args.vendor.as_deref());
    print!("{}", report.matrix);
    std::fs::write(out.join("report.md"), &report.markdown)?;
    std::fs::write(out.join("junit.xml"), junit(&cases))?;
    eprintln!(
        "==> wrote {} and {}",
        out.join("report.md").display(),
        out.join("junit.xml").display()
    );

    let samples_passed = if args.skip_samples {
        true
    } else {
        eprintln!("==> the vendors' own samples (conformance/samples), host replaced");
        let tools = crate::tools::Tools::ensure()?;
        let samples = crate::samples::run_all(&root, &tools)?;
        let mut section = String::from(
            "\n## The vendors' own samples\n\n| sample | case | result |\n|---|---|---|\n",
        );
        for sample in samples.iter().filter(|s| {
            args.vendor
                .as_ref()
                .is_none_or(|v| s.name.starts_with(v.as_str()))
        }) {
            let verdict = if sample.failure.is_none() {
                "pass"
            } else {
                "FAIL"
            };
            println!("  {verdict:<5} sample {} -> {}", sample.name, sample.case);
            if let Some(failure) = &sample.failure {
                println!("          {failure}");
            }
            let _ = writeln!(section, "| {} | {} | {verdict} |", sample.name, sample.case);
        }
        append_to_report(&out, &section)?;
        samples.iter().all(|s| s.failure.is_none())
    };

    let fuzz_passed = if args.skip_schemathesis {
        true
    } else {
        schemathesis(&root, &out)?
    };
    // An uncovered fact fails the run (unless only some vendors ran).
    let failed_cases = cases.iter().filter(|c| !c.passed).count();
    let mut failures = Vec::new();
    if !tests.success() {
        failures.push(format!(
            "the conformance tests ({tests}; {} case results written)",
            cases.len()
        ));
    }
    if failed_cases > 0 {
        failures.push(format!("{failed_cases} cases"));
    }
    if report.uncovered > 0 {
        failures.push(format!("{} facts not covered", report.uncovered));
    }
    if !samples_passed {
        failures.push("the vendors' samples".into());
    }
    if !fuzz_passed {
        failures.push("schemathesis".into());
    }
    if failures.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("==> conformance FAILED: {}", failures.join(", "));
    Ok(ExitCode::FAILURE)
}

struct Report {
    matrix: String,
    markdown: String,
    /// Facts no passing case covers, or stated without words or reason.
    uncovered: usize,
}

fn report(
    inventory: &BTreeMap<String, Inventory>,
    cases: &[CaseResult],
    only: Option<&str>,
) -> Report {
    let mut matrix = String::new();
    let mut markdown = String::from("# Conformance report\n\n");
    let (mut total_examples, mut total_covered, mut uncovered) = (0, 0, 0);
    for (vendor, documented) in inventory
        .iter()
        .filter(|(v, _)| only.is_none_or(|o| o == v.as_str()))
    {
        let vendor_cases: Vec<&CaseResult> = cases.iter().filter(|c| &c.vendor == vendor).collect();
        let passed = vendor_cases.iter().filter(|c| c.passed).count();
        let through_client = vendor_cases.iter().filter(|c| c.client == "passed").count();
        let covered: Vec<&Fact> = documented
            .facts
            .iter()
            .filter(|e| {
                vendor_cases
                    .iter()
                    .any(|c| c.passed && c.examples.contains(&e.id))
            })
            .collect();
        total_examples += documented.facts.len();
        total_covered += covered.len();
        let _ = writeln!(
            matrix,
            "{vendor:<11} cases {passed}/{} passed ({through_client} also through the generated client)   facts covered {}/{}",
            vendor_cases.len(),
            covered.len(),
            documented.facts.len()
        );
        let _ = writeln!(markdown, "## {vendor} ({})\n", documented.page);
        let _ = writeln!(
            markdown,
            "| case | result | generated client | facts |\n|---|---|---|---|"
        );
        for case in &vendor_cases {
            let verdict = if case.passed { "pass" } else { "FAIL" };
            let _ = writeln!(
                matrix,
                "  {verdict:<5} {} (client: {})",
                case.case, case.client
            );
            for failure in &case.failures {
                let _ = writeln!(matrix, "          {failure}");
            }
            let _ = writeln!(
                markdown,
                "| {} | {verdict} | {} | {} |",
                case.case,
                case.client,
                case.examples.join(", ")
            );
        }
        let _ = writeln!(markdown, "\n| fact | label | covered by |\n|---|---|---|");
        for fact in &documented.facts {
            let by: Vec<&str> = vendor_cases
                .iter()
                .filter(|c| c.passed && c.examples.contains(&fact.id))
                .map(|c| c.case.as_str())
                .collect();
            let by = if by.is_empty() {
                "**not covered**".to_string()
            } else {
                by.join(", ")
            };
            let _ = writeln!(
                markdown,
                "| {} ({}) | {} | {by} |",
                fact.id,
                fact.what,
                fact.label()
            );
            if !covered.iter().any(|c| c.id == fact.id) {
                uncovered += 1;
                let _ = writeln!(matrix, "  ----  {} not covered ({})", fact.id, fact.label());
            } else if !fact.is_complete() {
                uncovered += 1;
                let _ = writeln!(matrix, "  ----  {}: {}", fact.id, fact.label());
            }
        }
        markdown.push('\n');
    }
    let _ = writeln!(
        matrix,
        "total: facts covered {total_covered}/{total_examples}"
    );
    let _ = writeln!(
        markdown,
        "**Facts covered: {total_covered}/{total_examples}**"
    );
    Report {
        matrix,
        markdown,
        uncovered,
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn junit(cases: &[CaseResult]) -> String {
    let failures = cases.iter().filter(|c| !c.passed).count();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\" tests=\"{}\" failures=\"{failures}\">\n",
        cases.len()
    );
    let mut vendors: Vec<&str> = cases.iter().map(|c| c.vendor.as_str()).collect();
    vendors.dedup();
    for vendor in vendors {
        let suite: Vec<&CaseResult> = cases.iter().filter(|c| c.vendor == vendor).collect();
        let failed = suite.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{vendor}\" tests=\"{}\" failures=\"{failed}\">",
            suite.len()
        );
        for case in suite {
            let _ = write!(
                xml,
                "    <testcase classname=\"{vendor}\" name=\"{}\"",
                xml_escape(&case.case)
            );
            if case.passed {
                xml.push_str("/>\n");
            } else {
                let text = xml_escape(&case.failures.join("\n"));
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"does not answer as documented\">{text}</failure>\n    </testcase>"
                );
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Installs schemathesis if needed, starts a demo server and fuzzes every
/// served document. True when schemathesis found nothing.
fn schemathesis(root: &Path, out: &Path) -> anyhow::Result<bool> {
    let st = crate::tools::Tools::ensure()?.venv_bin("st");
    eprintln!("==> building campaignd for schemathesis");
    let binary = campaign_test_utils::campaignd_binary(root, false)?;
    let server = TestServer::spawn(
        &binary,
        [
            "serve", "--memory", "--demo", "--clock", "virtual", "--port", "0",
        ],
    )?;
    let fuzz = fuzz_world(server.url("sandbox")).context("seeding the fuzzing world")?;
    let mut all_passed = true;
    let mut reached = BTreeMap::new();
    // The documents' paths are relative to each API's base URL (their
    // servers' base path). The sandbox document runs in two parts: everything but resetWorld
    // first (the fuzzing world must still be there), then resetWorld.
    let mut runs: Vec<(&ServedApi, String, &[&str])> = Vec::new();
    for api in &server.ports().apis {
        if api.name == "sandbox" {
            runs.push((
                api,
                "sandbox".into(),
                &["--exclude-operation-id", "resetWorld"],
            ));
            runs.push((
                api,
                "sandbox-reset".into(),
                // (No stateful phase: no link leads to or from a reset.)
                &[
                    "--include-operation-id",
                    "resetWorld",
                    "--phases",
                    "examples,coverage,fuzzing",
                ],
            ));
        } else {
            runs.push((api, api.name.clone(), &[]));
        }
    }
    for (api, run_name, filter) in runs {
        let (name, base, document) = (&api.name, &api.base_url, &api.document);
        eprintln!("==> schemathesis: {run_name} ({document}, base URL {base})");
        // Before each document: the sandbox document's own run resets the
        // world (resetWorld), which brings back the default limits.
        lift_rate_limits(server.url("sandbox"))?;
        let mut command = Command::new(&st);
        command
            .envs(fuzz.iter().map(|(name, value)| (*name, value)))
            .arg("--config-file")
            .arg(root.join("conformance/schemathesis.toml"))
            .args(["run", document, "--url", base])
            // Every check: no 5xx, answers as documented (status, content
            // type, schema, headers), schema-valid data accepted (except
            // the documented state-dependent refusals of the config file),
            // schema-violating data refused, auth not ignored.
            .args(["--checks", "all"])
            .args([
                "--max-examples",
                "40",
                "--seed",
                "20261122",
                "--workers",
                "1",
            ])
            // The sink answers whatever status it is told to (500 included).
            .args(["--exclude-operation-id", "receiveIntoSink"])
            .args(filter)
            .args(["--report", "junit,json", "--report-junit-path"])
            .arg(out.join(format!("schemathesis-{run_name}.xml")))
            .arg("--report-json-path")
            .arg(out.join(format!("schemathesis-{run_name}.json")));
        if let Some((_, header)) = DEMO_AUTH.iter().find(|(face, _)| face == name) {
            command.args(["-H", header]);
        }
        let passed = command.status().context("running schemathesis")?.success();
        all_passed &= passed;
        let run = std::fs::read_to_string(out.join(format!("schemathesis-{run_name}.json")))
            .context("reading schemathesis's JSON report")?;
        reached.extend(
            reached_2xx(&serde_json::from_str(&run)?)
                .into_iter()
                .map(|(operation, counts)| (format!("{name} {operation}"), counts)),
        );
    }
    let never: Vec<&String> = reached
        .iter()
        .filter(|(_, c)| c.accepted == 0)
        .map(|(op, _)| op)
        .collect();
    let mut section = format!(
        "\n## schemathesis (`--checks all`, every phase)\n\n{} operations; {} reached a 2xx \
         answer with generated data.\n\n| operation | 2xx | refused as invalid | not found | \
         conflicts |\n|---|---|---|---|---|\n",
        reached.len(),
        reached.len() - never.len()
    );
    for (operation, c) in &reached {
        let _ = writeln!(
            section,
            "| {operation} | {} | {} | {} | {} |",
            c.accepted, c.rejected, c.unreachable, c.conflicts
        );
    }
    println!(
        "==> schemathesis: {} of {} operations reached 2xx",
        reached.len() - never.len(),
        reached.len()
    );
    for operation in &never {
        println!("    never reached 2xx: {operation}");
    }
    append_to_report(out, &section)?;
    Ok(all_passed)
}

/// Adds a section at the end of `report.md` in `out`.
fn append_to_report(out: &Path, section: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("report.md"))?
        .write_all(section.as_bytes())?;
    Ok(())
}

/// What schemathesis's generated valid data got, summed over its phases.
#[derive(Default)]
struct Reached {
    accepted: u64,
    rejected: u64,
    unreachable: u64,
    conflicts: u64,
}

/// Per operation (`METHOD /path`), from schemathesis's JSON run report
/// (`valid_rates`).
fn reached_2xx(run: &serde_json::Value) -> BTreeMap<String, Reached> {
    let mut reached = BTreeMap::new();
    for (operation, phases) in run["valid_rates"].as_object().into_iter().flatten() {
        let entry: &mut Reached = reached.entry(operation.clone()).or_default();
        for phase in phases.as_object().into_iter().flat_map(|p| p.values()) {
            let count = |key: &str| phase[key].as_u64().unwrap_or(0);
            entry.accepted += count("accepted");
            entry.rejected += count("rejected");
            entry.unreachable += count("unreachable");
            entry.conflicts += count("conflicts");
        }
    }
    reached
}

/// A fuzzing world with real ids, for the sandbox operations that need an
/// object in a given state to reach 2xx: a campaign waiting for approval,
/// two prospects to bounce and to reply, and a recorded webhook delivery
/// to redeliver. Returns the environment variables that
/// `conformance/schemathesis.toml` reads them from. (The sandbox
/// document's run resets the world later; these operations come before
/// `/reset` in it.)
fn fuzz_world(sandbox: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    let call = |method: &str, path: &str, body: Option<serde_json::Value>| {
        blocking::json(method, &format!("{sandbox}{path}"), body.as_ref())
            .with_context(|| format!("{method} {path}"))
    };
    let campaign = |id: &str, status: &str, emails: &[&str]| {
        serde_json::json!({
            "id": id, "name": "fuzz", "status": status,
            "steps": [{"channel": "email", "delaySeconds": 60}],
            "prospects": emails.iter().map(|e| serde_json::json!({"email": e})).collect::<Vec<_>>(),
        })
    };
    call(
        "POST",
        "/workspaces",
        Some(serde_json::json!({"id": "fuzz", "dialect": "leadlex", "requiresApproval": true})),
    )?;
    call(
        "POST",
        "/workspaces/fuzz/webhooks",
        Some(
            serde_json::json!({"url": format!("{sandbox}/sink/fuzz"), "events": ["campaign.created"]}),
        ),
    )?;
    call(
        "POST",
        "/workspaces/fuzz/campaigns",
        Some(campaign(
            "cmp_fuzz_approve",
            "pending_approval",
            &["approve@fuzz.example"],
        )),
    )?;
    call(
        "POST",
        "/workspaces/fuzz/campaigns",
        Some(campaign(
            "cmp_fuzz_outcomes",
            "active",
            &["bounce@fuzz.example", "reply@fuzz.example"],
        )),
    )?;
    let prospects = call("GET", "/campaigns/cmp_fuzz_outcomes/prospects", None)?;
    let prospect = |n: usize| {
        prospects["items"][n]["id"]
            .as_str()
            .map(str::to_string)
            .context("a fuzzing prospect's id")
    };
    let deliveries = call("GET", "/deliveries", None)?;
    let delivery = deliveries["items"][0]["id"]
        .as_str()
        .context("the fuzzing webhook's delivery")?
        .to_string();
    Ok(vec![
        ("CAMPAIGND_FUZZ_APPROVE", "cmp_fuzz_approve".to_string()),
        ("CAMPAIGND_FUZZ_BOUNCE", prospect(0)?),
        ("CAMPAIGND_FUZZ_REPLY", prospect(1)?),
        ("CAMPAIGND_FUZZ_DELIVERY", delivery),
    ])
}

/// Lifts every workspace's limits so fuzzing reaches the handlers instead
/// of the rate limiter (429s are tested by the conformance cases).
fn lift_rate_limits(sandbox: &str) -> anyhow::Result<()> {
    let listing = blocking::json("GET", &format!("{sandbox}/workspaces"), None)
        .context("listing workspaces")?;
    for workspace in listing["items"].as_array().into_iter().flatten() {
        let id = workspace["id"].as_str().unwrap_or_default();
        blocking::json(
            "PUT",
            &format!("{sandbox}/workspaces/{id}/rate-limits"),
            Some(&serde_json::json!({
                "perMinute": 1_000_000, "perDay": 100_000_000, "prospectsPerMinute": 1_000_000
            })),
        )
        .with_context(|| format!("lifting the rate limits of {id}"))?;
    }
    Ok(())
}
