//! The world the engine's guarantee tests share: a workspace and one
//! active campaign of three prospects and three steps.

#![allow(dead_code)]

use std::sync::Arc;

use campaign_engine::{
    CampaignIds, CampaignSeed, CampaignSettings, Channel, Clock, Engine, EngineStatus, IdScheme,
    ProspectIds, ProspectSeed, StepSeed, Uniform, VIRTUAL_EPOCH_MS, WorkspaceCreate,
    in_memory_virtual, store,
};

pub const WS: &str = "ws";
pub const CAMPAIGN: &str = "camp_props";
pub const PROSPECTS: usize = 3;
/// (channel, delay in seconds) of each step.
pub const STEPS: [(Channel, u64); 3] = [
    (Channel::Email, 10),
    (Channel::Call, 20),
    (Channel::Email, 5),
];
pub const EMAIL_SECS: u64 = 30;
pub const CALL_SECS: u64 = 60;

pub fn dialects() -> Arc<Uniform> {
    Arc::new(Uniform(IdScheme {
        campaigns: CampaignIds::Prefixed("camp_"),
        prospects: ProspectIds::Text,
    }))
}

/// The engine over the database in `dir`, as a restarted server opens it
/// (its virtual clock comes back from the database).
pub fn open(dir: &std::path::Path) -> Engine {
    let conn = store::open(store::Location::Dir(dir)).unwrap();
    Engine::new(conn, Clock::virtual_at(VIRTUAL_EPOCH_MS), dialects()).unwrap()
}

pub fn world() -> Engine {
    seeded(in_memory_virtual(dialects()))
}

/// `engine` with the workspace and the active campaign of the tests.
pub fn seeded(engine: Engine) -> Engine {
    engine
        .create_workspace(&WorkspaceCreate {
            id: Some(WS.into()),
            dialect: "props".into(),
            name: None,
            requires_approval: false,
        })
        .unwrap();
    engine
        .create_campaign(
            WS,
            &CampaignSeed {
                id: Some(CAMPAIGN.into()),
                name: "props".into(),
                description: None,
                status: Some(EngineStatus::Active),
                steps: steps(),
                prospects: prospects("p", PROSPECTS),
                settings: Some(CampaignSettings {
                    email_transit_seconds: EMAIL_SECS,
                    call_duration_seconds: CALL_SECS,
                    linkedin_seconds: 10,
                }),
                script_id: None,
                scheduled_at: None,
            },
        )
        .unwrap();
    engine
}

/// The [`STEPS`] as seeds.
pub fn steps() -> Vec<StepSeed> {
    STEPS
        .iter()
        .map(|&(channel, delay_seconds)| StepSeed {
            channel,
            delay_seconds,
            subject: None,
            body: None,
        })
        .collect()
}

/// `count` prospects with ids `{prefix}0`, `{prefix}1`, ...
pub fn prospects(prefix: &str, count: usize) -> Vec<ProspectSeed> {
    (0..count)
        .map(|n| ProspectSeed {
            id: Some(format!("{prefix}{n}")),
            ..ProspectSeed::default()
        })
        .collect()
}
