//! The Alta face: translation between Alta's wire format and the engine.
//! Bearer auth, `{"error", "message"}` bodies, `RateLimit-*` headers on
//! every authenticated answer, and the sandbox choices of VENDORS.md.

use campaign_api::alta::{
    AltaApi, AltaEmptyResult, AltaResult, Campaign, CampaignCreate, CampaignPage, CampaignPath,
    ErrorBody, PageParams, PauseCampaignBody, Prospect, ProspectListParams, ProspectPage,
    ProspectPath, ProspectsAdd, ProspectsAdded, RateLimitHeaders, ResumeCampaignBody,
};
use campaign_api::wire::{BodyProblem, JsonInput, Reply};
use campaign_engine::{CampaignSeed, ProspectSeed};
use dropshot::{Path, Query, RequestContext};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;

use crate::app::{App, FaceContext};
use crate::faces::{self as face, FaceRules, KeyRefusal};
use crate::ratelimit::{Decision, Limit};

mod map;

use campaign_engine::{EngineError, KeyRecord, StartOptions};
use map::*;

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
async fn serve<T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    extra_bucket: Option<&'static str>,
    handler: impl FnOnce(&App, &KeyRecord) -> Result<T, Failure> + Send + 'static,
) -> AltaResult<T> {
    serve_parsed(
        rqctx,
        extra_bucket,
        |_| Ok(()),
        move |app, caller, ()| handler(app, caller),
    )
    .await
}

/// Runs one Alta request in two steps ([`face::serve`]):
/// `prepare` checks and parses it on the request's task, `handler` gets
/// what it yields on the writer thread.
async fn serve_parsed<P: Send + 'static, T: Serialize + Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    extra_bucket: Option<&'static str>,
    prepare: impl FnOnce(&KeyRecord) -> Result<P, Failure>,
    handler: impl FnOnce(&App, &KeyRecord, P) -> Result<T, Failure> + Send + 'static,
) -> AltaResult<T> {
    face::serve_json::<AltaApiImpl, P, T, _>(rqctx, extra_bucket, prepare, handler).await
}

/// Alta's state changes of one campaign (pause, resume): the path id
/// checked and the body parsed (`body`) on the request's task, then
/// `change(app, workspace, id, parsed)` on the writer thread; a success is
/// a bodiless 200.
async fn on_campaign<P: Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    path: Path<CampaignPath>,
    body: impl FnOnce() -> Result<P, Failure>,
    change: impl FnOnce(&App, &str, &str, P) -> Result<(), Failure> + Send + 'static,
) -> AltaEmptyResult {
    face::serve_empty::<AltaApiImpl, _, _>(
        rqctx,
        None,
        move |_| {
            let id = uuid_id(&path.into_inner().campaign_id, "campaignId")?;
            Ok((id, body()?))
        },
        move |app, caller, (id, parsed)| change(app, &caller.workspace.id, &id, parsed),
    )
    .await
}

/// An optional body (Alta's pause and resume): absent or empty is the
/// default.
fn optional_body<T: Default + serde::de::DeserializeOwned + schemars::JsonSchema + 'static>(
    body: JsonInput<T, true>,
) -> Result<T, Failure> {
    Ok(body
        .parse_optional()
        .map_err(Failure::body)?
        .unwrap_or_default())
}

impl AltaApi for AltaApiImpl {
    type Context = FaceContext;

    async fn create_campaign(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<CampaignCreate>,
    ) -> AltaResult<Campaign> {
        let prepare = move |_: &KeyRecord| -> Result<_, Failure> {
            let input = body.parse().map_err(Failure::body)?;
            check_text("name", Some(&input.name), true)?;
            check_text("description", input.description.as_deref(), false)?;
            Ok(CampaignSeed {
                description: input.description,
                ..CampaignSeed::named(input.name)
            })
        };
        serve_parsed(&rqctx, None, prepare, move |app, caller, seed| {
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
        serve(&rqctx, None, move |app, caller| {
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
        serve(&rqctx, None, move |app, caller| {
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
        let parse =
            || -> Result<_, Failure> { Ok(optional_body(body)?.pause_prospects.unwrap_or(false)) };
        on_campaign(&rqctx, path, parse, |app, workspace, id, prospects| {
            app.engine
                .pause_without_view(workspace, id, prospects)
                .map(drop)
                .map_err(|e| Failure::engine(e, "Campaign is not active"))
        })
        .await
    }

    async fn resume_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        body: JsonInput<ResumeCampaignBody, true>,
    ) -> AltaEmptyResult {
        let parse = || -> Result<_, Failure> {
            Ok(StartOptions {
                resume_prospects: optional_body(body)?.resume_prospects.unwrap_or(false),
                ..StartOptions::default()
            })
        };
        on_campaign(&rqctx, path, parse, |app, workspace, id, options| {
            app.engine
                .start(workspace, id, options)
                .map(drop)
                .map_err(|e| Failure::engine(e, "Campaign is not paused"))
        })
        .await
    }

    async fn add_prospects(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignPath>,
        body: JsonInput<ProspectsAdd>,
    ) -> AltaResult<ProspectsAdded> {
        let prepare = move |_: &KeyRecord| -> Result<_, Failure> {
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
                // A field given is not blank (the document's `\S` pattern).
                for (field, value) in [
                    ("email", &p.email),
                    ("firstName", &p.first_name),
                    ("lastName", &p.last_name),
                    ("company", &p.company),
                    ("phone", &p.phone),
                    ("linkedinUrl", &p.linkedin_url),
                ] {
                    if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                        return Err(Failure::validation(format!(
                            "prospects[{index}].{field} must not be blank"
                        )));
                    }
                }
                let present = |v: &Option<String>| v.is_some();
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
            Ok((id, seeds))
        };
        serve_parsed(
            &rqctx,
            Some(PROSPECTS_BUCKET),
            prepare,
            move |app, caller, (id, seeds)| {
                let added = app
                    .engine
                    .add_prospects(&caller.workspace.id, &id, &seeds)
                    .map_err(|e| Failure::engine(e, "Prospects cannot be added"))?;
                let data = added.iter().map(prospect_wire).collect::<Result<_, _>>()?;
                Ok(ProspectsAdded { data })
            },
        )
        .await
    }

    async fn list_prospects(
        rqctx: RequestContext<FaceContext>,
        query: Query<ProspectListParams>,
    ) -> AltaResult<ProspectPage> {
        serve(&rqctx, None, move |app, caller| {
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
    let prepare = move |_: &KeyRecord| uuid_id(&path.into_inner().prospect_id, "prospectId");
    serve_parsed(&rqctx, None, prepare, move |app, caller, id| {
        let outcome = app
            .engine
            .set_prospect_paused(&caller.workspace.id, &id, paused)
            .map_err(|e| Failure::engine(e, "Prospect has finished its sequence"))?;
        prospect_wire(&outcome.value)
    })
    .await
}
