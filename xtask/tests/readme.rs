//! Runs every shell block of the README as written, each against a fresh
//! demo world (`campaignd serve --demo --clock virtual`, started here, reset
//! before each block). Only the ports change: the default ports
//! (7070-7075) become the demo server's, Prism's 4010 a free one, and
//! `cargo xtask` this build's xtask. Each block must exit 0 and print every
//! line its `# expect:` comments name. A block the test does not run is
//! preceded by `<!-- readme-test: not run: <why> -->`.

use std::path::{Path, PathBuf};
use std::process::Command;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;

/// The marker of a block the test does not run.
const NOT_RUN: &str = "<!-- readme-test: not run: ";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A shell block: its text, and why it is not run (if it is not).
#[derive(Debug, PartialEq)]
struct Block {
    text: String,
    not_run: Option<String>,
}

/// Every shell block of a Markdown text, in order.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut previous = "";
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line == "```sh" {
            let text: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
            let not_run = previous
                .strip_prefix(NOT_RUN)
                .and_then(|rest| rest.strip_suffix(" -->"))
                .map(str::to_string);
            blocks.push(Block {
                text: text.join("\n") + "\n",
                not_run,
            });
        }
        previous = line;
    }
    blocks
}

/// Starts `campaignd serve --demo --clock virtual` on free ports through
/// the test harness.
fn demo_server() -> TestServer {
    let binary = campaign_test_utils::campaignd_binary(&root(), false).unwrap();
    let server = TestServer::spawn(
        &binary,
        [
            "serve", "--memory", "--demo", "--clock", "virtual", "--port", "0",
        ],
    )
    .unwrap();
    assert_eq!(
        server.ports().apis.len(),
        6,
        "the port table lists six APIs"
    );
    server
}

/// The last `lines` lines of `text`.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Puts the demo world back as it was at start.
fn reset(server: &TestServer) {
    let url = format!("{}/reset", server.url("sandbox"));
    blocking::json("POST", &url, None).expect("resetting the demo world");
}

/// `text` with each `from` replaced by its `to`, in one pass from left to
/// right: what a replacement wrote is never searched again. (Replacing
/// one pattern after another turned a face's port such as 40103, once
/// written, into `127.0.0.1:<prism port>3`, a URL curl refuses.)
fn substitute(text: &str, swaps: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        match swaps
            .iter()
            .find(|(from, _)| rest.starts_with(from.as_str()))
        {
            Some((from, to)) => {
                out.push_str(to);
                rest = &rest[from.len()..];
            }
            None => {
                let next = rest.chars().next().map_or(1, char::len_utf8);
                out.push_str(&rest[..next]);
                rest = &rest[next..];
            }
        }
    }
    out
}

#[test]
fn substitution_never_rewrites_what_it_wrote() {
    let swaps = [
        ("127.0.0.1:7074".to_string(), "127.0.0.1:40103".to_string()),
        ("127.0.0.1:4010".to_string(), "127.0.0.1:45000".to_string()),
    ];
    assert_eq!(
        substitute(
            "curl http://127.0.0.1:7074/x http://127.0.0.1:4010/y",
            &swaps
        ),
        "curl http://127.0.0.1:40103/x http://127.0.0.1:45000/y"
    );
}

#[test]
fn every_readme_shell_block_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 10, "the README's blocks: {blocks:#?}");
    let server = demo_server();
    // `host:port` of each API in port order (sandbox first).
    let faces: Vec<&str> = server
        .ports()
        .apis
        .iter()
        .map(|api| api.origin.trim_start_matches("http://"))
        .collect();
    let prism_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for block in &blocks {
        if let Some(why) = &block.not_run {
            assert!(!why.trim().is_empty(), "a block not run says why");
            eprintln!("not run ({why}):\n{}", block.text);
            continue;
        }
        reset(&server);
        let mut swaps: Vec<(String, String)> = faces
            .iter()
            .enumerate()
            .map(|(offset, face)| (format!("127.0.0.1:{}", 7070 + offset), face.to_string()))
            .collect();
        swaps.extend([
            ("--port 4010".into(), format!("--port {prism_port}")),
            ("127.0.0.1:4010".into(), format!("127.0.0.1:{prism_port}")),
            ("cargo xtask".into(), env!("CARGO_BIN_EXE_xtask").into()),
        ]);
        let script = substitute(&block.text, &swaps);
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(root())
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        // Where a block failed is usually said last on standard error, so
        // that comes first (CI shows only a part of a long message).
        assert!(
            output.status.success(),
            "this block failed ({}):\n{}\nas run:\n{script}\nthe end of its standard error:\n{}\nits standard output:\n{stdout}",
            output.status,
            block.text,
            tail(&stderr, 40)
        );
        let text = format!("{stdout}{stderr}");
        for expected in block
            .text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
        {
            assert!(
                text.contains(expected),
                "this block did not print {expected:?}:\n{}\noutput:\n{text}",
                block.text
            );
        }
    }
}

#[test]
fn blocks_and_their_markers_are_found() {
    let markdown = "intro\n```sh\na\n```\ntext\n<!-- readme-test: not run: because -->\n```sh\nb\n# expect: x\n```\n```rust\nc\n```\n";
    assert_eq!(
        blocks(markdown),
        vec![
            Block {
                text: "a\n".into(),
                not_run: None
            },
            Block {
                text: "b\n# expect: x\n".into(),
                not_run: Some("because".into())
            },
        ]
    );
}
