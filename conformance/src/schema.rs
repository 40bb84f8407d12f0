//! Validates actual responses against the face's own OpenAPI document with
//! the jsonschema crate. OpenAPI 3.0 schemas differ from JSON Schema in one
//! way that matters here (`nullable`), which [`to_json_schema`] converts.

use serde_json::{Map, Value, json};

/// One face's OpenAPI document.
pub struct Document {
    doc: Value,
    /// The servers' base path (`/v1`): document paths are relative to it.
    base_path: String,
    /// `components.schemas`, converted to JSON Schema.
    components: Value,
}

/// The methods whose operations the sweep probes (and whose absence it
/// probes with).
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One operation of a document, as the hostile-input sweep needs it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The document's path (relative to the servers' base path).
    pub template: String,
    /// The path a request uses (with the base path).
    pub path: String,
    /// Names of its path parameters.
    pub path_params: Vec<String>,
    /// Names of its query parameters.
    pub query_params: Vec<String>,
    /// Whether it takes a JSON body.
    pub has_body: bool,
    /// The body's top-level properties and their JSON types.
    pub body_properties: Vec<(String, String)>,
    /// Whether it needs a key.
    pub secured: bool,
    /// Every method its path answers.
    pub methods: Vec<String>,
}

/// What the document says a response looks like.
#[derive(Debug)]
pub enum Expected {
    /// A JSON body matching this schema.
    Json(Value),
    /// No body at all.
    Empty,
}

impl Document {
    /// Parses a document.
    pub fn new(text: &str) -> anyhow::Result<Self> {
        let doc: Value = serde_json::from_str(text)?;
        let components = to_json_schema(
            doc.pointer("/components/schemas")
                .cloned()
                .unwrap_or(json!({})),
        );
        let base_path = doc
            .pointer("/servers/0/url")
            .and_then(Value::as_str)
            .map(crate::url_path)
            .unwrap_or_default()
            .to_string();
        Ok(Self {
            doc,
            base_path,
            components,
        })
    }

    /// The documented response of `method path` (a concrete path) with `status`.
    pub fn expected(&self, method: &str, path: &str, status: u16) -> Result<Expected, String> {
        let template = self
            .template_for(path)
            .ok_or_else(|| format!("no path of the document matches {path}"))?;
        let operation = self.doc["paths"][&template]
            .get(method.to_lowercase())
            .ok_or_else(|| format!("{template} has no {method} operation"))?;
        let responses = &operation["responses"];
        let class = format!("{}XX", status / 100);
        let response = [status.to_string(), class, "default".to_string()]
            .iter()
            .find_map(|key| responses.get(key))
            .ok_or_else(|| format!("{method} {template} documents no {status} response"))?;
        let response = self.resolve(response)?;
        match response.pointer("/content/application~1json/schema") {
            Some(schema) => Ok(Expected::Json(to_json_schema(schema.clone()))),
            None if response.get("content").is_none() => Ok(Expected::Empty),
            None => Err(format!(
                "{method} {template} {status}: only JSON content is supported"
            )),
        }
    }

    /// The path template and operationId of `method path` (a concrete path).
    pub fn operation(&self, method: &str, path: &str) -> Option<(String, String)> {
        let template = self.template_for(path)?;
        let id = self.doc["paths"][&template][method.to_lowercase()]["operationId"]
            .as_str()?
            .to_string();
        Some((template, id))
    }

    /// Every violation of the document by this response, as text. An
    /// answer to a path or method the document does not have (a refusal of
    /// the front layer) must be a `4xx` in one of the face's error shapes.
    pub fn violations(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: Option<&Value>,
    ) -> Vec<String> {
        if self.operation(method, path).is_none() && (400..500).contains(&status) {
            return match body {
                Some(body) => self.error_violations(body),
                None => vec![format!("{status} for {method} {path} has no body")],
            };
        }
        match (self.expected(method, path, status), body) {
            (Err(problem), _) => vec![problem],
            (Ok(Expected::Empty), None) => Vec::new(),
            (Ok(Expected::Empty), Some(body)) => {
                vec![format!("documented without a body, got {body}")]
            }
            (Ok(Expected::Json(_)), None) => vec!["documented with a JSON body, got none".into()],
            (Ok(Expected::Json(schema)), Some(body)) => self.validate(schema, body),
        }
    }

    /// Every violation of `body` against a JSON Schema of this document.
    fn validate(&self, schema: Value, body: &Value) -> Vec<String> {
        let mut root = match schema {
            Value::Object(map) => map,
            other => Map::from_iter([("allOf".to_string(), json!([other]))]),
        };
        root.insert("components".into(), json!({"schemas": self.components}));
        match jsonschema::validator_for(&Value::Object(root)) {
            Ok(validator) => validator
                .iter_errors(body)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect(),
            Err(e) => vec![format!("the document's schema does not compile: {e}")],
        }
    }

    /// Why `body` is none of the error shapes this document gives its `4xx`
    /// answers; empty when it is one of them.
    pub fn error_violations(&self, body: &Value) -> Vec<String> {
        let mut schemas: Vec<Value> = Vec::new();
        for item in self.doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|p| p.values())
        {
            for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
                for (status, response) in operation["responses"].as_object().into_iter().flatten() {
                    if !status.starts_with('4') {
                        continue;
                    }
                    let schema = self
                        .resolve(response)
                        .ok()
                        .and_then(|r| r.pointer("/content/application~1json/schema"));
                    if let Some(schema) = schema.map(|s| to_json_schema(s.clone()))
                        && !schemas.contains(&schema)
                    {
                        schemas.push(schema);
                    }
                }
            }
        }
        let mut reasons = Vec::new();
        for schema in schemas {
            let violations = self.validate(schema.clone(), body);
            if violations.is_empty() {
                return Vec::new();
            }
            reasons.push(format!("not {schema}: {}", violations.join("; ")));
        }
        if reasons.is_empty() {
            reasons.push("the document gives no 4xx answer a JSON body".into());
        }
        reasons
    }

    /// Every operation of the document.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = Vec::new();
        for (template, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for (method, operation) in item.as_object().into_iter().flatten() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let parameters: Vec<&Value> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| self.resolve(p).ok())
                    .collect();
                let named = |location: &str| -> Vec<String> {
                    parameters
                        .iter()
                        .filter(|p| p["in"] == location)
                        .filter_map(|p| p["name"].as_str().map(str::to_string))
                        .collect()
                };
                let body = operation
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|schema| self.resolve(schema).unwrap_or(schema));
                let properties = body
                    .and_then(|b| b["properties"].as_object())
                    .map(|props| {
                        props
                            .iter()
                            .map(|(name, schema)| {
                                let schema = self.resolve(schema).unwrap_or(schema);
                                let kind = schema["type"].as_str().unwrap_or("object");
                                (name.clone(), kind.to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                operations.push(Operation {
                    method: method.to_uppercase(),
                    template: template.clone(),
                    path: format!("{}{template}", self.base_path),
                    path_params: named("path"),
                    query_params: named("query"),
                    has_body: body.is_some(),
                    body_properties: properties,
                    // Needs a key unless a requirement is empty (`{}`: the
                    // sandbox API's admin token is optional).
                    secured: operation["security"]
                        .as_array()
                        .or(self.doc["security"].as_array())
                        .is_some_and(|s| {
                            !s.is_empty()
                                && !s
                                    .iter()
                                    .any(|r| r.as_object().is_some_and(|r| r.is_empty()))
                        }),
                    methods: item
                        .as_object()
                        .into_iter()
                        .flat_map(|o| o.keys())
                        .filter(|m| METHODS.contains(&m.as_str()))
                        .map(|m| m.to_uppercase())
                        .collect(),
                });
            }
        }
        operations
    }

    /// The servers' base path (`/v1`), `""` when there is none.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// The header that carries the key and its prefix (`Bearer `), from
    /// the document's first security scheme.
    pub fn credential_header(&self) -> Option<(String, String)> {
        let schemes = self
            .doc
            .pointer("/components/securitySchemes")?
            .as_object()?;
        let scheme = schemes.values().next()?;
        match scheme["type"].as_str()? {
            "http" => Some(("authorization".into(), "Bearer ".into())),
            "apiKey" if scheme["in"] == "header" => {
                Some((scheme["name"].as_str()?.to_lowercase(), String::new()))
            }
            _ => None,
        }
    }

    /// The path template matching a concrete path (under the servers' base
    /// path), preferring literal segments.
    fn template_for(&self, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let path = path.strip_prefix(&self.base_path)?;
        let segments: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literals = 0;
                for (part, segment) in parts.iter().zip(&segments) {
                    if part.starts_with('{') && part.ends_with('}') {
                        if segment.is_empty() {
                            return None;
                        }
                    } else if part == segment {
                        literals += 1;
                    } else {
                        return None;
                    }
                }
                Some((literals, template.clone()))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, template)| template)
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> Result<&'a Value, String> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .ok_or_else(|| format!("external $ref {reference}"))?;
                self.doc
                    .pointer(pointer)
                    .ok_or_else(|| format!("dangling $ref {reference}"))
            }
            None => Ok(value),
        }
    }
}

/// Converts an OpenAPI 3.0 schema to JSON Schema: `nullable: true` becomes
/// a `null` alternative.
pub fn to_json_schema(schema: Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut map: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| (k, to_json_schema(v)))
                .collect();
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(t)) => {
                        map.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(values)) = map.get_mut("enum") {
                            values.push(Value::Null);
                        }
                    }
                    _ => return json!({"anyOf": [Value::Object(map), {"type": "null"}]}),
                }
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(to_json_schema).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        Document::new(include_str!("../../openapi/alta.json")).unwrap()
    }

    #[test]
    fn a_documented_error_body_validates_and_a_wrong_one_does_not() {
        let doc = document();
        let path = "/v1/campaigns/7c9e6679-7425-40de-944b-e07fc1f90ae7/pause";
        let good = json!({"error": "NotFound", "message": "Resource not found"});
        assert!(doc.violations("POST", path, 404, Some(&good)).is_empty());
        let bad = json!({"error": "NotFound"});
        assert_eq!(doc.violations("POST", path, 404, Some(&bad)).len(), 1);
    }

    #[test]
    fn nullable_fields_accept_null() {
        let doc = document();
        let campaign = json!({
            "id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "objectType": "campaign",
            "createdAt": "2026-01-05T09:00:00Z", "updatedAt": "2026-01-05T09:00:00Z",
            "name": "n", "description": null, "status": "paused", "isArchived": false,
            "launchedAt": null
        });
        let path = "/v1/campaigns/7c9e6679-7425-40de-944b-e07fc1f90ae7";
        assert_eq!(
            doc.violations("GET", path, 200, Some(&campaign)),
            Vec::<String>::new()
        );
        let mut wrong = campaign.clone();
        wrong["status"] = json!("archived");
        assert_eq!(doc.violations("GET", path, 200, Some(&wrong)).len(), 1);
    }

    #[test]
    fn literal_segments_win_over_parameters() {
        let doc = document();
        assert_eq!(
            doc.template_for("/v1/prospects").as_deref(),
            Some("/prospects")
        );
        assert_eq!(
            doc.template_for("/v1/prospects/abc/pause").as_deref(),
            Some("/prospects/{prospectId}/pause")
        );
        assert_eq!(doc.template_for("/nope"), None);
        assert_eq!(
            doc.template_for("/prospects"),
            None,
            "outside the base path"
        );
    }
}
