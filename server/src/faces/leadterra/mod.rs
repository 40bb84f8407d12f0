//! The Leadterra face: email sequences, `Authorization: Bearer sk_live_...`
//! (or `sk_test_...`), errors as `{"error": {"code", "message"}}`.

use campaign_api::leadterra::{
    Campaign, CampaignCreate, CampaignStats, IdPath, LeadsBulk, LeadsBulkResult, LeadterraApi,
    LeadterraError, LeadterraResult, PauseResult, SequenceStep, StartResult, Webhook,
    WebhookCreate, WebhookCreated,
};
use campaign_api::wire::{Iso8601, JsonInput, Reply};
use campaign_engine::{
    CampaignSeed, CampaignView, Channel, EngineStatus, ProspectSeed, ProspectState, StepSeed,
};
use dropshot::{NoHeaders, Path, RequestContext};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::{App, FaceContext};
use crate::faces::{self as face, FaceRules, KeyRefusal};
use crate::ratelimit::{Decision, Limit};
use campaign_engine::{EngineError, KeyRecord, StartOptions};

pub mod webhooks;

/// Delay between sequence steps (Leadterra documents none).
const STEP_DELAY_SECONDS: u64 = 2 * 86_400;

/// The Leadterra API implementation.
pub enum LeadterraApiImpl {}

/// Leadterra's ids (`camp_...`) and webhooks.
pub static RULES: crate::registry::DialectRules = crate::registry::DialectRules {
    label: "Leadterra",
    ids: campaign_engine::IdScheme {
        campaigns: campaign_engine::CampaignIds::Prefixed("camp_"),
        prospects: campaign_engine::ProspectIds::Text,
    },
    webhooks: Some(&webhooks::WEBHOOKS),
};

/// A Leadterra error answer.
pub type Failure = LeadterraError;

fn failure(status: StatusCode, code: &str, message: impl Into<String>) -> Failure {
    LeadterraError::new(status.as_u16(), code, message)
}

fn not_found() -> Failure {
    failure(
        StatusCode::NOT_FOUND,
        "campaign_not_found",
        "No campaign with the given id exists in your workspace",
    )
}

fn invalid(message: impl Into<String>) -> Failure {
    failure(StatusCode::BAD_REQUEST, "invalid_request", message)
}

fn engine_failure(error: EngineError) -> Failure {
    match error {
        EngineError::CampaignNotFound
        | EngineError::WorkspaceNotFound
        | EngineError::ProspectNotFound => not_found(),
        EngineError::NoProspects => failure(
            StatusCode::BAD_REQUEST,
            "no_leads_enrolled",
            "The campaign has no leads enrolled",
        ),
        EngineError::NoSteps => failure(
            StatusCode::BAD_REQUEST,
            "no_sequence_steps",
            "The campaign has no sequence steps",
        ),
        EngineError::Invalid(message) | EngineError::Conflict(message) => invalid(message),
        other => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("internal error: {other}"),
        ),
    }
}

impl FaceRules for LeadterraApiImpl {
    type Headers = NoHeaders;
    type Failure = Failure;
    type Rejection = campaign_api::leadterra::LeadterraError;

    /// Only `sk_live_` and `sk_test_` keys are well formed.
    fn credential(headers: &HeaderMap) -> Option<&str> {
        face::bearer_token(headers)
            .filter(|t| t.starts_with("sk_live_") || t.starts_with("sk_test_"))
    }

    fn refused(refusal: KeyRefusal) -> Failure {
        let message = match refusal {
            KeyRefusal::Missing => {
                "The Authorization header is missing or malformed: send Bearer sk_live_..."
            }
            KeyRefusal::Invalid | KeyRefusal::Expired => "The API key is invalid",
        };
        failure(StatusCode::UNAUTHORIZED, "authentication_failed", message)
    }

    fn internal(_operation_id: &str) -> Failure {
        failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred",
        )
    }

    /// Leadterra documents no rate limit.
    fn limits(_: &KeyRecord, _: Option<&'static str>) -> Vec<(&'static str, Limit)> {
        Vec::new()
    }

    fn too_many(_: &Decision) -> Failure {
        failure(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
        )
    }

    fn rate_headers(_: &Decision, _: i64) -> Vec<(HeaderName, HeaderValue)> {
        Vec::new()
    }

    fn failure_reply<T, H>(failure: &Failure, _now_ms: i64) -> Reply<T, H> {
        face::status_reply(failure.status(), failure)
    }
}

async fn serve<T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    handler: impl FnOnce(&App, &KeyRecord) -> Result<T, Failure> + Send + 'static,
) -> LeadterraResult<T> {
    serve_parsed(
        rqctx,
        |_| Ok(()),
        move |app, caller, ()| handler(app, caller),
    )
    .await
}

/// Runs one Leadterra request in two steps ([`face::serve`]):
/// `prepare` checks and parses it on the request's task, `handler` gets
/// what it yields on the writer thread.
async fn serve_parsed<P: Send + 'static, T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<T, Failure> + Send + 'static,
) -> LeadterraResult<T> {
    face::serve_json::<LeadterraApiImpl, P, T, _>(rqctx, None, prepare, handler).await
}

/// Pause and start take no parameters: a query string, or a body other
/// than nothing or `{}`, is an `invalid_request`.
fn no_parameters(
    query: Option<&str>,
    body: &JsonInput<Map<String, Value>, true>,
) -> Result<(), Failure> {
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        return Err(invalid(format!("Unexpected query parameters: {query}")));
    }
    match body.parse_optional() {
        Ok(None) => Ok(()),
        Ok(Some(map)) if map.is_empty() => Ok(()),
        Ok(Some(map)) => Err(invalid(format!(
            "This endpoint accepts no request body; unexpected parameters: {}",
            map.keys().cloned().collect::<Vec<_>>().join(", ")
        ))),
        Err(problem) => Err(invalid(format!(
            "This endpoint accepts no request body ({problem})"
        ))),
    }
}

fn status_name(status: EngineStatus) -> &'static str {
    match status {
        EngineStatus::Draft => "draft",
        EngineStatus::Active | EngineStatus::PendingApproval => "running",
        EngineStatus::Paused | EngineStatus::Stopped => "paused",
        EngineStatus::Completed => "completed",
    }
}

fn pause_result(view: &CampaignView) -> PauseResult {
    PauseResult {
        id: view.id.clone(),
        status: status_name(view.status).into(),
        paused_at: view
            .paused_at
            .filter(|_| view.status != EngineStatus::Draft)
            .map(Iso8601),
    }
}

impl LeadterraApi for LeadterraApiImpl {
    type Context = FaceContext;

    async fn pause_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
        body: JsonInput<Map<String, Value>, true>,
    ) -> LeadterraResult<PauseResult> {
        let query = rqctx.request.uri().query().map(str::to_string);
        let prepare = move |_: &KeyRecord| no_parameters(query.as_deref(), &body);
        serve_parsed(&rqctx, prepare, move |app, caller, ()| {
            let (ws, id) = (&caller.workspace.id, path.into_inner().id);
            match app.engine.pause(ws, &id, false) {
                Ok(outcome) => Ok(pause_result(&outcome.value)),
                // Documented no-op: a draft answers its current state.
                Err(EngineError::WrongStatus {
                    status: EngineStatus::Draft,
                }) => app
                    .engine
                    .campaign(Some(ws), &id)
                    .map(|v| pause_result(&v))
                    .map_err(engine_failure),
                Err(EngineError::WrongStatus { status }) => Err(invalid(format!(
                    "A {} campaign cannot be paused",
                    status_name(status)
                ))),
                Err(other) => Err(engine_failure(other)),
            }
        })
        .await
    }

    async fn start_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
        body: JsonInput<Map<String, Value>, true>,
    ) -> LeadterraResult<StartResult> {
        let query = rqctx.request.uri().query().map(str::to_string);
        let prepare = move |_: &KeyRecord| no_parameters(query.as_deref(), &body);
        serve_parsed(&rqctx, prepare, move |app, caller, ()| {
            let options = StartOptions {
                launch_drafts: true,
                ..StartOptions::default()
            };
            let outcome = app
                .engine
                .start(&caller.workspace.id, &path.into_inner().id, options)
                .map_err(|e| match e {
                    EngineError::WrongStatus { status } => invalid(format!(
                        "A {} campaign cannot be started",
                        status_name(status)
                    )),
                    other => engine_failure(other),
                })?;
            let view = outcome.value;
            Ok(StartResult {
                id: view.id,
                status: status_name(view.status).into(),
                started_at: view.started_at.unwrap_or(view.updated_at).into(),
            })
        })
        .await
    }

    async fn create_campaign(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<CampaignCreate>,
    ) -> LeadterraResult<Campaign> {
        let prepare = move |_: &KeyRecord| -> Result<_, Failure> {
            let input = body.parse().map_err(|e| invalid(e.to_string()))?;
            if input.name.trim().is_empty() {
                return Err(invalid("name is required"));
            }
            let steps = input
                .sequence_steps
                .iter()
                .enumerate()
                .map(|(n, step)| StepSeed {
                    channel: Channel::Email,
                    delay_seconds: if n == 0 { 0 } else { STEP_DELAY_SECONDS },
                    subject: Some(step.subject.clone()),
                    body: Some(step.body_html.clone()),
                })
                .collect();
            Ok(CampaignSeed {
                steps,
                ..CampaignSeed::named(input.name)
            })
        };
        serve_parsed(&rqctx, prepare, move |app, caller, seed| {
            let view = app
                .engine
                .create_campaign(&caller.workspace.id, &seed)
                .map_err(engine_failure)?;
            Ok(Campaign {
                id: view.id,
                name: view.name,
                status: status_name(view.status).into(),
                sequence_steps: view
                    .steps
                    .into_iter()
                    .map(|s| SequenceStep {
                        subject: s.subject.unwrap_or_default(),
                        body_html: s.body.unwrap_or_default(),
                    })
                    .collect(),
                created_at: view.created_at.into(),
            })
        })
        .await
    }

    async fn enroll_leads(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
        body: JsonInput<LeadsBulk>,
    ) -> LeadterraResult<LeadsBulkResult> {
        let prepare = move |_: &KeyRecord| -> Result<_, Failure> {
            let input = body.parse().map_err(|e| invalid(e.to_string()))?;
            if let Some(index) = input.leads.iter().position(|l| !l.email.contains('@')) {
                return Err(invalid(format!(
                    "leads[{index}].email is not an email address"
                )));
            }
            let seeds: Vec<ProspectSeed> = input
                .leads
                .into_iter()
                .map(|lead| ProspectSeed {
                    email: Some(lead.email.trim().to_lowercase()),
                    first_name: lead.first_name,
                    last_name: lead.last_name,
                    company: lead.company,
                    job_title: lead.job_title,
                    ..ProspectSeed::default()
                })
                .collect();
            Ok(seeds)
        };
        serve_parsed(
            &rqctx,
            prepare,
            move |app, caller, seeds: Vec<ProspectSeed>| {
                let (enrolled, updated, total) = app
                    .engine
                    .enroll_by_email(&caller.workspace.id, &path.into_inner().id, &seeds)
                    .map_err(engine_failure)?;
                Ok(LeadsBulkResult {
                    enrolled,
                    updated,
                    total,
                })
            },
        )
        .await
    }

    async fn get_campaign_stats(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
    ) -> LeadterraResult<CampaignStats> {
        serve(&rqctx, move |app, caller| {
            // One snapshot: the counts and the counters are of one moment.
            let (view, bounced, replied) = app
                .engine
                .snapshot(|read| {
                    let view = read.campaign(Some(&caller.workspace.id), &path.into_inner().id)?;
                    let count = |state| read.count_prospects(&view, state);
                    let (bounced, replied) = (
                        count(ProspectState::Bounced)?,
                        count(ProspectState::Replied)?,
                    );
                    Ok((view, bounced, replied))
                })
                .map_err(engine_failure)?;
            let counters = &view.counters;
            let rate = |n: u64| {
                if counters.delivered == 0 {
                    0.0
                } else {
                    n as f64 / counters.delivered as f64
                }
            };
            Ok(CampaignStats {
                campaign_id: view.id.clone(),
                total_enrolled: view.prospect_count,
                sent: counters.in_flight + counters.delivered + counters.failed,
                delivered: counters.delivered,
                bounced,
                replied,
                queued: counters.queued,
                open_rate: 0.0,
                reply_rate: rate(replied),
            })
        })
        .await
    }

    async fn create_webhook(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<WebhookCreate>,
    ) -> LeadterraResult<WebhookCreated> {
        let prepare = move |_: &KeyRecord| body.parse().map_err(|e| invalid(e.to_string()));
        serve_parsed(&rqctx, prepare, move |app, caller, input| {
            let record = app
                .engine
                .create_webhook(&caller.workspace.id, &input.url, &input.events)
                .map_err(engine_failure)?;
            Ok(WebhookCreated {
                webhook: Webhook {
                    id: record.id,
                    url: record.url,
                    events: record.events,
                    status: "active".into(),
                    created_at: Iso8601::from_millis(record.created_at_ms),
                    signing_secret: record.secret,
                },
            })
        })
        .await
    }
}
