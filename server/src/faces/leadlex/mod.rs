//! The Leadlex face: `Authorization: Bearer wbk_...` keys with scopes,
//! expiry and per-key rate tiers; errors as
//! `{"error": {"code", "message", "details"}}`.

use campaign_api::leadlex::{
    Campaign, CampaignData, CampaignListResponse, CampaignResponse, Contact, ContactListResponse,
    IdPath, LeadlexApi, LeadlexError, LeadlexResult, PageMeta, PageParams, PauseData,
    PauseResponse, PausedCampaign, RateLimitHeaders, StartData, StartResponse,
};
use campaign_api::wire::{Iso8601, JsonInput, Reply};
use campaign_engine::{CampaignView, EngineStatus, ProspectState};
use dropshot::{Path, Query, RequestContext};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

use crate::app::{App, FaceContext};
use crate::faces::{self as face, FaceRules, KeyRefusal};
use crate::ratelimit::{Decision, Limit};
use campaign_engine::{EngineError, KeyRecord, StartOptions};

pub mod webhooks;

/// The Leadlex API implementation.
pub enum LeadlexApiImpl {}

/// Leadlex's ids (`cmp_...`) and webhooks.
pub static RULES: crate::registry::DialectRules = crate::registry::DialectRules {
    label: "Leadlex",
    ids: campaign_engine::IdScheme {
        campaigns: campaign_engine::CampaignIds::Prefixed("cmp_"),
        prospects: campaign_engine::ProspectIds::Text,
    },
    webhooks: Some(&webhooks::WEBHOOKS),
};

/// A Leadlex error answer.
pub type Failure = LeadlexError;

const READ: &str = "campaigns:read";
const WRITE: &str = "campaigns:write";

fn failure(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    details: Option<Value>,
) -> Failure {
    LeadlexError::new(status.as_u16(), code, message, details)
}

fn not_found() -> Failure {
    failure(
        StatusCode::NOT_FOUND,
        "campaign_not_found",
        "No campaign with this ID",
        None,
    )
}

fn validation(message: impl Into<String>) -> Failure {
    failure(StatusCode::BAD_REQUEST, "validation_error", message, None)
}

fn engine_failure(error: EngineError) -> Failure {
    match error {
        EngineError::CampaignNotFound
        | EngineError::WorkspaceNotFound
        | EngineError::ProspectNotFound => not_found(),
        EngineError::NoProspects => validation("Campaign has no contacts"),
        EngineError::NoSteps => validation("Campaign has no steps"),
        EngineError::Invalid(message) | EngineError::Conflict(message) => validation(message),
        other => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            format!("internal error: {other}"),
            None,
        ),
    }
}

/// Requests per minute and per UTC day of a key's tier (stored as the
/// sandbox API's `rateTier`): starter (the default), pro or org.
fn tier_limits(tier: Option<&str>) -> (u32, u32) {
    match tier {
        Some("pro") => (50, 1_000),
        Some("org") => (200, 10_000),
        _ => (10, 100),
    }
}

/// The caller's key must hold `scope`.
fn require(caller: &KeyRecord, scope: &str) -> Result<(), Failure> {
    if caller.scopes.iter().any(|s| s == scope) {
        return Ok(());
    }
    Err(failure(
        StatusCode::FORBIDDEN,
        "insufficient_permissions",
        format!("Missing {scope} permission"),
        Some(json!({"required_scope": scope, "key_scopes": caller.scopes})),
    ))
}

impl FaceRules for LeadlexApiImpl {
    type Headers = RateLimitHeaders;
    type Failure = Failure;
    type Rejection = campaign_api::leadlex::LeadlexError;

    fn credential(headers: &HeaderMap) -> Option<&str> {
        face::bearer_token(headers)
    }

    fn refused(refusal: KeyRefusal) -> Failure {
        let message = match refusal {
            KeyRefusal::Expired => "API key has expired",
            KeyRefusal::Missing | KeyRefusal::Invalid => "Invalid or expired API key",
        };
        failure(StatusCode::UNAUTHORIZED, "invalid_key", message, None)
    }

    fn internal(_operation_id: &str) -> Failure {
        failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred",
            None,
        )
    }

    /// Limits are per key (its tier), not per workspace.
    fn rate_scope(caller: &KeyRecord) -> String {
        format!("{}/{}", caller.workspace.id, caller.key)
    }

    fn limits(caller: &KeyRecord, _: Option<&'static str>) -> Vec<(&'static str, Limit)> {
        let (minute, day) = tier_limits(caller.tier.as_deref());
        let overrides = &caller.workspace.rate_limits;
        vec![
            (
                "minute",
                Limit::per_minute(overrides.per_minute.unwrap_or(minute)),
            ),
            ("day", Limit::per_utc_day(overrides.per_day.unwrap_or(day))),
        ]
    }

    fn too_many(decision: &Decision) -> Failure {
        let window = if decision.window_secs >= 86_400 {
            "day"
        } else {
            "minute"
        };
        failure(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Rate limit exceeded",
            Some(
                json!({"limit": decision.limit, "window": window, "retry_after": decision.retry_after_secs}),
            ),
        )
    }

    fn rate_headers(decision: &Decision, now_ms: i64) -> Vec<(HeaderName, HeaderValue)> {
        face::x_rate_headers(decision, now_ms)
    }

    fn failure_reply<T, H>(failure: &Failure, _now_ms: i64) -> Reply<T, H> {
        face::status_reply(failure.status(), failure)
    }
}

async fn serve<T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    handler: impl FnOnce(&App, &KeyRecord) -> Result<T, Failure> + Send + 'static,
) -> LeadlexResult<T> {
    serve_parsed(
        rqctx,
        |_| Ok(()),
        move |app, caller, ()| handler(app, caller),
    )
    .await
}

/// Runs one Leadlex request in two steps ([`face::serve`]):
/// `prepare` checks it (scopes first) on the request's task, `handler`
/// gets what it yields on the writer thread.
async fn serve_parsed<P: Send + 'static, T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<T, Failure> + Send + 'static,
) -> LeadlexResult<T> {
    face::serve_json::<LeadlexApiImpl, P, T, _>(rqctx, None, prepare, handler).await
}

pub(crate) fn status_name(status: EngineStatus) -> &'static str {
    match status {
        EngineStatus::Draft => "draft",
        EngineStatus::Active => "active",
        EngineStatus::Paused | EngineStatus::Stopped => "paused",
        EngineStatus::PendingApproval => "pending_approval",
        EngineStatus::Completed => "completed",
    }
}

fn campaign_wire(view: &CampaignView) -> Campaign {
    Campaign {
        id: view.id.clone(),
        name: view.name.clone(),
        description: view.description.clone(),
        status: status_name(view.status).into(),
        contact_count: view.prospect_count,
        step_count: view.steps.len() as u64,
        created_at: view.created_at.into(),
        updated_at: view.updated_at.into(),
        paused_at: view
            .paused_at
            .filter(|_| view.status == EngineStatus::Paused)
            .map(Iso8601),
    }
}

/// `(page, per_page)` from the query: page from 1, per_page 1–100.
fn page(params: &PageParams) -> Result<(u32, u32), Failure> {
    let page = params.page.unwrap_or(1);
    let per_page = params.per_page.unwrap_or(20);
    if page == 0 {
        return Err(validation("page starts at 1"));
    }
    if !(1..=100).contains(&per_page) {
        return Err(validation(format!(
            "per_page must be between 1 and 100, got {per_page}"
        )));
    }
    Ok((page, per_page))
}

impl LeadlexApi for LeadlexApiImpl {
    type Context = FaceContext;

    async fn pause_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
        _body: JsonInput<Value, true>,
    ) -> LeadlexResult<PauseResponse> {
        serve_parsed(
            &rqctx,
            |caller| require(caller, WRITE),
            move |app, caller, ()| {
                let id = path.into_inner().id;
                let not_active = |status: EngineStatus| {
                    failure(
                        StatusCode::CONFLICT,
                        "campaign_not_active",
                        "Campaign is not in active status",
                        Some(json!({"status": status_name(status)})),
                    )
                };
                let outcome = match app.engine.pause(&caller.workspace.id, &id, false) {
                    Ok(outcome) if outcome.changed => outcome,
                    Ok(outcome) => return Err(not_active(outcome.value.status)),
                    Err(EngineError::WrongStatus { status }) => return Err(not_active(status)),
                    Err(other) => return Err(engine_failure(other)),
                };
                let paused_at = outcome
                    .value
                    .paused_at
                    .ok_or_else(|| LeadlexApiImpl::internal(""))?;
                Ok(PauseResponse {
                    data: PauseData {
                        campaign: PausedCampaign {
                            id,
                            status: "paused".into(),
                            paused_at: paused_at.into(),
                        },
                    },
                })
            },
        )
        .await
    }

    async fn start_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
        _body: JsonInput<Value, true>,
    ) -> LeadlexResult<StartResponse> {
        serve_parsed(
            &rqctx,
            |caller| require(caller, WRITE),
            move |app, caller, ()| {
                let options = StartOptions {
                    launch_drafts: true,
                    resume_prospects: false,
                    needs_approval: caller.workspace.requires_approval,
                };
                let outcome = app
                    .engine
                    .start(&caller.workspace.id, &path.into_inner().id, options)
                    .map_err(|e| match e {
                        EngineError::WrongStatus { status } => validation(format!(
                            "A {} campaign cannot be started",
                            status_name(status)
                        )),
                        other => engine_failure(other),
                    })?;
                if !outcome.changed {
                    return Err(validation("Campaign is already running"));
                }
                Ok(StartResponse {
                    data: StartData {
                        campaign_id: outcome.value.id.clone(),
                        status: status_name(outcome.value.status).into(),
                        task_id: format!("task_{}", uuid::Uuid::new_v4().simple()),
                    },
                })
            },
        )
        .await
    }

    async fn get_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
    ) -> LeadlexResult<CampaignResponse> {
        serve(&rqctx, move |app, caller| {
            require(caller, READ)?;
            let view = app
                .engine
                .campaign(Some(&caller.workspace.id), &path.into_inner().id)
                .map_err(engine_failure)?;
            Ok(CampaignResponse {
                data: CampaignData {
                    campaign: campaign_wire(&view),
                },
            })
        })
        .await
    }

    async fn list_campaigns(
        rqctx: RequestContext<FaceContext>,
        query: Query<PageParams>,
    ) -> LeadlexResult<CampaignListResponse> {
        serve(&rqctx, move |app, caller| {
            require(caller, READ)?;
            let (page, per_page) = page(&query.into_inner())?;
            let offset = u64::from(page - 1) * u64::from(per_page);
            let (views, total) = app
                .engine
                .snapshot(|read| {
                    read.list_campaigns_by_offset(&caller.workspace.id, offset, per_page)
                })
                .map_err(engine_failure)?;
            Ok(CampaignListResponse {
                data: views.iter().map(campaign_wire).collect(),
                meta: PageMeta {
                    page,
                    per_page,
                    total,
                },
            })
        })
        .await
    }

    async fn list_campaign_contacts(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
        query: Query<PageParams>,
    ) -> LeadlexResult<ContactListResponse> {
        serve(&rqctx, move |app, caller| {
            require(caller, READ)?;
            let (page, per_page) = page(&query.into_inner())?;
            let contacts = app
                .engine
                .campaign_prospects(Some(&caller.workspace.id), &path.into_inner().id)
                .map_err(engine_failure)?;
            let total = contacts.len() as u64;
            let skip = ((page - 1) as usize).saturating_mul(per_page as usize);
            let data = contacts
                .into_iter()
                .skip(skip)
                .take(per_page as usize)
                .map(|p| Contact {
                    contact_id: p.id,
                    full_name: match (p.first_name, p.last_name) {
                        (Some(first), Some(last)) => Some(format!("{first} {last}")),
                        (first, last) => first.or(last),
                    },
                    email: p.email,
                    status: match p.status {
                        ProspectState::Active => "active",
                        ProspectState::Paused => "paused",
                        ProspectState::Completed => "completed",
                        ProspectState::Bounced => "bounced",
                        ProspectState::Replied => "replied",
                    }
                    .into(),
                    current_step: p.position + 1,
                    added_at: p.created_at.into(),
                    last_sent_at: p.last_sent_at.map(Iso8601),
                })
                .collect();
            Ok(ContactListResponse {
                data,
                meta: PageMeta {
                    page,
                    per_page,
                    total,
                },
            })
        })
        .await
    }
}
