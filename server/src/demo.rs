//! The demo world (`campaignd serve --demo`): each vendor page's samples
//! work against a fresh server with only the host changed. Loading is
//! idempotent: an existing demo workspace is left as it is.

use campaign_api::sandbox::Dialect;
use campaign_engine::{
    ApiKeyCreate, CampaignSeed, CampaignSettings, Channel, EngineStatus, ProspectSeed, StepSeed,
    WorkspaceCreate,
};

use campaign_engine::{Engine, EngineError};

/// Alta's demo token.
pub const ALTA_TOKEN: &str = "alta_demo_token";
/// Alta's demo campaign.
pub const ALTA_CAMPAIGN: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

/// VoiceGenie's demo key (the page's placeholder).
pub const VOICEGENIE_KEY: &str = "your-api-key-here";
/// VoiceGenie's demo campaign.
pub const VOICEGENIE_CAMPAIGN: &str = "550e8400-e29b-41d4-a716-446655440000";

/// Leadterra's demo key.
pub const LEADTERRA_KEY: &str = "sk_live_YOUR_KEY";
/// Leadterra's demo campaign.
pub const LEADTERRA_CAMPAIGN: &str = "camp_123";

/// Loads every demo row that is not there yet.
pub fn load(engine: &Engine) -> Result<(), EngineError> {
    load_alta(engine)?;
    load_voicegenie(engine)?;
    load_leadterra(engine)?;
    load_leadlex(engine)?;
    load_woodpecker(engine)
}

/// Woodpecker's demo keys: the Java and Node.js samples send
/// `YOUR_API_KEY`, the curl sample `{YOUR_API_KEY}`.
pub const WOODPECKER_KEYS: [&str; 2] = ["YOUR_API_KEY", "{YOUR_API_KEY}"];
/// Woodpecker's demo campaign.
pub const WOODPECKER_CAMPAIGN: &str = "12345";

/// RUNNING, with prospects whose first emails are queued.
fn load_woodpecker(engine: &Engine) -> Result<(), EngineError> {
    let keys: &[(&str, &[&str])] = &[(WOODPECKER_KEYS[0], &[]), (WOODPECKER_KEYS[1], &[])];
    if !demo_workspace(engine, "woodpecker-demo", Dialect::Woodpecker, keys)? {
        return Ok(());
    }
    let prospect = |email: &str| ProspectSeed {
        email: Some(email.into()),
        ..ProspectSeed::default()
    };
    engine.create_campaign(
        "woodpecker-demo",
        &CampaignSeed {
            id: Some(WOODPECKER_CAMPAIGN.into()),
            name: "Cold outreach - SaaS founders".into(),
            description: None,
            status: Some(EngineStatus::Active),
            steps: vec![
                StepSeed {
                    channel: Channel::Email,
                    delay_seconds: 7_200,
                    subject: Some("Idea".into()),
                    body: None,
                },
                StepSeed {
                    channel: Channel::Email,
                    delay_seconds: 3 * 86_400,
                    subject: Some("Re: Idea".into()),
                    body: None,
                },
            ],
            prospects: vec![
                prospect("founder@acme.example"),
                prospect("ceo@initech.example"),
            ],
            settings: None,
            script_id: None,
            scheduled_at: None,
        },
    )?;
    Ok(())
}

/// Leadlex's read-and-write demo key.
pub const LEADLEX_KEY: &str = "wbk_your_api_key_here";
/// Leadlex's read-only demo key.
pub const LEADLEX_READONLY_KEY: &str = "wbk_readonly_demo_key";
/// Leadlex's demo campaign.
pub const LEADLEX_CAMPAIGN: &str = "cmp_abc123";

/// Active, with contacts whose first emails are queued.
fn load_leadlex(engine: &Engine) -> Result<(), EngineError> {
    let keys: &[(&str, &[&str])] = &[
        (LEADLEX_KEY, &["campaigns:read", "campaigns:write"]),
        (LEADLEX_READONLY_KEY, &["campaigns:read"]),
    ];
    if !demo_workspace(engine, "leadlex-demo", Dialect::Leadlex, keys)? {
        return Ok(());
    }
    let contact = |first: &str, last: &str| ProspectSeed {
        email: Some(format!(
            "{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        )),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        ..ProspectSeed::default()
    };
    let email = |delay_seconds: u64, subject: &str| StepSeed {
        channel: Channel::Email,
        delay_seconds,
        subject: Some(subject.into()),
        body: Some("Hello {{first_name}}".into()),
    };
    engine.create_campaign(
        "leadlex-demo",
        &CampaignSeed {
            id: Some(LEADLEX_CAMPAIGN.into()),
            name: "Spring outreach".into(),
            description: Some("Demo campaign of the Leadlex face".into()),
            status: Some(EngineStatus::Active),
            steps: vec![email(1_800, "Intro"), email(3 * 86_400, "Follow-up")],
            prospects: vec![
                contact("Jane", "Doe"),
                contact("John", "Roe"),
                contact("Ana", "Lima"),
            ],
            settings: None,
            script_id: None,
            scheduled_at: None,
        },
    )?;
    Ok(())
}

/// Running, with leads whose first emails are queued (due in an hour).
fn load_leadterra(engine: &Engine) -> Result<(), EngineError> {
    if !demo_workspace(
        engine,
        "leadterra-demo",
        Dialect::Leadterra,
        &[(LEADTERRA_KEY, &[])],
    )? {
        return Ok(());
    }
    let email = |delay_seconds: u64, subject: &str| StepSeed {
        channel: Channel::Email,
        delay_seconds,
        subject: Some(subject.into()),
        body: Some("<p>Hi {{firstName}},</p>".into()),
    };
    let lead = |first: &str, company: &str| ProspectSeed {
        email: Some(format!(
            "{}@{}.example",
            first.to_lowercase(),
            company.to_lowercase()
        )),
        first_name: Some(first.into()),
        company: Some(company.into()),
        job_title: Some("Head of Growth".into()),
        ..ProspectSeed::default()
    };
    engine.create_campaign(
        "leadterra-demo",
        &CampaignSeed {
            id: Some(LEADTERRA_CAMPAIGN.into()),
            name: "Q1 outbound".into(),
            description: None,
            status: Some(EngineStatus::Active),
            steps: vec![
                email(3_600, "Quick question"),
                email(2 * 86_400, "Following up"),
                email(2 * 86_400, "Last note"),
            ],
            prospects: vec![
                lead("Maya", "Northwind"),
                lead("Omar", "Contoso"),
                lead("Lena", "Fabrikam"),
            ],
            settings: None,
            script_id: None,
            scheduled_at: None,
        },
    )?;
    Ok(())
}

/// Creates a demo workspace and its keys; false if it exists already.
fn demo_workspace(
    engine: &Engine,
    id: &str,
    dialect: Dialect,
    keys: &[(&str, &[&str])],
) -> Result<bool, EngineError> {
    let workspace = WorkspaceCreate {
        id: Some(id.into()),
        dialect: dialect.tag().to_string(),
        name: Some(format!("{dialect:?} demo workspace")),
        requires_approval: false,
    };
    match engine.create_workspace(&workspace) {
        Ok(_) => {}
        Err(EngineError::Conflict(_)) => return Ok(false),
        Err(e) => return Err(e),
    }
    for (key, scopes) in keys {
        let key = ApiKeyCreate {
            key: key.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            expires_at: None,
            rate_tier: None,
        };
        engine.create_api_key(id, &key, true)?;
    }
    Ok(true)
}

/// Running with exactly 3 calls in progress: three contacts, one call step
/// due at once, and calls that last a day, so the page's first pause
/// answers `active_calls: 3`.
fn load_voicegenie(engine: &Engine) -> Result<(), EngineError> {
    if !demo_workspace(
        engine,
        "voicegenie-demo",
        Dialect::Voicegenie,
        &[(VOICEGENIE_KEY, &[])],
    )? {
        return Ok(());
    }
    let contact = |phone: &str, name: &str| ProspectSeed {
        phone: Some(phone.into()),
        first_name: Some(name.into()),
        ..ProspectSeed::default()
    };
    engine.create_campaign(
        "voicegenie-demo",
        &CampaignSeed {
            id: Some(VOICEGENIE_CAMPAIGN.into()),
            name: "Renewal reminders".into(),
            description: None,
            status: Some(EngineStatus::Active),
            steps: vec![StepSeed {
                channel: Channel::Call,
                delay_seconds: 0,
                subject: None,
                body: None,
            }],
            prospects: vec![
                contact("+14155550101", "Ada"),
                contact("+14155550102", "Grace"),
                contact("+14155550103", "Alan"),
            ],
            settings: Some(CampaignSettings {
                call_duration_seconds: 86_400,
                ..CampaignSettings::default()
            }),
            script_id: Some("script_renewal_v2".into()),
            scheduled_at: None,
        },
    )?;
    Ok(())
}

fn load_alta(engine: &Engine) -> Result<(), EngineError> {
    if !demo_workspace(engine, "alta-demo", Dialect::Alta, &[(ALTA_TOKEN, &[])])? {
        return Ok(());
    }
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
            scheduled_at: None,
        },
    )?;
    Ok(())
}
