//! Document examples, generated from the conformance cases.
//!
//! An example is written once, in its case (`conformance/cases/<api>/`):
//! the case holds what a document cannot (the world the example needs, the
//! rules checked after it), so the case is the source and the document gets
//! a projection of it. Each case becomes a named example (its file name) of
//! the answer it documents (the vendor's body, or the sandbox's choice), and
//! of the request's path and query parameters and JSON body, so a contract
//! tester can pair them by name.
//!
//! A case whose operation or status the document does not declare is an
//! error: the document must state every status the vendors document.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The part of a conformance case the documents need.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseView {
    /// Where the example comes from.
    pub source: SourceView,
    /// The request as documented.
    pub request: RequestView,
    /// The documented answer.
    pub documented: DocumentedView,
    /// The sandbox's body where the page shows none.
    #[serde(default)]
    pub sandbox_choice: Option<ChoiceView>,
}

/// A case's source.
#[derive(Debug, Deserialize)]
pub struct SourceView {
    /// The page's section.
    pub section: String,
}

/// A case's request.
#[derive(Debug, Deserialize)]
pub struct RequestView {
    /// The method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// A JSON body.
    #[serde(default)]
    pub json: Option<Value>,
    /// A raw body (malformed on purpose, or empty).
    #[serde(default)]
    pub raw: Option<String>,
}

/// A case's documented answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentedView {
    /// The status.
    pub status: u16,
    /// The body.
    #[serde(default)]
    pub body: Option<Value>,
}

/// A case's sandbox choice.
#[derive(Debug, Deserialize)]
pub struct ChoiceView {
    /// Why.
    pub why: String,
    /// The body.
    pub body: Value,
}

/// Every case of one API, by name, in name order.
pub fn read_cases(dir: &Path) -> anyhow::Result<Vec<(String, CaseView)>> {
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(cases);
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| anyhow!("bad case name {}", path.display()))?
            .to_string();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let case: CaseView =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        cases.push((name, case));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(cases)
}

/// Adds every case's examples to `doc` (paths already relative to `base`).
pub fn add_examples(
    doc: &mut Value,
    base: &str,
    cases: &[(String, CaseView)],
) -> anyhow::Result<()> {
    for (name, case) in cases {
        add_case(doc, base, name, case).with_context(|| format!("case {name}"))?;
    }
    Ok(())
}

fn add_case(doc: &mut Value, base: &str, name: &str, case: &CaseView) -> anyhow::Result<()> {
    let (path, query) = case
        .request
        .path
        .split_once('?')
        .unwrap_or((&case.request.path, ""));
    let relative = path
        .strip_prefix(base)
        .ok_or_else(|| anyhow!("{path} is not under {base}"))?;
    let method = case.request.method.to_ascii_lowercase();
    let Some((template, values)) = match_template(doc, relative, &method) else {
        // A case of a path or method the document does not have (the front
        // layer's 404 or 405) has no operation to carry its example.
        if [404, 405].contains(&case.documented.status) {
            return Ok(());
        }
        bail!(
            "no operation {} {relative} in the document",
            case.request.method
        );
    };
    let op_pointer = format!("/paths/{}/{method}", escape(&template));
    let summary = match &case.sandbox_choice {
        Some(choice) if case.documented.body.is_none() => {
            format!("{} (sandbox choice: {})", case.source.section, choice.why)
        }
        _ => case.source.section.clone(),
    };

    // The answer.
    let status = case.documented.status.to_string();
    let response_pointer =
        super::resolve_pointer(doc, &format!("{op_pointer}/responses/{}", escape(&status)))
            .ok_or_else(|| anyhow!("{op_pointer} does not declare status {status}"))?;
    let body = case
        .documented
        .body
        .as_ref()
        .or(case.sandbox_choice.as_ref().map(|c| &c.body));
    let response = doc.pointer_mut(&response_pointer).expect("resolved");
    match (body, response.pointer_mut("/content/application~1json")) {
        (Some(body), Some(media)) => insert_example(media, name, &summary, body.clone()),
        (Some(_), None) => bail!("{response_pointer} has no JSON content, the case a body"),
        (None, Some(_)) => {
            bail!("{response_pointer} documents a body and the case none: add the body to the case")
        }
        (None, None) => {}
    }

    // The request's parameters and body, under the same name.
    let query_pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let op = doc.pointer_mut(&op_pointer).expect("matched");
    for (param, value) in values.into_iter().chain(query_pairs) {
        add_parameter_example(op, &param, &value, name, &summary);
    }
    if let (Some(json), Some(media)) = (
        &case.request.json,
        op.pointer_mut("/requestBody/content/application~1json"),
    ) {
        insert_example(media, name, &summary, json.clone());
    }
    Ok(())
}

/// Every response with a JSON body that has no example, as
/// `METHOD path status`: each documented status needs at least one.
pub fn responses_without_examples(doc: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return missing;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(responses) = op["responses"].as_object() else {
                continue;
            };
            for status in responses.keys() {
                let pointer = format!(
                    "/paths/{}/{method}/responses/{}",
                    escape(path),
                    escape(status)
                );
                let Some(response) =
                    super::resolve_pointer(doc, &pointer).and_then(|p| doc.pointer(&p))
                else {
                    continue;
                };
                let Some(media) = response.pointer("/content/application~1json") else {
                    continue;
                };
                let has_example = media.get("example").is_some()
                    || media["examples"].as_object().is_some_and(|e| !e.is_empty());
                if !has_example {
                    missing.push(format!(
                        "{} {path} {status} has no example",
                        method.to_uppercase()
                    ));
                }
            }
        }
    }
    missing
}

/// The path template (and its parameter values) of `method` that matches
/// `path` segment by segment, `{name}` matching any one segment.
pub fn match_template(
    doc: &Value,
    path: &str,
    method: &str,
) -> Option<(String, Vec<(String, String)>)> {
    let wanted: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, item)| {
            item.get(method)?;
            let pattern: Vec<&str> = template.split('/').collect();
            if pattern.len() != wanted.len() {
                return None;
            }
            let mut values = Vec::new();
            for (p, w) in pattern.iter().zip(&wanted) {
                match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(param) if !w.is_empty() => values.push((param.to_string(), w.to_string())),
                    Some(_) => return None,
                    None if p == w => {}
                    None => return None,
                }
            }
            Some((template.clone(), values))
        })
}

fn insert_example(media: &mut Value, name: &str, summary: &str, value: Value) {
    let examples = media
        .as_object_mut()
        .expect("a media type is an object")
        .entry("examples")
        .or_insert_with(|| Value::Object(Map::new()));
    examples[name] = json!({"summary": summary, "value": value});
}

/// Adds `value` as the named example of parameter `name`, typed as the
/// parameter's schema says; a value its schema refuses (a case sending a
/// malformed id on purpose) is left out, since the example would be invalid.
fn add_parameter_example(op: &mut Value, param: &str, value: &str, name: &str, summary: &str) {
    let Some(parameters) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
        return;
    };
    let Some(parameter) = parameters.iter_mut().find(|p| p["name"] == param) else {
        return;
    };
    let Some(typed) = typed_value(&parameter["schema"], value) else {
        return;
    };
    let examples = parameter
        .as_object_mut()
        .expect("a parameter is an object")
        .entry("examples")
        .or_insert_with(|| Value::Object(Map::new()));
    examples[name] = json!({"summary": summary, "value": typed});
}

/// `value` as its schema types it, when the schema accepts it.
fn typed_value(schema: &Value, value: &str) -> Option<Value> {
    let value = percent_decode(value);
    match schema["type"].as_str() {
        Some("integer") => {
            let n: i64 = value.parse().ok()?;
            let above = schema["minimum"].as_i64().is_none_or(|min| n >= min);
            let below = schema["maximum"].as_i64().is_none_or(|max| n <= max);
            (above && below).then(|| n.into())
        }
        Some("boolean") => value.parse::<bool>().ok().map(Value::Bool),
        _ if schema["format"] == "uuid" => {
            let ok = value.len() == 36
                && value.char_indices().all(|(i, c)| {
                    if matches!(i, 8 | 13 | 18 | 23) {
                        c == '-'
                    } else {
                        c.is_ascii_hexdigit()
                    }
                });
            ok.then(|| value.into())
        }
        _ => {
            let long_enough = schema["minLength"]
                .as_u64()
                .is_none_or(|min| value.len() as u64 >= min);
            let short_enough = schema["maxLength"]
                .as_u64()
                .is_none_or(|max| value.len() as u64 <= max);
            (long_enough && short_enough).then(|| value.into())
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON pointer segment.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "paths": {"/campaigns/{campaignId}/pause": {"post": {
                "parameters": [{"name": "campaignId", "in": "path", "schema": {"type": "string", "format": "uuid"}}],
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {
                    "200": {"description": "ok"},
                    "404": {"$ref": "#/components/responses/NotFound"}
                }
            }}},
            "components": {"responses": {"NotFound": {"description": "nf",
                "content": {"application/json": {"schema": {}}}}}}
        })
    }

    fn case(path: &str, status: u16, body: Option<Value>) -> CaseView {
        serde_json::from_value(json!({
            "source": {"section": "s"},
            "request": {"method": "POST", "path": path, "json": {"pauseProspects": true}},
            "documented": {"status": status, "body": body}
        }))
        .unwrap()
    }

    #[test]
    fn a_case_becomes_named_request_and_response_examples() {
        let mut doc = doc();
        let id = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
        let body = json!({"error": "NotFound", "message": "Resource not found"});
        let cases = vec![(
            "pause_404".to_string(),
            case(
                &format!("/v1/campaigns/{id}/pause"),
                404,
                Some(body.clone()),
            ),
        )];
        add_examples(&mut doc, "/v1", &cases).unwrap();
        assert_eq!(
            doc["components"]["responses"]["NotFound"]["content"]["application/json"]["examples"]["pause_404"]
                ["value"],
            body
        );
        let op = &doc["paths"]["/campaigns/{campaignId}/pause"]["post"];
        assert_eq!(op["parameters"][0]["examples"]["pause_404"]["value"], id);
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["examples"]["pause_404"]["value"],
            json!({"pauseProspects": true})
        );
    }

    #[test]
    fn a_response_without_an_example_is_reported() {
        let mut doc = doc();
        let missing = responses_without_examples(&doc);
        assert_eq!(
            missing,
            vec!["POST /campaigns/{campaignId}/pause 404 has no example"]
        );
        let cases = vec![(
            "pause_404".to_string(),
            case(
                "/v1/campaigns/7c9e6679-7425-40de-944b-e07fc1f90ae7/pause",
                404,
                Some(json!({})),
            ),
        )];
        add_examples(&mut doc, "/v1", &cases).unwrap();
        assert!(responses_without_examples(&doc).is_empty());
    }

    #[test]
    fn an_undeclared_status_or_a_malformed_id_are_handled() {
        let mut doc = doc();
        let cases = vec![(
            "pause_429".to_string(),
            case("/v1/campaigns/x/pause", 429, Some(json!({}))),
        )];
        let error = add_examples(&mut doc, "/v1", &cases).unwrap_err();
        assert!(
            format!("{error:#}").contains("does not declare status 429"),
            "{error:#}"
        );

        let mut doc = self::doc();
        let cases = vec![(
            "pause_200".to_string(),
            case("/v1/campaigns/not-a-uuid/pause", 200, None),
        )];
        add_examples(&mut doc, "/v1", &cases).unwrap();
        let op = &doc["paths"]["/campaigns/{campaignId}/pause"]["post"];
        assert!(op["parameters"][0].get("examples").is_none());
    }
}
