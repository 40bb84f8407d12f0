//! The vendors' own published documents (`openapi/upstream/`), and the check
//! that ours stays compatible with them.
//!
//! Alta publishes OpenAPI 3.1.0 for pause; the document uses nothing of
//! 3.1 that 3.0 lacks, so it is read as 3.0.3 by `openapiv3` (its version
//! field normalised for parsing only). Compatible means, for every upstream
//! operation:
//! - an operation of ours at the same effective URL (server base path +
//!   path) and method, with the same production server;
//! - every upstream parameter, with the same location, requiredness, type
//!   and format;
//! - a request body no stricter: not required where upstream's is optional,
//!   every upstream property accepted with the same type, no property
//!   required that upstream does not require;
//! - every upstream response status, with no body where upstream has none,
//!   and otherwise the same media type and a schema that has every upstream
//!   property (same type) and requires at least what upstream requires;
//! - every upstream example present among ours, equal;
//! - the same security scheme (name, type, scheme) required.
//!
//! Each incompatibility is reported with the JSON pointer of the upstream
//! node it is about.

use anyhow::{Context, anyhow};
use openapiv3::{OpenAPI, Operation, Parameter, ReferenceOr, SecurityScheme, StatusCode};
use serde_json::Value;

use super::examples::escape;
use super::normalise::url_path;

/// Reads an upstream document (YAML or JSON, OpenAPI 3.0 or 3.1).
pub fn read_upstream(text: &str) -> anyhow::Result<Value> {
    let value: Value = serde_yaml::from_str(text).context("parsing the upstream document")?;
    Ok(value)
}

/// A document both as JSON (for pointers and schemas) and typed.
struct Doc {
    json: Value,
    typed: OpenAPI,
}

impl Doc {
    fn new(json: &Value) -> anyhow::Result<Self> {
        let mut normalised = json.clone();
        if normalised["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
        {
            normalised["openapi"] = "3.0.3".into();
        }
        let typed = serde_json::from_value(normalised.clone()).context("reading as OpenAPI")?;
        Ok(Self {
            json: normalised,
            typed,
        })
    }

    /// Follows a local `$ref` (or returns the node itself).
    fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        super::resolve(&self.json, node)
    }

    fn base_path(&self) -> String {
        self.typed
            .servers
            .first()
            .map(|s| url_path(&s.url))
            .unwrap_or_default()
    }

    fn operations(&self) -> impl Iterator<Item = (String, &str, &Operation)> {
        let base = self.base_path();
        self.typed
            .operations()
            .map(move |(path, method, op)| (format!("{base}{path}"), method, op))
    }

    /// The effective security requirement names of an operation.
    fn security_of(&self, op: &Operation) -> Vec<String> {
        op.security
            .as_ref()
            .or(self.typed.security.as_ref())
            .map(|reqs| reqs.iter().flat_map(|r| r.keys().cloned()).collect())
            .unwrap_or_default()
    }

    fn scheme(&self, name: &str) -> Option<&SecurityScheme> {
        match self.typed.components.as_ref()?.security_schemes.get(name)? {
            ReferenceOr::Item(scheme) => Some(scheme),
            ReferenceOr::Reference { .. } => None,
        }
    }
}

/// One upstream operation and ours at the same URL, in their documents.
#[derive(Clone, Copy)]
struct Pair<'a> {
    up: &'a Doc,
    our: &'a Doc,
    up_op: &'a Operation,
    our_op: &'a Operation,
    /// The upstream operation's JSON pointer.
    pointer: &'a str,
}

/// Every incompatibility of `ours` with `upstream`, one line each, starting
/// with the upstream JSON pointer.
pub fn incompatibilities(upstream: &Value, ours: &Value) -> anyhow::Result<Vec<String>> {
    let up = Doc::new(upstream).context("the upstream document")?;
    let our = Doc::new(ours).context("our document")?;
    let mut problems = Vec::new();

    let up_production = up.typed.servers.first().map(|s| s.url.clone());
    if let Some(url) = &up_production
        && !our.typed.servers.iter().any(|s| &s.url == url)
    {
        problems.push(format!(
            "/servers/0: upstream server {url} is not among ours"
        ));
    }

    for (url, method, up_op) in up.operations() {
        let template = url
            .strip_prefix(&up.base_path())
            .unwrap_or(&url)
            .to_string();
        let pointer = format!("/paths/{}/{method}", escape(&template));
        let Some((_, _, our_op)) = our
            .operations()
            .find(|(our_url, our_method, _)| *our_url == url && *our_method == method)
        else {
            problems.push(format!(
                "{pointer}: no operation {} {url} in our document",
                method.to_uppercase()
            ));
            continue;
        };
        let our_pointer = {
            let base = our.base_path();
            format!(
                "/paths/{}/{method}",
                escape(url.strip_prefix(&base).unwrap_or(&url))
            )
        };
        let our_json = &our.json.pointer(&our_pointer).cloned().unwrap_or_default();
        let up_json = up.json.pointer(&pointer).cloned().unwrap_or_default();
        let pair = Pair {
            up: &up,
            our: &our,
            up_op,
            our_op,
            pointer: &pointer,
        };
        pair.parameters(&mut problems);
        pair.body(&up_json, our_json, &mut problems);
        pair.responses(&mut problems);
        pair.security(&mut problems);
    }
    Ok(problems)
}

fn parameter_of<'a>(doc: &'a Doc, p: &'a ReferenceOr<Parameter>) -> Option<&'a Parameter> {
    match p {
        ReferenceOr::Item(parameter) => Some(parameter),
        ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next()?;
            match doc.typed.components.as_ref()?.parameters.get(name)? {
                ReferenceOr::Item(parameter) => Some(parameter),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

fn location(parameter: &Parameter) -> &'static str {
    match parameter {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    }
}

impl<'a> Pair<'a> {
    /// The pair's parts, to read them by name.
    fn parts(&self) -> (&'a Doc, &'a Doc, &'a Operation, &'a Operation, &'a str) {
        (self.up, self.our, self.up_op, self.our_op, self.pointer)
    }
}

impl Pair<'_> {
    fn parameters(&self, problems: &mut Vec<String>) {
        let (up, our, up_op, our_op, pointer) = self.parts();
        for (index, p) in up_op.parameters.iter().enumerate() {
            let Some(up_p) = parameter_of(up, p) else {
                continue;
            };
            let data = up_p.parameter_data_ref();
            let here = format!("{pointer}/parameters/{index}");
            let Some(our_p) = our_op
                .parameters
                .iter()
                .filter_map(|p| parameter_of(our, p))
                .find(|q| {
                    q.parameter_data_ref().name == data.name && location(q) == location(up_p)
                })
            else {
                problems.push(format!(
                    "{here}: {} parameter {:?} is missing",
                    location(up_p),
                    data.name
                ));
                continue;
            };
            let ours = our_p.parameter_data_ref();
            if ours.required != data.required {
                problems.push(format!(
                    "{here}/required: upstream {}, ours {}",
                    data.required, ours.required
                ));
            }
            let up_schema = serde_json::to_value(&data.format).unwrap_or_default();
            let our_schema = serde_json::to_value(&ours.format).unwrap_or_default();
            for key in ["type", "format"] {
                let a = &up.resolve(&up_schema["schema"])[key];
                let b = &our.resolve(&our_schema["schema"])[key];
                if a != b {
                    problems.push(format!("{here}/schema/{key}: upstream {a}, ours {b}"));
                }
            }
        }
    }
}

impl Pair<'_> {
    fn body(&self, up_op: &Value, our_op: &Value, problems: &mut Vec<String>) {
        let (up, our, pointer) = (self.up, self.our, self.pointer);
        let up_body = up.resolve(&up_op["requestBody"]);
        if up_body.is_null() {
            return;
        }
        let here = format!("{pointer}/requestBody");
        let our_body = our.resolve(&our_op["requestBody"]);
        if our_body.is_null() {
            problems.push(format!("{here}: our operation takes no request body"));
            return;
        }
        let up_required = up_body["required"].as_bool().unwrap_or(false);
        let our_required = our_body["required"].as_bool().unwrap_or(false);
        if our_required && !up_required {
            problems.push(format!(
                "{here}/required: upstream's body is optional, ours is required"
            ));
        }
        for (media, up_media) in up_body["content"].as_object().into_iter().flatten() {
            let media_here = format!("{here}/content/{}", escape(media));
            match our_body["content"].get(media) {
                Some(our_media) => compare_media(
                    up,
                    our,
                    up_media,
                    our_media,
                    &media_here,
                    Side::Request,
                    problems,
                ),
                None => problems.push(format!("{media_here}: media type missing")),
            }
        }
    }
}

/// Which side of an exchange a media type is on: a request may require no
/// more than upstream's, a response must require at least upstream's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// Compares one media type's schema (properties and required lists).
fn compare_media(
    up: &Doc,
    our: &Doc,
    up_media: &Value,
    our_media: &Value,
    here: &str,
    side: Side,
    problems: &mut Vec<String>,
) {
    let up_schema = up.resolve(&up_media["schema"]);
    let our_schema = our.resolve(&our_media["schema"]);
    compare_properties(
        up,
        our,
        up_schema,
        our_schema,
        &format!("{here}/schema"),
        problems,
    );
    let up_required = string_set(&up_schema["required"]);
    let our_required = string_set(&our_schema["required"]);
    match side {
        Side::Request => {
            for required in our_required.iter().filter(|r| !up_required.contains(r)) {
                problems.push(format!(
                    "{here}/schema/required: ours requires {required:?}, upstream does not"
                ));
            }
        }
        Side::Response => {
            for required in up_required.iter().filter(|r| !our_required.contains(r)) {
                problems.push(format!(
                    "{here}/schema/required: upstream requires {required:?}, ours does not"
                ));
            }
        }
    }
}

/// Every upstream property exists in ours with the same type and format.
fn compare_properties(
    up: &Doc,
    our: &Doc,
    up_schema: &Value,
    our_schema: &Value,
    here: &str,
    problems: &mut Vec<String>,
) {
    let Some(properties) = up_schema["properties"].as_object() else {
        return;
    };
    for (name, up_property) in properties {
        let property_here = format!("{here}/properties/{}", escape(name));
        let Some(our_property) = our_schema["properties"].get(name) else {
            problems.push(format!("{property_here}: property missing"));
            continue;
        };
        let a = up.resolve(up_property);
        let b = our.resolve(our_property);
        for key in ["type", "format"] {
            if !a[key].is_null() && a[key] != b[key] {
                problems.push(format!(
                    "{property_here}/{key}: upstream {}, ours {}",
                    a[key], b[key]
                ));
            }
        }
    }
}

fn string_set(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

impl Pair<'_> {
    fn responses(&self, problems: &mut Vec<String>) {
        let (up, our, up_op, our_op, pointer) = self.parts();
        for (status, up_response) in &up_op.responses.responses {
            let here = format!("{pointer}/responses/{status}");
            let Some(our_response) = our_op.responses.responses.get(status).or(match status {
                StatusCode::Code(_) => None,
                StatusCode::Range(_) => None,
            }) else {
                problems.push(format!(
                    "{here}: status {status} is not among our responses"
                ));
                continue;
            };
            let up_value = serde_json::to_value(up_response).unwrap_or_default();
            let our_value = serde_json::to_value(our_response).unwrap_or_default();
            let up_r = up.resolve(&up_value);
            let our_r = our.resolve(&our_value);
            let up_content = up_r["content"].as_object().filter(|c| !c.is_empty());
            let our_content = our_r["content"].as_object().filter(|c| !c.is_empty());
            match (up_content, our_content) {
                (None, None) => {}
                (None, Some(_)) => problems.push(format!(
                    "{here}: upstream answers with no body, ours documents one"
                )),
                (Some(_), None) => {
                    problems.push(format!("{here}: upstream documents a body, ours none"))
                }
                (Some(up_content), Some(our_content)) => {
                    for (media, up_media) in up_content {
                        let media_here = format!("{here}/content/{}", escape(media));
                        let Some(our_media) = our_content.get(media) else {
                            problems.push(format!("{media_here}: media type missing"));
                            continue;
                        };
                        compare_media(
                            up,
                            our,
                            up_media,
                            our_media,
                            &media_here,
                            Side::Response,
                            problems,
                        );
                        let ours: Vec<&Value> = examples_of(our_media);
                        for (example_here, example) in upstream_examples(up_media, &media_here) {
                            if !ours.contains(&example) {
                                problems.push(format!(
                                    "{example_here}: upstream example {example} is not among ours"
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The example values of a media type (`example` and every `examples`).
fn examples_of(media: &Value) -> Vec<&Value> {
    let mut values: Vec<&Value> = media.get("example").into_iter().collect();
    if let Some(named) = media["examples"].as_object() {
        values.extend(named.values().filter_map(|e| e.get("value")));
    }
    values
}

fn upstream_examples<'a>(media: &'a Value, here: &str) -> Vec<(String, &'a Value)> {
    let mut found = Vec::new();
    if let Some(example) = media.get("example") {
        found.push((format!("{here}/example"), example));
    }
    if let Some(named) = media["examples"].as_object() {
        for (name, example) in named {
            if let Some(value) = example.get("value") {
                found.push((format!("{here}/examples/{}/value", escape(name)), value));
            }
        }
    }
    found
}

impl Pair<'_> {
    fn security(&self, problems: &mut Vec<String>) {
        let (up, our, up_op, our_op, pointer) = self.parts();
        let ours = our.security_of(our_op);
        for name in up.security_of(up_op) {
            let here = format!("/components/securitySchemes/{}", escape(&name));
            if !ours.contains(&name) {
                problems.push(format!(
                    "{pointer}/security: upstream requires {name:?}, our operation does not"
                ));
                continue;
            }
            let a = up
                .scheme(&name)
                .map(serde_json::to_value)
                .and_then(Result::ok);
            let b = our
                .scheme(&name)
                .map(serde_json::to_value)
                .and_then(Result::ok);
            match (a, b) {
                (Some(a), Some(b)) => {
                    for key in ["type", "scheme", "in", "name"] {
                        if a[key] != b[key] {
                            problems.push(format!(
                                "{here}/{key}: upstream {}, ours {}",
                                a[key], b[key]
                            ));
                        }
                    }
                }
                (Some(_), None) => {
                    problems.push(format!("{here}: our document does not define it"))
                }
                _ => {}
            }
        }
    }
}

/// Checks `openapi/<api>.json` against `openapi/upstream/<api>.yaml`.
pub fn check(upstream_text: &str, ours: &Value) -> anyhow::Result<Vec<String>> {
    let upstream = read_upstream(upstream_text)?;
    incompatibilities(&upstream, ours).map_err(|e| anyhow!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream_text() -> String {
        std::fs::read_to_string(crate::project_root().join("openapi/upstream/alta.yaml")).unwrap()
    }

    fn ours() -> Value {
        let text =
            std::fs::read_to_string(crate::project_root().join("openapi/alta.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    const PAUSE: &str = "/paths/~1campaigns~1{campaignId}~1pause/post";

    #[test]
    fn the_checked_in_alta_document_is_compatible() {
        let problems = check(&upstream_text(), &ours()).unwrap();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_pause_body_a_required_request_body_and_a_lost_status_are_reported() {
        let mut doc = ours();
        let op = doc.pointer_mut(PAUSE).unwrap();
        op["responses"]["200"]["content"] =
            serde_json::json!({"application/json": {"schema": {"type": "object"}}});
        op["requestBody"]["required"] = true.into();
        op["responses"].as_object_mut().unwrap().remove("429");
        let problems = check(&upstream_text(), &doc).unwrap();
        let expect = [
            format!("{PAUSE}/responses/200: upstream answers with no body"),
            format!("{PAUSE}/requestBody/required: upstream's body is optional"),
            format!("{PAUSE}/responses/429: status 429 is not among our responses"),
        ];
        for line in expect {
            assert!(
                problems.iter().any(|p| p.starts_with(&line)),
                "{line} not in {problems:#?}"
            );
        }
    }

    #[test]
    fn a_moved_path_a_changed_format_a_lost_example_and_another_scheme_are_reported() {
        let mut doc = ours();
        let op = doc.pointer(PAUSE).unwrap().clone();
        let paths = doc["paths"].as_object_mut().unwrap();
        paths.remove("/campaigns/{campaignId}/pause");
        let mut moved = op.clone();
        paths.insert(
            "/campaigns/{campaignId}/halt".into(),
            serde_json::json!({"post": moved.take()}),
        );
        let problems = check(&upstream_text(), &doc).unwrap();
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(&format!("{PAUSE}: no operation POST /v1/campaigns"))),
            "{problems:#?}"
        );

        let mut doc = ours();
        doc.pointer_mut(PAUSE).unwrap()["parameters"][0]["schema"]["format"] = "int64".into();
        let unauthorized = doc
            .pointer_mut("/components/responses/Unauthorized/content/application~1json")
            .unwrap();
        unauthorized.as_object_mut().unwrap().remove("examples");
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] = "basic".into();
        let problems = check(&upstream_text(), &doc).unwrap();
        for line in [
            format!("{PAUSE}/parameters/0/schema/format"),
            format!("{PAUSE}/responses/401/content/application~1json/example: upstream example"),
            "/components/securitySchemes/bearerAuth/scheme".to_string(),
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(&line)),
                "{line} not in {problems:#?}"
            );
        }
    }
}
