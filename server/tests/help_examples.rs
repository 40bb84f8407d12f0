//! Every example of `campaignd serve --help` runs as printed (but for the
//! port, which becomes 0, and the data directory, which becomes a fresh
//! temporary one): it starts, its banner says what its flags ask for, and
//! every API it lists answers. Every example of `campaignd world --help`
//! runs as printed against a demo server, and writes what it says.

use std::path::Path;
use std::process::Command;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::{Answer, blocking};

fn help(command: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_campaignd"))
        .args([command, "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// The example command lines of the help text.
fn examples(help: &str) -> Vec<Vec<String>> {
    let section = help
        .split_once("Examples:")
        .expect("--help has an Examples section")
        .1;
    section
        .lines()
        .filter_map(|line| line.strip_prefix("  campaignd "))
        .map(|line| line.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn every_serve_help_example_starts_and_serves() {
    let examples = examples(&help("serve"));
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
                // The repository's files, wherever the test runs.
                "--world" => {
                    let file = words.next().expect("--world names a file");
                    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
                    args.extend(["--world".to_string(), root.join(file).display().to_string()]);
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
            ("--world", "demo.yaml loaded"),
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

#[test]
fn every_world_help_example_runs_as_printed() {
    let help = help("world");
    let lines: Vec<&str> = help
        .split_once("Examples:")
        .expect("world --help has an Examples section")
        .1
        .lines()
        .filter_map(|line| line.strip_prefix("  campaignd "))
        .collect();
    assert!(lines.len() >= 2, "too few examples: {lines:?}");
    let server = TestServer::spawn(
        Path::new(env!("CARGO_BIN_EXE_campaignd")),
        ["serve", "--memory", "--demo", "--port", "0"],
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("campaignd-world-help-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for line in lines {
        let script = format!(
            "{} {}",
            env!("CARGO_BIN_EXE_campaignd"),
            line.replace("http://127.0.0.1:7070", server.url("sandbox"))
        );
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "campaignd {line}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let written = line
            .rsplit_once("> ")
            .expect("each example writes a file")
            .1;
        let text = std::fs::read_to_string(dir.join(written)).unwrap();
        if written.ends_with(".yaml") {
            // The demo world, exported, is the demo world.
            let exported = campaignd::world::parse(written, &text).unwrap();
            let again = campaignd::world::parse(written, campaignd::world::DEMO).unwrap();
            assert_eq!(exported.workspaces.len(), again.workspaces.len());
            for (a, b) in exported.workspaces.iter().zip(&again.workspaces) {
                assert_eq!(
                    (&a.id, &a.keys.len(), &a.campaigns.len()),
                    (&b.id, &b.keys.len(), &b.campaigns.len())
                );
            }
        } else {
            assert_eq!(text, campaignd::world::schema(), "{written}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
