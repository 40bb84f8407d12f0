//! JSON requests to the servers the tasks start (no curl): one helper for
//! the bench's set-up and the fuzzing run's lifted limits.

use std::time::Duration;

use anyhow::bail;
use serde_json::Value;

/// An agent that reads every status as an answer (no error for a 4xx).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Sends `method url` with a JSON `body`; the answer's JSON body
/// (`Value::Null` when it has none). An answer other than 2xx is an error
/// that quotes it.
pub fn json(method: &str, url: &str, body: Option<&str>) -> anyhow::Result<Value> {
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Content-Type", "application/json")
        .body(body.unwrap_or_default().to_string())?;
    let mut answer = agent().run(request)?;
    let status = answer.status();
    let text = answer.body_mut().read_to_string()?;
    if !status.is_success() {
        bail!("{method} {url} answered {status}: {text}");
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    Ok(serde_json::from_str(&text)?)
}
