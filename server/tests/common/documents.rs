//! The checked-in OpenAPI documents, read the way the document-driven
//! tests (the auth matrix, the admin token) walk them: every operation with
//! its path filled from the document's own example ids.

use std::path::Path;

use serde_json::{Value, json};

/// The checked-in document `openapi/{name}.json`.
pub fn document(face: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../openapi/{face}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Follows a local `$ref`.
pub fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => doc
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => node,
    }
}

/// One operation: method, path with its example ids, a request body.
pub struct Operation {
    pub method: String,
    pub path: String,
    pub has_path_id: bool,
    pub body: Option<Value>,
    pub responses: Value,
}

/// Every operation of `doc`.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let mut filled = path.clone();
            let parameters = item["parameters"]
                .as_array()
                .into_iter()
                .chain(op["parameters"].as_array())
                .flatten();
            let mut has_path_id = false;
            for parameter in parameters {
                let parameter = resolve(doc, parameter);
                if parameter["in"] != "path" {
                    continue;
                }
                has_path_id = true;
                // The id of a success example (an object of the demo
                // world), else any example.
                let examples = parameter["examples"].as_object();
                let named = examples.and_then(|e| {
                    e.iter()
                        .find(|(name, _)| name.contains("200"))
                        .or_else(|| e.iter().next())
                        .map(|(_, example)| &resolve(doc, example)["value"])
                });
                let example = parameter
                    .get("example")
                    .or_else(|| parameter["schema"].get("example"))
                    .or(named)
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .unwrap_or_else(|| "1".into());
                let name = parameter["name"].as_str().unwrap();
                filled = filled.replace(&format!("{{{name}}}"), &example);
            }
            let content = &resolve(doc, &op["requestBody"])["content"]["application/json"];
            let body = content.get("example").cloned().or_else(|| {
                content["examples"]
                    .as_object()
                    .and_then(|e| e.values().next())
                    .map(|e| resolve(doc, e)["value"].clone())
            });
            let body = body.or_else(|| op.get("requestBody").map(|_| json!({})));
            operations.push(Operation {
                method: method.to_ascii_uppercase(),
                path: filled,
                has_path_id,
                body,
                responses: op["responses"].clone(),
            });
        }
    }
    operations
}

/// Every example body the document gives `op` for `status`.
pub fn documented(doc: &Value, op: &Operation, status: u16) -> Vec<Value> {
    let response = resolve(doc, &op.responses[status.to_string()]);
    let content = &response["content"]["application/json"];
    let mut bodies: Vec<Value> = content.get("example").cloned().into_iter().collect();
    for example in content["examples"]
        .as_object()
        .into_iter()
        .flat_map(|e| e.values())
    {
        bodies.push(resolve(doc, example)["value"].clone());
    }
    bodies
}
