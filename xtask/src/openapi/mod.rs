//! `cargo xtask openapi generate|check|list`: the checked-in OpenAPI
//! documents, in two declared steps.
//!
//! 1. **Base**: dropshot's document of each API trait, kept in lockstep by
//!    dropshot-api-manager in `openapi/base/<api>.json` ([`manager`]).
//! 2. **Enrichment**: `openapi/<api>.json`, the contract users get, is the
//!    base document with, in order: the API's OpenAPI Overlay
//!    (`openapi/overlays/<api>.overlay.yaml`: servers, security, every
//!    status of every operation, optional bodies; [`overlay`]); the generic
//!    rewrites every document needs ([`normalise`]); and the examples of the
//!    conformance cases ([`examples`]).
//!
//! `check` fails on a stale base document, on an enriched document that
//! differs from what the enrichment makes (showing the diff), and on any
//! incompatibility with a vendor's published document in
//! `openapi/upstream/` ([`upstream`]); it prints the command that fixes the
//! first two.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

pub mod examples;
pub mod manager;
pub mod normalise;
pub mod overlay;
pub mod upstream;

/// The command that regenerates the documents, printed by `check`.
pub const FIX_COMMAND: &str = "cargo xtask openapi generate";

/// Every API's ident, in the registry's (port) order.
pub fn idents() -> impl Iterator<Item = &'static str> {
    campaign_api::apis::APIS.iter().map(|api| api.ident)
}

/// Where the registry is written for the generated client's build script.
pub const REGISTRY_FILE: &str = "openapi/registry/apis.json";

/// The registry as the client's build script reads it: each API's ident,
/// title, description, version, port offset and prefix, in port order.
pub fn registry_json() -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&campaign_api::apis::APIS)? + "\n")
}

/// Follows the local `$ref`s from the node at `pointer` to the node they
/// name; `None` when a reference dangles or loops.
pub fn resolve_pointer(doc: &Value, pointer: &str) -> Option<String> {
    let mut pointer = pointer.to_string();
    for _ in 0..8 {
        let node = doc.pointer(&pointer)?;
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) => pointer = reference.strip_prefix('#')?.to_string(),
            None => return Some(pointer),
        }
    }
    None
}

/// The node `node` refers to with a local `$ref` (following chains), or
/// `node` itself.
pub fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| resolve_pointer(doc, reference.strip_prefix('#')?))
        .and_then(|pointer| doc.pointer(&pointer))
        .unwrap_or(node)
}

/// The JSON pointer (`/paths/~1a~1{id}/get`) of every operation of `doc`
/// for which `keep` holds.
pub fn operation_pointers(doc: &Value, keep: impl Fn(&Value) -> bool) -> Vec<String> {
    let mut pointers = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if keep(operation) {
                pointers.push(format!("/paths/{}/{method}", examples::escape(path)));
            }
        }
    }
    pointers
}

/// The enriched document of `ident`, made from its base document text.
pub fn enrich(root: &Path, ident: &str, base: &str) -> anyhow::Result<String> {
    let mut doc: Value = serde_json::from_str(base).context("parsing the base document")?;
    let overlay_path = root.join(format!("openapi/overlays/{ident}.overlay.yaml"));
    let overlay_text = std::fs::read_to_string(&overlay_path)
        .with_context(|| format!("reading {}", overlay_path.display()))?;
    overlay::Overlay::from_yaml(&overlay_text)?
        .apply(&mut doc, &format!("../base/{ident}.json"))
        .with_context(|| format!("applying {}", overlay_path.display()))?;
    normalise::plain_enums(&mut doc);
    normalise::nullable_types(&mut doc)?;
    normalise::body_limit(&mut doc)?;
    let base_path = normalise::server_base_path(&doc)?;
    normalise::rebase_paths(&mut doc)?;
    let cases = examples::read_cases(&root.join("conformance/cases").join(ident))?;
    examples::add_examples(&mut doc, &base_path, &cases)
        .with_context(|| format!("adding the examples of conformance/cases/{ident}"))?;
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

/// Writes every enriched document from its base document, and the
/// registry file.
fn generate_enriched(root: &Path) -> anyhow::Result<()> {
    let registry = registry_json()?;
    let path = root.join(REGISTRY_FILE);
    if std::fs::read_to_string(&path).ok().as_deref() != Some(registry.as_str()) {
        std::fs::write(&path, registry).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("    wrote {REGISTRY_FILE}");
    }
    for ident in idents() {
        let base = read(&root.join(format!("openapi/base/{ident}.json")))?;
        let enriched = enrich(root, ident, &base).with_context(|| format!("enriching {ident}"))?;
        let path = root.join(format!("openapi/{ident}.json"));
        if std::fs::read_to_string(&path).ok().as_deref() != Some(enriched.as_str()) {
            std::fs::write(&path, enriched)
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("    wrote openapi/{ident}.json");
        }
    }
    Ok(())
}

/// Every problem of the enriched documents: stale ones (with a diff) and
/// incompatibilities with the vendors' published documents.
pub fn enriched_problems(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let registry = std::fs::read_to_string(root.join(REGISTRY_FILE)).unwrap_or_default();
    if registry != registry_json()? {
        problems.push(format!(
            "{REGISTRY_FILE} is stale: it differs from campaign_api::apis::APIS"
        ));
    }
    for ident in idents() {
        let base = read(&root.join(format!("openapi/base/{ident}.json")))?;
        let wanted = enrich(root, ident, &base).with_context(|| format!("enriching {ident}"))?;
        let path = root.join(format!("openapi/{ident}.json"));
        let found = std::fs::read_to_string(&path).unwrap_or_default();
        if found != wanted {
            let diff = similar::TextDiff::from_lines(&found, &wanted)
                .unified_diff()
                .context_radius(2)
                .header(&format!("openapi/{ident}.json (checked in)"), "(generated)")
                .to_string();
            let shown: Vec<&str> = diff.lines().take(60).collect();
            problems.push(format!(
                "openapi/{ident}.json is stale:\n{}{}",
                shown.join("\n"),
                if diff.lines().count() > 60 {
                    "\n…"
                } else {
                    ""
                }
            ));
        }
        if root.join("conformance/cases").join(ident).is_dir() {
            let doc: Value = serde_json::from_str(&wanted)?;
            for problem in examples::responses_without_examples(&doc) {
                problems.push(format!(
                    "openapi/{ident}.json: {problem}: add a conformance case that answers it"
                ));
            }
        }
        let upstream = root.join(format!("openapi/upstream/{ident}.yaml"));
        if upstream.exists() {
            let doc: Value = serde_json::from_str(&found)
                .with_context(|| format!("parsing openapi/{ident}.json"))?;
            for problem in upstream::check(&read(&upstream)?, &doc)? {
                problems.push(format!(
                    "openapi/{ident}.json is not compatible with openapi/upstream/{ident}.yaml: {problem}"
                ));
            }
        }
    }
    Ok(problems)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Runs `generate`, `check`, or any other dropshot-api-manager command.
pub fn run(args: Vec<String>) -> anyhow::Result<ExitCode> {
    let root = crate::project_root();
    let command = args.first().map(String::as_str);
    let code = manager::run(args.clone())?;
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    match command {
        Some("generate") => {
            generate_enriched(&root)?;
            eprintln!("enriched documents up to date");
        }
        Some("check") => {
            let problems = enriched_problems(&root)?;
            if !problems.is_empty() {
                for problem in &problems {
                    eprintln!("error: {problem}");
                }
                eprintln!(
                    "{} problem(s) in the enriched documents; a stale document is fixed by `{FIX_COMMAND}`, an incompatibility by changing the API or its overlay",
                    problems.len()
                );
                return Ok(ExitCode::FAILURE);
            }
            eprintln!("enriched documents up to date and compatible with openapi/upstream/");
        }
        _ => {}
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enriched_documents_are_up_to_date_and_compatible() {
        let problems = enriched_problems(&crate::project_root()).unwrap();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
