//! The sandbox API's wire types and the engine's domain types, field by
//! field: what the control API takes becomes an engine command's input,
//! and what the engine answers becomes the control API's body.

use campaign_api::sandbox as wire;
use campaign_api::wire::Iso8601;
use campaign_engine as domain;

/// Maps an enum whose variants have the same names on both sides: to the
/// wire, and (when a name for it is given) from the wire.
macro_rules! same_variants {
    ($name:ident, $to_wire:ident, [$($variant:ident),+ $(,)?]) => {
        /// The wire value of a domain value.
        pub fn $to_wire(value: domain::$name) -> wire::$name {
            match value { $(domain::$name::$variant => wire::$name::$variant),+ }
        }
    };
    ($name:ident, $to_wire:ident, $to_domain:ident, [$($variant:ident),+ $(,)?]) => {
        same_variants!($name, $to_wire, [$($variant),+]);
        /// The domain value of a wire value.
        pub fn $to_domain(value: wire::$name) -> domain::$name {
            match value { $(wire::$name::$variant => domain::$name::$variant),+ }
        }
    };
}

same_variants!(
    EngineStatus,
    status,
    engine_status,
    [Draft, Active, Paused, Stopped, PendingApproval, Completed]
);
same_variants!(Channel, channel, engine_channel, [Email, Call, Linkedin]);
same_variants!(
    ProspectState,
    prospect_state,
    engine_prospect_state,
    [Active, Paused, Completed, Bounced, Replied]
);
same_variants!(SendState, send_state, [Queued, InFlight, Delivered, Failed]);
same_variants!(
    DeliveryState,
    delivery_state,
    [Pending, Sending, Delivered, Failed]
);
same_variants!(ClockMode, clock_mode, [Real, Virtual, Frozen]);

fn at(time: Option<domain::Time>) -> Option<Iso8601> {
    time.map(Iso8601)
}

/// The stored text of a Leadlex rate tier.
pub fn tier_tag(tier: wire::RateTier) -> &'static str {
    match tier {
        wire::RateTier::Starter => "starter",
        wire::RateTier::Pro => "pro",
        wire::RateTier::Org => "org",
    }
}

/// The rate tier of a stored text.
pub fn tier_from_tag(tag: &str) -> Option<wire::RateTier> {
    [
        wire::RateTier::Starter,
        wire::RateTier::Pro,
        wire::RateTier::Org,
    ]
    .into_iter()
    .find(|tier| tier_tag(*tier) == tag)
}

/// A rate limit of 0 would refuse everything: each is at least 1.
pub fn check_rate_limits(limits: &wire::RateLimits) -> Result<(), String> {
    if [
        limits.per_minute,
        limits.per_day,
        limits.prospects_per_minute,
    ]
    .contains(&Some(0))
    {
        return Err("a rate limit must be at least 1".into());
    }
    Ok(())
}

/// `createWorkspace`'s body.
pub fn workspace_create(input: wire::WorkspaceCreate) -> domain::WorkspaceCreate {
    domain::WorkspaceCreate {
        id: input.id,
        dialect: input.dialect.tag().to_string(),
        name: input.name,
        requires_approval: input.requires_approval,
    }
}

/// `setRateLimits`'s body.
pub fn rate_limits(input: wire::RateLimits) -> domain::RateLimits {
    domain::RateLimits {
        per_minute: input.per_minute,
        per_day: input.per_day,
        prospects_per_minute: input.prospects_per_minute,
    }
}

/// `createApiKey`'s body.
pub fn api_key_create(input: &wire::ApiKeyCreate) -> domain::ApiKeyCreate {
    domain::ApiKeyCreate {
        key: input.key.clone(),
        scopes: input.scopes.clone(),
        expires_at: input.expires_at.map(|t| t.0),
        rate_tier: input.rate_tier.map(|t| tier_tag(t).to_string()),
    }
}

/// A prospect to enroll.
pub fn prospect_seed(seed: wire::ProspectSeed) -> domain::ProspectSeed {
    domain::ProspectSeed {
        id: seed.id,
        email: seed.email,
        first_name: seed.first_name,
        last_name: seed.last_name,
        company: seed.company,
        job_title: seed.job_title,
        phone: seed.phone,
        linkedin_url: seed.linkedin_url,
        status: seed.status.map(engine_prospect_state),
    }
}

/// `createCampaign`'s body.
pub fn campaign_seed(seed: wire::CampaignSeed) -> domain::CampaignSeed {
    domain::CampaignSeed {
        id: seed.id,
        name: seed.name,
        description: seed.description,
        status: seed.status.map(engine_status),
        steps: seed
            .steps
            .into_iter()
            .map(|step| domain::StepSeed {
                channel: engine_channel(step.channel),
                delay_seconds: step.delay_seconds,
                subject: step.subject,
                body: step.body,
            })
            .collect(),
        prospects: seed.prospects.into_iter().map(prospect_seed).collect(),
        settings: seed.settings.map(|s| domain::CampaignSettings {
            email_transit_seconds: s.email_transit_seconds,
            call_duration_seconds: s.call_duration_seconds,
            linkedin_seconds: s.linkedin_seconds,
        }),
        script_id: seed.script_id,
        scheduled_at: seed.scheduled_at.map(|t| t.0),
    }
}

/// `listSends`'s query.
pub fn send_query(query: wire::SendQuery) -> domain::SendQuery {
    domain::SendQuery {
        campaign_id: query.campaign_id,
        after_id: query.after_id,
        limit: query.limit,
    }
}

/// `listDeliveries`'s query.
pub fn delivery_query(query: wire::DeliveryQuery) -> domain::DeliveryQuery {
    domain::DeliveryQuery {
        webhook_id: query.webhook_id,
        event: query.event,
    }
}

/// A workspace.
pub fn workspace(value: domain::Workspace) -> wire::Workspace {
    wire::Workspace {
        id: value.id,
        // Only the registry's dialects are ever stored.
        dialect: wire::Dialect::from_tag(&value.dialect).unwrap_or(wire::Dialect::Alta),
        name: value.name,
        rate_limits: wire::RateLimits {
            per_minute: value.rate_limits.per_minute,
            per_day: value.rate_limits.per_day,
            prospects_per_minute: value.rate_limits.prospects_per_minute,
        },
        requires_approval: value.requires_approval,
        created_at: Iso8601(value.created_at),
    }
}

/// A campaign.
pub fn campaign(value: domain::CampaignView) -> wire::CampaignView {
    wire::CampaignView {
        id: value.id,
        workspace_id: value.workspace_id,
        name: value.name,
        description: value.description,
        status: status(value.status),
        is_archived: value.is_archived,
        created_at: Iso8601(value.created_at),
        updated_at: Iso8601(value.updated_at),
        launched_at: at(value.launched_at),
        paused_at: at(value.paused_at),
        started_at: at(value.started_at),
        settings: wire::CampaignSettings {
            email_transit_seconds: value.settings.email_transit_seconds,
            call_duration_seconds: value.settings.call_duration_seconds,
            linkedin_seconds: value.settings.linkedin_seconds,
        },
        scheduled_at: at(value.scheduled_at),
        script_id: value.script_id,
        steps: value
            .steps
            .into_iter()
            .map(|step| wire::StepView {
                position: step.position,
                channel: channel(step.channel),
                delay_seconds: step.delay_seconds,
                subject: step.subject,
                body: step.body,
            })
            .collect(),
        prospect_count: value.prospect_count,
        counters: wire::SendCounters {
            queued: value.counters.queued,
            in_flight: value.counters.in_flight,
            delivered: value.counters.delivered,
            failed: value.counters.failed,
        },
    }
}

/// A prospect.
pub fn prospect(value: domain::ProspectView) -> wire::ProspectView {
    wire::ProspectView {
        id: value.id,
        campaign_id: value.campaign_id,
        email: value.email,
        first_name: value.first_name,
        last_name: value.last_name,
        company: value.company,
        job_title: value.job_title,
        phone: value.phone,
        linkedin_url: value.linkedin_url,
        status: prospect_state(value.status),
        position: value.position,
        created_at: Iso8601(value.created_at),
        updated_at: Iso8601(value.updated_at),
        last_sent_at: at(value.last_sent_at),
    }
}

/// A send.
pub fn send(value: domain::SendView) -> wire::SendView {
    wire::SendView {
        id: value.id,
        campaign_id: value.campaign_id,
        prospect_id: value.prospect_id,
        step: value.step,
        channel: channel(value.channel),
        state: send_state(value.state),
        due_at: Iso8601(value.due_at),
        started_at: at(value.started_at),
        completes_at: at(value.completes_at),
        finished_at: at(value.finished_at),
    }
}

/// A delivery with its attempts.
pub fn delivery(value: domain::DeliveryView) -> wire::DeliveryView {
    wire::DeliveryView {
        id: value.id,
        webhook_id: value.webhook_id,
        event: value.event,
        body: value.body,
        state: delivery_state(value.state),
        created_at: Iso8601(value.created_at),
        next_attempt_at: at(value.next_attempt_at),
        delivered_at: at(value.delivered_at),
        attempts: value
            .attempts
            .into_iter()
            .map(|a| wire::DeliveryAttempt {
                attempt: a.attempt,
                at: Iso8601(a.at),
                status: a.status,
                error: a.error,
            })
            .collect(),
    }
}
