//! `world-proxy`: lets a contract tester (Specmatic, in `cargo xtask
//! contract`) replay every example of the documents, each in the world its
//! conformance case sets up.
//!
//! It starts the sandbox in process (memory store, virtual clock) and, in
//! front of each vendor face, a proxy. A request naming a case in its
//! `X-Sandbox-Example: <vendor>/<case>` header gets that case's world
//! (reset, then `given`), is forwarded to the face as it came (without that
//! header), and its answer is judged against the case's documented answer
//! as the conformance run judges it; a request naming no case is forwarded
//! as it is. Every judged request prints one JSON line on stdout
//! (`{"example", "status", "passed", "failures"}`). Requests are handled one
//! at a time, since each resets the world.
//!
//! With `--case <vendor>/<case>`, a request naming no case is judged in that
//! case's world too: the conformance run uses it to run the vendors' own
//! code samples, which send exactly what their pages print.
//!
//! On start it prints `proxy <vendor> <base URL>` for each vendor face, then
//! `ready`.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use conformance::case::{Case, Request};
use conformance::harness::Harness;
use dropshot::{
    ApiDescription, Body, ConfigDropshot, HttpError, Path, RequestContext, ServerBuilder,
    UntypedBody,
};
use schemars::JsonSchema;
use serde::Deserialize;

/// The header naming the case whose world a request needs.
const EXAMPLE_HEADER: &str = "x-sandbox-example";

/// Request headers that belong to the hop, not to the request.
const HOP_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    EXAMPLE_HEADER,
];

struct Proxy {
    vendor: String,
    /// The case of requests that name none (`--case`).
    default_case: Option<String>,
    harness: Arc<Harness>,
    cases: Arc<HashMap<String, Case>>,
    one_at_a_time: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Deserialize, JsonSchema)]
struct AnyPath {
    #[allow(dead_code, reason = "the path is read from the request's URI")]
    path: Vec<String>,
}

async fn forward(
    rqctx: RequestContext<Proxy>,
    body: UntypedBody,
) -> Result<http::Response<Body>, HttpError> {
    let proxy = rqctx.context();
    let headers = rqctx.request.headers();
    let example = headers
        .get(EXAMPLE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| proxy.default_case.clone());
    let request = Request {
        method: rqctx.request.method().to_string(),
        path: rqctx
            .request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        headers: headers
            .iter()
            .filter(|(name, _)| !HOP_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect(),
        json: None,
        raw: (!body.as_bytes().is_empty())
            .then(|| String::from_utf8_lossy(body.as_bytes()).into_owned()),
        raw_repeat: None,
    };
    let _turn = proxy.one_at_a_time.lock().await;
    let exchange = match &example {
        Some(name) => {
            let case = proxy.cases.get(name).ok_or_else(|| {
                HttpError::for_bad_request(None, format!("no conformance case {name:?}"))
            })?;
            proxy
                .harness
                .prepare(&proxy.vendor, case)
                .await
                .map_err(|e| HttpError::for_internal_error(format!("{e:#}")))?;
            let exchange = proxy
                .harness
                .send_in_world(&proxy.vendor, case, &request)
                .await
                .map_err(|e| HttpError::for_internal_error(format!("{e:#}")))?;
            let verdict = proxy.harness.judge(&proxy.vendor, case, &exchange);
            println!(
                "{}",
                serde_json::json!({
                    "example": name,
                    "request": format!("{} {}", request.method, request.path),
                    "status": exchange.status,
                    "passed": verdict.passed(),
                    "failures": verdict.failures(),
                })
            );
            exchange
        }
        None => proxy
            .harness
            .send(&proxy.vendor, &request)
            .await
            .map_err(|e| HttpError::for_internal_error(format!("{e:#}")))?,
    };
    let mut response = http::Response::builder().status(exchange.status);
    for (name, value) in &exchange.headers {
        response = response.header(name, value);
    }
    let body = if exchange.had_body {
        Body::from(exchange.raw.clone())
    } else {
        Body::empty()
    };
    response
        .body(body)
        .map_err(|e| HttpError::for_internal_error(format!("{e:#}")))
}

macro_rules! forwarding_endpoint {
    ($name:ident, $method:ident) => {
        #[dropshot::endpoint { method = $method, path = "/{path:.*}", unpublished = true }]
        async fn $name(
            rqctx: RequestContext<Proxy>,
            _path: Path<AnyPath>,
            body: UntypedBody,
        ) -> Result<http::Response<Body>, HttpError> {
            forward(rqctx, body).await
        }
    };
}

forwarding_endpoint!(forward_get, GET);
forwarding_endpoint!(forward_post, POST);
forwarding_endpoint!(forward_put, PUT);
forwarding_endpoint!(forward_patch, PATCH);
forwarding_endpoint!(forward_delete, DELETE);

fn read_cases(vendor: &str) -> anyhow::Result<HashMap<String, Case>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("cases")
        .join(vendor);
    let mut cases = HashMap::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_stem().unwrap_or_default().to_string_lossy();
            let case: Case = serde_json::from_str(&std::fs::read_to_string(&path)?)
                .with_context(|| format!("parsing {}", path.display()))?;
            cases.insert(format!("{vendor}/{name}"), case);
        }
    }
    Ok(cases)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let default_case = match (args.next().as_deref(), args.next()) {
        (Some("--case"), Some(case)) => Some(case),
        (None, _) => None,
        _ => anyhow::bail!("usage: world-proxy [--case <vendor>/<case>]"),
    };
    let harness = Arc::new(Harness::start().await?);
    let one_at_a_time = Arc::new(tokio::sync::Mutex::new(()));
    let log = slog::Logger::root(slog::Discard, slog::o!());
    let mut servers = Vec::new();
    for vendor in ["alta", "voicegenie", "leadterra", "leadlex", "woodpecker"] {
        let mut api = ApiDescription::new();
        let registered = api
            .register(forward_get)
            .and_then(|()| api.register(forward_post))
            .and_then(|()| api.register(forward_put))
            .and_then(|()| api.register(forward_patch))
            .and_then(|()| api.register(forward_delete));
        registered.map_err(|e| anyhow::anyhow!("{e}"))?;
        let context = Proxy {
            vendor: vendor.to_string(),
            default_case: default_case
                .clone()
                .filter(|case| case.starts_with(&format!("{vendor}/"))),
            harness: Arc::clone(&harness),
            cases: Arc::new(read_cases(vendor)?),
            one_at_a_time: Arc::clone(&one_at_a_time),
        };
        let config = ConfigDropshot {
            bind_address: "127.0.0.1:0".parse()?,
            default_request_body_max_bytes: 1024 * 1024,
            ..ConfigDropshot::default()
        };
        let server = ServerBuilder::new(api, context, log.clone())
            .config(config)
            .start()
            .map_err(|e| anyhow::anyhow!("starting the {vendor} proxy: {e}"))?;
        let prefix = conformance::url_path(harness.base_url(vendor));
        println!("proxy {vendor} http://{}{prefix}", server.local_addr());
        servers.push(server);
    }
    println!("ready");
    tokio::signal::ctrl_c().await.ok();
    Ok(())
}
