//! The sandbox control API (port P): set up and observe a world without
//! touching the database. It has no authentication and is meant to listen
//! on loopback only.

use dropshot::{
    HttpError, HttpResponseCreated, HttpResponseOk, HttpResponseUpdatedNoContent, RequestContext,
};

use crate::wire::JsonInput;

mod control;
mod requests;
mod world;
mod world_file;

pub use control::*;
pub use requests::*;
pub use world::*;
pub use world_file::*;

/// The sandbox control API.
#[dropshot::api_description]
pub trait SandboxApi {
    /// Server state shared by every handler.
    type Context;

    /// Reset the world
    ///
    /// Deletes every workspace, key, campaign, prospect, send and fault, and
    /// rewinds a virtual clock to its start. A server started with `--demo`
    /// or `--world FILE` loads that world again.
    #[endpoint { method = POST, path = "/reset", tags = ["World"], operation_id = "resetWorld" }]
    async fn reset_world(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError>;

    /// Export the world
    ///
    /// The world as it stands, in the world file format
    /// (`worlds/world.schema.json`): every workspace with its keys, rate
    /// limits, campaigns (steps, prospects and their states) and webhooks,
    /// and the armed faults. `campaignd serve --world FILE` loads it again;
    /// `campaignd world export` writes it as YAML. Progress (sends made,
    /// deliveries, timestamps, the clock) is not part of a world.
    #[endpoint { method = GET, path = "/world", tags = ["World"], operation_id = "exportWorld" }]
    async fn export_world(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<World>, HttpError>;

    /// Create a workspace
    ///
    /// Creates a tenant that speaks one vendor's API. A duplicate id is a 409.
    #[endpoint { method = POST, path = "/workspaces", tags = ["Workspaces"], operation_id = "createWorkspace" }]
    async fn create_workspace(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<WorkspaceCreate>,
    ) -> Result<HttpResponseCreated<Workspace>, HttpError>;

    /// List workspaces
    ///
    /// Every workspace, oldest first.
    #[endpoint { method = GET, path = "/workspaces", tags = ["Workspaces"], operation_id = "listWorkspaces" }]
    async fn list_workspaces(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Listing<Workspace>>, HttpError>;

    /// Set a workspace's rate limits
    ///
    /// Replaces the workspace's rate-limit overrides; absent values fall
    /// back to the vendor's defaults. Counters start afresh.
    #[endpoint { method = PUT, path = "/workspaces/{workspaceId}/rate-limits", tags = ["Workspaces"], operation_id = "setRateLimits" }]
    async fn set_rate_limits(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<RateLimits>,
    ) -> Result<HttpResponseOk<Workspace>, HttpError>;

    /// Create an API key
    ///
    /// Creates a key with an exact string, scopes and optional expiry. A key
    /// string already in use is a 409.
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/keys", tags = ["Keys"], operation_id = "createApiKey" }]
    async fn create_api_key(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<ApiKeyCreate>,
    ) -> Result<HttpResponseCreated<ApiKey>, HttpError>;

    /// Create a campaign
    ///
    /// Creates a campaign with an explicit id, status, steps and prospects.
    /// The id must fit the workspace's dialect (a UUID for Alta and
    /// VoiceGenie, an integer for Woodpecker). An id already in use in the
    /// workspace is a 409; other workspaces may hold the same id (each
    /// workspace is a namespace of campaign and prospect ids).
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/campaigns", tags = ["Campaigns"], operation_id = "createCampaign", request_body_max_bytes = 16777216 }]
    async fn create_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<CampaignSeed>,
    ) -> Result<HttpResponseCreated<CampaignView>, HttpError>;

    /// Get a campaign
    ///
    /// The campaign with its steps and send counters. An id that several
    /// workspaces hold is a 409 naming them (read it through the
    /// workspace's own API); so for every sandbox operation that takes a
    /// campaign or prospect id.
    #[endpoint { method = GET, path = "/campaigns/{campaignId}", tags = ["Campaigns"], operation_id = "getCampaign" }]
    async fn get_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError>;

    /// List a campaign's prospects
    ///
    /// Every prospect with its status and position, in enrolment order.
    #[endpoint { method = GET, path = "/campaigns/{campaignId}/prospects", tags = ["Campaigns"], operation_id = "listCampaignProspects" }]
    async fn list_campaign_prospects(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<Listing<ProspectView>>, HttpError>;

    /// Approve a campaign
    ///
    /// Approves a campaign waiting in `pending_approval` (Leadlex workspaces
    /// that require approval): it becomes active and dispatches. Any other
    /// status is a 409.
    #[endpoint { method = POST, path = "/campaigns/{campaignId}/approve", tags = ["Campaigns"], operation_id = "approveCampaign" }]
    async fn approve_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError>;

    /// Simulate a bounce
    ///
    /// The prospect's last delivered email bounced: the send becomes
    /// failed, the prospect `bounced` and out of the sequence, and
    /// Leadterra's `message.bounced` event is recorded. A prospect that
    /// already bounced or replied is a 409.
    #[endpoint { method = POST, path = "/prospects/{prospectId}/bounce", tags = ["Prospects"], operation_id = "bounceProspect" }]
    async fn bounce_prospect(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<ProspectIdPath>,
    ) -> Result<HttpResponseOk<ProspectView>, HttpError>;

    /// Simulate a reply
    ///
    /// The prospect replied: it becomes `replied` and leaves the sequence,
    /// and Leadterra's `reply.received` event is recorded. A prospect that
    /// already bounced or replied is a 409.
    #[endpoint { method = POST, path = "/prospects/{prospectId}/reply", tags = ["Prospects"], operation_id = "replyProspect" }]
    async fn reply_prospect(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<ProspectIdPath>,
    ) -> Result<HttpResponseOk<ProspectView>, HttpError>;

    /// Launch a campaign
    ///
    /// Launches a draft campaign (Alta has no launch endpoint): it becomes
    /// active and every active prospect's first step is queued. Launching a
    /// campaign that is not a draft is a 409.
    #[endpoint { method = POST, path = "/campaigns/{campaignId}/launch", tags = ["Campaigns"], operation_id = "launchCampaign" }]
    async fn launch_campaign(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<CampaignIdPath>,
    ) -> Result<HttpResponseOk<CampaignView>, HttpError>;

    /// List sends
    ///
    /// The send log: every send with its prospect, step, channel, state and
    /// timestamps, in queue order.
    #[endpoint { method = GET, path = "/sends", tags = ["Sends"], operation_id = "listSends" }]
    async fn list_sends(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<SendQuery>,
    ) -> Result<HttpResponseOk<Listing<SendView>>, HttpError>;

    /// Read the clock
    ///
    /// The sandbox clock's mode and current time.
    #[endpoint { method = GET, path = "/clock", tags = ["Clock"], operation_id = "getClock" }]
    async fn get_clock(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError>;

    /// Advance the clock
    ///
    /// Moves a virtual clock forward and runs everything that falls due on
    /// the way, in time order. The clock stops at 9999-12-31T23:59:59Z.
    /// With the real clock this is a 409.
    #[endpoint { method = POST, path = "/clock/advance", tags = ["Clock"], operation_id = "advanceClock" }]
    async fn advance_clock(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<ClockAdvance>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError>;

    /// Freeze the clock
    ///
    /// Stops a real clock where it is: no send starts or completes, no
    /// retry falls due, until `unfreezeClock`. A virtual clock stands still
    /// between advances already and is left as it is. Freezing a frozen
    /// clock changes nothing.
    #[endpoint { method = POST, path = "/clock/freeze", tags = ["Clock"], operation_id = "freezeClock" }]
    async fn freeze_clock(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError>;

    /// Unfreeze the clock
    ///
    /// A frozen real clock follows the wall clock again (it has moved on
    /// meanwhile, so what fell due while frozen runs at once). Any other
    /// clock is left as it is.
    #[endpoint { method = POST, path = "/clock/unfreeze", tags = ["Clock"], operation_id = "unfreezeClock" }]
    async fn unfreeze_clock(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<ClockView>, HttpError>;

    /// Subscribe a webhook
    ///
    /// Subscribes a URL to a workspace's events, in the workspace's vendor
    /// format and signature (Leadlex: `X-LeadLex-Signature: sha256=<hex>`,
    /// `X-LeadLex-Timestamp`, `X-LeadLex-Delivery-ID`, `User-Agent:
    /// LeadLex-Webhook/1.0`; Leadterra: `X-Leadterra-Signature`). The
    /// vendors require https; the sandbox also accepts plain http on
    /// loopback. The signing secret is in this answer only.
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/webhooks", tags = ["Webhooks"], operation_id = "createWebhook" }]
    async fn create_webhook(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        body: JsonInput<WebhookSubscribe>,
    ) -> Result<HttpResponseCreated<WebhookView>, HttpError>;

    /// List a workspace's webhooks
    ///
    /// Subscriptions, oldest first, without their secrets.
    #[endpoint { method = GET, path = "/workspaces/{workspaceId}/webhooks", tags = ["Webhooks"], operation_id = "listWebhooks" }]
    async fn list_webhooks(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
    ) -> Result<HttpResponseOk<Listing<WebhookView>>, HttpError>;

    /// List deliveries
    ///
    /// Every event delivery with its state, next retry and attempts
    /// (status codes, errors), oldest first.
    #[endpoint { method = GET, path = "/deliveries", tags = ["Webhooks"], operation_id = "listDeliveries" }]
    async fn list_deliveries(
        rqctx: RequestContext<Self::Context>,
        query: dropshot::Query<DeliveryQuery>,
    ) -> Result<HttpResponseOk<Listing<DeliveryView>>, HttpError>;

    /// Redeliver
    ///
    /// Makes a delivery due now again (same id and body), whatever its
    /// state.
    #[endpoint { method = POST, path = "/deliveries/{deliveryId}/redeliver", tags = ["Webhooks"], operation_id = "redeliverDelivery" }]
    async fn redeliver_delivery(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<DeliveryPath>,
    ) -> Result<HttpResponseOk<DeliveryView>, HttpError>;

    /// Receive into a sink
    ///
    /// A built-in webhook receiver: records the request (headers and raw
    /// body) and answers `status` (200 to 599, default 200) with no body.
    #[endpoint { method = POST, path = "/sink/{name}", tags = ["Webhooks"], operation_id = "receiveIntoSink", request_body_max_bytes = 1048576 }]
    async fn receive_into_sink(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<SinkPath>,
        query: dropshot::Query<SinkAnswer>,
        body: dropshot::UntypedBody,
    ) -> Result<crate::wire::EmptyReply, HttpError>;

    /// Read a sink
    ///
    /// What a sink received, oldest first.
    #[endpoint { method = GET, path = "/sink/{name}", tags = ["Webhooks"], operation_id = "listSinkRequests" }]
    async fn list_sink_requests(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<SinkPath>,
    ) -> Result<HttpResponseOk<Listing<SinkRequest>>, HttpError>;

    /// Inject a fault
    ///
    /// The next `count` requests to the named operation of a face fail with
    /// that face's internal-error answer, or are delayed by `delayMs`.
    #[endpoint { method = POST, path = "/faults", tags = ["Faults"], operation_id = "injectFault" }]
    async fn inject_fault(
        rqctx: RequestContext<Self::Context>,
        body: JsonInput<FaultCreate>,
    ) -> Result<HttpResponseCreated<FaultView>, HttpError>;

    /// List armed faults
    ///
    /// Faults that have not yet been used up.
    #[endpoint { method = GET, path = "/faults", tags = ["Faults"], operation_id = "listFaults" }]
    async fn list_faults(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Listing<FaultView>>, HttpError>;

    /// List a workspace's campaigns
    ///
    /// The workspace's campaigns in creation order, each with its status
    /// and send counters (at most `limit`, default 100).
    #[endpoint { method = GET, path = "/workspaces/{workspaceId}/campaigns", tags = ["Campaigns"], operation_id = "listWorkspaceCampaigns" }]
    async fn list_workspace_campaigns(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        query: dropshot::Query<CampaignListQuery>,
    ) -> Result<HttpResponseOk<Listing<CampaignView>>, HttpError>;

    /// Read a workspace's request log
    ///
    /// The requests the workspace's keys made to its face, newest first:
    /// method, path, status, latency, and both bodies (credentials and
    /// fields named like a key, token, secret or password are masked).
    /// The log keeps each workspace's last 500 requests.
    #[endpoint { method = GET, path = "/workspaces/{workspaceId}/requests", tags = ["Requests"], operation_id = "listRequests" }]
    async fn list_requests(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
        query: dropshot::Query<RequestLogQuery>,
    ) -> Result<HttpResponseOk<Listing<LoggedRequest>>, HttpError>;

    /// Clear a workspace's request log
    ///
    /// Forgets every request logged for the workspace; new ones are logged
    /// as before (the log itself stays: reading it gives an empty list).
    #[endpoint { method = POST, path = "/workspaces/{workspaceId}/requests/clear", tags = ["Requests"], operation_id = "clearRequests" }]
    async fn clear_requests(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<WorkspacePath>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError>;

    /// Read a face's log of requests that reached no workspace
    ///
    /// Requests to a face that no key of any workspace selected (a missing,
    /// unknown or expired key, an unknown path, a wrong method), newest
    /// first; the last 500 per face.
    #[endpoint { method = GET, path = "/faces/{face}/requests", tags = ["Requests"], operation_id = "listFaceRequests" }]
    async fn list_face_requests(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<FacePath>,
        query: dropshot::Query<RequestLogQuery>,
    ) -> Result<HttpResponseOk<Listing<LoggedRequest>>, HttpError>;

    /// Clear a face's log of requests that reached no workspace
    ///
    /// Forgets every request the face logged without a workspace.
    #[endpoint { method = POST, path = "/faces/{face}/requests/clear", tags = ["Requests"], operation_id = "clearFaceRequests" }]
    async fn clear_face_requests(
        rqctx: RequestContext<Self::Context>,
        path: dropshot::Path<FacePath>,
    ) -> Result<HttpResponseUpdatedNoContent, HttpError>;
}
