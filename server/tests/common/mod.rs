//! Shared helpers of the face tests: an in-process server with one
//! workspace and key, and raw HTTP requests with status, headers and body.

#![allow(dead_code)]

pub mod world;

use campaignd::app::{Running, start_in_memory};
use serde_json::{Value, json};

/// An in-process server (memory store, virtual clock) with workspace `ws`
/// of one dialect and one key.
pub struct Face {
    pub running: Running,
    pub name: &'static str,
    pub http: reqwest::Client,
}

/// A raw answer.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Face {
    /// Starts a server; creates workspace `ws` speaking `dialect` with `key`
    /// (and its scopes).
    pub async fn start(name: &'static str, key: &str, scopes: &[&str]) -> Self {
        let running = start_in_memory(false).await.unwrap();
        let face = Self {
            running,
            name,
            http: reqwest::Client::new(),
        };
        face.sandbox("POST", "/workspaces", json!({"id": "ws", "dialect": name}))
            .await;
        face.sandbox(
            "POST",
            "/workspaces/ws/keys",
            json!({"key": key, "scopes": scopes}),
        )
        .await;
        face
    }

    /// A sandbox API call that must succeed; returns its JSON body.
    pub async fn sandbox(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.running.url("sandbox"));
        let response = self
            .http
            .request(method.parse().unwrap(), url)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            status.is_success(),
            "sandbox {method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Seeds a campaign in `ws`.
    pub async fn seed(&self, campaign: Value) -> Value {
        self.sandbox("POST", "/workspaces/ws/campaigns", campaign)
            .await
    }

    /// Moves the virtual clock.
    pub async fn advance(&self, seconds: u64) {
        self.sandbox("POST", "/clock/advance", json!({"seconds": seconds}))
            .await;
    }

    /// The engine's view of a campaign.
    pub async fn campaign(&self, id: &str) -> Value {
        let url = format!("{}/campaigns/{id}", self.running.url("sandbox"));
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A raw request to the face (path as documented, with any prefix).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        let url = format!("{}{path}", self.running.origin(self.name));
        let mut request = self.http.request(method.parse().unwrap(), url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.bytes().await.unwrap().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            raw,
        }
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
