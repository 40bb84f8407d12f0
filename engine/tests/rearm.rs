//! What a command makes due is dispatched on time, without a scan of
//! every campaign: a created campaign's first sends, a scheduled draft's
//! launch, a resumed prospect's held send. Each check fails if the
//! command does not report what it made due (the engine would then skip
//! dispatch until something else woke it).

use std::sync::Arc;

use campaign_engine::{
    CampaignIds, CampaignSeed, Channel, Engine, EngineStatus, IdScheme, ProspectIds, ProspectSeed,
    SendQuery, SendState, StepSeed, Uniform, WorkspaceCreate, in_memory_virtual, time,
};

const WS: &str = "ws";

fn engine() -> Engine {
    let engine = in_memory_virtual(Arc::new(Uniform(IdScheme {
        campaigns: CampaignIds::Prefixed("camp_"),
        prospects: ProspectIds::Text,
    })));
    engine
        .create_workspace(&WorkspaceCreate {
            id: Some(WS.into()),
            dialect: "rearm".into(),
            name: None,
            requires_approval: false,
        })
        .unwrap();
    engine
}

fn seed(id: &str, status: EngineStatus, delay_seconds: u64) -> CampaignSeed {
    CampaignSeed {
        id: Some(id.into()),
        status: Some(status),
        steps: vec![StepSeed {
            channel: Channel::Email,
            delay_seconds,
            subject: None,
            body: None,
        }],
        prospects: vec![ProspectSeed {
            id: Some(format!("{id}_p")),
            ..ProspectSeed::default()
        }],
        ..CampaignSeed::named(id.into())
    }
}

fn states(engine: &Engine, campaign: &str) -> Vec<SendState> {
    engine
        .list_sends(&SendQuery {
            campaign_id: Some(campaign.into()),
            ..SendQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|s| s.state)
        .collect()
}

#[test]
fn a_created_campaign_whose_first_step_is_due_now_starts_it_at_once() {
    let engine = engine();
    // Another campaign with a send far away sets the next event late.
    engine
        .create_campaign(WS, &seed("camp_later", EngineStatus::Active, 86_400))
        .unwrap();
    engine
        .create_campaign(WS, &seed("camp_now", EngineStatus::Active, 0))
        .unwrap();
    assert_eq!(states(&engine, "camp_now"), [SendState::InFlight]);
    assert_eq!(
        engine
            .campaign(None, "camp_now")
            .unwrap()
            .counters
            .in_flight,
        1
    );
}

#[test]
fn a_scheduled_draft_launches_when_the_clock_reaches_its_time() {
    let engine = engine();
    let at = engine.clock().now_ms() + 60_000;
    engine
        .create_campaign(
            WS,
            &CampaignSeed {
                scheduled_at: Some(time(at)),
                ..seed("camp_scheduled", EngineStatus::Draft, 0)
            },
        )
        .unwrap();
    engine.advance_clock(59_000).unwrap();
    assert_eq!(
        engine.campaign(None, "camp_scheduled").unwrap().status,
        EngineStatus::Draft
    );
    engine.advance_clock(1_000).unwrap();
    let campaign = engine.campaign(None, "camp_scheduled").unwrap();
    assert_eq!(campaign.status, EngineStatus::Active);
    assert_eq!(states(&engine, "camp_scheduled"), [SendState::InFlight]);
}

#[test]
fn a_resumed_prospect_whose_send_fell_due_while_paused_sends_at_once() {
    let engine = engine();
    engine
        .create_campaign(WS, &seed("camp_held", EngineStatus::Active, 10))
        .unwrap();
    engine.set_prospect_paused(WS, "camp_held_p", true).unwrap();
    engine.advance_clock(20_000).unwrap();
    assert_eq!(states(&engine, "camp_held"), [SendState::Queued]);
    engine
        .set_prospect_paused(WS, "camp_held_p", false)
        .unwrap();
    assert_eq!(states(&engine, "camp_held"), [SendState::InFlight]);
}
