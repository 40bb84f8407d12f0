//! An Alta world for the end-to-end tests: an in-process server (memory
//! store, virtual clock) with workspace `acme` and its token, driven through
//! the generated clients and, for malformed input, raw HTTP.

use campaign_client::{alta, sandbox};
use campaign_test_utils::TestServer;
use serde_json::{Value, json};

pub const TOKEN: &str = "test_token";

pub struct World {
    pub server: TestServer,
    pub sandbox: sandbox::Client,
    pub alta: alta::Client,
    pub http: reqwest::Client,
}

impl World {
    pub async fn new() -> Self {
        let server = TestServer::in_process(false).await.unwrap();
        let sandbox = sandbox::Client::new(server.url("sandbox"));
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
            server.url("alta"),
            campaign_client::bearer_client(TOKEN).unwrap(),
        );
        Self {
            http: server.http().reqwest().clone(),
            server,
            sandbox,
            alta,
        }
    }

    /// Moves the virtual clock through the generated sandbox client.
    pub async fn advance(&self, seconds: u64) {
        self.sandbox
            .advance_clock()
            .body(sandbox::types::ClockAdvance { seconds, millis: 0 })
            .send()
            .await
            .unwrap();
    }

    /// The engine's view of a campaign (the sandbox API's).
    pub async fn engine_campaign(&self, id: &str) -> sandbox::types::CampaignView {
        let answer = self.sandbox.get_campaign().campaign_id(id).send().await;
        answer.unwrap().into_inner()
    }

    /// Seeds a campaign through the sandbox API (raw JSON keeps it short).
    pub async fn seed(&self, body: Value) -> Value {
        self.server
            .sandbox("POST", "/workspaces/acme/campaigns", body)
            .await
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
        let authorization = token.map(|token| format!("Bearer {token}"));
        let mut headers = Vec::new();
        if let Some(authorization) = &authorization {
            headers.push(("authorization", authorization.as_str()));
        }
        if let Some((content_type, _)) = &body {
            headers.push(("content-type", *content_type));
        }
        let answer = self
            .server
            .call(
                "alta",
                method,
                path,
                &headers,
                body.as_ref().map(|(_, b)| &b[..]),
            )
            .await;
        assert!(
            answer.raw.is_empty() || !answer.body.is_null(),
            "Alta answered a body that is not JSON: {:?}",
            String::from_utf8_lossy(&answer.raw)
        );
        (answer.status, answer.headers, answer.body)
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
