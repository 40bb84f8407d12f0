//! The VoiceGenie face: calls as the channel, phone numbers as contacts,
//! `x-api-key` auth and the `{success, data, message}` envelope.

use campaign_api::voicegenie::{
    Campaign, CampaignIdPath, CampaignList, CampaignListResponse, CampaignResponse, CampaignUpload,
    DeleteData, DeleteResponse, ErrorBody, ErrorDetails, IdPath, ListParams, Pagination, PauseData,
    PauseResponse, StartData, StartResponse, UploadData, UploadError, UploadResponse,
    VoiceGenieApi, VoiceGenieResult, XRateLimitHeaders,
};
use campaign_api::wire::{Iso8601, JsonInput, Reply};
use campaign_engine::{
    CampaignSeed, CampaignSettings, CampaignView, Channel, EngineStatus, ProspectSeed, StepSeed,
};
use dropshot::{Path, Query, RequestContext};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;

use crate::app::{App, FaceContext};
use crate::faces::{self as face, FaceRules, KeyRefusal};
use crate::ratelimit::{Decision, Limit};
use campaign_engine::{EngineError, EngineResult, KeyRecord, Snapshot, StartOptions};

/// Requests per minute on the free plan, the sandbox default.
const REQUESTS_PER_MINUTE: u32 = 60;
/// How long a call lasts unless the campaign says otherwise.
const CALL_SECONDS: u64 = 180;

/// The VoiceGenie API implementation.
pub enum VoiceGenieApiImpl {}

/// VoiceGenie's ids: campaigns are UUIDs; contacts are any text.
pub static RULES: crate::registry::DialectRules = crate::registry::DialectRules {
    label: "Voicegenie",
    ids: campaign_engine::IdScheme {
        campaigns: campaign_engine::CampaignIds::Uuid,
        prospects: campaign_engine::ProspectIds::Text,
    },
    webhooks: None,
};

/// A VoiceGenie error answer.
#[derive(Debug, Clone)]
pub struct Failure {
    status: StatusCode,
    body: ErrorBody,
}

impl Failure {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        let body = ErrorBody {
            success: false,
            message: message.into(),
            error: Some(error.into()),
            details: None,
        };
        Self { status, body }
    }

    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Campaign not found")
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
    }

    fn engine(error: EngineError) -> Self {
        match error {
            EngineError::CampaignNotFound
            | EngineError::WorkspaceNotFound
            | EngineError::ProspectNotFound => Self::not_found(),
            EngineError::Invalid(message) | EngineError::Conflict(message) => {
                Self::validation(message)
            }
            other => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                format!("Internal error: {other}"),
            ),
        }
    }

    fn not_running() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "CAMPAIGN_NOT_RUNNING",
            "Campaign is not running",
        )
    }
}

impl FaceRules for VoiceGenieApiImpl {
    type Headers = XRateLimitHeaders;
    type Failure = Failure;
    type Rejection = campaign_api::voicegenie::VoiceGenieError;

    fn credential(headers: &HeaderMap) -> Option<&str> {
        face::header(headers, "x-api-key")
    }

    fn refused(_: KeyRefusal) -> Failure {
        let body = ErrorBody {
            success: false,
            message: "Invalid or missing API key".into(),
            error: None,
            details: None,
        };
        Failure {
            status: StatusCode::UNAUTHORIZED,
            body,
        }
    }

    fn internal(_operation_id: &str) -> Failure {
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "Internal server error",
        )
    }

    fn limits(caller: &KeyRecord, _: Option<&'static str>) -> Vec<(&'static str, Limit)> {
        let per_minute = caller
            .workspace
            .rate_limits
            .per_minute
            .unwrap_or(REQUESTS_PER_MINUTE);
        vec![("requests", Limit::per_minute(per_minute))]
    }

    fn too_many(_: &Decision) -> Failure {
        Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMIT_EXCEEDED",
            "Rate limit exceeded. Please try again later.",
        )
    }

    fn rate_headers(decision: &Decision, now_ms: i64) -> Vec<(HeaderName, HeaderValue)> {
        face::x_rate_headers(decision, now_ms)
    }

    fn failure_reply<T, H>(failure: &Failure, _now_ms: i64) -> Reply<T, H> {
        Reply::json(failure.status, &failure.body)
    }
}

async fn serve<T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    handler: impl FnOnce(&App, &KeyRecord) -> Result<T, Failure> + Send + 'static,
) -> VoiceGenieResult<T> {
    serve_parsed(
        rqctx,
        |_| Ok(()),
        move |app, caller, ()| handler(app, caller),
    )
    .await
}

/// Runs one VoiceGenie request in two steps ([`face::serve`]):
/// `prepare` checks and parses it on the request's task, `handler` gets
/// what it yields on the writer thread.
async fn serve_parsed<P: Send + 'static, T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<T, Failure> + Send + 'static,
) -> VoiceGenieResult<T> {
    face::serve_json::<VoiceGenieApiImpl, P, T, _>(rqctx, None, prepare, handler).await
}

/// A campaign id: VoiceGenie ids are UUIDs; anything else names nothing.
fn campaign_id(raw: &str) -> Result<String, Failure> {
    face::canonical_uuid(raw).ok_or_else(Failure::not_found)
}

/// VoiceGenie's name of a campaign's status: a draft with a start time is
/// `scheduled`.
fn status_name(view: &CampaignView) -> &'static str {
    match view.status {
        EngineStatus::Draft if view.scheduled_at.is_some() => "scheduled",
        EngineStatus::Draft => "draft",
        EngineStatus::Active | EngineStatus::PendingApproval => "running",
        EngineStatus::Paused | EngineStatus::Stopped => "paused",
        EngineStatus::Completed => "completed",
    }
}

/// A campaign with its contacts' ids, read in one snapshot (the ids and
/// the counts agree).
fn with_contacts(read: &Snapshot<'_>, view: CampaignView) -> EngineResult<Campaign> {
    let contacts = read.prospect_ids(&view)?;
    Ok(campaign_wire(&view, contacts))
}

fn campaign_wire(view: &CampaignView, contact_ids: Vec<String>) -> Campaign {
    Campaign {
        id: view.id.clone(),
        name: view.name.clone(),
        campaign_status: status_name(view).into(),
        script_id: view.script_id.clone(),
        contact_ids,
        total_count: view.prospect_count,
        completed_count: view.counters.delivered,
        failed_count: view.counters.failed,
        created_at: view.created_at.into(),
        updated_at: view.updated_at.into(),
    }
}

impl VoiceGenieApi for VoiceGenieApiImpl {
    type Context = FaceContext;

    async fn pause_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> VoiceGenieResult<PauseResponse> {
        let prepare = move |_: &KeyRecord| campaign_id(&path.into_inner().campaign_id);
        serve_parsed(&rqctx, prepare, move |app, caller, id| {
            let outcome = match app.engine.pause(&caller.workspace.id, &id, false) {
                Ok(outcome) if outcome.changed => outcome,
                Ok(_) | Err(EngineError::WrongStatus { .. }) => return Err(Failure::not_running()),
                Err(other) => return Err(Failure::engine(other)),
            };
            let paused_at = outcome
                .value
                .paused_at
                .ok_or_else(|| VoiceGenieApiImpl::internal(""))?;
            Ok(PauseResponse {
                success: true,
                data: PauseData {
                    campaign_id: id,
                    status: "paused".into(),
                    paused_at: paused_at.into(),
                    active_calls: outcome.in_flight,
                },
                message: "Campaign paused successfully. Active calls will complete normally."
                    .into(),
            })
        })
        .await
    }

    async fn start_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> VoiceGenieResult<StartResponse> {
        let prepare = move |_: &KeyRecord| campaign_id(&path.into_inner().campaign_id);
        serve_parsed(&rqctx, prepare, move |app, caller, id| {
            let ws = &caller.workspace.id;
            let options = StartOptions {
                launch_drafts: true,
                ..StartOptions::default()
            };
            // A draft needs a script and contacts: checked in the start's
            // own transaction, so a concurrent change cannot slip between.
            let refuse = |current: &CampaignView| {
                let mut missing = Vec::new();
                if current.status == EngineStatus::Draft {
                    if current.script_id.is_none() {
                        missing.push("script_id".to_string());
                    }
                    if current.prospect_count == 0 {
                        missing.push("contacts".to_string());
                    }
                }
                (!missing.is_empty()).then(|| {
                    let mut failure = Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "INVALID_CAMPAIGN_STATE",
                        "Campaign cannot be started: it needs a script and contacts",
                    );
                    failure.body.details = Some(ErrorDetails { missing });
                    failure
                })
            };
            let outcome = match app.engine.start_unless(ws, &id, options, refuse) {
                Ok(Ok(outcome)) if outcome.changed => outcome,
                Ok(Err(refused)) => return Err(refused),
                Ok(Ok(_)) => {
                    return Err(Failure::new(
                        StatusCode::BAD_REQUEST,
                        "CAMPAIGN_ALREADY_RUNNING",
                        "Campaign is already running",
                    ));
                }
                Err(EngineError::WrongStatus { .. }) => {
                    return Err(Failure::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "INVALID_CAMPAIGN_STATE",
                        "Campaign has completed and cannot be started",
                    ));
                }
                Err(other) => return Err(Failure::engine(other)),
            };
            let started_at = outcome
                .value
                .started_at
                .ok_or_else(|| VoiceGenieApiImpl::internal(""))?;
            Ok(StartResponse {
                success: true,
                data: StartData {
                    campaign_id: id,
                    status: "running".into(),
                    started_at: started_at.into(),
                },
                message: "Campaign started successfully".into(),
            })
        })
        .await
    }

    async fn get_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<IdPath>,
    ) -> VoiceGenieResult<CampaignResponse> {
        serve(&rqctx, move |app, caller| {
            let id = campaign_id(&path.into_inner().id)?;
            let campaign = app
                .engine
                .snapshot(|read| {
                    with_contacts(read, read.campaign(Some(&caller.workspace.id), &id)?)
                })
                .map_err(Failure::engine)?;
            Ok(CampaignResponse {
                success: true,
                data: campaign,
                message: "Campaign fetched successfully".into(),
            })
        })
        .await
    }

    async fn list_campaigns(
        rqctx: RequestContext<FaceContext>,
        query: Query<ListParams>,
    ) -> VoiceGenieResult<CampaignListResponse> {
        serve(&rqctx, move |app, caller| {
            let params = query.into_inner();
            let limit = params.limit.unwrap_or(10);
            if !(1..=1000).contains(&limit) {
                return Err(Failure::validation(format!(
                    "limit must be between 1 and 1000, got {limit}"
                )));
            }
            let offset = params.offset.unwrap_or(0);
            let most = campaign_api::shape::MAX_SAFE_INTEGER;
            if campaign_api::shape::beyond_safe(i128::from(offset)) {
                return Err(Failure::validation(format!(
                    "offset must be at most {most}, got {offset}"
                )));
            }
            let (campaigns, total) = app
                .engine
                .snapshot(|read| {
                    let (views, total) =
                        read.list_campaigns_by_offset(&caller.workspace.id, offset, limit)?;
                    let campaigns = views
                        .into_iter()
                        .map(|view| with_contacts(read, view))
                        .collect::<EngineResult<_>>()?;
                    Ok((campaigns, total))
                })
                .map_err(Failure::engine)?;
            Ok(CampaignListResponse {
                success: true,
                data: CampaignList {
                    campaigns,
                    pagination: Pagination {
                        total,
                        limit,
                        offset,
                    },
                },
                message: "Campaigns fetched successfully".into(),
            })
        })
        .await
    }

    async fn delete_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> VoiceGenieResult<DeleteResponse> {
        let prepare = move |_: &KeyRecord| campaign_id(&path.into_inner().campaign_id);
        serve_parsed(&rqctx, prepare, move |app, caller, id| {
            match app.engine.delete_campaign(&caller.workspace.id, &id) {
                Ok(_) => Ok(DeleteResponse {
                    success: true,
                    data: DeleteData {
                        campaign_id: id,
                        deleted: true,
                    },
                    message: "Campaign deleted successfully".into(),
                }),
                Err(EngineError::WrongStatus { .. }) => Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "CAMPAIGN_RUNNING",
                    "Cannot delete a running campaign. Please pause it first.",
                )),
                Err(other) => Err(Failure::engine(other)),
            }
        })
        .await
    }

    async fn upload_campaign_data(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<CampaignUpload>,
    ) -> VoiceGenieResult<UploadResponse> {
        let prepare = move |_: &KeyRecord| -> Result<_, Failure> {
            let upload = body
                .parse()
                .map_err(|e| Failure::validation(e.to_string()))?;
            if upload.campaign_name.trim().is_empty() {
                return Err(Failure::validation("campaign_name is required"));
            }
            let scheduled_at = match upload.schedule_time.as_deref() {
                None => None,
                Some(text) => Some(
                    chrono::DateTime::parse_from_rfc3339(text)
                        .map(|at| Iso8601(at.with_timezone(&chrono::Utc)))
                        .map_err(|_| {
                            Failure::validation(format!(
                                "schedule_time must be an ISO 8601 date-time such as 2024-01-16T14:30:00Z, got {text:?}"
                            ))
                        })?,
                ),
            };
            if scheduled_at.is_some() && (upload.script_id.is_none() || upload.contacts.is_empty())
            {
                return Err(Failure::validation(
                    "a scheduled campaign needs a script_id and contacts to start",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            let (mut prospects, mut errors) = (Vec::new(), Vec::new());
            for (index, contact) in upload.contacts.into_iter().enumerate() {
                let phone = contact
                    .phone_number
                    .as_deref()
                    .map(str::trim)
                    .filter(|p| !p.is_empty());
                let reason = match phone {
                    None => Some("phone_number is required"),
                    Some(phone) if !seen.insert(phone.to_string()) => {
                        Some("duplicate phone_number skipped")
                    }
                    Some(_) => None,
                };
                if let Some(reason) = reason {
                    errors.push(UploadError {
                        index: index as u64,
                        phone_number: contact.phone_number.clone(),
                        reason: reason.into(),
                    });
                    continue;
                }
                prospects.push(ProspectSeed {
                    phone: phone.map(str::to_string),
                    email: contact.email,
                    first_name: contact.name,
                    ..ProspectSeed::default()
                });
            }
            let seed = CampaignSeed {
                steps: vec![StepSeed {
                    channel: Channel::Call,
                    delay_seconds: 0,
                    subject: None,
                    body: None,
                }],
                prospects,
                settings: Some(CampaignSettings {
                    call_duration_seconds: CALL_SECONDS,
                    ..CampaignSettings::default()
                }),
                script_id: upload.script_id,
                scheduled_at: scheduled_at.map(|t| t.0),
                ..CampaignSeed::named(upload.campaign_name)
            };
            Ok((seed, errors))
        };
        serve_parsed(&rqctx, prepare, move |app, caller, (seed, errors)| {
            let view = app
                .engine
                .create_campaign(&caller.workspace.id, &seed)
                .map_err(Failure::engine)?;
            Ok(UploadResponse {
                success: true,
                data: UploadData {
                    campaign_id: view.id,
                    uploaded_count: view.prospect_count,
                    failed_count: errors.len() as u64,
                    errors,
                },
                message: "Campaign data uploaded successfully".into(),
            })
        })
        .await
    }
}
