//! The Alta face: translation between Alta's wire format and the engine.
//! Bearer auth, `{"error", "message"}` bodies, `RateLimit-*` headers on
//! every authenticated answer, and the sandbox choices of VENDORS.md.

use campaign_api::alta::{
    AltaApi, AltaEmptyResult, AltaResult, Campaign, CampaignCreate, CampaignObjectType,
    CampaignPage, CampaignPath, CampaignStatus, ErrorBody, PageParams, PauseCampaignBody, Prospect,
    ProspectListParams, ProspectObjectType, ProspectPage, ProspectPath, ProspectStatus,
    ProspectsAdd, ProspectsAdded, RateLimitHeaders, ResumeCampaignBody,
};
use campaign_api::wire::{BodyProblem, Iso8601, JsonInput, Reply};
use campaign_engine::{
    CampaignSeed, CampaignView, EngineStatus, ProspectSeed, ProspectState, ProspectView,
};
use dropshot::{Path, Query, RequestContext};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;

use crate::app::{App, FaceContext};
use crate::faces::{self as face, FaceRules, KeyRefusal};
use crate::ratelimit::{Decision, Limit};
use campaign_engine::{EngineError, KeyRecord, Page, PageFrom, StartOptions};

/// Requests per minute per account (all tokens of the account share it).
const ACCOUNT_LIMIT: u32 = 100;
/// Add-prospects requests per minute per account.
const PROSPECTS_LIMIT: u32 = 10;
/// The most prospects one request may add.
const MAX_PROSPECTS_PER_REQUEST: usize = 20;

/// The Alta API implementation.
pub enum AltaApiImpl {}

/// Alta's ids: campaigns and prospects are UUIDs.
pub static RULES: crate::registry::DialectRules = crate::registry::DialectRules {
    label: "Alta",
    ids: campaign_engine::IdScheme {
        campaigns: campaign_engine::CampaignIds::Uuid,
        prospects: campaign_engine::ProspectIds::Uuid,
    },
    webhooks: None,
};

/// An Alta error answer: status, error type and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: StatusCode,
    body: ErrorBody,
}

impl Failure {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: error.to_string(),
                message: message.into(),
            },
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", "Resource not found")
    }

    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Invalid API token",
        )
    }

    fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "Internal server error",
        )
    }

    fn body(problem: BodyProblem) -> Self {
        Self::validation(problem.to_string())
    }

    /// Maps an engine error; `wrong_status` is the message for a campaign or
    /// prospect whose status does not allow the operation.
    fn engine(error: EngineError, wrong_status: &str) -> Self {
        match error {
            EngineError::WorkspaceNotFound
            | EngineError::CampaignNotFound
            | EngineError::ProspectNotFound => Self::not_found(),
            EngineError::WrongStatus { .. } | EngineError::WrongProspectStatus { .. } => {
                Self::validation(wrong_status)
            }
            EngineError::NoProspects | EngineError::NoSteps | EngineError::Invalid(_) => {
                Self::validation(error.to_string())
            }
            EngineError::Conflict(message) => Self::validation(message),
            EngineError::ClockIsReal | EngineError::Internal(_) | EngineError::Storage(_) => {
                Self::internal()
            }
        }
    }
}

/// The rate-limit bucket of add-prospects requests.
const PROSPECTS_BUCKET: &str = "prospects";

impl FaceRules for AltaApiImpl {
    type Headers = RateLimitHeaders;
    type Failure = Failure;
    type Rejection = campaign_api::alta::AltaError;

    fn credential(headers: &HeaderMap) -> Option<&str> {
        face::bearer_token(headers)
    }

    fn refused(_: KeyRefusal) -> Failure {
        Failure::unauthorized()
    }

    fn internal(_operation_id: &str) -> Failure {
        Failure::internal()
    }

    /// Users with several accounts send `x-account-id`: a token only opens
    /// its own account (sandbox choice: another account is a 403).
    fn admit(caller: &KeyRecord, headers: &HeaderMap) -> Result<(), Failure> {
        match face::header(headers, "x-account-id") {
            Some(account) if account != caller.workspace.id => Err(Failure::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "The API token has no access to the account in x-account-id",
            )),
            _ => Ok(()),
        }
    }

    fn limits(caller: &KeyRecord, extra: Option<&'static str>) -> Vec<(&'static str, Limit)> {
        let limits = &caller.workspace.rate_limits;
        let mut buckets = vec![(
            "account",
            Limit::per_minute(limits.per_minute.unwrap_or(ACCOUNT_LIMIT)),
        )];
        if extra == Some(PROSPECTS_BUCKET) {
            buckets.push((
                PROSPECTS_BUCKET,
                Limit::per_minute(limits.prospects_per_minute.unwrap_or(PROSPECTS_LIMIT)),
            ));
        }
        buckets
    }

    fn too_many(_: &Decision) -> Failure {
        Failure::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Rate limit exceeded. Please retry after 60 seconds.",
        )
    }

    fn rate_headers(decision: &Decision, _now_ms: i64) -> Vec<(HeaderName, HeaderValue)> {
        rate_headers(decision)
    }

    fn failure_reply<T, H>(failure: &Failure, _now_ms: i64) -> Reply<T, H> {
        Reply::json(failure.status, &failure.body)
    }
}

fn rate_headers(decision: &Decision) -> Vec<(HeaderName, HeaderValue)> {
    let mut headers = vec![
        (
            HeaderName::from_static("ratelimit-limit"),
            HeaderValue::from(decision.limit),
        ),
        (
            HeaderName::from_static("ratelimit-remaining"),
            HeaderValue::from(decision.remaining),
        ),
        (
            HeaderName::from_static("ratelimit-reset"),
            HeaderValue::from(decision.reset_secs),
        ),
    ];
    let policy = format!("{};w={}", decision.limit, decision.window_secs);
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.push((HeaderName::from_static("ratelimit-policy"), policy));
    }
    if !decision.allowed {
        // Alta's documented 429 says "Please retry after 60 seconds.": the
        // header says the same, the whole window, after which a retry is
        // always allowed (RateLimit-Reset still tells when the allowance is
        // whole again).
        headers.push((
            http::header::RETRY_AFTER,
            HeaderValue::from(decision.window_secs),
        ));
    }
    headers
}

/// Runs one Alta request through the shared pipeline.
async fn serve<T: Serialize>(
    rqctx: &RequestContext<FaceContext>,
    extra_bucket: Option<&'static str>,
    handler: impl FnOnce(&App, &KeyRecord) -> Result<T, Failure>,
) -> AltaResult<T> {
    face::serve_json::<AltaApiImpl, T, _>(rqctx, extra_bucket, handler).await
}

/// An id that must be a UUID (Alta's campaign and prospect ids).
fn uuid_id(raw: &str, what: &str) -> Result<String, Failure> {
    uuid::Uuid::try_parse(raw)
        .map(|id| id.to_string())
        .map_err(|_| Failure::validation(format!("{what} must be a UUID, got {raw:?}")))
}

fn alta_status(status: EngineStatus) -> CampaignStatus {
    match status {
        EngineStatus::Draft => CampaignStatus::Draft,
        EngineStatus::Active | EngineStatus::PendingApproval => CampaignStatus::Active,
        EngineStatus::Paused | EngineStatus::Stopped => CampaignStatus::Paused,
        EngineStatus::Completed => CampaignStatus::Completed,
    }
}

fn campaign_wire(view: &CampaignView) -> Result<Campaign, Failure> {
    Ok(Campaign {
        id: uuid::Uuid::try_parse(&view.id).map_err(|_| Failure::internal())?,
        object_type: CampaignObjectType::Campaign,
        created_at: view.created_at.into(),
        updated_at: view.updated_at.into(),
        name: view.name.clone(),
        description: view.description.clone(),
        status: alta_status(view.status),
        is_archived: view.is_archived,
        launched_at: view.launched_at.map(Iso8601),
    })
}

fn prospect_wire(view: &ProspectView) -> Result<Prospect, Failure> {
    Ok(Prospect {
        id: uuid::Uuid::try_parse(&view.id).map_err(|_| Failure::internal())?,
        object_type: ProspectObjectType::Prospect,
        campaign_id: uuid::Uuid::try_parse(&view.campaign_id).map_err(|_| Failure::internal())?,
        email: view.email.clone(),
        first_name: view.first_name.clone(),
        last_name: view.last_name.clone(),
        company: view.company.clone(),
        phone: view.phone.clone(),
        linkedin_url: view.linkedin_url.clone(),
        status: match view.status {
            ProspectState::Active => ProspectStatus::Active,
            ProspectState::Paused => ProspectStatus::Paused,
            ProspectState::Completed => ProspectStatus::Completed,
            ProspectState::Bounced => ProspectStatus::Bounced,
            ProspectState::Replied => ProspectStatus::Replied,
        },
        current_step: view.position,
        created_at: view.created_at.into(),
        updated_at: view.updated_at.into(),
    })
}

fn check_text(field: &str, value: Option<&str>, required: bool) -> Result<(), Failure> {
    match value {
        None if required => Err(Failure::validation(format!("{field} is required"))),
        Some(v) if required && v.trim().is_empty() => {
            Err(Failure::validation(format!("{field} must not be empty")))
        }
        Some(v) if v.chars().count() > 255 => Err(Failure::validation(format!(
            "{field} must be at most 255 characters"
        ))),
        _ => Ok(()),
    }
}

// ----- cursors ----------------------------------------------------------

/// A cursor names a position and the filter it was made under, so that a
/// changed filter between pages is detected. Encoded as hex: opaque to
/// callers, trivially decoded here.
fn encode_cursor(direction: char, seq: i64, filter: &str) -> String {
    format!("{direction}:{seq}:{filter}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(cursor: &str, filter: &str) -> Result<PageFrom, Failure> {
    let invalid = || Failure::validation("cursor is not valid");
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| {
            cursor
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.splitn(3, ':');
    let (Some(direction), Some(seq), Some(cursor_filter)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let seq: i64 = seq.parse().map_err(|_| invalid())?;
    if cursor_filter != filter {
        return Err(Failure::validation(
            "filters must not change between pages of a cursor",
        ));
    }
    match direction {
        "n" => Ok(PageFrom::After(seq)),
        "p" => Ok(PageFrom::Before(seq)),
        _ => Err(invalid()),
    }
}

fn page_limit(limit: Option<u32>) -> Result<u32, Failure> {
    match limit.unwrap_or(10) {
        limit @ 1..=100 => Ok(limit),
        other => Err(Failure::validation(format!(
            "limit must be between 1 and 100, got {other}"
        ))),
    }
}

/// The wire fields of a page: `data`, `hasMore`, `next`, `previous`.
struct PageParts<W> {
    data: Vec<W>,
    has_more: bool,
    next: Option<String>,
    previous: Option<String>,
}

fn page_parts<T, W>(
    page: Page<T>,
    filter: &str,
    wire: impl Fn(&T) -> Result<W, Failure>,
) -> Result<PageParts<W>, Failure> {
    let next = page
        .items
        .last()
        .filter(|_| page.more_after)
        .map(|(seq, _)| encode_cursor('n', *seq, filter));
    let previous = page
        .items
        .first()
        .filter(|_| page.more_before)
        .map(|(seq, _)| encode_cursor('p', *seq, filter));
    let data = page
        .items
        .iter()
        .map(|(_, item)| wire(item))
        .collect::<Result<_, _>>()?;
    Ok(PageParts {
        data,
        has_more: page.more_after,
        next,
        previous,
    })
}

fn page_from(cursor: Option<&str>, filter: &str) -> Result<PageFrom, Failure> {
    cursor.map_or(Ok(PageFrom::Start), |c| decode_cursor(c, filter))
}

impl AltaApi for AltaApiImpl {
    type Context = FaceContext;

    async fn create_campaign(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<CampaignCreate>,
    ) -> AltaResult<Campaign> {
        serve(&rqctx, None, |app, caller| {
            let input = body.parse().map_err(Failure::body)?;
            check_text("name", Some(&input.name), true)?;
            check_text("description", input.description.as_deref(), false)?;
            let seed = CampaignSeed {
                id: None,
                name: input.name,
                description: input.description,
                status: None,
                steps: Vec::new(),
                prospects: Vec::new(),
                settings: None,
                script_id: None,
                scheduled_at: None,
            };
            let view = app
                .engine
                .create_campaign(&caller.workspace.id, &seed)
                .map_err(|e| Failure::engine(e, "Campaign cannot be created"))?;
            campaign_wire(&view)
        })
        .await
    }

    async fn list_campaigns(
        rqctx: RequestContext<FaceContext>,
        query: Query<PageParams>,
    ) -> AltaResult<CampaignPage> {
        serve(&rqctx, None, |app, caller| {
            let params = query.into_inner();
            let limit = page_limit(params.limit)?;
            let from = page_from(params.cursor.as_deref(), "")?;
            let page = app
                .engine
                .list_campaigns(&caller.workspace.id, from, limit)
                .map_err(|e| Failure::engine(e, "Campaigns cannot be listed"))?;
            let PageParts {
                data,
                has_more,
                next,
                previous,
            } = page_parts(page, "", campaign_wire)?;
            Ok(CampaignPage {
                data,
                has_more,
                next,
                previous,
            })
        })
        .await
    }

    async fn get_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
    ) -> AltaResult<Campaign> {
        serve(&rqctx, None, |app, caller| {
            let id = uuid_id(&path.into_inner().campaign_id, "campaignId")?;
            let view = app
                .engine
                .campaign(Some(&caller.workspace.id), &id)
                .map_err(|e| Failure::engine(e, "Campaign cannot be read"))?;
            campaign_wire(&view)
        })
        .await
    }

    async fn pause_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        body: JsonInput<PauseCampaignBody, true>,
    ) -> AltaEmptyResult {
        face::serve_empty::<AltaApiImpl, _>(&rqctx, None, |app, caller| {
            let id = uuid_id(&path.into_inner().campaign_id, "campaignId")?;
            let input = body
                .parse_optional()
                .map_err(Failure::body)?
                .unwrap_or_default();
            app.engine
                .pause(
                    &caller.workspace.id,
                    &id,
                    input.pause_prospects.unwrap_or(false),
                )
                .map_err(|e| Failure::engine(e, "Campaign is not active"))?;
            Ok(())
        })
        .await
    }

    async fn resume_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        body: JsonInput<ResumeCampaignBody, true>,
    ) -> AltaEmptyResult {
        face::serve_empty::<AltaApiImpl, _>(&rqctx, None, |app, caller| {
            let id = uuid_id(&path.into_inner().campaign_id, "campaignId")?;
            let input = body
                .parse_optional()
                .map_err(Failure::body)?
                .unwrap_or_default();
            let options = StartOptions {
                launch_drafts: false,
                resume_prospects: input.resume_prospects.unwrap_or(false),
                needs_approval: false,
            };
            app.engine
                .start(&caller.workspace.id, &id, options)
                .map_err(|e| Failure::engine(e, "Campaign is not paused"))?;
            Ok(())
        })
        .await
    }

    async fn add_prospects(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        body: JsonInput<ProspectsAdd>,
    ) -> AltaResult<ProspectsAdded> {
        serve(&rqctx, Some(PROSPECTS_BUCKET), |app, caller| {
            let id = uuid_id(&path.into_inner().campaign_id, "campaignId")?;
            let input = body.parse().map_err(Failure::body)?;
            if input.prospects.is_empty() || input.prospects.len() > MAX_PROSPECTS_PER_REQUEST {
                return Err(Failure::validation(format!(
                    "prospects must hold 1 to {MAX_PROSPECTS_PER_REQUEST} prospects, got {}",
                    input.prospects.len()
                )));
            }
            let mut seeds = Vec::with_capacity(input.prospects.len());
            for (index, p) in input.prospects.into_iter().enumerate() {
                let present =
                    |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
                let identified = present(&p.email)
                    || present(&p.linkedin_url)
                    || present(&p.phone)
                    || (present(&p.first_name) && present(&p.last_name) && present(&p.company));
                if !identified {
                    return Err(Failure::validation(format!(
                        "prospects[{index}] needs an email, a linkedinUrl, a phone, or firstName + \
                         lastName + company"
                    )));
                }
                seeds.push(ProspectSeed {
                    id: None,
                    email: p.email,
                    first_name: p.first_name,
                    last_name: p.last_name,
                    company: p.company,
                    job_title: None,
                    phone: p.phone,
                    linkedin_url: p.linkedin_url,
                    status: None,
                });
            }
            let added = app
                .engine
                .add_prospects(&caller.workspace.id, &id, &seeds)
                .map_err(|e| Failure::engine(e, "Prospects cannot be added"))?;
            let data = added.iter().map(prospect_wire).collect::<Result<_, _>>()?;
            Ok(ProspectsAdded { data })
        })
        .await
    }

    async fn list_prospects(
        rqctx: RequestContext<FaceContext>,
        query: Query<ProspectListParams>,
    ) -> AltaResult<ProspectPage> {
        serve(&rqctx, None, |app, caller| {
            let params = query.into_inner();
            let limit = page_limit(params.limit)?;
            let campaign = params
                .campaign_id
                .as_deref()
                .map(|c| uuid_id(c, "campaignId"))
                .transpose()?;
            let filter = campaign.clone().unwrap_or_default();
            let from = page_from(params.cursor.as_deref(), &filter)?;
            let page = app
                .engine
                .list_prospects(&caller.workspace.id, campaign.as_deref(), from, limit)
                .map_err(|e| Failure::engine(e, "Prospects cannot be listed"))?;
            let PageParts {
                data,
                has_more,
                next,
                previous,
            } = page_parts(page, &filter, prospect_wire)?;
            Ok(ProspectPage {
                data,
                has_more,
                next,
                previous,
            })
        })
        .await
    }

    async fn pause_prospect(
        rqctx: RequestContext<FaceContext>,
        path: Path<ProspectPath>,
    ) -> AltaResult<Prospect> {
        set_prospect(rqctx, path, true).await
    }

    async fn resume_prospect(
        rqctx: RequestContext<FaceContext>,
        path: Path<ProspectPath>,
    ) -> AltaResult<Prospect> {
        set_prospect(rqctx, path, false).await
    }
}

async fn set_prospect(
    rqctx: RequestContext<FaceContext>,
    path: Path<ProspectPath>,
    paused: bool,
) -> AltaResult<Prospect> {
    serve(&rqctx, None, |app, caller| {
        let id = uuid_id(&path.into_inner().prospect_id, "prospectId")?;
        let outcome = app
            .engine
            .set_prospect_paused(&caller.workspace.id, &id, paused)
            .map_err(|e| Failure::engine(e, "Prospect has finished its sequence"))?;
        prospect_wire(&outcome.value)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_detect_filter_changes() {
        let cursor = encode_cursor('n', 42, "abc");
        assert!(matches!(
            decode_cursor(&cursor, "abc"),
            Ok(PageFrom::After(42))
        ));
        let previous = encode_cursor('p', 7, "");
        assert!(matches!(
            decode_cursor(&previous, ""),
            Ok(PageFrom::Before(7))
        ));
        assert_eq!(
            decode_cursor(&cursor, "other").unwrap_err().body.message,
            "filters must not change between pages of a cursor"
        );
        assert_eq!(
            decode_cursor("zz", "").unwrap_err().body.message,
            "cursor is not valid"
        );
    }
}
