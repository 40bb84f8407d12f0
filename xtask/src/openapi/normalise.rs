//! The generic, typed part of the enrichment: rewrites every document needs
//! the same way, whatever its vendor.
//!
//! - [`rebase_paths`]: paths become relative to the servers' base path, so
//!   that `servers[i].url` + path is the real URL (Alta's `/v1`, Leadlex's
//!   `/functions/v1/api-gateway`, Woodpecker's `/rest`).
//! - [`plain_enums`]: schemars writes an enum with documented variants as a
//!   `oneOf` of one-value enums (a generated Python client then has
//!   `CampaignStatusType0..3`); it becomes one `enum` whose description lists
//!   the variants.
//! - [`nullable_types`]: `nullable: true` beside an `allOf` reference gets
//!   the referenced schema's `type`, which OpenAPI 3.0 needs for `nullable`
//!   to mean anything.

use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value};

/// The path part of the first server's URL (`/v1`), or `""`.
pub fn server_base_path(doc: &Value) -> anyhow::Result<String> {
    let servers = doc["servers"]
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| anyhow!("the document declares no servers"))?;
    let mut bases = servers.iter().map(|server| {
        let url = server["url"].as_str().unwrap_or_default();
        url_path(url)
    });
    let first = bases.next().expect("not empty");
    for other in bases {
        if other != first {
            bail!("servers disagree on the base path: {first:?} and {other:?}");
        }
    }
    Ok(first)
}

/// `https://host:1/a/b` → `/a/b`; a trailing slash is dropped.
pub fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map_or("", |index| &after_scheme[index..]);
    path.trim_end_matches('/').to_string()
}

/// Strips the servers' base path from every path.
pub fn rebase_paths(doc: &mut Value) -> anyhow::Result<()> {
    let base = server_base_path(doc)?;
    if base.is_empty() {
        return Ok(());
    }
    let paths = doc["paths"]
        .as_object_mut()
        .ok_or_else(|| anyhow!("no paths"))?;
    let mut rebased = Map::new();
    for (path, item) in std::mem::take(paths) {
        let relative = path
            .strip_prefix(&base)
            .filter(|rest| rest.starts_with('/'))
            .with_context(|| format!("path {path} is not under the servers' base path {base}"))?;
        rebased.insert(relative.to_string(), item);
    }
    *paths = rebased;
    Ok(())
}

/// Collapses every `oneOf` of one-value string enums into one `enum`.
pub fn plain_enums(doc: &mut Value) {
    walk(doc, &mut |node| {
        let Some(variants) = node.get("oneOf").and_then(Value::as_array) else {
            return;
        };
        let mut values = Vec::new();
        let mut lines = Vec::new();
        for variant in variants {
            let single = variant["enum"].as_array().filter(|e| e.len() == 1);
            match (variant["type"].as_str(), single) {
                (Some("string"), Some(value)) => {
                    values.push(value[0].clone());
                    if let Some(text) = variant["description"].as_str() {
                        lines.push(format!("- `{}`: {text}", value[0].as_str().unwrap_or("")));
                    }
                }
                _ => return,
            }
        }
        let object = node.as_object_mut().expect("has a key");
        object.remove("oneOf");
        object.insert("type".into(), "string".into());
        object.insert("enum".into(), Value::Array(values));
        if !lines.is_empty() {
            let description = match object.get("description").and_then(Value::as_str) {
                Some(text) => format!("{text}\n\n{}", lines.join("\n")),
                None => lines.join("\n"),
            };
            object.insert("description".into(), description.into());
        }
    });
}

/// Gives every `nullable` schema without a `type` the type of the schema
/// its `allOf` references.
pub fn nullable_types(doc: &mut Value) -> anyhow::Result<()> {
    let schemas = doc["components"]["schemas"].clone();
    let mut missing = None;
    walk(doc, &mut |node| {
        if node.get("nullable") != Some(&Value::Bool(true)) || node.get("type").is_some() {
            return;
        }
        let reference = node["allOf"][0]["$ref"].as_str().unwrap_or_default();
        let name = reference.trim_start_matches("#/components/schemas/");
        match schemas[name]["type"].as_str() {
            Some(kind) => {
                node["type"] = kind.into();
            }
            None => missing = Some(format!("nullable schema without a type: {node}")),
        }
    });
    missing.map_or(Ok(()), |problem| bail!(problem))
}

/// The front layer's body limit, in every vendor document: each operation
/// that takes a body declares a `413` (the shared `PayloadTooLarge`
/// response) in the face's error shape, the schema of its `401`. A document
/// with `4XX` ranges (the sandbox's) already covers it.
pub fn body_limit(doc: &mut Value) -> anyhow::Result<()> {
    let operations = super::operation_pointers(doc, |op| op.get("requestBody").is_some());
    let has_ranges = operations
        .iter()
        .any(|op| doc.pointer(&format!("{op}/responses/4XX")).is_some());
    if operations.is_empty() || has_ranges {
        return Ok(());
    }
    let schema = operations
        .iter()
        .find_map(|op| {
            let response = doc.pointer(&format!("{op}/responses/401"))?;
            super::resolve(doc, response)
                .pointer("/content/application~1json/schema")
                .cloned()
        })
        .ok_or_else(|| anyhow::anyhow!("no operation with a body documents its 401's schema"))?;
    doc["components"]["responses"]["PayloadTooLarge"] = serde_json::json!({
        "description": "The body is over 64 KiB: refused after the key is checked, before it is read (sandbox choice).",
        "content": {"application/json": {"schema": schema}},
    });
    for op in operations {
        if let Some(responses) = doc.pointer_mut(&format!("{op}/responses"))
            && let Some(responses) = responses.as_object_mut()
        {
            responses.insert(
                "413".into(),
                serde_json::json!({"$ref": "#/components/responses/PayloadTooLarge"}),
            );
        }
    }
    Ok(())
}

/// Calls `visit` on every object of the document, parents first.
pub fn walk(value: &mut Value, visit: &mut impl FnMut(&mut Value)) {
    if value.is_object() {
        visit(value);
    }
    match value {
        Value::Object(map) => map.values_mut().for_each(|child| walk(child, visit)),
        Value::Array(items) => items.iter_mut().for_each(|child| walk(child, visit)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_with_a_body_declare_the_body_limit_in_the_401_shape() {
        let mut doc = json!({
            "paths": {"/things": {
                "post": {"requestBody": {}, "responses": {"401": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}},
                "get": {"responses": {}}
            }},
            "components": {}
        });
        body_limit(&mut doc).unwrap();
        assert_eq!(
            doc["paths"]["/things"]["post"]["responses"]["413"]["$ref"],
            "#/components/responses/PayloadTooLarge"
        );
        assert!(doc["paths"]["/things"]["get"]["responses"]["413"].is_null());
        assert_eq!(
            doc["components"]["responses"]["PayloadTooLarge"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/Error"
        );
        let mut ranged =
            json!({"paths": {"/x": {"post": {"requestBody": {}, "responses": {"4XX": {}}}}}});
        let before = ranged.clone();
        body_limit(&mut ranged).unwrap();
        assert_eq!(ranged, before, "4XX already covers a 413");
    }

    #[test]
    fn paths_lose_the_servers_base_path() {
        let mut doc = json!({
            "servers": [{"url": "https://api.altahq.com/v1"}, {"url": "http://127.0.0.1:7071/v1/"}],
            "paths": {"/v1/campaigns": {}, "/v1/campaigns/{id}": {}}
        });
        rebase_paths(&mut doc).unwrap();
        assert_eq!(
            doc["paths"],
            json!({"/campaigns": {}, "/campaigns/{id}": {}})
        );
    }

    #[test]
    fn a_path_outside_the_base_or_disagreeing_servers_fail() {
        let mut doc = json!({"servers": [{"url": "https://x/v1"}], "paths": {"/v10/a": {}}});
        assert!(rebase_paths(&mut doc).is_err());
        let doc = json!({"servers": [{"url": "https://x/v1"}, {"url": "http://y/v2"}]});
        assert!(server_base_path(&doc).is_err());
    }

    #[test]
    fn documented_variants_become_one_enum() {
        let mut doc = json!({"components": {"schemas": {"S": {
            "description": "A status.",
            "oneOf": [
                {"type": "string", "enum": ["draft"], "description": "New."},
                {"type": "string", "enum": ["active"], "description": "Running."}
            ]
        }, "Mixed": {"oneOf": [{"type": "string", "enum": ["a"]}, {"type": "object"}]}}}});
        plain_enums(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["S"],
            json!({"description": "A status.\n\n- `draft`: New.\n- `active`: Running.",
                   "type": "string", "enum": ["draft", "active"]})
        );
        assert!(doc["components"]["schemas"]["Mixed"]["oneOf"].is_array());
    }

    #[test]
    fn nullable_references_get_a_type() {
        let mut doc = json!({"components": {"schemas": {
            "E": {"type": "string", "enum": ["a"]},
            "T": {"properties": {"e": {"nullable": true, "allOf": [{"$ref": "#/components/schemas/E"}]}}}
        }}});
        nullable_types(&mut doc).unwrap();
        assert_eq!(
            doc["components"]["schemas"]["T"]["properties"]["e"]["type"],
            "string"
        );
    }
}
