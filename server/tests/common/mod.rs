//! Shared helpers of the face tests: a server from the workspace's test
//! harness (in process, memory store, virtual clock) with one workspace of
//! one dialect and one key.

#![allow(dead_code)]

pub mod documents;
pub mod world;

use campaign_test_utils::TestServer;
pub use campaign_test_utils::http::Answer;
use serde_json::Value;

/// Runs `campaignd serve` with `args` to its exit, with none of its
/// settings taken from the environment (admin token, world file): it must
/// refuse to start. Returns its stderr.
pub fn refused_to_serve(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_campaignd"))
        .arg("serve")
        .args(args)
        .env_remove("CAMPAIGND_ADMIN_TOKEN")
        .env_remove("CAMPAIGND_WORLD")
        .output()
        .unwrap();
    assert!(!output.status.success(), "campaignd serve {args:?} started");
    String::from_utf8(output.stderr).unwrap()
}

/// A server with workspace `ws` speaking the dialect `name`, with one key.
pub struct Face {
    pub server: TestServer,
    pub name: &'static str,
    pub http: reqwest::Client,
}

impl Face {
    /// Starts a server; creates workspace `ws` speaking `name` with `key`
    /// (and its scopes).
    pub async fn start(name: &'static str, key: &str, scopes: &[&str]) -> Self {
        let server = TestServer::in_process(false).await.unwrap();
        server.workspace("ws", name, key, scopes).await;
        Self {
            http: server.http().reqwest().clone(),
            server,
            name,
        }
    }

    /// A sandbox API call that must succeed; returns its JSON body.
    pub async fn sandbox(&self, method: &str, path: &str, body: Value) -> Value {
        self.server.sandbox(method, path, body).await
    }

    /// Seeds a campaign in `ws`.
    pub async fn seed(&self, campaign: Value) -> Value {
        self.sandbox("POST", "/workspaces/ws/campaigns", campaign)
            .await
    }

    /// Moves the virtual clock.
    pub async fn advance(&self, seconds: u64) {
        self.server.advance(seconds).await;
    }

    /// The engine's view of a campaign.
    pub async fn campaign(&self, id: &str) -> Value {
        self.sandbox("GET", &format!("/campaigns/{id}"), Value::Null)
            .await
    }

    /// A raw request to the face (path as documented, with any prefix).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        self.server
            .call(self.name, method, path, headers, body.map(str::as_bytes))
            .await
    }
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}
