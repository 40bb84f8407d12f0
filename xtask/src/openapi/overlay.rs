//! OpenAPI Overlay 1.0 (`openapi/overlays/<api>.overlay.yaml`): the
//! declared, hand-written part of each document's enrichment (servers,
//! security, the statuses of each operation, optional bodies).
//!
//! Targets are RFC 9535 JSONPath expressions, evaluated with
//! `serde_json_path`. As the Overlay specification says, `update` is merged
//! recursively into every selected object (objects merge, any other value
//! replaces) or appended to every selected array, and `remove: true` removes
//! every selected node. A target that selects nothing is an error: an
//! action that silently stops applying is a contract that silently stops
//! being stated.

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

/// One Overlay document.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// The Overlay version (`1.0.0`).
    pub overlay: String,
    /// Title and version of the overlay.
    pub info: OverlayInfo,
    /// The document the overlay is written for.
    #[serde(default)]
    pub extends: Option<String>,
    /// The actions, applied in order.
    pub actions: Vec<Action>,
}

/// The overlay's `info`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverlayInfo {
    /// What the overlay is.
    pub title: String,
    /// Its version.
    pub version: String,
}

/// One action of an overlay.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// A JSONPath selecting the nodes to change.
    pub target: String,
    /// Why the action exists.
    #[serde(default)]
    pub description: Option<String>,
    /// What to merge into (or append to) every selected node.
    #[serde(default)]
    pub update: Option<Value>,
    /// Remove every selected node.
    #[serde(default)]
    pub remove: bool,
}

impl Overlay {
    /// Reads an overlay from YAML text.
    pub fn from_yaml(text: &str) -> anyhow::Result<Self> {
        let overlay: Overlay = serde_yaml::from_str(text).context("parsing the overlay")?;
        if !overlay.overlay.starts_with("1.") {
            bail!("overlay version {} is not 1.x", overlay.overlay);
        }
        Ok(overlay)
    }

    /// Applies every action to `doc`, in order; `document` is the path of
    /// the document it must say it `extends`, relative to the overlay.
    pub fn apply(&self, doc: &mut Value, document: &str) -> anyhow::Result<()> {
        if self.extends.as_deref().is_some_and(|e| e != document) {
            bail!(
                "overlay {:?} {} extends {:?}, not {document:?}",
                self.info.title,
                self.info.version,
                self.extends
            );
        }
        for (index, action) in self.actions.iter().enumerate() {
            action.apply(doc).with_context(|| {
                format!(
                    "action {index} of {:?} (target {}{})",
                    self.info.title,
                    action.target,
                    action
                        .description
                        .as_deref()
                        .map(|d| format!(": {}", d.trim()))
                        .unwrap_or_default()
                )
            })?;
        }
        Ok(())
    }
}

impl Action {
    fn apply(&self, doc: &mut Value) -> anyhow::Result<()> {
        if self.remove == self.update.is_some() {
            bail!("an action needs exactly one of `update` and `remove: true`");
        }
        let path = JsonPath::parse(&self.target).map_err(|e| anyhow!("bad JSONPath: {e}"))?;
        let pointers: Vec<String> = path
            .query_located(doc)
            .locations()
            .map(|location| location.to_json_pointer())
            .collect();
        if pointers.is_empty() {
            bail!("the target selects nothing");
        }
        if self.remove {
            // Remove the deepest (and, within one array, the last) first so
            // that earlier pointers stay valid.
            let mut pointers = pointers;
            pointers.sort_by_key(|p| std::cmp::Reverse(pointer_order(p)));
            for pointer in pointers {
                remove(doc, &pointer)?;
            }
            return Ok(());
        }
        let update = self.update.as_ref().expect("checked above");
        for pointer in pointers {
            let node = doc
                .pointer_mut(&pointer)
                .ok_or_else(|| anyhow!("{pointer} vanished"))?;
            match node {
                Value::Array(items) => items.push(update.clone()),
                Value::Object(_) => merge(node, update),
                _ => bail!("{pointer} is neither an object nor an array"),
            }
        }
        Ok(())
    }
}

/// Sort key of a pointer: its segments, array indexes compared as numbers.
fn pointer_order(pointer: &str) -> Vec<(u8, u64, String)> {
    pointer
        .split('/')
        .map(|segment| match segment.parse::<u64>() {
            Ok(n) => (0, n, String::new()),
            Err(_) => (1, 0, segment.to_string()),
        })
        .collect()
}

/// Recursive merge: objects merge key by key, anything else replaces.
pub fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            for (key, value) in update {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, update) => *target = update.clone(),
    }
}

fn remove(doc: &mut Value, pointer: &str) -> anyhow::Result<()> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| anyhow!("cannot remove the whole document"))?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            let index: usize = key.parse().context("array index")?;
            items.remove(index);
        }
        _ => bail!("{parent} is not a container"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: Value) -> Overlay {
        serde_json::from_value::<Vec<Action>>(actions)
            .map(|actions| Overlay {
                overlay: "1.0.0".into(),
                info: OverlayInfo {
                    title: "t".into(),
                    version: "1".into(),
                },
                extends: None,
                actions,
            })
            .unwrap()
    }

    #[test]
    fn update_merges_and_remove_removes_by_filter() {
        let mut doc = json!({"paths": {
            "/a": {"post": {"operationId": "pauseCampaign", "responses": {"4XX": {}, "200": {}}}},
            "/b": {"get": {"operationId": "getCampaign", "responses": {"4XX": {}}}}
        }});
        overlay(json!([
            {"target": "$.paths.*[?@.operationId == 'pauseCampaign'].responses",
             "update": {"404": {"description": "not found"}}},
            {"target": "$.paths.*.*.responses['4XX']", "remove": true},
            {"target": "$.paths.*.*", "update": {"security": [{"bearerAuth": []}]}}
        ]))
        .apply(&mut doc, "base.json")
        .unwrap();
        assert_eq!(
            doc["paths"]["/a"]["post"]["responses"],
            json!({"200": {}, "404": {"description": "not found"}})
        );
        assert_eq!(doc["paths"]["/b"]["get"]["responses"], json!({}));
        assert_eq!(
            doc["paths"]["/b"]["get"]["security"],
            json!([{"bearerAuth": []}])
        );
    }

    #[test]
    fn a_target_that_selects_nothing_fails() {
        let mut doc = json!({"paths": {}});
        let error = overlay(json!([
            {"target": "$.paths.*[?@.operationId == 'nope']", "update": {"x": 1}}
        ]))
        .apply(&mut doc, "base.json")
        .unwrap_err();
        assert!(
            format!("{error:#}").contains("selects nothing"),
            "{error:#}"
        );
    }

    #[test]
    fn arrays_are_appended_to_and_removal_keeps_indexes_valid() {
        let mut doc = json!({"servers": [{"url": "a"}], "list": [1, 2, 3, 4]});
        overlay(json!([
            {"target": "$.servers", "update": {"url": "b"}},
            {"target": "$.list[?@ > 1]", "remove": true}
        ]))
        .apply(&mut doc, "base.json")
        .unwrap();
        assert_eq!(doc["servers"], json!([{"url": "a"}, {"url": "b"}]));
        assert_eq!(doc["list"], json!([1]));
    }
}
