//! Generates one client module per API of the registry. The registry is
//! `campaign_api::apis::APIS`; `cargo xtask openapi generate` writes it to
//! `openapi/registry/apis.json` next to the documents, and this script reads that
//! file (building the API crate here would compile dropshot twice), then
//! runs progenitor's generator on each document with the Builder
//! interface, exactly as `progenitor::generate_api!` would.

use std::fmt::Write as _;
use std::path::PathBuf;

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use serde_json::Value;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("..");
    let registry = root.join("openapi/registry/apis.json");
    println!("cargo:rerun-if-changed={}", registry.display());
    let text = std::fs::read_to_string(&registry)
        .unwrap_or_else(|e| panic!("reading {}: {e}", registry.display()));
    let apis: Vec<Value> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("parsing {}: {e}", registry.display()));
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged);
    let mut out = String::new();
    for api in &apis {
        let ident = api["ident"].as_str().expect("every API has an ident");
        let path = root.join(format!("openapi/{ident}.json"));
        println!("cargo:rerun-if-changed={}", path.display());
        let document = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let spec: openapiv3::OpenAPI = serde_json::from_str(&document)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        let tokens = Generator::new(&settings)
            .generate_tokens(&spec)
            .unwrap_or_else(|e| panic!("generating the {ident} client: {e}"));
        let doc = module_doc(api, &serde_json::from_str(&document).unwrap());
        writeln!(out, "#[doc = {doc:?}]\npub mod {ident} {{\n{tokens}\n}}").unwrap();
    }
    let generated = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("apis.rs");
    std::fs::write(&generated, out).unwrap();
}

/// A module's documentation: the API's title and description, its base
/// URL at the default ports, and which credential helper it takes.
fn module_doc(api: &Value, document: &Value) -> String {
    let ident = api["ident"].as_str().unwrap_or_default();
    let offset = api["portOffset"].as_u64().unwrap_or_default();
    let prefix = api["prefix"].as_str().unwrap_or_default();
    let mut doc = format!(
        "{} (`openapi/{ident}.json`).\n\n{}\n\nGive the client the base URL with the \
         vendor's path prefix, e.g. `http://127.0.0.1:{}{prefix}`",
        api["title"].as_str().unwrap_or_default(),
        api["description"].as_str().unwrap_or_default(),
        7070 + offset,
    );
    let schemes = document["components"]["securitySchemes"].as_object();
    // An empty requirement among the alternatives: the credential is
    // optional (the sandbox API's admin token).
    let optional = document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op["security"].as_array())
        .flatten()
        .any(|requirement| requirement.as_object().is_some_and(|r| r.is_empty()));
    match schemes.and_then(|s| s.values().next()) {
        Some(scheme) if scheme["type"] == "http" && optional => {
            doc.push_str(
                " (no credential; a [`crate::bearer_client`] with the admin token when the \
                 server was started with `--admin-token`).",
            );
        }
        Some(scheme) if scheme["type"] == "http" => {
            doc.push_str(", and a [`crate::bearer_client`] with the key.");
        }
        Some(scheme) if scheme["type"] == "apiKey" => {
            let header = scheme["name"].as_str().unwrap_or_default();
            let _ = write!(
                doc,
                ", and an [`crate::api_key_client`] for `{}`.",
                header.to_ascii_lowercase()
            );
        }
        _ => doc.push_str(" (no credential)."),
    }
    doc
}
