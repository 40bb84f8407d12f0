//! The conformance suite: every documented vendor example, as data, replayed
//! against an in-process server and judged three ways: against the
//! documented answer (the comparator), as an insta snapshot, and against the
//! face's own OpenAPI document (jsonschema).
//!
//! Cases live in `conformance/cases/<vendor>/<name>.json`; the inventory of
//! every documented example is `conformance/documented.json`.

pub mod case;
pub mod client_replay;
pub mod compare;
pub mod harness;
pub mod schema;

use serde::{Deserialize, Serialize};

/// The outcome of one case, written for `cargo xtask conformance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    /// The vendor (face) name.
    pub vendor: String,
    /// The case's file stem.
    pub case: String,
    /// The documented examples it covers.
    pub examples: Vec<String>,
    /// Whether it passed.
    pub passed: bool,
    /// Every failure, one per line.
    pub failures: Vec<String>,
    /// The replay through the generated client: `passed`, `failed`, or
    /// `not expressible: <why>`.
    #[serde(default)]
    pub client: String,
}

/// The path of a URL (`http://host:1/v1/` → `/v1`), without a trailing
/// slash; `""` when it has none.
pub fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or("", |i| &rest[i..])
        .trim_end_matches('/')
}

/// Where case results are written: `target/conformance/results`.
pub fn results_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    campaign_test_utils::target_dir(&root)
        .join("conformance")
        .join("results")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_path_of_a_url() {
        assert_eq!(super::url_path("http://127.0.0.1:7071/v1/"), "/v1");
        assert_eq!(super::url_path("https://api.altahq.com/v1"), "/v1");
        assert_eq!(super::url_path("http://127.0.0.1:7072"), "");
    }
}
