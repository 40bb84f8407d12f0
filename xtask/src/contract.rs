//! `cargo xtask contract`: the ecosystem's contract tools, run on the
//! checked-in documents (all pinned, see [`crate::tools`]):
//!
//! 1. **Redocly** lints all six documents with the `recommended` ruleset,
//!    warnings counted as errors (`recommended-strict`): nothing is switched
//!    off, and nothing may be reported.
//! 2. **Prism** mocks each vendor document and, asked with
//!    `Prefer: code=N`, must answer every documented status of every
//!    operation with that status and its first documented example.
//! 3. **openapi-python-client** generates a Python client from every
//!    document (warnings are failures), and the client is imported.
//! 4. **Specmatic** replays every named example against the running
//!    sandbox, each in the world its conformance case sets up
//!    ([`crate::specmatic`]).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};
use campaign_test_utils::http::blocking;
use serde_json::Value;

use crate::openapi::{idents, resolve};
use crate::tools::Tools;

/// The vendor faces (every document but the sandbox's).
pub const VENDORS: &[&str] = &["alta", "voicegenie", "leadterra", "leadlex", "woodpecker"];

/// Which tools to run.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Skip the Specmatic replay.
    #[arg(long)]
    pub skip_specmatic: bool,
}

/// Runs every contract tool; fails when any finds a problem.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = crate::project_root();
    let tools = Tools::ensure()?;
    let mut failures: Vec<String> = Vec::new();

    eprintln!("==> redocly lint --extends=recommended-strict (all six documents)");
    failures.extend(redocly(&tools, &root)?);

    for api in VENDORS {
        eprintln!("==> prism mock openapi/{api}.json: every documented status, with its example");
        let (checked, problems) = prism_answers_every_status(&tools, &root, api)?;
        eprintln!("    {checked} statuses checked, {} wrong", problems.len());
        failures.extend(problems);
    }

    eprintln!("==> openapi-python-client: a Python client from every document");
    failures.extend(python_clients(&tools, &root)?);

    if !args.skip_specmatic {
        failures.extend(crate::specmatic::replay(&tools, &root)?);
    }

    if failures.is_empty() {
        eprintln!("==> contract tools: no problem found");
        Ok(ExitCode::SUCCESS)
    } else {
        for failure in &failures {
            eprintln!("error: {failure}");
        }
        eprintln!("==> contract tools: {} problem(s)", failures.len());
        Ok(ExitCode::FAILURE)
    }
}

/// Redocly's findings, one line each.
fn redocly(tools: &Tools, root: &Path) -> anyhow::Result<Vec<String>> {
    let mut command = Command::new(tools.npm_bin("redocly"));
    Tools::quiet_env(&mut command)
        .args(["lint", "--extends=recommended-strict", "--format=stylish"])
        .args(idents().map(|api| format!("openapi/{api}.json")))
        .current_dir(root);
    let output = command.output().context("running redocly")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let findings: Vec<String> = text
        .lines()
        .filter(|l| l.contains(" error ") || l.contains(" warning "))
        .map(|l| format!("redocly: {}", l.trim()))
        .collect();
    if output.status.success() && findings.is_empty() {
        eprintln!("    0 errors, 0 warnings");
        return Ok(Vec::new());
    }
    if findings.is_empty() {
        return Ok(vec![format!("redocly lint failed:\n{text}")]);
    }
    Ok(findings)
}

/// A child process killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` and waits (at most `limit`) for a line of its output
/// containing `ready`; the rest of its output is drained.
pub fn start_until(mut command: Command, ready: &str, limit: Duration) -> anyhow::Result<Running> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    let (tx, rx) = mpsc::channel::<String>();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let running = Running(child);
    let deadline = std::time::Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(ready) => break,
            Ok(line) => seen.push(line),
            Err(_) => bail!(
                "{command:?} did not say {ready:?} within {limit:?}; it said:\n{}",
                seen.join("\n")
            ),
        }
    }
    std::thread::spawn(move || rx.iter().for_each(drop));
    Ok(running)
}

/// A free port on 127.0.0.1.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The first example value of a media type or parameter.
pub fn first_example(node: &Value) -> Option<&Value> {
    node.get("example").or_else(|| {
        node["examples"]
            .as_object()?
            .values()
            .find_map(|e| e.get("value"))
    })
}

/// A value of a parameter that its schema accepts: its first example, or
/// one made from the schema.
fn parameter_value(doc: &Value, parameter: &Value) -> String {
    if let Some(example) = first_example(parameter) {
        return match example {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    }
    let schema = resolve(doc, &parameter["schema"]);
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (_, Some("uuid")) => "00000000-0000-4000-8000-000000000000".into(),
        (Some("integer"), _) => schema["minimum"].as_i64().unwrap_or(1).max(1).to_string(),
        _ => "x".into(),
    }
}

/// Asks a Prism mock of `api` for every documented status of every
/// operation; returns how many were checked and what was wrong.
fn prism_answers_every_status(
    tools: &Tools,
    root: &Path,
    api: &str,
) -> anyhow::Result<(usize, Vec<String>)> {
    let text = std::fs::read_to_string(root.join(format!("openapi/{api}.json")))?;
    let doc: Value = serde_json::from_str(&text)?;
    let port = free_port()?;
    let mut command = Command::new(tools.npm_bin("prism"));
    Tools::quiet_env(&mut command)
        .args([
            "mock",
            &format!("openapi/{api}.json"),
            "-h",
            "127.0.0.1",
            "-p",
        ])
        .arg(port.to_string())
        .current_dir(root);
    let _prism = start_until(command, "Prism is listening", Duration::from_secs(60))?;
    let (auth_name, auth_value) = credential(&doc);
    let mut checked = 0;
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let parameters: Vec<&Value> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| resolve(&doc, p))
                .collect();
            let mut url = format!("http://127.0.0.1:{port}{path}");
            for parameter in parameters.iter().filter(|p| p["in"] == "path") {
                let name = parameter["name"].as_str().unwrap_or_default();
                url = url.replace(&format!("{{{name}}}"), &parameter_value(&doc, parameter));
            }
            let body = resolve(&doc, &op["requestBody"]);
            let body = (body["required"] == true)
                .then(|| first_example(&body["content"]["application/json"]))
                .flatten();
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let Ok(code) = status.parse::<u16>() else {
                    continue;
                };
                checked += 1;
                let response = resolve(&doc, response);
                let expected = first_example(&response["content"]["application/json"]);
                let prefer = format!("code={code}");
                let headers = [
                    ("Prefer", prefer.as_str()),
                    (auth_name.as_str(), auth_value.as_str()),
                    ("Content-Type", "application/json"),
                ];
                let body = body.map(|b| b.to_string()).unwrap_or_default();
                let what = format!(
                    "prism {api}: {} {path} (Prefer: code={code})",
                    method.to_uppercase()
                );
                let answer = match blocking::call(
                    &method.to_uppercase(),
                    &url,
                    &headers,
                    Some(body.as_bytes()),
                ) {
                    Ok(answer) => answer,
                    Err(e) => {
                        problems.push(format!("{what}: {e:#}"));
                        continue;
                    }
                };
                let got_status = answer.status;
                let got_body = String::from_utf8_lossy(&answer.raw).into_owned();
                if got_status != code {
                    problems.push(format!("{what}: answered {got_status} {got_body}"));
                    continue;
                }
                let got: Option<Value> = serde_json::from_str(&got_body).ok();
                if !same_json(got.as_ref(), expected) {
                    problems.push(format!(
                        "{what}: answered {got_body:?}, the documented example is {}",
                        expected.map_or("no body".into(), |e| e.to_string())
                    ));
                }
            }
        }
    }
    Ok((checked, problems))
}

/// JSON equality in which numbers are equal by value (`0` is `0.0`).
pub fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    fn eq(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| eq(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
            }
            _ => a == b,
        }
    }
    match (a, b) {
        (Some(a), Some(b)) => eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The header a document's security scheme wants, with a stand-in value.
fn credential(doc: &Value) -> (String, String) {
    let schemes = doc["components"]["securitySchemes"].as_object();
    match schemes.and_then(|s| s.values().next()) {
        Some(scheme) if scheme["type"] == "apiKey" => (
            scheme["name"].as_str().unwrap_or("x-api-key").to_string(),
            "prism-contract-check".into(),
        ),
        _ => ("Authorization".into(), "Bearer prism-contract-check".into()),
    }
}

/// Generates a Python client from every document and imports it.
fn python_clients(tools: &Tools, root: &Path) -> anyhow::Result<Vec<String>> {
    let out = tools.dir().join("python");
    std::fs::create_dir_all(&out)?;
    let path = format!(
        "{}:{}",
        tools.venv_bin("").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut problems = Vec::new();
    for api in idents() {
        let package = format!("{api}_client");
        let generated = Command::new(tools.venv_bin("openapi-python-client"))
            .args([
                "generate",
                "--path",
                &format!("openapi/{api}.json"),
                "--output-path",
            ])
            .arg(out.join(&package))
            .args(["--meta", "none", "--overwrite", "--fail-on-warning"])
            .env("PATH", &path)
            .current_dir(root)
            .output()
            .context("running openapi-python-client")?;
        if !generated.status.success() {
            problems.push(format!(
                "openapi-python-client on openapi/{api}.json: {}{}",
                String::from_utf8_lossy(&generated.stdout),
                String::from_utf8_lossy(&generated.stderr)
            ));
            continue;
        }
        let imported = Command::new(tools.venv_bin("python"))
            .args(["-c", &format!("import {package}.api, {package}.models")])
            .current_dir(&out)
            .output()?;
        if !imported.status.success() {
            problems.push(format!(
                "the Python client of openapi/{api}.json does not import: {}",
                String::from_utf8_lossy(&imported.stderr)
            ));
        } else {
            eprintln!("    {api}: generated and imported {package}");
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_everything_else_exactly() {
        assert!(same_json(
            Some(&json!({"r": 0.0, "a": [1]})),
            Some(&json!({"a": [1.0], "r": 0}))
        ));
        assert!(!same_json(Some(&json!({"r": 0.5})), Some(&json!({"r": 0}))));
        assert!(!same_json(
            Some(&json!({"r": 0})),
            Some(&json!({"r": 0, "s": 1}))
        ));
        assert!(!same_json(Some(&json!({})), None));
        assert!(same_json(None, None));
    }
}
