//! The demo world (`campaignd serve --demo`): each vendor page's samples
//! work against a fresh server with only the host changed. Loading is
//! idempotent: an existing demo workspace is left as it is.

use campaign_api::sandbox::{
    ApiKeyCreate, CampaignSeed, Channel, Dialect, EngineStatus, ProspectSeed, StepSeed,
    WorkspaceCreate,
};

use crate::engine::{Engine, EngineError};

/// Alta's demo token.
pub const ALTA_TOKEN: &str = "alta_demo_token";
/// Alta's demo campaign.
pub const ALTA_CAMPAIGN: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// Loads every demo row that is not there yet.
pub fn load(engine: &Engine) -> Result<(), EngineError> {
    load_alta(engine)
}

fn load_alta(engine: &Engine) -> Result<(), EngineError> {
    let workspace = WorkspaceCreate {
        id: Some("alta-demo".into()),
        dialect: Dialect::Alta,
        name: Some("Alta demo account".into()),
        requires_approval: false,
    };
    match engine.create_workspace(&workspace) {
        Ok(_) => {}
        Err(EngineError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e),
    }
    engine.create_api_key(
        "alta-demo",
        &ApiKeyCreate {
            key: ALTA_TOKEN.into(),
            scopes: Vec::new(),
            expires_at: None,
        },
        true,
    )?;
    let prospect = |first: &str, last: &str, company: &str| ProspectSeed {
        id: None,
        email: Some(format!(
            "{}.{}@{}.example",
            first.to_lowercase(),
            last.to_lowercase(),
            company.to_lowercase()
        )),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        company: Some(company.into()),
        ..ProspectSeed::default()
    };
    let step = |channel: Channel, delay_seconds: u64, subject: Option<&str>| StepSeed {
        channel,
        delay_seconds,
        subject: subject.map(str::to_string),
        body: Some("Hi {{firstName}}, ...".into()),
    };
    engine.create_campaign(
        "alta-demo",
        &CampaignSeed {
            id: Some(ALTA_CAMPAIGN.into()),
            name: "Q3 Outbound - Enterprise".into(),
            description: Some(
                "Demo campaign: three touches across email, LinkedIn and phone".into(),
            ),
            status: Some(EngineStatus::Active),
            steps: vec![
                step(Channel::Email, 3600, Some("Quick question")),
                step(Channel::Linkedin, 2 * 86_400, None),
                step(Channel::Call, 3 * 86_400, None),
            ],
            prospects: vec![
                prospect("Ada", "Lovelace", "Analytical"),
                prospect("Grace", "Hopper", "Cobol"),
                prospect("Alan", "Turing", "Bletchley"),
                prospect("Edsger", "Dijkstra", "Mathematisch"),
            ],
            settings: None,
            script_id: None,
        },
    )?;
    Ok(())
}
