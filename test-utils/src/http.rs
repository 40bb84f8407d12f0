//! Raw HTTP for tests and tasks: every answer whole (status, headers,
//! exact bytes), and strict JSON calls that fail on anything but a 2xx.

use anyhow::{Context, bail};
use serde_json::Value;

/// An answer as it came.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON; `null` when it is empty or not JSON.
    pub body: Value,
    /// The body's exact bytes.
    pub raw: Vec<u8>,
}

impl Answer {
    /// A header's value as text (`None` when absent or not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A client that reads every status as an answer (a 4xx is not an error).
#[derive(Debug, Clone, Default)]
pub struct Client(reqwest::Client);

impl Client {
    /// The reqwest client underneath, for requests the helpers do not
    /// cover (and for the generated clients).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.0
    }

    /// Sends `method url` with `headers` and, if any, `body` exactly as
    /// given (no Content-Type is added).
    pub async fn call(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> anyhow::Result<Answer> {
        let method: reqwest::Method = method
            .parse()
            .with_context(|| format!("{method:?} is not an HTTP method"))?;
        let mut request = self.0.request(method, url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let raw = response.bytes().await?.to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            headers,
            body,
            raw,
        })
    }

    /// Sends `method url` with a JSON `body`; the answer's JSON (`null`
    /// when it has no body). An answer other than 2xx is an error quoting
    /// it.
    pub async fn json(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let text = body.map(Value::to_string);
        let answer = self
            .call(
                method,
                url,
                &[("content-type", "application/json")],
                text.as_deref().map(str::as_bytes),
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            bail!(
                "{method} {url} answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.raw)
            );
        }
        if answer.raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&answer.raw).with_context(|| format!("{method} {url}: not JSON"))
    }
}

/// The same calls from plain (not async) code: each runs on a runtime of
/// its own. Not for use inside an async runtime.
pub mod blocking {
    use super::*;

    fn run<T>(call: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(call)
    }

    /// [`Client::call`], blocking.
    pub fn call(
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> anyhow::Result<Answer> {
        run(Client::default().call(method, url, headers, body))
    }

    /// [`Client::json`], blocking.
    pub fn json(method: &str, url: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        run(Client::default().json(method, url, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_an_error_not_an_answer() {
        // A port that was free a moment ago has no listener now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/");
        assert!(blocking::call("GET", &url, &[], None).is_err());
        assert!(blocking::json("GET", &url, None).is_err());
        let error = blocking::call("NOT A METHOD", &url, &[], None).unwrap_err();
        assert!(
            format!("{error:#}").contains("not an HTTP method"),
            "{error:#}"
        );
    }
}
