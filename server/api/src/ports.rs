//! The port table `campaignd serve --ports-file FILE` writes once every API
//! listens: which API answers where. Tests, the conformance runner and the
//! benchmarks read it instead of the start-up banner's text.

use serde::{Deserialize, Serialize};

/// Every served API, in port order (the sandbox API first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortTable {
    pub apis: Vec<ServedApi>,
}

/// One API as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServedApi {
    /// Its name (`sandbox`, `alta`, ...): the ident of its document.
    pub name: String,
    /// The base URL its document's paths are relative to (origin plus the
    /// vendor's path prefix, e.g. `http://127.0.0.1:7071/v1`).
    pub base_url: String,
    /// `http://host:port`.
    pub origin: String,
    /// Where the server publishes its OpenAPI document.
    pub document: String,
    /// The face's dropshot server behind its front layer (only with
    /// `--show-internal`: the benchmark of the front's cost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<String>,
}

impl PortTable {
    /// The API named `name`.
    pub fn get(&self, name: &str) -> Option<&ServedApi> {
        self.apis.iter().find(|api| api.name == name)
    }

    /// The API named `name`; panics naming the APIs there are (a test's
    /// mistake, not a runtime condition).
    pub fn api(&self, name: &str) -> &ServedApi {
        self.get(name).unwrap_or_else(|| {
            let names: Vec<&str> = self.apis.iter().map(|a| a.name.as_str()).collect();
            panic!("no API named {name:?} in the port table (there are {names:?})")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_back_as_written_and_finds_apis_by_name() {
        let table = PortTable {
            apis: vec![ServedApi {
                name: "alta".into(),
                base_url: "http://127.0.0.1:7071/v1".into(),
                origin: "http://127.0.0.1:7071".into(),
                document: "http://127.0.0.1:7071/openapi.json".into(),
                internal: None,
            }],
        };
        let text = serde_json::to_string(&table).unwrap();
        assert!(
            text.contains(r#""baseUrl":"http://127.0.0.1:7071/v1""#),
            "{text}"
        );
        assert!(!text.contains("internal"), "{text}");
        let back: PortTable = serde_json::from_str(&text).unwrap();
        assert_eq!(back, table);
        assert_eq!(back.api("alta").origin, "http://127.0.0.1:7071");
        assert!(back.get("woodpecker").is_none());
    }
}
