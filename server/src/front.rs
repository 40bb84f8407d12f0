//! The front layer: what owns each face's public socket.
//!
//! Dropshot answers unknown paths and wrong methods in its router, before
//! any handler, with its own `{"request_id", "message"}` body, and it reads
//! (and limits) a request body before the handler can check the caller's
//! key. Neither is the vendor's answer. So each face's public port is a
//! small hyper server that, in this order:
//!
//! 1. matches the request against the face's own document (its paths and
//!    methods, the table read from the checked-in OpenAPI document): an
//!    unknown path is the face's `404`, a wrong method its `405` with
//!    `Allow`;
//! 2. checks the caller's key for every secured operation: a refused key is
//!    the face's documented `401`, before the body is read or measured;
//! 3. reads the body up to the limit: a larger one is the face's `413`;
//! 4. hands the request to the face's dropshot server on an internal
//!    loopback port, and passes its answer back unchanged (a body in
//!    dropshot's own shape, should one ever appear, is answered in the
//!    face's shape instead).
//!
//! Every refusal is the face's [`Rejection`] type (the same one its
//! extractors use), stamped with the sandbox clock. What this costs is
//! measured by `cargo xtask bench` (the no-op through the front and
//! straight to dropshot, in one run).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use campaign_api::wire::Rejection;
use dropshot::{Body, HttpError};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::app::FaceContext;
use crate::faces::{FaceRules, find_key};

/// The paths every face serves besides its document's operations: its
/// document, the no-op, and its reference page (not logged as requests).
const OWN_PATHS: [&str; 4] = [
    "/openapi.json",
    "/healthz",
    crate::pages::ON_EVERY_PORT[0],
    crate::pages::ON_EVERY_PORT[1],
];

/// The largest request body any face accepts, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A face's answers to what the front layer refuses.
pub trait Gate: Send + Sync {
    /// Whether the caller's key opens this face, and which workspace it
    /// selects (a future: a key not in the cache is looked up off the
    /// async workers).
    fn admit<'a>(&'a self, cx: &'a FaceContext, headers: &'a HeaderMap) -> Admitting<'a>;
    /// The face's answer to a request refused with `status` for `message`.
    fn reject(&self, status: StatusCode, message: String, now_ms: i64) -> Response<Body>;
    /// Whether an answer in dropshot's own error shape must be re-answered
    /// in the face's (every vendor face; the sandbox API's documented error
    /// shape is dropshot's).
    fn translates(&self) -> bool {
        true
    }
}

/// A gate's verdict to come.
pub type Admitting<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Admission> + Send + 'a>>;

/// A gate's verdict on a caller.
pub enum Admission {
    /// In, with the workspace its key selects (none for a face without
    /// keys).
    Admitted(Option<String>),
    /// Refused, with the face's answer.
    Refused(Response<Body>),
}

/// The gate of a vendor face: its key rules and its rejection type.
struct VendorGate<F>(std::marker::PhantomData<fn() -> F>);

impl<F: FaceRules> Gate for VendorGate<F> {
    fn admit<'a>(&'a self, cx: &'a FaceContext, headers: &'a HeaderMap) -> Admitting<'a> {
        Box::pin(async move {
            match find_key(cx, F::credential(headers)).await {
                Ok(record) => Admission::Admitted(Some(record.workspace.id.clone())),
                Err(refusal) => {
                    let now = cx.app.engine.clock().now_ms();
                    Admission::Refused(
                        F::failure_reply::<(), ()>(&F::refused(refusal), now).into_response(),
                    )
                }
            }
        })
    }

    fn reject(&self, status: StatusCode, message: String, now_ms: i64) -> Response<Body> {
        F::Rejection::from(http_error(status, message))
            .at(now_ms)
            .into_response()
    }
}

/// The gate of a vendor face with the rules `F`.
pub fn vendor<F: FaceRules + 'static>() -> Arc<dyn Gate> {
    Arc::new(VendorGate::<F>(std::marker::PhantomData))
}

/// The sandbox control API's gate: no keys, and errors in its documented
/// shape (dropshot's `{request_id, error_code, message}`).
struct SandboxGate;

impl Gate for SandboxGate {
    fn admit<'a>(&'a self, cx: &'a FaceContext, headers: &'a HeaderMap) -> Admitting<'a> {
        Box::pin(std::future::ready(self.verdict(cx, headers)))
    }

    fn reject(&self, status: StatusCode, message: String, _now_ms: i64) -> Response<Body> {
        http_error(status, message).into_response(&uuid::Uuid::new_v4().to_string())
    }

    fn translates(&self) -> bool {
        false
    }
}

impl SandboxGate {
    /// Without an admin token, nothing; with one, every operation needs
    /// `Authorization: Bearer <token>` (a `401` with `WWW-Authenticate`
    /// otherwise). `/healthz` and `/openapi.json` stay open.
    fn verdict(&self, cx: &FaceContext, headers: &HeaderMap) -> Admission {
        let Some(token) = cx.app.admin_token.as_ref() else {
            return Admission::Admitted(None);
        };
        let given = headers
            .get(http::header::AUTHORIZATION)
            .map(|value| value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")));
        let message = match given {
            Some(Some(given)) if token.matches(given) => return Admission::Admitted(None),
            None => {
                "This server requires its admin token for the sandbox API: send \
                 `Authorization: Bearer <token>` with the --admin-token it was started with"
            }
            Some(Some(_)) => "The admin token is not the one this server was started with",
            Some(None) => "The Authorization header must be `Bearer <admin token>`",
        };
        let mut answer = self.reject(StatusCode::UNAUTHORIZED, message.to_string(), 0);
        answer.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"campaignd sandbox\""),
        );
        Admission::Refused(answer)
    }
}

/// The sandbox control API's gate.
pub fn sandbox() -> Arc<dyn Gate> {
    Arc::new(SandboxGate)
}

fn http_error(status: StatusCode, message: String) -> HttpError {
    HttpError {
        status_code: dropshot::ErrorStatusCode::from_status(status)
            .unwrap_or(dropshot::ErrorStatusCode::INTERNAL_SERVER_ERROR),
        error_code: None,
        internal_message: message.clone(),
        external_message: message,
        headers: None,
    }
}

/// The fields of an OpenAPI path item that are operations.
const OPERATION_METHODS: [Method; 8] = [
    Method::GET,
    Method::PUT,
    Method::POST,
    Method::DELETE,
    Method::OPTIONS,
    Method::HEAD,
    Method::PATCH,
    Method::TRACE,
];

/// One path of the document: its segments and the methods it answers.
#[derive(Debug)]
struct Route {
    /// Literal segments as `Some`, variables as `None`.
    segments: Vec<Option<String>>,
    /// Methods and whether each needs a key.
    methods: Vec<(Method, bool)>,
}

/// The paths a face answers, read from its OpenAPI document.
#[derive(Debug)]
pub struct Routes {
    routes: Vec<Route>,
}

/// What the route table says of a request.
enum Lookup<'a> {
    /// An operation: whether it needs a key.
    Operation { secured: bool },
    /// A known path, another method: the methods it answers.
    WrongMethod(&'a [(Method, bool)]),
    /// No such path.
    Unknown,
}

impl Routes {
    /// The routes of `document` (served under `prefix`), plus the
    /// unpublished `GET /openapi.json`, `GET /healthz` and reference pages
    /// every face serves, and on the `sandbox` port the inspector's (its
    /// port table behind the admin token, like the sandbox API).
    pub fn from_document(document: &str, prefix: &str, sandbox: bool) -> anyhow::Result<Self> {
        let document: serde_json::Value = serde_json::from_str(document)?;
        let secured_by_default = document["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty());
        let mut routes = Vec::new();
        let paths = document["paths"]
            .as_object()
            .ok_or_else(|| anyhow::anyhow!("the document has no paths"))?;
        for (path, item) in paths {
            let mut methods = Vec::new();
            for (name, operation) in item.as_object().into_iter().flatten() {
                // The path item's other fields (parameters, summary, ...)
                // are no operations.
                let Some(method) = OPERATION_METHODS
                    .iter()
                    .find(|m| m.as_str().eq_ignore_ascii_case(name))
                else {
                    continue;
                };
                let method = method.clone();
                let secured = match operation["security"].as_array() {
                    Some(requirements) => !requirements.is_empty(),
                    None => secured_by_default,
                };
                methods.push((method, secured));
            }
            routes.push(Route {
                segments: segments(&format!("{prefix}{path}"))
                    .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                    .collect(),
                methods,
            });
        }
        let inspector = if sandbox {
            &crate::pages::ON_THE_SANDBOX_PORT[..]
        } else {
            &[]
        };
        for own in OWN_PATHS.iter().chain(inspector) {
            routes.push(Route {
                segments: segments(own).map(|s| Some(s.to_string())).collect(),
                methods: vec![(Method::GET, *own == "/ui/ports.json")],
            });
        }
        Ok(Self { routes })
    }

    fn lookup(&self, method: &Method, path: &str) -> Lookup<'_> {
        let wanted: Vec<&str> = segments(path).collect();
        let route = self.routes.iter().find(|route| {
            route.segments.len() == wanted.len()
                && route
                    .segments
                    .iter()
                    .zip(&wanted)
                    .all(|(segment, given)| segment.as_deref().is_none_or(|s| s == *given))
        });
        match route {
            None => Lookup::Unknown,
            Some(route) => match route.methods.iter().find(|(m, _)| m == method) {
                Some(&(_, secured)) => Lookup::Operation { secured },
                None => Lookup::WrongMethod(&route.methods),
            },
        }
    }
}

/// A path's non-empty segments (dropshot ignores empty ones too).
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// One face's front layer.
pub struct Front {
    context: Arc<FaceContext>,
    routes: Routes,
    gate: Arc<dyn Gate>,
    upstream: SocketAddr,
}

/// The connection to the face's dropshot server that one client
/// connection's requests go through: one upstream connection per client
/// connection, so no pool is shared (and locked) between connections.
struct Upstream {
    addr: SocketAddr,
    sender: tokio::sync::Mutex<Option<SendRequest<Full<Bytes>>>>,
}

impl Upstream {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            sender: tokio::sync::Mutex::new(None),
        }
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends one request, (re)connecting when there is no open connection.
    async fn send(&self, request: Request<Full<Bytes>>) -> Result<Response<Incoming>, String> {
        let mut sender = self.sender.lock().await;
        if sender.as_ref().is_none_or(SendRequest::is_closed) {
            *sender = Some(self.connect().await?);
        }
        let open = sender.as_mut().expect("connected above");
        open.ready().await.map_err(|e| e.to_string())?;
        open.send_request(request).await.map_err(|e| e.to_string())
    }
}

/// What [`Front::handle`] learnt of a request, for the request log.
#[derive(Default)]
struct Captured {
    /// The workspace its key selected.
    workspace: Option<String>,
    /// Its body, once read.
    body: Bytes,
}

/// Headers that describe one connection, not the request or answer.
const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

impl Front {
    /// A front layer for the face with this context, route table and gate,
    /// handing requests to its dropshot server at `upstream`.
    pub fn new(
        context: Arc<FaceContext>,
        routes: Routes,
        gate: Arc<dyn Gate>,
        upstream: SocketAddr,
    ) -> Self {
        Self {
            context,
            routes,
            gate,
            upstream,
        }
    }

    /// The face's answer to a request refused with `status`, stamped now
    /// on the sandbox clock.
    fn reject(&self, status: StatusCode, message: String) -> Response<Body> {
        let now = self.context.app.engine.clock().now_ms();
        self.gate.reject(status, message, now)
    }

    /// Answers one request that came on the client connection whose
    /// upstream connection is `upstream`, and records it in the request
    /// log (a vendor face's, when the log is on).
    async fn answer(&self, upstream: &Upstream, request: Request<Incoming>) -> Response<Body> {
        let app = &self.context.app;
        // The sandbox's own paths on every face are not the vendor's.
        let own = OWN_PATHS.contains(&request.uri().path());
        let face = match self.context.dialect {
            Some(face) if app.log_requests && !own => face,
            _ => {
                return self
                    .handle(upstream, request, &mut Captured::default())
                    .await;
            }
        };
        let started = std::time::Instant::now();
        let at_ms = app.engine.clock().now_ms();
        let method = request.method().clone();
        let target = request
            .uri()
            .path_and_query()
            .map_or_else(|| request.uri().path().to_string(), |p| p.to_string());
        let headers = crate::requestlog::header_lines(request.headers());
        let mut captured = Captured::default();
        let answer = self.handle(upstream, request, &mut captured).await;
        let (parts, body) = answer.into_parts();
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                let message = format!("The face's server answer was cut: {e}");
                return self.reject(StatusCode::INTERNAL_SERVER_ERROR, message);
            }
        };
        app.requests.record(crate::requestlog::Seen {
            face,
            workspace: captured.workspace,
            at_ms,
            method,
            path: target,
            headers,
            request_body: captured.body,
            status: parts.status.as_u16(),
            response_body: bytes.clone(),
            latency_micros: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        });
        Response::from_parts(parts, Body::from(bytes))
    }

    /// Answers one request; tells `captured` the workspace its key
    /// selected and the body it read.
    async fn handle(
        &self,
        upstream: &Upstream,
        request: Request<Incoming>,
        captured: &mut Captured,
    ) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path();
        match self.routes.lookup(&parts.method, path) {
            Lookup::Unknown => {
                let message =
                    format!("There is no {path} in this API: its paths are in /openapi.json");
                return self.reject(StatusCode::NOT_FOUND, message);
            }
            Lookup::WrongMethod(methods) => {
                let allow = methods
                    .iter()
                    .map(|(m, _)| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = format!("{} is not allowed on {path}: use {allow}", parts.method);
                let mut answer = self.reject(StatusCode::METHOD_NOT_ALLOWED, message);
                if let Ok(value) = HeaderValue::from_str(&allow) {
                    answer.headers_mut().insert(http::header::ALLOW, value);
                }
                return answer;
            }
            Lookup::Operation { secured: true } => {
                match self.gate.admit(&self.context, &parts.headers).await {
                    Admission::Admitted(workspace) => captured.workspace = workspace,
                    Admission::Refused(refused) => return refused,
                }
            }
            Lookup::Operation { secured: false } => {}
        }
        let too_large = || {
            let message = format!(
                "The request body is larger than {BODY_LIMIT} bytes, the most this API accepts"
            );
            self.reject(StatusCode::PAYLOAD_TOO_LARGE, message)
        };
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
            return too_large();
        }
        let body = match Limited::new(body, BODY_LIMIT).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
            Err(e) => {
                let message = format!("The request body could not be read: {e}");
                return self.reject(StatusCode::BAD_REQUEST, message);
            }
        };
        captured.body = body.clone();
        self.forward(upstream, parts, body).await
    }

    async fn forward(
        &self,
        upstream: &Upstream,
        parts: http::request::Parts,
        body: Bytes,
    ) -> Response<Body> {
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = parts.method;
        *request.headers_mut() = parts.headers;
        // The body is whole now: hyper frames it anew.
        for name in HOP_BY_HOP.iter().chain(&["content-length"]) {
            request.headers_mut().remove(*name);
        }
        match target.parse() {
            Ok(uri) => *request.uri_mut() = uri,
            Err(e) => {
                let message = format!("The request target {target} is not a valid URI: {e}");
                return self.reject(StatusCode::BAD_REQUEST, message);
            }
        }
        let answer = match upstream.send(request).await {
            Ok(answer) => answer,
            Err(e) => {
                let message = format!("The face's server did not answer: {e}");
                return self.reject(StatusCode::INTERNAL_SERVER_ERROR, message);
            }
        };
        let (mut parts, body) = answer.into_parts();
        for name in HOP_BY_HOP {
            parts.headers.remove(name);
        }
        if !(parts.status.is_client_error() || parts.status.is_server_error())
            || !self.gate.translates()
        {
            return Response::from_parts(parts, Body::wrap(body));
        }
        // An error answer: re-answer it in the face's shape if it is
        // dropshot's own.
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                let message = format!("The face's server answer was cut: {e}");
                return self.reject(StatusCode::INTERNAL_SERVER_ERROR, message);
            }
        };
        match dropshot_message(&bytes) {
            Some(message) => self.reject(parts.status, message),
            None => Response::from_parts(parts, Body::from(bytes)),
        }
    }
}

/// The message of a body in dropshot's own error shape.
fn dropshot_message(body: &[u8]) -> Option<String> {
    let body: dropshot::HttpErrorResponseBody = serde_json::from_slice(body).ok()?;
    Some(body.message)
}

/// Serves `front` on `listener` until the task is aborted.
pub async fn serve(listener: tokio::net::TcpListener, front: Arc<Front>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors, say: wait rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let front = Arc::clone(&front);
        let upstream = Arc::new(Upstream::new(front.upstream));
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let front = Arc::clone(&front);
                let upstream = Arc::clone(&upstream);
                async move { Ok::<_, Infallible>(front.answer(&upstream, request).await) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
