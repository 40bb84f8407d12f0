//! Specmatic replays every example of the vendor documents against the
//! running sandbox, each example in the world its conformance case sets up.
//!
//! Why Specmatic: it pairs a request example and a response example by
//! name, so each named example becomes one test expecting that status and
//! that schema (Dredd replays only one example per status and no named
//! examples; schemathesis's examples phase does not pair requests with
//! statuses). Its free build checks status and schema, not body values: the
//! world proxy (`conformance/src/bin/world-proxy.rs`) in front of each face
//! judges every answer against the case's documented body exactly, so each
//! replayed example is checked by both.
//!
//! Specmatic is given a *replay document* per face, written to
//! `target/contract/<api>.replay.json` from the checked-in document:
//! - each example's credential becomes a named header example (Specmatic
//!   would otherwise send one configured token for every example, and the
//!   401/403/429 examples need their own), so the security requirements
//!   are taken out of this copy;
//! - each example names its case in an `X-Sandbox-Example` header, which
//!   the proxy reads to set up the case's world before forwarding;
//! - an optional body gets an empty-object example where the case sends
//!   none (without one, Specmatic splits the test into body variants).
//!
//! An example whose request the document itself calls invalid (a malformed
//! id, an out-of-range limit, a body that is not JSON) cannot be replayed by
//! a schema-driven tool: its request examples are left out of the replay
//! document, and the conformance run replays it instead. The list of such
//! examples is printed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context;
use serde_json::{Map, Value, json};

use crate::contract::VENDORS;
use crate::openapi::examples::{CaseView, escape, match_template, read_cases};
use crate::openapi::normalise::server_base_path;
use crate::tools::Tools;
use crate::world_proxy::WorldProxy;

/// The header naming an example's case, read by the world proxy.
pub const EXAMPLE_HEADER: &str = "X-Sandbox-Example";

/// A replay document and what it replays.
#[derive(Debug)]
pub struct Replay {
    /// The document Specmatic is given.
    pub document: Value,
    /// `<api>/<case>` of every example replayed.
    pub replayed: BTreeSet<String>,
    /// `<api>/<case>: why` of every example left to the conformance run.
    pub left_out: Vec<String>,
}

/// Makes the replay document of `api` from its document and cases.
pub fn replay_document(
    api: &str,
    doc: &Value,
    cases: &[(String, CaseView)],
) -> anyhow::Result<Replay> {
    let mut document = doc.clone();
    if let Some(components) = document["components"].as_object_mut() {
        components.remove("securitySchemes");
    }
    if let Some(root) = document.as_object_mut() {
        root.remove("security");
    }
    let base = server_base_path(doc)?;
    let mut replayed = BTreeSet::new();
    let mut left_out = Vec::new();
    let mut by_operation: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, case) in cases {
        let id = format!("{api}/{name}");
        let (path, query) = case
            .request
            .path
            .split_once('?')
            .unwrap_or((&case.request.path, ""));
        let relative = path.strip_prefix(&base).unwrap_or(path);
        let method = case.request.method.to_ascii_lowercase();
        let Some((template, path_values)) = match_template(&document, relative, &method) else {
            left_out.push(format!(
                "{id}: {} {relative} is no operation of the document (the front layer's refusal)",
                case.request.method
            ));
            continue;
        };
        let pointer = format!("/paths/{}/{method}", escape(&template));
        let op = document.pointer_mut(&pointer).expect("matched");
        if let Some(operation) = op.as_object_mut() {
            operation.remove("security");
        }
        let mut named: Vec<String> = path_values.into_iter().map(|(p, _)| p).collect();
        named.extend(
            query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| pair.split('=').next().unwrap_or(pair).to_string()),
        );
        let has_raw_body = case
            .request
            .raw
            .as_deref()
            .is_some_and(|raw| !raw.trim().is_empty());
        let why_not = if has_raw_body {
            Some("its body is not JSON".to_string())
        } else if let Some(param) = named
            .iter()
            .find(|param| !has_parameter_example(op, param, name))
        {
            Some(format!("its {param} is not valid for the document"))
        } else if case.request.json.is_some()
            && op
                .pointer(&format!(
                    "/requestBody/content/application~1json/examples/{}",
                    escape(name)
                ))
                .is_none()
        {
            Some("its body is not valid for the document".to_string())
        } else if case.request.json.is_none() && op["requestBody"]["required"] == true {
            Some("it sends no body where the document requires one".to_string())
        } else {
            None
        };
        if let Some(why) = why_not {
            remove_request_examples(op, name);
            left_out.push(format!("{id}: {why}"));
            continue;
        }
        let mut headers: BTreeMap<String, String> = case
            .request
            .headers
            .iter()
            .filter(|(h, _)| !h.eq_ignore_ascii_case("content-type"))
            .map(|(h, v)| (h.to_ascii_lowercase(), v.clone()))
            .collect();
        headers.insert(EXAMPLE_HEADER.to_ascii_lowercase(), id.clone());
        for (header, value) in headers {
            add_header_example(op, &header, name, &value);
        }
        if case.request.json.is_none()
            && let Some(media) = op.pointer_mut("/requestBody/content/application~1json")
        {
            let examples = media
                .as_object_mut()
                .expect("a media type is an object")
                .entry("examples")
                .or_insert_with(|| Value::Object(Map::new()));
            examples[name.as_str()] = json!({"value": {}});
        }
        replayed.insert(id);
        by_operation
            .entry(pointer)
            .or_default()
            .insert(name.clone());
    }
    // Each operation keeps, inline, only the response examples it replays:
    // Specmatic refuses a response example with no request example of the
    // same name, and the shared error responses hold every operation's.
    let operations = crate::openapi::operation_pointers(&document, |_| true);
    let components = document["components"]["responses"].clone();
    for pointer in operations {
        let names = by_operation.remove(&pointer).unwrap_or_default();
        let op = document.pointer_mut(&pointer).expect("listed");
        if let Some(operation) = op.as_object_mut() {
            operation.remove("security");
        }
        for response in op["responses"]
            .as_object_mut()
            .into_iter()
            .flatten()
            .map(|(_, r)| r)
        {
            if let Some(name) = response["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                *response = components[name].clone();
            }
            // A named example cannot carry response headers, and Specmatic
            // refuses an example without a required header: the headers
            // stay documented but optional in this copy (the conformance
            // snapshots hold their values).
            for (_, header) in response
                .get_mut("headers")
                .and_then(Value::as_object_mut)
                .into_iter()
                .flatten()
            {
                header["required"] = false.into();
            }
            let Some(media) = response
                .pointer_mut("/content/application~1json")
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            if let Some(examples) = media.get_mut("examples").and_then(Value::as_object_mut) {
                examples.retain(|name, _| names.contains(name));
                if examples.is_empty() {
                    media.remove("examples");
                }
            }
        }
    }
    Ok(Replay {
        document,
        replayed,
        left_out,
    })
}

fn has_parameter_example(op: &Value, param: &str, name: &str) -> bool {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["name"] == param && p["examples"].get(name).is_some())
}

fn remove_request_examples(op: &mut Value, name: &str) {
    // `get_mut`, not indexing: `op["parameters"]` on a mutable operation
    // would insert a null `parameters` where there were none.
    let parameters = op.get_mut("parameters").and_then(Value::as_array_mut);
    for parameter in parameters.into_iter().flatten() {
        let Some(parameter) = parameter.as_object_mut() else {
            continue;
        };
        if let Some(examples) = parameter.get_mut("examples").and_then(Value::as_object_mut) {
            examples.remove(name);
            if examples.is_empty() {
                parameter.remove("examples");
            }
        }
    }
    if let Some(examples) = op
        .pointer_mut("/requestBody/content/application~1json/examples")
        .and_then(Value::as_object_mut)
    {
        examples.remove(name);
    }
}

fn add_header_example(op: &mut Value, header: &str, name: &str, value: &str) {
    let object = op.as_object_mut().expect("an operation is an object");
    let parameters = object
        .entry("parameters")
        .or_insert_with(|| Value::Array(Vec::new()))
        .as_array_mut()
        .expect("parameters is an array");
    let index = match parameters
        .iter()
        .position(|p| p["in"] == "header" && p["name"] == header)
    {
        Some(index) => index,
        None => {
            parameters.push(json!({
                "name": header, "in": "header", "required": false,
                "schema": {"type": "string"}, "examples": {}
            }));
            parameters.len() - 1
        }
    };
    parameters[index]["examples"][name] = json!({"value": value});
}

/// One judged request, as the world proxy prints it.
#[derive(Debug, serde::Deserialize)]
struct ProxyVerdict {
    example: String,
    request: String,
    status: u16,
    passed: bool,
    failures: Vec<String>,
}

/// Replays every vendor document's examples; returns the problems.
pub fn replay(tools: &Tools, root: &Path) -> anyhow::Result<Vec<String>> {
    eprintln!("==> specmatic: building the world proxy");
    WorldProxy::build(root)?;
    let out = crate::tools::target_dir(root).join("contract");
    std::fs::create_dir_all(&out)?;
    let proxy = WorldProxy::start(root, None)?;

    let mut problems = Vec::new();
    for api in VENDORS {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(
            root.join(format!("openapi/{api}.json")),
        )?)?;
        let cases = read_cases(&root.join("conformance/cases").join(api))?;
        let replay = replay_document(api, &doc, &cases)?;
        let file = out.join(format!("{api}.replay.json"));
        std::fs::write(&file, serde_json::to_string_pretty(&replay.document)?)?;
        let base = proxy.base(api)?;
        eprintln!(
            "==> specmatic test {} --testBaseURL {base} ({} examples)",
            file.display(),
            replay.replayed.len()
        );
        let log = out.join(format!("specmatic-{api}.log"));
        let mut command = Command::new("java");
        Tools::quiet_env(&mut command)
            .arg("-jar")
            .arg(tools.specmatic_jar())
            .arg("test")
            .arg(&file)
            .args(["--testBaseURL", base, "--strict", "--junitReportDir"])
            .arg(out.join(format!("junit-{api}")))
            .current_dir(&out)
            .stdout(std::fs::File::create(&log)?)
            .stderr(Stdio::inherit());
        let status = command.status().context("running specmatic (java -jar)")?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let summary = text
            .lines()
            .rev()
            .find(|l| l.contains("Tests run:"))
            .unwrap_or("no summary")
            .trim()
            .to_string();
        eprintln!("    specmatic (status and schema): {summary}");
        if !status.success() {
            problems.push(format!(
                "specmatic {api}: {summary} (see {}); failed scenarios:\n{}",
                log.display(),
                text.lines()
                    .filter(|l| l.contains("has FAILED") || l.contains(">> "))
                    .take(40)
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        let verdicts: Vec<ProxyVerdict> = proxy
            .verdicts()
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect();
        let seen: BTreeSet<&str> = verdicts.iter().map(|v| v.example.as_str()).collect();
        let exact = verdicts.iter().filter(|v| v.passed).count();
        eprintln!(
            "    world proxy (documented answer, exactly): {exact} of {} requests",
            verdicts.len()
        );
        for verdict in verdicts.iter().filter(|v| !v.passed) {
            problems.push(format!(
                "specmatic {api}: example {} ({} answered {}) differs from its case:\n    {}",
                verdict.example,
                verdict.request,
                verdict.status,
                verdict.failures.join("\n    ")
            ));
        }
        for missing in replay
            .replayed
            .iter()
            .filter(|id| !seen.contains(id.as_str()))
        {
            problems.push(format!(
                "specmatic {api}: example {missing} was not replayed"
            ));
        }
        for why in &replay.left_out {
            eprintln!("    left to the conformance run: {why}");
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "servers": [{"url": "https://x/v1"}],
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "paths": {"/campaigns/{id}": {"get": {
                "security": [{"bearerAuth": []}],
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "string"},
                    "examples": {"get_200": {"value": "abc"}, "get_400": {"value": "x"}}}],
                "responses": {}
            }}}
        })
    }

    fn case(path: &str, raw: Option<&str>) -> CaseView {
        serde_json::from_value(json!({
            "source": {"section": "s"},
            "request": {"method": "GET", "path": path, "headers": {"Authorization": "Bearer k"}, "raw": raw},
            "documented": {"status": 200}
        }))
        .unwrap()
    }

    #[test]
    fn a_left_out_case_does_not_break_the_next_case_of_an_operation_without_parameters() {
        let mut doc = doc();
        doc["paths"]["/campaigns"] =
            json!({"get": {"security": [{"bearerAuth": []}], "responses": {}}});
        let cases = vec![
            ("a_413".to_string(), case("/v1/campaigns", Some("xxxx"))),
            ("b_200".to_string(), case("/v1/campaigns", None)),
        ];
        let replay = replay_document("alta", &doc, &cases).unwrap();
        assert_eq!(replay.replayed, BTreeSet::from(["alta/b_200".to_string()]));
        let params = replay.document["paths"]["/campaigns"]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(params.iter().any(|p| p["name"] == "authorization"));
    }

    #[test]
    fn replayable_examples_get_their_credential_and_case_and_the_rest_are_left_out() {
        let cases = vec![
            ("get_200".to_string(), case("/v1/campaigns/abc", None)),
            (
                "get_400".to_string(),
                case("/v1/campaigns/x", Some("{not json")),
            ),
        ];
        let replay = replay_document("alta", &doc(), &cases).unwrap();
        assert_eq!(
            replay.replayed,
            BTreeSet::from(["alta/get_200".to_string()])
        );
        assert_eq!(replay.left_out, vec!["alta/get_400: its body is not JSON"]);
        let op = &replay.document["paths"]["/campaigns/{id}"]["get"];
        assert!(op.get("security").is_none());
        assert!(
            replay.document["components"]
                .get("securitySchemes")
                .is_none()
        );
        let params = op["parameters"].as_array().unwrap();
        let header = |name: &str| params.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(
            header("authorization")["examples"]["get_200"]["value"],
            "Bearer k"
        );
        assert_eq!(
            header("x-sandbox-example")["examples"]["get_200"]["value"],
            "alta/get_200"
        );
        assert!(params[0]["examples"].get("get_400").is_none());
    }
}
