//! Every example of `campaignd serve --help` runs as printed (but for the
//! port, which becomes 0, and the data directory, which becomes a fresh
//! temporary one): it starts, its banner says what its flags ask for, and
//! every API it lists answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

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

/// `GET /healthz` on `origin` (`http://host:port`): the status line.
fn health(origin: &str) -> String {
    let address = origin.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET /healthz HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.lines().next().unwrap_or_default().to_string()
}

#[test]
fn every_serve_help_example_starts_and_serves() {
    let examples = examples(&help());
    assert!(examples.len() >= 3, "too few examples: {examples:?}");
    for (n, example) in examples.iter().enumerate() {
        let data =
            std::env::temp_dir().join(format!("campaignd-help-example-{}-{n}", std::process::id()));
        let mut args = example.clone();
        let mut had_port = false;
        for i in 1..args.len() {
            match args[i - 1].as_str() {
                "--port" | "-p" => {
                    args[i] = "0".into();
                    had_port = true;
                }
                "--data-dir" => args[i] = data.display().to_string(),
                _ => {}
            }
        }
        if !had_port {
            args.extend(["--port".into(), "0".into()]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_campaignd"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut banner = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if banner.len() > 2 && line.trim().is_empty() {
                break;
            }
            banner.push(line);
        }
        let text = banner.join("\n");
        let origins: Vec<String> = banner
            .iter()
            .filter_map(|line| line.split_whitespace().last())
            .filter_map(|document| document.strip_suffix("/openapi.json"))
            .map(str::to_string)
            .collect();
        let checks = [
            ("--demo", "demo world loaded"),
            ("virtual", "clock: virtual"),
            ("--memory", "data: memory"),
            ("--data-dir", &*data.display().to_string()),
        ];
        let mut failures = Vec::new();
        for (flag, shown) in checks {
            if example.iter().any(|a| a == flag) && !text.contains(shown) {
                failures.push(format!("{flag}: the banner does not say {shown:?}"));
            }
        }
        if origins.len() != 6 {
            failures.push(format!("expected six APIs in the banner, got {origins:?}"));
        }
        for origin in &origins {
            let status = health(origin);
            if !status.contains(" 200 ") {
                failures.push(format!("{origin}/healthz: {status}"));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&data);
        assert!(
            failures.is_empty(),
            "campaignd {}:\n{text}\n{}",
            example.join(" "),
            failures.join("\n")
        );
    }
}
