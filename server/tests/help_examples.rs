//! Every example of `campaignd serve --help` runs as printed (but for the
//! port, which becomes 0, and the data directory, which becomes a fresh
//! temporary one): it starts, its banner says what its flags ask for, and
//! every API it lists answers.

use std::path::Path;
use std::process::Command;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::{Answer, blocking};

fn help() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_campaignd"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// The example command lines of the help text.
fn examples(help: &str) -> Vec<Vec<String>> {
    let section = help
        .split_once("Examples:")
        .expect("serve --help has an Examples section")
        .1;
    section
        .lines()
        .filter_map(|line| line.strip_prefix("  campaignd "))
        .map(|line| line.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_serve_help_example_starts_and_serves() {
    let examples = examples(&help());
    assert!(examples.len() >= 3, "too few examples: {examples:?}");
    for (n, example) in examples.iter().enumerate() {
        let data =
            std::env::temp_dir().join(format!("campaignd-help-example-{}-{n}", std::process::id()));
        let mut args = Vec::new();
        let mut had_port = false;
        let mut words = example.iter();
        while let Some(word) = words.next() {
            match word.as_str() {
                "--port" | "-p" => {
                    words.next();
                    args.extend(["--port".to_string(), "0".into()]);
                    had_port = true;
                }
                "--data-dir" => {
                    words.next();
                    args.extend(["--data-dir".to_string(), data.display().to_string()]);
                }
                // The harness names a port-table file of its own (and so
                // tests the flag: it waits for that table).
                "--ports-file" => {
                    words.next();
                }
                // Servers in tests listen on loopback only (the refusal to
                // bind elsewhere without a token is tested in
                // `admin_token.rs`).
                "--bind" => {
                    words.next();
                    args.extend(["--bind".to_string(), "127.0.0.1".into()]);
                }
                _ => args.push(word.clone()),
            }
        }
        if !had_port {
            args.extend(["--port".into(), "0".into()]);
        }
        let server = TestServer::spawn(Path::new(env!("CARGO_BIN_EXE_campaignd")), &args)
            .unwrap_or_else(|e| panic!("campaignd {}: {e:#}", args.join(" ")));
        let text = server.stdout();
        let origins: Vec<String> = server
            .ports()
            .apis
            .iter()
            .map(|api| api.origin.clone())
            .collect();
        let checks = [
            ("--demo", "demo world loaded"),
            ("virtual", "clock: virtual"),
            ("--memory", "data: memory"),
            ("full", "fsync per commit"),
            ("--data-dir", &*data.display().to_string()),
        ];
        let mut failures = Vec::new();
        for (flag, shown) in checks {
            if example.iter().any(|a| a == flag) && !text.contains(shown) {
                failures.push(format!("{flag}: the banner does not say {shown:?}"));
            }
        }
        if origins.len() != 6 {
            failures.push(format!(
                "expected six APIs in the port table, got {origins:?}"
            ));
        }
        for api in &server.ports().apis {
            if !text.contains(&api.base_url) {
                failures.push(format!("the banner does not list {}", api.base_url));
            }
        }
        // An admin token: the sandbox API refuses a caller without it and
        // answers one with it.
        if let Some(token) = example
            .iter()
            .position(|a| a == "--admin-token")
            .and_then(|n| example.get(n + 1))
        {
            let clock = format!("{}/clock", server.url("sandbox"));
            let bearer = format!("Bearer {token}");
            let without = blocking::call("GET", &clock, &[], None);
            let with = blocking::call("GET", &clock, &[("authorization", &bearer)], None);
            if !matches!(without, Ok(Answer { status: 401, .. })) {
                failures.push(format!("GET /clock without the admin token: {without:?}"));
            }
            if !matches!(with, Ok(Answer { status: 200, .. })) {
                failures.push(format!("GET /clock with the admin token: {with:?}"));
            }
            if !text.contains("requires `Authorization: Bearer <admin token>`") {
                failures.push("--admin-token: the banner does not say so".into());
            }
        }
        for origin in &origins {
            let health = blocking::call("GET", &format!("{origin}/healthz"), &[], None);
            if !matches!(health, Ok(Answer { status: 200, .. })) {
                failures.push(format!("{origin}/healthz: {health:?}"));
            }
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&data);
        assert!(
            failures.is_empty(),
            "campaignd {}:\n{text}\n{}",
            example.join(" "),
            failures.join("\n")
        );
    }
}
