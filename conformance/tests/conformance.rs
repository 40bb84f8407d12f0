//! Replays every case in `conformance/cases/<vendor>/*.json`: adding a file
//! adds a test. Each case is compared with its documented answer, validated
//! against the face's OpenAPI document, and snapshotted; every failure is
//! reported at the end with a field-by-field difference.
//!
//! `CONFORMANCE_VENDOR=<name>` runs one vendor's cases only.

use conformance::case::Case;
use conformance::harness::{ClientVerdict, Harness};
use conformance::{CaseResult, results_dir};

#[test]
fn documented_examples() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let harness = runtime
        .block_on(Harness::start())
        .expect("the server starts");
    let only = std::env::var("CONFORMANCE_VENDOR")
        .ok()
        .filter(|v| !v.is_empty());
    let results = results_dir();
    std::fs::create_dir_all(&results).unwrap();
    let mut failed: Vec<String> = Vec::new();

    insta::glob!("../cases", "*/*.json", |path| {
        let vendor = path
            .parent()
            .and_then(|p| p.file_name())
            .unwrap()
            .to_string_lossy()
            .to_string();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if only.as_ref().is_some_and(|v| *v != vendor) {
            return;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let case: Case = match serde_json::from_str(&text) {
            Ok(case) => case,
            Err(e) => {
                failed.push(format!(
                    "{vendor}/{name}: the case file does not parse: {e}"
                ));
                return;
            }
        };
        let (exchange, verdict) = match runtime.block_on(harness.run(&vendor, &case)) {
            Ok(outcome) => outcome,
            Err(e) => {
                failed.push(format!("{vendor}/{name}: could not run: {e:#}"));
                return;
            }
        };
        let mut failures = verdict.failures();
        let client = match runtime.block_on(harness.run_with_client(&vendor, &case)) {
            Ok(ClientVerdict::Passed) => "passed".to_string(),
            Ok(ClientVerdict::NotExpressible(why)) => format!("not expressible: {why}"),
            Ok(ClientVerdict::Failed(differences)) => {
                failures.extend(differences.iter().map(|d| format!("client: {d}")));
                "failed".to_string()
            }
            Err(e) => {
                failures.push(format!("client: could not run: {e:#}"));
                "failed".to_string()
            }
        };
        let result = CaseResult {
            vendor: vendor.clone(),
            case: name.clone(),
            examples: case.source.examples.clone(),
            passed: failures.is_empty(),
            failures,
            client,
        };
        let file = results.join(format!("{vendor}__{name}.json"));
        std::fs::write(&file, serde_json::to_vec_pretty(&result).unwrap()).unwrap();
        if !result.passed {
            failed.push(format!(
                "{vendor}/{name}:\n    {}",
                result.failures.join("\n    ")
            ));
        }
        insta::with_settings!({
            info => &case.request,
            description => format!("{} — {}", case.source.page, case.source.section),
            omit_expression => true,
            snapshot_suffix => format!("{vendor}__{name}"),
        }, {
            insta::assert_json_snapshot!(exchange.redacted(&case.free_paths()));
        });
    });

    assert!(
        failed.is_empty(),
        "{} case(s) do not answer as documented:\n{}",
        failed.len(),
        failed.join("\n")
    );
}
