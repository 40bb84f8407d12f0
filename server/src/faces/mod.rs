//! The faces: one folder per API, each a thin translator between its
//! vendor's wire and the engine (its routes, auth and errors, wire mapping
//! and webhook payloads). This module is what every vendor face does the
//! same way: injected faults, reading credentials, finding the caller's
//! key, and the request pipeline ([`serve`]) its [`FaceRules`] plug into.

pub mod alta;
pub mod leadlex;
pub mod leadterra;
pub mod sandbox;
pub mod voicegenie;
pub mod woodpecker;

use campaign_api::wire::{EmptyReply, Reply};
use dropshot::RequestContext;
use http::{HeaderMap, HeaderName, HeaderValue};

use campaign_engine::KeyRecord;

use crate::app::{App, FaceContext};
use crate::faults::FaultAction;
use crate::ratelimit::{Decision, Limit};

/// Applies an injected fault to this request: sleeps through a delay, and
/// returns true when the request must fail with the face's internal error.
pub async fn must_fail(rqctx: &RequestContext<FaceContext>) -> bool {
    let cx = rqctx.context();
    let Some(dialect) = cx.dialect else {
        return false;
    };
    match cx.app.faults.take(dialect, &rqctx.endpoint.operation_id) {
        Some(FaultAction::Fail) => true,
        Some(FaultAction::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            false
        }
        None => false,
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// A path id that must be a UUID (Alta's ids, VoiceGenie's campaigns), in
/// the lower-case hyphenated form the engine stores; any UUID spelling is
/// accepted.
pub fn canonical_uuid(raw: &str) -> Option<String> {
    uuid::Uuid::try_parse(raw).ok().map(|id| id.to_string())
}

/// A header's value as text.
pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No key was sent.
    Missing,
    /// Unknown, of another face, or a demo key outside demo mode.
    Invalid,
    /// Known but past its expiry.
    Expired,
}

/// Finds the key's record for this face.
pub async fn find_key(
    cx: &FaceContext,
    key: Option<&str>,
) -> Result<std::sync::Arc<KeyRecord>, KeyRefusal> {
    let key = key.ok_or(KeyRefusal::Missing)?;
    let record = match cx.app.engine.cached_key(key) {
        Some(record) => record,
        // A key the cache does not hold is looked up in the store, under
        // the engine lock: on the blocking pool, so no async worker waits
        // for the writer's batch (a flood of unknown keys included).
        None => {
            let app = std::sync::Arc::clone(&cx.app);
            let key = key.to_string();
            tokio::task::spawn_blocking(move || app.engine.find_key(&key))
                .await
                .map_err(|_| KeyRefusal::Invalid)?
                .map_err(|_| KeyRefusal::Invalid)?
                .ok_or(KeyRefusal::Invalid)?
        }
    };
    if cx.dialect.map(|d| d.tag()) != Some(record.workspace.dialect.as_str())
        || (record.demo && !cx.app.demo)
    {
        return Err(KeyRefusal::Invalid);
    }
    if record
        .expires_at_ms
        .is_some_and(|t| t <= cx.app.engine.clock().now_ms())
    {
        return Err(KeyRefusal::Expired);
    }
    Ok(record)
}

/// The vendor rules a face plugs into the shared request pipeline
/// ([`serve`]): where the key is, what its errors look like, and how it
/// limits and announces rates.
pub trait FaceRules {
    /// The documented header type of the face's replies.
    type Headers: Send + 'static;
    /// The face's error answer.
    type Failure: Send + 'static;
    /// The face's answer to a request refused before any handler (by the
    /// front layer or an extractor): its error type in the API crate.
    type Rejection: campaign_api::wire::Rejection;

    /// The caller's credential (a bearer token or an API-key header).
    fn credential(headers: &HeaderMap) -> Option<&str>;
    /// The answer to a refused key.
    fn refused(refusal: KeyRefusal) -> Self::Failure;
    /// The answer to an injected fault or an internal error in the named
    /// operation (its operationId).
    fn internal(operation_id: &str) -> Self::Failure;
    /// Whose allowance a request counts against: the workspace by default;
    /// a face with per-key limits returns the key.
    fn rate_scope(caller: &KeyRecord) -> String {
        caller.workspace.id.clone()
    }
    /// Further checks of an authenticated caller (scopes, accounts).
    fn admit(_caller: &KeyRecord, _headers: &HeaderMap) -> Result<(), Self::Failure> {
        Ok(())
    }
    /// The limits this request counts against: (bucket, limit) pairs, the
    /// first refusal wins. Per-minute buckets use governor; `daily` ones
    /// reset at midnight UTC on the sandbox clock.
    fn limits(caller: &KeyRecord, extra: Option<&'static str>) -> Vec<(&'static str, Limit)>;
    /// The answer to a refused request.
    fn too_many(decision: &Decision) -> Self::Failure;
    /// The rate-limit headers of an answer.
    fn rate_headers(decision: &Decision, now_ms: i64) -> Vec<(HeaderName, HeaderValue)>;
    /// The status and body of a failure answered at `now_ms` (sandbox clock).
    fn failure_reply<T, H>(failure: &Self::Failure, now_ms: i64) -> Reply<T, H>;
}

/// The shared request pipeline: injected fault, credential, caller checks,
/// rate limits, then the request's own checks, then `handler`, whose value
/// `reply` turns into the answer back on the request's own task
/// (serialization never runs on the writer thread); the answer (success
/// or the face's failure) carries the rate-limit headers.
///
/// `prepare` checks and parses the request (its path, query and body) on
/// the request's own task, after the credential and rate-limit checks,
/// and only what it yields goes on to `handler` on the writer thread (a
/// write) or the blocking pool (a read). So no parsing or validation runs
/// inside the writer's batch, where it would hold up every other write; a
/// request refused by `prepare` never reaches the writer at all.
pub async fn serve<F: FaceRules, P: Send + 'static, U: Send + 'static, T>(
    rqctx: &RequestContext<FaceContext>,
    extra_bucket: Option<&'static str>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, F::Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<U, F::Failure> + Send + 'static,
    reply: impl FnOnce(U) -> Reply<T, F::Headers> + Send,
) -> Reply<T, F::Headers> {
    let cx = rqctx.context();
    let now = cx.app.engine.clock().now_ms();
    if must_fail(rqctx).await {
        return F::failure_reply(&F::internal(&rqctx.endpoint.operation_id), now);
    }
    let headers = rqctx.request.headers();
    let caller = match find_key(cx, F::credential(headers)).await {
        Ok(caller) => caller,
        Err(refusal) => return F::failure_reply(&F::refused(refusal), now),
    };
    if let Err(failure) = F::admit(&caller, headers) {
        return F::failure_reply(&failure, now);
    }
    let mut shown: Option<Decision> = None;
    let scope = F::rate_scope(&caller);
    for (bucket, limit) in F::limits(&caller, extra_bucket) {
        let decision = cx.app.limits.check(&scope, bucket, limit);
        let refused = !decision.allowed;
        if shown.is_none() || refused {
            shown = Some(decision);
        }
        if refused {
            break;
        }
    }
    let rate_headers = shown
        .as_ref()
        .map(|d| F::rate_headers(d, now))
        .unwrap_or_default();
    if let Some(decision) = shown.filter(|d| !d.allowed) {
        return F::failure_reply(&F::too_many(&decision), now).with_headers(rate_headers);
    }
    // A panic while preparing answers as the face's internal error, as
    // one in the handler does.
    let prepared = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prepare(&caller)))
    {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(failure)) => return F::failure_reply(&failure, now).with_headers(rate_headers),
        Err(_) => {
            return F::failure_reply(&F::internal(&rqctx.endpoint.operation_id), now)
                .with_headers(rate_headers);
        }
    };
    // A write runs on the writer thread with every command waiting, and
    // is answered after their one commit. A read runs on the blocking pool
    // and reads the last committed state without waiting for the writer.
    // Either way this task only awaits it.
    let outcome = if is_read(&rqctx.endpoint.operation_id) {
        let app = std::sync::Arc::clone(&cx.app);
        tokio::task::spawn_blocking(move || handler(&app, &caller, prepared))
            .await
            .ok()
    } else {
        cx.app
            .writer
            .run(move |app| handler(app, &caller, prepared))
            .await
    };
    let answer = match outcome {
        Some(Ok(value)) => reply(value),
        Some(Err(failure)) => F::failure_reply(&failure, now),
        None => F::failure_reply(&F::internal(&rqctx.endpoint.operation_id), now),
    };
    answer.with_headers(rate_headers)
}

/// Whether an operation only reads (by the documents' operationId
/// convention: `getCampaign`, `listCampaigns`, `fetch…`). VoiceGenie's
/// `pauseCampaign` is a GET but a write: the method does not tell.
fn is_read(operation_id: &str) -> bool {
    ["get", "list", "fetch"]
        .iter()
        .any(|verb| operation_id.starts_with(verb))
}

/// A JSON error answer with the status an error type carries (for faces
/// whose error types know their status).
pub fn status_reply<T, H>(status: u16, body: &impl serde::Serialize) -> Reply<T, H> {
    Reply::json(
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST),
        body,
    )
}

/// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
/// (epoch seconds), as VoiceGenie and Leadlex send them.
pub fn x_rate_headers(decision: &Decision, now_ms: i64) -> Vec<(HeaderName, HeaderValue)> {
    let reset_epoch = now_ms.div_euclid(1000) + decision.reset_secs as i64;
    vec![
        (
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderValue::from(decision.limit),
        ),
        (
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderValue::from(decision.remaining),
        ),
        (
            HeaderName::from_static("x-ratelimit-reset"),
            HeaderValue::from(reset_epoch),
        ),
    ]
}

/// One request at a time per key, with a bounded queue (Woodpecker's
/// documented throttling).
#[derive(Default)]
pub struct KeyQueues {
    queues: std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<KeyQueue>>>,
}

struct KeyQueue {
    turn: std::sync::Arc<tokio::sync::Semaphore>,
    waiting: std::sync::atomic::AtomicUsize,
}

impl KeyQueues {
    /// Waits for this key's turn: `None` when `max_waiting` requests wait
    /// already, or when the turn does not come within `max_wait`. Holding
    /// the returned permit is the turn.
    pub async fn enter(
        &self,
        key: &str,
        max_waiting: usize,
        max_wait: std::time::Duration,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        use std::sync::atomic::Ordering;
        let queue = {
            let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
            std::sync::Arc::clone(queues.entry(key.to_string()).or_insert_with(|| {
                std::sync::Arc::new(KeyQueue {
                    turn: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
                    waiting: Default::default(),
                })
            }))
        };
        if let Ok(permit) = std::sync::Arc::clone(&queue.turn).try_acquire_owned() {
            return Some(permit);
        }
        if queue.waiting.fetch_add(1, Ordering::SeqCst) >= max_waiting {
            queue.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let turn =
            tokio::time::timeout(max_wait, std::sync::Arc::clone(&queue.turn).acquire_owned())
                .await;
        queue.waiting.fetch_sub(1, Ordering::SeqCst);
        turn.ok().and_then(Result::ok)
    }
}

/// [`serve`] for bodiless state changes (Alta's pause and resume): a
/// success is a `200` with no body at all.
pub async fn serve_empty<F: FaceRules, P: Send + 'static, E>(
    rqctx: &RequestContext<FaceContext>,
    extra_bucket: Option<&'static str>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, F::Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<(), F::Failure> + Send + 'static,
) -> Result<EmptyReply, E> {
    let reply = serve::<F, P, (), ()>(rqctx, extra_bucket, prepare, handler, |()| {
        Reply::empty(http::StatusCode::OK)
    })
    .await;
    Ok(EmptyReply::from(reply))
}

/// [`serve`] for handlers that answer a JSON value: a success is a `200`
/// with that value; the result type fits any face's error type (the
/// pipeline itself never fails).
pub async fn serve_json<
    F: FaceRules,
    P: Send + 'static,
    T: serde::Serialize + Send + 'static,
    E,
>(
    rqctx: &RequestContext<FaceContext>,
    extra_bucket: Option<&'static str>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, F::Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<T, F::Failure> + Send + 'static,
) -> Result<Reply<T, F::Headers>, E> {
    Ok(
        serve::<F, P, T, T>(rqctx, extra_bucket, prepare, handler, |value| {
            Reply::ok(&value)
        })
        .await,
    )
}

#[cfg(test)]
mod read_tests {
    use super::is_read;

    #[test]
    fn only_gets_are_reads_and_voicegenies_gets_that_write_are_writes() {
        assert!(is_read("getCampaign") && is_read("listCampaigns"));
        assert!(!is_read("pauseCampaign") && !is_read("deleteCampaign"));
        for face in &crate::registry::FACES {
            let doc: serde_json::Value = serde_json::from_str(face.document).unwrap();
            for (path, item) in doc["paths"].as_object().unwrap() {
                for (method, op) in item.as_object().unwrap() {
                    let id = op["operationId"].as_str().unwrap_or_default();
                    if is_read(id) {
                        assert_eq!(method, "get", "{} {path} ({id}) reads", face.name());
                    }
                }
            }
        }
    }
}
