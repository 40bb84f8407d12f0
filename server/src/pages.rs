//! Pages for people, embedded in the binary (no network, no build step):
//! the inspector at `/ui` on the sandbox port, and an API reference at
//! `/docs` on every port, rendered by the vendored Redoc bundle from the
//! port's own checked-in document (`/openapi.json`).
//!
//! The pages themselves hold no data and are public, like the documents;
//! the inspector reads everything through the sandbox API, so with an
//! admin token it shows nothing until the token is given (it asks).

use dropshot::{ApiDescription, Body, HttpError, RequestContext};
use http::{Response, StatusCode, header};

use crate::app::FaceContext;

/// Paths every face serves besides its document's operations.
pub const ON_EVERY_PORT: [&str; 2] = ["/docs", "/docs/redoc.js"];
/// Paths the sandbox port serves besides its document's operations.
pub const ON_THE_SANDBOX_PORT: [&str; 4] = ["/ui", "/ui/ui.js", "/ui/ui.css", "/ui/ports.json"];

const REDOC: &str = include_str!("../assets/redoc/redoc.standalone.js");
const UI_HTML: &str = include_str!("../assets/ui/index.html");
const UI_JS: &str = include_str!("../assets/ui/ui.js");
const UI_CSS: &str = include_str!("../assets/ui/ui.css");

/// The reference page: Redoc on this port's document.
const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API reference</title>
<style>body { margin: 0; } nav { font: 14px system-ui, sans-serif; padding: .4rem 1rem; background: #f3f5f8; }</style>
</head>
<body>
<nav>This port's document: <a href="/openapi.json">/openapi.json</a></nav>
<div id="reference"></div>
<script src="/docs/redoc.js"></script>
<script>
Redoc.init("/openapi.json", { disableSearch: false, hideDownloadButton: false }, document.getElementById("reference"));
</script>
</body>
</html>
"#;

fn page(content_type: &str, body: &'static str) -> Result<Response<Body>, HttpError> {
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body.into())?)
}

/// `GET /docs`.
#[dropshot::endpoint { method = GET, path = "/docs", unpublished = true }]
async fn docs(_rqctx: RequestContext<FaceContext>) -> Result<Response<Body>, HttpError> {
    page("text/html; charset=utf-8", DOCS_HTML)
}

/// `GET /docs/redoc.js`.
#[dropshot::endpoint { method = GET, path = "/docs/redoc.js", unpublished = true }]
async fn redoc(_rqctx: RequestContext<FaceContext>) -> Result<Response<Body>, HttpError> {
    page("text/javascript; charset=utf-8", REDOC)
}

/// `GET /ui`.
#[dropshot::endpoint { method = GET, path = "/ui", unpublished = true }]
async fn ui(_rqctx: RequestContext<FaceContext>) -> Result<Response<Body>, HttpError> {
    page("text/html; charset=utf-8", UI_HTML)
}

/// `GET /ui/ui.js`.
#[dropshot::endpoint { method = GET, path = "/ui/ui.js", unpublished = true }]
async fn ui_js(_rqctx: RequestContext<FaceContext>) -> Result<Response<Body>, HttpError> {
    page("text/javascript; charset=utf-8", UI_JS)
}

/// `GET /ui/ui.css`.
#[dropshot::endpoint { method = GET, path = "/ui/ui.css", unpublished = true }]
async fn ui_css(_rqctx: RequestContext<FaceContext>) -> Result<Response<Body>, HttpError> {
    page("text/css; charset=utf-8", UI_CSS)
}

/// `GET /ui/ports.json`: the port table, so the inspector can link every
/// face's reference. Behind the admin token, like the sandbox API.
#[dropshot::endpoint { method = GET, path = "/ui/ports.json", unpublished = true }]
async fn ports(rqctx: RequestContext<FaceContext>) -> Result<Response<Body>, HttpError> {
    let table = rqctx
        .context()
        .app
        .ports
        .get()
        .ok_or_else(|| HttpError::for_unavail(None, "the servers are still starting".into()))?;
    let body =
        serde_json::to_string(table).map_err(|e| HttpError::for_internal_error(e.to_string()))?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())?)
}

/// Registers the pages of a face (`sandbox`: the inspector too).
pub fn register(api: &mut ApiDescription<FaceContext>, sandbox: bool) -> anyhow::Result<()> {
    let fail = |e: dropshot::ApiDescriptionRegisterError| anyhow::anyhow!("{e}");
    api.register(docs).map_err(fail)?;
    api.register(redoc).map_err(fail)?;
    if sandbox {
        api.register(ui).map_err(fail)?;
        api.register(ui_js).map_err(fail)?;
        api.register(ui_css).map_err(fail)?;
        api.register(ports).map_err(fail)?;
    }
    Ok(())
}
