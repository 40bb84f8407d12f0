//! The sandbox control API: set up and observe a world. No auth; it binds
//! to loopback unless told otherwise.

use campaign_api::sandbox::{
    ApiKey, ApiKeyCreate, CampaignIdPath, CampaignSeed, CampaignView, ClockAdvance, ClockView,
    DeliveryPath, DeliveryQuery, DeliveryView, FaultCreate, FaultView, Listing, ProspectIdPath,
    ProspectView, RateLimits, SandboxApi, SendQuery, SendView, SinkAnswer, SinkPath, SinkRequest,
    WebhookSubscribe, WebhookView, Workspace, WorkspaceCreate, WorkspacePath, World,
};
use campaign_api::sandbox::{CampaignListQuery, FacePath, LoggedRequest, RequestLogQuery};

use crate::requestlog::Ring;
use campaign_api::wire::{EmptyReply, Iso8601, JsonInput, Reply};
use dropshot::{
    HttpError, HttpResponseCreated, HttpResponseOk, HttpResponseUpdatedNoContent, Path, Query,
    RequestContext, UntypedBody,
};
use serde::de::DeserializeOwned;

use campaign_engine::{EngineError, ProspectState};

use crate::app::{App, FaceContext};

pub mod map;

/// The sandbox API implementation.
pub enum SandboxApiImpl {}

/// The JSON body of a control-API request, whatever its Content-Type says
/// (`curl -d` sends form encoding unless told otherwise): a body that is
/// missing, not JSON, or not of the operation's shape is a 400 that says
/// what was wrong and shows a body that works.
fn json_body<T: DeserializeOwned + schemars::JsonSchema + 'static>(
    body: &JsonInput<T>,
    example: &str,
) -> Result<T, HttpError> {
    body.parse().map_err(|problem| {
        HttpError::for_bad_request(
            None,
            format!(
                "{problem}; send a JSON object (no Content-Type header needed), for example: {example}"
            ),
        )
    })
}

fn http_error(error: EngineError) -> HttpError {
    let message = error.to_string();
    match error {
        EngineError::WorkspaceNotFound
        | EngineError::CampaignNotFound
        | EngineError::ProspectNotFound => HttpError::for_not_found(None, message),
        EngineError::Invalid(_) | EngineError::NoProspects | EngineError::NoSteps => {
            HttpError::for_bad_request(None, message)
        }
        EngineError::Conflict(_)
        | EngineError::WrongStatus { .. }
        | EngineError::WrongProspectStatus { .. }
        | EngineError::ClockIsReal => {
            HttpError::for_client_error(None, dropshot::ClientErrorStatusCode::CONFLICT, message)
        }
        EngineError::Internal(_) | EngineError::Storage(_) => {
            HttpError::for_internal_error(message)
        }
    }
}

/// Runs `work` on the blocking pool and gives its answer: engine calls
/// may wait for the engine lock (a long command, the writer's batch) or
/// the disk, which no async worker may do.
async fn blocking<T: Send + 'static>(
    rqctx: &RequestContext<FaceContext>,
    work: impl FnOnce(&App) -> Result<T, HttpError> + Send + 'static,
) -> Result<T, HttpError> {
    let app = std::sync::Arc::clone(&rqctx.context().app);
    tokio::task::spawn_blocking(move || work(&app))
        .await
        .map_err(|e| HttpError::for_internal_error(format!("the request's work stopped: {e}")))?
}

fn webhook_view(record: campaign_engine::WebhookRecord) -> WebhookView {
    WebhookView {
        id: record.id,
        workspace_id: record.workspace_id,
        url: record.url,
        events: record.events,
        created_at: Iso8601::from_millis(record.created_at_ms),
        signing_secret: None,
    }
}

/// A request log's filters, each within the range the document gives.
fn log_query(query: Query<RequestLogQuery>) -> Result<RequestLogQuery, HttpError> {
    let query = query.into_inner();
    let problem = if query.status.is_some_and(|s| !(100..=599).contains(&s)) {
        Some("status must be an HTTP status, 100 to 599")
    } else if query.limit.is_some_and(|n| !(1..=1000).contains(&n)) {
        Some("limit must be 1 to 1000")
    } else if query
        .after_id
        .is_some_and(|a| campaign_api::shape::beyond_safe(i128::from(a)))
    {
        Some("afterId must be at most 2^53 - 1")
    } else {
        None
    };
    match problem {
        Some(message) => Err(HttpError::for_bad_request(None, message.into())),
        None => Ok(query),
    }
}

fn clock_view(cx: &FaceContext) -> ClockView {
    let clock = cx.app.engine.clock();
    ClockView {
        mode: map::clock_mode(clock.mode()),
        now: Iso8601::from_millis(clock.now_ms()),
    }
}

impl SandboxApi for SandboxApiImpl {
    type Context = FaceContext;

    async fn reset_world(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError> {
        blocking(&rqctx, |app| {
            app.reset()
                .map_err(|e| HttpError::for_internal_error(format!("resetting: {e:#}")))
        })
        .await?;
        Ok(HttpResponseUpdatedNoContent())
    }

    async fn export_world(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseOk<World>, HttpError> {
        let world = blocking(&rqctx, |app| {
            crate::world::export(&app.engine, &app.faults).map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(world))
    }

    async fn create_workspace(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<WorkspaceCreate>,
    ) -> Result<HttpResponseCreated<Workspace>, HttpError> {
        let input = json_body(&body, r#"{"id": "acme", "dialect": "alta"}"#)?;
        let workspace = blocking(&rqctx, move |app| {
            app.engine
                .create_workspace(&map::workspace_create(input))
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseCreated(map::workspace(workspace)))
    }

    async fn list_workspaces(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseOk<Listing<Workspace>>, HttpError> {
        let items = blocking(&rqctx, |app| {
            app.engine.list_workspaces().map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(Listing {
            items: items.into_iter().map(map::workspace).collect(),
        }))
    }

    async fn set_rate_limits(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
        body: JsonInput<RateLimits>,
    ) -> Result<HttpResponseOk<Workspace>, HttpError> {
        let id = path.into_inner().workspace_id;
        let limits = json_body(&body, r#"{"perMinute": 1000}"#)?;
        map::check_rate_limits(&limits).map_err(|m| HttpError::for_bad_request(None, m))?;
        let workspace = blocking(&rqctx, move |app| {
            let workspace = app
                .engine
                .set_rate_limits(&id, &map::rate_limits(limits))
                .map_err(http_error)?;
            app.limits.forget_workspace(&id);
            Ok(workspace)
        })
        .await?;
        Ok(HttpResponseOk(map::workspace(workspace)))
    }

    async fn create_api_key(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
        body: JsonInput<ApiKeyCreate>,
    ) -> Result<HttpResponseCreated<ApiKey>, HttpError> {
        let workspace_id = path.into_inner().workspace_id;
        let input = json_body(&body, r#"{"key": "my_token"}"#)?;
        let (workspace, key) = (workspace_id.clone(), map::api_key_create(&input));
        blocking(&rqctx, move |app| {
            app.engine
                .create_api_key(&workspace, &key, false)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseCreated(ApiKey {
            key: input.key,
            workspace_id,
            scopes: input.scopes,
            expires_at: input.expires_at,
            rate_tier: input.rate_tier,
        }))
    }

    async fn create_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
        body: JsonInput<CampaignSeed>,
    ) -> Result<HttpResponseCreated<CampaignView>, HttpError> {
        let seed = json_body(
            &body,
            r#"{"name": "Outbound", "steps": [{"channel": "email", "delaySeconds": 60}], "prospects": [{"email": "ada@example.com"}]}"#,
        )?;
        let campaign = blocking(&rqctx, move |app| {
            app.engine
                .create_campaign(&path.into_inner().workspace_id, &map::campaign_seed(seed))
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseCreated(map::campaign(campaign)))
    }

    async fn get_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError> {
        let campaign = blocking(&rqctx, move |app| {
            app.engine
                .campaign(None, &path.into_inner().campaign_id)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(map::campaign(campaign)))
    }

    async fn list_campaign_prospects(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<Listing<ProspectView>>, HttpError> {
        let items = blocking(&rqctx, move |app| {
            app.engine
                .campaign_prospects(None, &path.into_inner().campaign_id)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(Listing {
            items: items.into_iter().map(map::prospect).collect(),
        }))
    }

    async fn approve_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError> {
        let campaign = blocking(&rqctx, move |app| {
            app.engine
                .approve(&path.into_inner().campaign_id)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(map::campaign(campaign)))
    }

    async fn bounce_prospect(
        rqctx: RequestContext<FaceContext>,
        path: Path<ProspectIdPath>,
    ) -> Result<HttpResponseOk<ProspectView>, HttpError> {
        let id = path.into_inner().prospect_id;
        let prospect = blocking(&rqctx, move |app| {
            app.engine
                .record_outcome(&id, ProspectState::Bounced)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(map::prospect(prospect)))
    }

    async fn reply_prospect(
        rqctx: RequestContext<FaceContext>,
        path: Path<ProspectIdPath>,
    ) -> Result<HttpResponseOk<ProspectView>, HttpError> {
        let id = path.into_inner().prospect_id;
        let prospect = blocking(&rqctx, move |app| {
            app.engine
                .record_outcome(&id, ProspectState::Replied)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(map::prospect(prospect)))
    }

    async fn launch_campaign(
        rqctx: RequestContext<FaceContext>,
        path: Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError> {
        let campaign = blocking(&rqctx, move |app| {
            app.engine
                .launch(None, &path.into_inner().campaign_id)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(map::campaign(campaign)))
    }

    async fn list_sends(
        rqctx: RequestContext<FaceContext>,
        query: Query<SendQuery>,
    ) -> Result<HttpResponseOk<Listing<SendView>>, HttpError> {
        let query = query.into_inner();
        let most = campaign_api::shape::MAX_SAFE_INTEGER;
        if let Some(after) = query
            .after_id
            .filter(|a| campaign_api::shape::beyond_safe(i128::from(*a)))
        {
            return Err(HttpError::for_bad_request(
                None,
                format!("afterId must be between -{most} and {most}, got {after}"),
            ));
        }
        let items = blocking(&rqctx, move |app| {
            app.engine
                .list_sends(&map::send_query(query))
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(Listing {
            items: items.into_iter().map(map::send).collect(),
        }))
    }

    async fn get_clock(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError> {
        Ok(HttpResponseOk(clock_view(rqctx.context())))
    }

    async fn advance_clock(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<ClockAdvance>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError> {
        let advance = json_body(&body, r#"{"seconds": 90}"#)?;
        let by_ms = advance
            .seconds
            .saturating_mul(1000)
            .saturating_add(advance.millis);
        // The clock stops at the end of year 9999, however far it is moved.
        let by_ms = i64::try_from(by_ms).unwrap_or(i64::MAX);
        blocking(&rqctx, move |app| {
            app.engine.advance_clock(by_ms).map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(clock_view(rqctx.context())))
    }

    async fn freeze_clock(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError> {
        let cx = rqctx.context();
        cx.app.engine.clock().freeze();
        Ok(HttpResponseOk(clock_view(cx)))
    }

    async fn unfreeze_clock(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError> {
        let cx = rqctx.context();
        cx.app.engine.clock().unfreeze();
        Ok(HttpResponseOk(clock_view(cx)))
    }

    async fn create_webhook(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
        body: JsonInput<WebhookSubscribe>,
    ) -> Result<HttpResponseCreated<WebhookView>, HttpError> {
        let input = json_body(
            &body,
            r#"{"url": "http://127.0.0.1:7070/sink/mine", "events": ["campaign.paused"]}"#,
        )?;
        let record = blocking(&rqctx, move |app| {
            app.engine
                .create_webhook(&path.into_inner().workspace_id, &input.url, &input.events)
                .map_err(http_error)
        })
        .await?;
        let secret = Some(record.secret.clone());
        Ok(HttpResponseCreated(WebhookView {
            signing_secret: secret,
            ..webhook_view(record)
        }))
    }

    async fn list_webhooks(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
    ) -> Result<HttpResponseOk<Listing<WebhookView>>, HttpError> {
        let records = blocking(&rqctx, move |app| {
            app.engine
                .list_webhooks(&path.into_inner().workspace_id)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(Listing {
            items: records.into_iter().map(webhook_view).collect(),
        }))
    }

    async fn list_deliveries(
        rqctx: RequestContext<FaceContext>,
        query: Query<DeliveryQuery>,
    ) -> Result<HttpResponseOk<Listing<DeliveryView>>, HttpError> {
        let items = blocking(&rqctx, move |app| {
            app.engine
                .list_deliveries(&map::delivery_query(query.into_inner()))
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(Listing {
            items: items.into_iter().map(map::delivery).collect(),
        }))
    }

    async fn redeliver_delivery(
        rqctx: RequestContext<FaceContext>,
        path: Path<DeliveryPath>,
    ) -> Result<HttpResponseOk<DeliveryView>, HttpError> {
        let id = path.into_inner().delivery_id;
        let delivery = blocking(&rqctx, move |app| {
            app.engine.redeliver(&id).map_err(|e| match e {
                EngineError::Invalid(message) => HttpError::for_not_found(None, message),
                other => http_error(other),
            })
        })
        .await?;
        Ok(HttpResponseOk(map::delivery(delivery)))
    }

    async fn receive_into_sink(
        rqctx: RequestContext<FaceContext>,
        path: Path<SinkPath>,
        query: Query<SinkAnswer>,
        body: UntypedBody,
    ) -> Result<EmptyReply, HttpError> {
        let app = &rqctx.context().app;
        let status = query.into_inner().status.unwrap_or(200);
        let status = http::StatusCode::from_u16(status)
            .ok()
            .filter(|s| (200..600).contains(&s.as_u16()))
            .ok_or_else(|| {
                HttpError::for_bad_request(None, "status must be from 200 to 599".into())
            })?;
        let headers = rqctx
            .request
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    value.to_str().unwrap_or("<binary>").to_string(),
                )
            })
            .collect();
        let request = SinkRequest {
            at: Iso8601::from_millis(app.engine.clock().now_ms()),
            headers,
            body: String::from_utf8_lossy(body.as_bytes()).into_owned(),
            answered: status.as_u16(),
        };
        let mut sinks = app.sinks.lock().unwrap_or_else(|p| p.into_inner());
        sinks
            .entry(path.into_inner().name)
            .or_default()
            .push(request);
        Ok(EmptyReply(Reply::empty(status)))
    }

    async fn list_sink_requests(
        rqctx: RequestContext<FaceContext>,
        path: Path<SinkPath>,
    ) -> Result<HttpResponseOk<Listing<SinkRequest>>, HttpError> {
        let sinks = rqctx
            .context()
            .app
            .sinks
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let items = sinks
            .get(&path.into_inner().name)
            .cloned()
            .unwrap_or_default();
        Ok(HttpResponseOk(Listing { items }))
    }

    async fn inject_fault(
        rqctx: RequestContext<FaceContext>,
        body: JsonInput<FaultCreate>,
    ) -> Result<HttpResponseCreated<FaultView>, HttpError> {
        Ok(HttpResponseCreated(rqctx.context().app.faults.arm(
            &json_body(
                &body,
                r#"{"dialect": "alta", "operationId": "pauseCampaign", "kind": "error"}"#,
            )?,
        )))
    }

    async fn list_faults(
        rqctx: RequestContext<FaceContext>,
    ) -> Result<HttpResponseOk<Listing<FaultView>>, HttpError> {
        Ok(HttpResponseOk(Listing {
            items: rqctx.context().app.faults.list(),
        }))
    }

    async fn list_workspace_campaigns(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
        query: Query<CampaignListQuery>,
    ) -> Result<HttpResponseOk<Listing<CampaignView>>, HttpError> {
        let limit = query.into_inner().limit.unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            return Err(HttpError::for_bad_request(
                None,
                "limit must be 1 to 1000".into(),
            ));
        }
        let id = path.into_inner().workspace_id;
        let page = blocking(&rqctx, move |app| {
            app.engine.workspace(&id).map_err(http_error)?;
            app.engine
                .list_campaigns(&id, campaign_engine::PageFrom::Start, limit)
                .map_err(http_error)
        })
        .await?;
        Ok(HttpResponseOk(Listing {
            items: page
                .items
                .into_iter()
                .map(|(_, c)| map::campaign(c))
                .collect(),
        }))
    }

    async fn list_requests(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
        query: Query<RequestLogQuery>,
    ) -> Result<HttpResponseOk<Listing<LoggedRequest>>, HttpError> {
        let id = path.into_inner().workspace_id;
        let query = log_query(query)?;
        let items = blocking(&rqctx, move |app| {
            app.engine.workspace(&id).map_err(http_error)?;
            Ok(app.requests.list(Ring::Workspace(&id), &query))
        })
        .await?;
        Ok(HttpResponseOk(Listing { items }))
    }

    async fn clear_requests(
        rqctx: RequestContext<FaceContext>,
        path: Path<WorkspacePath>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError> {
        let id = path.into_inner().workspace_id;
        blocking(&rqctx, move |app| {
            app.engine.workspace(&id).map_err(http_error)?;
            app.requests.clear(Ring::Workspace(&id));
            Ok(())
        })
        .await?;
        Ok(HttpResponseUpdatedNoContent())
    }

    async fn list_face_requests(
        rqctx: RequestContext<FaceContext>,
        path: Path<FacePath>,
        query: Query<RequestLogQuery>,
    ) -> Result<HttpResponseOk<Listing<LoggedRequest>>, HttpError> {
        let ring = Ring::Face(path.into_inner().face);
        let items = rqctx.context().app.requests.list(ring, &log_query(query)?);
        Ok(HttpResponseOk(Listing { items }))
    }

    async fn clear_face_requests(
        rqctx: RequestContext<FaceContext>,
        path: Path<FacePath>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError> {
        let ring = Ring::Face(path.into_inner().face);
        rqctx.context().app.requests.clear(ring);
        Ok(HttpResponseUpdatedNoContent())
    }
}
