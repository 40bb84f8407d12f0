//! An Alta world for the end-to-end tests: an in-process server (memory
//! store, virtual clock) with workspace `acme` and its token, driven through
//! the generated clients and, for malformed input, raw HTTP.

use campaign_client::{alta, sandbox};
use campaignd::app::{Running, start_in_memory};
use serde_json::{Value, json};

pub const TOKEN: &str = "test_token";

pub struct World {
    pub running: Running,
    pub sandbox: sandbox::Client,
    pub alta: alta::Client,
    pub http: reqwest::Client,
}

impl World {
    pub async fn new() -> Self {
        let running = start_in_memory(false).await.unwrap();
        let sandbox = sandbox::Client::new(running.url("sandbox"));
        sandbox
            .create_workspace()
            .body(sandbox::types::WorkspaceCreate {
                id: Some("acme".parse().unwrap()),
                dialect: sandbox::types::Dialect::Alta,
                name: None,
                requires_approval: false,
            })
            .send()
            .await
            .unwrap();
        sandbox
            .create_api_key()
            .workspace_id("acme")
            .body(sandbox::types::ApiKeyCreate {
                key: TOKEN.parse().unwrap(),
                scopes: vec![],
                expires_at: None,
                rate_tier: None,
            })
            .send()
            .await
            .unwrap();
        let alta = alta::Client::new_with_client(
            running.url("alta"),
            campaign_client::bearer_client(TOKEN).unwrap(),
        );
        Self {
            running,
            sandbox,
            alta,
            http: reqwest::Client::new(),
        }
    }

    /// Seeds a campaign through the sandbox API (raw JSON keeps it short).
    pub async fn seed(&self, body: Value) -> Value {
        let response = self
            .http
            .post(format!(
                "{}/workspaces/acme/campaigns",
                self.running.url("sandbox")
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "seeding failed: {}",
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }

    pub async fn active_campaign(&self, id: &str) -> Value {
        self.seed(json!({
            "id": id,
            "name": "Outbound",
            "status": "active",
            "steps": [{"channel": "email", "delaySeconds": 60}, {"channel": "call", "delaySeconds": 3600}],
            "prospects": [{"email": "a@x.example"}, {"email": "b@x.example"}, {"email": "c@x.example"}]
        }))
        .await
    }

    /// A campaign as Alta's GET shows it.
    pub async fn campaign(&self, id: uuid::Uuid) -> alta::types::Campaign {
        let answer = self.alta.get_campaign().campaign_id(id).send().await;
        answer.unwrap().into_inner()
    }

    /// A campaign's prospects as Alta lists them.
    pub async fn prospects(&self, campaign: &str) -> alta::types::ProspectPage {
        let answer = self
            .alta
            .list_prospects()
            .campaign_id(campaign)
            .send()
            .await;
        answer.unwrap().into_inner()
    }

    /// Sends a raw request to the Alta face; returns status, headers, body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let origin = self.running.url("alta").trim_end_matches("/v1").to_string();
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{origin}{path}"));
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, headers, body)
    }
}

pub const CAMPAIGN: &str = "0b6f2a53-3c1e-4d4e-9a55-1f0a4f3b8c01";

pub fn assert_alta_error(status: u16, body: &Value, expected_status: u16, expected_type: &str) {
    assert_eq!(status, expected_status, "body: {body}");
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("error body is not an object: {body}"));
    assert_eq!(
        object.len(),
        2,
        "Alta errors have exactly error and message: {body}"
    );
    assert_eq!(object["error"], expected_type, "body: {body}");
    assert!(
        object["message"].as_str().is_some_and(|m| !m.is_empty()),
        "body: {body}"
    );
}
