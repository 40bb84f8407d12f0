//! The Woodpecker face: `x-api-key`, integer ids, bodiless 200s, three
//! error shapes, and one request at a time per key.

use std::time::Duration;

use campaign_api::wire::{EmptyReply, JsonInput, Reply};
use campaign_api::woodpecker::{
    Campaign, CampaignCreate, CampaignPath, ErrorBody, WoodpeckerApi, WoodpeckerEmpty,
    WoodpeckerResult,
};
use campaign_engine::{CampaignSeed, CampaignView, Channel, EngineStatus, ProspectSeed, StepSeed};
use dropshot::{NoHeaders, Path, RequestContext};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde_json::Value;

use crate::app::{App, FaceContext};
use crate::faces::{self as face, FaceRules, KeyRefusal};
use crate::ratelimit::{Decision, Limit};
use campaign_engine::{EngineError, KeyRecord, StartOptions};

/// Requests that may wait for a key's turn.
const MAX_WAITING: usize = 6;
/// How long each may wait.
const MAX_WAIT: Duration = Duration::from_secs(15);

/// The Woodpecker API implementation.
pub enum WoodpeckerApiImpl {}

/// The largest Woodpecker campaign id (integers JavaScript clients hold).
pub const MAX_CAMPAIGN_ID: u64 = (1 << 53) - 1;

/// Woodpecker's ids: campaigns are integers counting up from 100001.
pub static RULES: crate::registry::DialectRules = crate::registry::DialectRules {
    label: "Woodpecker",
    ids: campaign_engine::IdScheme {
        campaigns: campaign_engine::CampaignIds::Sequential {
            floor: 100_000,
            max: MAX_CAMPAIGN_ID,
        },
        prospects: campaign_engine::ProspectIds::Text,
    },
    webhooks: None,
};

/// A Woodpecker error: status and one of the three documented bodies. The
/// `{title, status, detail, timestamp}` shape is stamped when answered.
#[derive(Debug, Clone)]
pub enum Failure {
    /// `{title, status, detail, timestamp}`.
    Problem(StatusCode, String),
    /// 404 `CAMPAIGN_NOT_EXIST`.
    NotFound,
    /// 500 `UNKNOWN` during the named call (e.g. `pause campaign`).
    Unknown(&'static str),
}

fn incorrect_id() -> Failure {
    Failure::Problem(
        StatusCode::BAD_REQUEST,
        "Value of campaign_id is incorrect.".into(),
    )
}

fn engine_failure(error: EngineError, call: &'static str) -> Failure {
    match error {
        EngineError::CampaignNotFound
        | EngineError::WorkspaceNotFound
        | EngineError::ProspectNotFound => Failure::NotFound,
        EngineError::Invalid(message) | EngineError::Conflict(message) => {
            Failure::Problem(StatusCode::BAD_REQUEST, message)
        }
        EngineError::NoProspects | EngineError::NoSteps => Failure::Problem(
            StatusCode::CONFLICT,
            "Campaign has no prospects or no emails to send.".into(),
        ),
        _ => Failure::Unknown(call),
    }
}

fn failure_body(failure: &Failure, now_ms: i64) -> (StatusCode, ErrorBody) {
    match failure {
        Failure::Problem(status, detail) => (
            *status,
            ErrorBody::Problem {
                title: status.canonical_reason().unwrap_or("Error").into(),
                status: status.as_u16(),
                detail: detail.clone(),
                timestamp: campaign_api::woodpecker::problem_timestamp(now_ms),
            },
        ),
        Failure::NotFound => (
            StatusCode::NOT_FOUND,
            ErrorBody::Coded {
                code: "CAMPAIGN_NOT_EXIST".into(),
                message: "Campaign not found".into(),
                details: None,
            },
        ),
        Failure::Unknown(call) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorBody::Typed {
                r#type: "UNKNOWN".into(),
                message: format!("Unknown error during {call} call"),
                details: None,
            },
        ),
    }
}

impl FaceRules for WoodpeckerApiImpl {
    type Headers = NoHeaders;
    type Failure = Failure;
    type Rejection = campaign_api::woodpecker::WoodpeckerError;

    fn credential(headers: &HeaderMap) -> Option<&str> {
        face::header(headers, "x-api-key")
    }

    fn refused(_: KeyRefusal) -> Failure {
        Failure::Problem(StatusCode::UNAUTHORIZED, "Invalid api key".into())
    }

    /// `Unknown error during pause campaign call`: the operation's words.
    fn internal(operation_id: &str) -> Failure {
        Failure::Unknown(call_name(operation_id))
    }

    /// Throttling is by queue, not by count.
    fn limits(_: &KeyRecord, _: Option<&'static str>) -> Vec<(&'static str, Limit)> {
        Vec::new()
    }

    fn too_many(_: &Decision) -> Failure {
        Failure::Problem(StatusCode::TOO_MANY_REQUESTS, "Too many requests".into())
    }

    fn rate_headers(_: &Decision, _: i64) -> Vec<(HeaderName, HeaderValue)> {
        Vec::new()
    }

    fn failure_reply<T, H>(failure: &Failure, now_ms: i64) -> Reply<T, H> {
        let (status, body) = failure_body(failure, now_ms);
        Reply::json(status, &body)
    }
}

/// The words of an operation in 500 bodies: `pauseCampaign` is `pause
/// campaign`.
fn call_name(operation_id: &str) -> &'static str {
    match operation_id {
        "pauseCampaign" => "pause campaign",
        "runCampaign" => "run campaign",
        "stopCampaign" => "stop campaign",
        "getCampaign" => "get campaign",
        "deleteCampaign" => "delete campaign",
        "createCampaign" => "create campaign",
        _ => "campaign",
    }
}

/// Runs one Woodpecker request: the key's turn, then the shared pipeline.
async fn serve<T: Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    handler: impl FnOnce(&App, &KeyRecord) -> Result<Reply<T>, Failure> + Send + 'static,
) -> Reply<T> {
    serve_parsed(
        rqctx,
        |_| Ok(()),
        move |app, caller, ()| handler(app, caller),
    )
    .await
}

/// [`serve`] in two steps ([`face::serve`]): `prepare` checks
/// and parses the request on its task (in the key's turn), `handler` gets
/// what it yields on the writer thread.
async fn serve_parsed<P: Send + 'static, T: Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<Reply<T>, Failure> + Send + 'static,
) -> Reply<T> {
    let cx = rqctx.context();
    let key = face::header(rqctx.request.headers(), "x-api-key")
        .unwrap_or_default()
        .to_string();
    // Only known keys get a queue (unknown ones are refused at once below),
    // so random keys cannot grow the table.
    let known = face::find_key(cx, Some(&key)).await.is_ok();
    let turn = if known {
        cx.app.key_queues.enter(&key, MAX_WAITING, MAX_WAIT).await
    } else {
        None
    };
    if known && turn.is_none() {
        let refused = Failure::Problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many concurrent requests for this API key: one is processed at a time and at most 6 \
             may wait."
                .into(),
        );
        return WoodpeckerApiImpl::failure_reply(&refused, cx.app.engine.clock().now_ms());
    }
    face::serve::<WoodpeckerApiImpl, P, Reply<T>, T>(rqctx, None, prepare, handler, |reply| reply)
        .await
}

/// An integer campaign id, or the documented 400.
fn campaign_id(raw: &str) -> Result<String, Failure> {
    raw.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .map(|n| n.to_string())
        .ok_or_else(incorrect_id)
}

fn status_name(status: EngineStatus) -> &'static str {
    match status {
        EngineStatus::Draft => "DRAFT",
        EngineStatus::Active | EngineStatus::PendingApproval => "RUNNING",
        EngineStatus::Paused => "PAUSED",
        EngineStatus::Stopped => "STOPPED",
        EngineStatus::Completed => "COMPLETED",
    }
}

fn campaign_wire(view: &CampaignView) -> Result<Campaign, Failure> {
    Ok(Campaign {
        id: view
            .id
            .parse()
            .map_err(|_| Failure::Unknown("get campaign"))?,
        name: view.name.clone(),
        status: status_name(view.status).into(),
        created: view.created_at.into(),
        prospects: view.prospect_count,
        steps: view.steps.len() as u64,
    })
}

/// A bodiless state change of one campaign: `change` runs in the engine;
/// a campaign whose status does not allow it gets the `wrong_status`
/// problem; `call` names the operation in a 500.
/// What a state change answers when the campaign's status refuses it.
type Refusal = (StatusCode, &'static str);
/// Pausing a campaign that is not running.
const NOT_RUNNING: Refusal = (StatusCode::BAD_REQUEST, "Campaign is not running.");
/// Running a completed campaign.
const COMPLETED: Refusal = (
    StatusCode::CONFLICT,
    "Campaign is completed and cannot run.",
);
/// Stopping a campaign that neither runs nor is paused.
const IDLE: Refusal = (
    StatusCode::BAD_REQUEST,
    "Campaign is not running or paused.",
);
/// Deleting a running campaign.
const RUNNING: Refusal = (
    StatusCode::CONFLICT,
    "Campaign is running: pause or stop it before deleting.",
);

async fn bodiless(
    rqctx: &RequestContext<FaceContext>,
    path: Path<CampaignPath>,
    change: impl FnOnce(&App, &str, &str) -> Result<(), EngineError> + Send + 'static,
    wrong_status: Refusal,
    call: &'static str,
) -> WoodpeckerEmpty {
    let prepare = move |_: &KeyRecord| campaign_id(&path.into_inner().campaign_id);
    let reply = serve_parsed(rqctx, prepare, move |app, caller, id| {
        match change(app, &caller.workspace.id, &id) {
            Ok(()) => Ok(Reply::<()>::empty(StatusCode::OK)),
            Err(EngineError::WrongStatus { .. }) => {
                Err(Failure::Problem(wrong_status.0, wrong_status.1.into()))
            }
            Err(other) => Err(engine_failure(other, call)),
        }
    })
    .await;
    Ok(EmptyReply::from(reply))
}

impl WoodpeckerApi for WoodpeckerApiImpl {
    type Context = FaceContext;

    async fn pause_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        _body: JsonInput<Value, true>,
    ) -> WoodpeckerEmpty {
        let pause =
            |app: &App, ws: &str, id: &str| app.engine.pause_without_view(ws, id, false).map(drop);
        bodiless(&rqctx, path, pause, NOT_RUNNING, "pause campaign").await
    }

    async fn run_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        _body: JsonInput<Value, true>,
    ) -> WoodpeckerEmpty {
        let options = StartOptions {
            launch_drafts: true,
            ..StartOptions::default()
        };
        let run = move |app: &App, ws: &str, id: &str| app.engine.start(ws, id, options).map(drop);
        bodiless(&rqctx, path, run, COMPLETED, "run campaign").await
    }

    async fn stop_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        _body: JsonInput<Value, true>,
    ) -> WoodpeckerEmpty {
        let stop = |app: &App, ws: &str, id: &str| app.engine.stop(ws, id).map(drop);
        bodiless(&rqctx, path, stop, IDLE, "stop campaign").await
    }

    async fn get_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
    ) -> WoodpeckerResult<Campaign> {
        Ok(serve(&rqctx, move |app, caller| {
            let id = campaign_id(&path.into_inner().campaign_id)?;
            let view = app
                .engine
                .campaign(Some(&caller.workspace.id), &id)
                .map_err(|e| engine_failure(e, "get campaign"))?;
            Ok(Reply::ok(&campaign_wire(&view)?))
        })
        .await)
    }

    async fn delete_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
    ) -> WoodpeckerEmpty {
        let delete = |app: &App, ws: &str, id: &str| app.engine.delete_campaign(ws, id).map(drop);
        bodiless(&rqctx, path, delete, RUNNING, "delete campaign").await
    }

    async fn create_campaign(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<CampaignCreate>,
    ) -> WoodpeckerResult<Campaign> {
        let prepare = move |_: &KeyRecord| -> Result<_, Failure> {
            let input = body
                .parse()
                .map_err(|e| Failure::Problem(StatusCode::BAD_REQUEST, e.to_string()))?;
            if input.name.trim().is_empty() {
                return Err(Failure::Problem(
                    StatusCode::BAD_REQUEST,
                    "Value of name is incorrect.".into(),
                ));
            }
            let seed = CampaignSeed {
                steps: input
                    .emails
                    .into_iter()
                    .map(|e| StepSeed {
                        channel: Channel::Email,
                        delay_seconds: u64::from(e.delay_in_days) * 86_400,
                        subject: Some(e.subject),
                        body: Some(e.body),
                    })
                    .collect(),
                prospects: input
                    .prospects
                    .into_iter()
                    .map(|p| ProspectSeed {
                        email: Some(p.email),
                        first_name: p.first_name,
                        last_name: p.last_name,
                        company: p.company,
                        ..ProspectSeed::default()
                    })
                    .collect(),
                ..CampaignSeed::named(input.name)
            };
            Ok(seed)
        };
        Ok(serve_parsed(&rqctx, prepare, move |app, caller, seed| {
            let view = app
                .engine
                .create_campaign(&caller.workspace.id, &seed)
                .map_err(|e| engine_failure(e, "create campaign"))?;
            Ok(Reply::ok(&campaign_wire(&view)?))
        })
        .await)
    }
}
