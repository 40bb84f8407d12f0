//! The one registry of the APIs this project serves. Everything that lists
//! APIs reads it:
//!
//! - the server (`campaignd::registry::FACES` names an entry here for each
//!   face it serves, and takes its port from `port_offset`);
//! - xtask (`cargo xtask openapi` makes one base and one enriched document
//!   per entry, and writes this table to `openapi/registry/apis.json`);
//! - the generated client (`client/build.rs` reads `openapi/registry/apis.json` and
//!   generates one module per entry).
//!
//! Adding a vendor: its trait module in this crate, an entry here, its
//! folder in the server's `faces/` with one line in `FACES`, and an
//! overlay in `openapi/overlays/`.

use dropshot::{ApiDescription, ApiDescriptionBuildErrors, StubContext};
use serde::Serialize;

/// One API: its document and where it is served.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Api {
    /// The document's ident (`openapi/<ident>.json`), also the API's name
    /// in the port table and, for a vendor, its workspaces' dialect tag.
    pub ident: &'static str,
    /// The document's title.
    pub title: &'static str,
    /// The document's description.
    pub description: &'static str,
    /// The document's version.
    pub version: &'static str,
    /// Its port, counted from the sandbox API's (`--port`).
    pub port_offset: u16,
    /// The vendor's path prefix: what the base URL adds to the origin.
    pub prefix: &'static str,
    /// The trait's stub description, from which the document is made.
    #[serde(skip)]
    pub stub: fn() -> Result<ApiDescription<StubContext>, ApiDescriptionBuildErrors>,
}

impl Api {
    /// The enriched document's path from the workspace root.
    pub fn document(&self) -> String {
        format!("openapi/{}.json", self.ident)
    }
}

/// Every API, in port order (the sandbox API first).
pub static APIS: [Api; 6] = [
    Api {
        ident: "sandbox",
        title: "Campaign Sandbox Control API",
        description: "Set up and observe a sandbox world: workspaces, keys, campaigns, the \
                      clock, the send log and injected faults. No authentication; loopback only.",
        version: "1.0.0",
        port_offset: 0,
        prefix: "",
        stub: crate::sandbox::sandbox_api_mod::stub_api_description,
    },
    Api {
        ident: "alta",
        title: "Alta-style Campaigns API (sandbox)",
        description: "The canonical campaigns API of the campaign sandbox, faithful to Alta's \
                      public API under /v1.",
        version: "1.0.0",
        port_offset: 1,
        prefix: "/v1",
        stub: crate::alta::alta_api_mod::stub_api_description,
    },
    Api {
        ident: "voicegenie",
        title: "VoiceGenie Campaign API (sandbox)",
        description: "VoiceGenie's voice-campaign API as documented, served by the campaign \
                      sandbox: paths without prefix, x-api-key auth, {success, data, message}.",
        version: "1.0.0",
        port_offset: 2,
        prefix: "",
        stub: crate::voicegenie::voice_genie_api_mod::stub_api_description,
    },
    Api {
        ident: "leadterra",
        title: "Leadterra Campaign API (sandbox)",
        description: "Leadterra's email-sequence API as documented, served by the campaign \
                      sandbox: paths under /v1, Bearer sk_live_/sk_test_ keys.",
        version: "1.0.0",
        port_offset: 3,
        prefix: "",
        stub: crate::leadterra::leadterra_api_mod::stub_api_description,
    },
    Api {
        ident: "leadlex",
        title: "Leadlex Outreach API (sandbox)",
        description: "Leadlex's outreach API as documented, served by the campaign sandbox: paths \
                      under /functions/v1/api-gateway, Bearer wbk_ keys with scopes and rate tiers.",
        version: "1.0.0",
        port_offset: 4,
        prefix: "/functions/v1/api-gateway",
        stub: crate::leadlex::leadlex_api_mod::stub_api_description,
    },
    Api {
        ident: "woodpecker",
        title: "Woodpecker Campaign API (sandbox)",
        description: "Woodpecker's cold-email API as documented, served by the campaign sandbox: \
                      paths under /rest/v2, x-api-key, integer ids, three error shapes.",
        version: "1.0.0",
        port_offset: 5,
        prefix: "/rest",
        stub: crate::woodpecker::woodpecker_api_mod::stub_api_description,
    },
];

/// The API whose ident is `ident`.
pub fn api(ident: &str) -> Option<&'static Api> {
    APIS.iter().find(|api| api.ident == ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_are_unique_and_ports_follow_the_order() {
        for (n, api) in APIS.iter().enumerate() {
            assert_eq!(usize::from(api.port_offset), n, "{}", api.ident);
            assert!(std::ptr::eq(super::api(api.ident).unwrap(), api));
        }
    }

    #[test]
    fn every_vendor_is_a_dialect_and_every_dialect_an_api() {
        use crate::sandbox::Dialect;
        let vendors: Vec<&str> = APIS[1..].iter().map(|api| api.ident).collect();
        let dialects: Vec<&str> = Dialect::ALL.iter().map(|d| d.tag()).collect();
        assert_eq!(vendors, dialects);
    }

    #[test]
    fn every_stub_describes_its_trait() {
        for api in &APIS {
            let description = (api.stub)().unwrap_or_else(|e| panic!("{}: {e}", api.ident));
            let doc = description
                .openapi(api.title, api.version.parse().unwrap())
                .json()
                .unwrap();
            assert!(
                doc["paths"].as_object().is_some_and(|p| !p.is_empty()),
                "{}",
                api.ident
            );
        }
    }
}
