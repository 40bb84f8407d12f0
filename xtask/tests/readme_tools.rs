//! Runs every shell block of the README's "Using the documents with other
//! tools" section as written, against a demo server started here. Only the
//! ports change: the default ports (7070-7075) become the demo server's,
//! Prism's 4010 a free one, and `cargo xtask` this build's xtask. Each block
//! must exit 0, and print every line its `# expect:` comments name.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The section whose blocks run here.
const SECTION: &str = "## Using the documents with other tools";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The shell blocks of the section.
fn blocks(readme: &str) -> Vec<String> {
    let start = readme.find(SECTION).expect("the README has the section");
    let rest = &readme[start + SECTION.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    section
        .split("```sh\n")
        .skip(1)
        .map(|b| b[..b.find("```").expect("a closed block")].to_string())
        .collect()
}

/// Starts `campaignd serve --demo` on free ports; returns it and the
/// `host:port` of each face in port order (sandbox first).
fn demo_server() -> (Killed, Vec<String>) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let built = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "campaignd"])
        .current_dir(root())
        .status()
        .unwrap();
    assert!(built.success(), "building campaignd");
    let mut child = Command::new(target.join("debug/campaignd"))
        .args(["serve", "--memory", "--demo", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Killed(child);
    let mut faces = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [_, _, document] = fields.as_slice()
            && let Some(origin) = document.strip_suffix("/openapi.json")
        {
            faces.push(origin.trim_start_matches("http://").to_string());
        } else if !faces.is_empty() && line.trim().is_empty() {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    assert_eq!(faces.len(), 6, "the start-up table lists six faces");
    (server, faces)
}

#[test]
fn the_readme_tool_commands_run_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 4, "the section has its blocks: {blocks:#?}");
    let (_server, faces) = demo_server();
    let prism_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for block in blocks {
        let mut script = block.clone();
        for (offset, face) in faces.iter().enumerate() {
            script = script.replace(&format!("127.0.0.1:{}", 7070 + offset), face);
        }
        script = script
            .replace("--port 4010", &format!("--port {prism_port}"))
            .replace("127.0.0.1:4010", &format!("127.0.0.1:{prism_port}"))
            .replace("cargo xtask", env!("CARGO_BIN_EXE_xtask"));
        let output = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(root())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "this block failed:\n{block}\noutput:\n{text}"
        );
        for expected in block.lines().filter_map(|l| l.strip_prefix("# expect: ")) {
            assert!(
                text.contains(expected),
                "this block did not print {expected:?}:\n{block}\noutput:\n{text}"
            );
        }
    }
}

#[test]
fn the_section_blocks_are_found() {
    let readme = "intro\n## Using the documents with other tools\n```sh\na\n```\ntext\n```sh\nb\n# expect: x\n```\n## Next\n```sh\nc\n```\n";
    assert_eq!(blocks(readme), vec!["a\n", "b\n# expect: x\n"]);
}

#[test]
fn the_client_example_handles_a_404_and_a_429() {
    let (_server, faces) = demo_server();
    let output = Command::new(env!("CARGO"))
        .args([
            "run",
            "-q",
            "-p",
            "campaign-client",
            "--example",
            "pause_demo",
            "--",
        ])
        .arg(format!("http://{}", faces[0]))
        .arg(format!("http://{}/v1", faces[1]))
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "paused:  7c9e6679-7425-40de-944b-e07fc1f90ae7 is Paused",
        "resumed: 7c9e6679-7425-40de-944b-e07fc1f90ae7 is Active",
        "404:     NotFound: Resource not found",
        "429:     TooManyRequests: Rate limit exceeded.",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
}
