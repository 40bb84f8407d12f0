//! World files: a whole sandbox set-up as data (`serve --world FILE`,
//! `--demo`, `GET /world`, `campaignd world export|schema`).
//!
//! Loading is all or nothing: the file is parsed (a mistake is refused
//! with its file, line, column and field), then loaded into a scratch
//! in-memory engine (so every rule the sandbox API applies is checked),
//! and its keys are looked up in the real store; only then is anything
//! written, in one group commit (a crash while loading keeps none of it).
//! A workspace that exists already is left as it is, as the demo world
//! always did, so a restart on the same data keeps its state.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use campaign_api::sandbox::{
    ApiKeyCreate, CampaignSeed, CampaignSettings, EngineStatus, FaultCreate, FaultKind,
    ProspectSeed, RateLimits, StepSeed, WebhookSubscribe, World, WorldWorkspace,
};
use campaign_api::wire::Iso8601;
use campaign_engine::{Engine, EngineError, PageFrom};

use crate::faces::sandbox::map;
use crate::faults::Faults;
use crate::registry::Registry;

/// The demo world, as checked in.
pub const DEMO: &str = include_str!("../../worlds/demo.yaml");
/// Its name in messages.
pub const DEMO_NAME: &str = "worlds/demo.yaml";

/// The demo world (`serve --demo`).
pub fn demo() -> World {
    parse(DEMO_NAME, DEMO).expect("the checked-in demo world parses (tested)")
}

/// Why a world was refused: where, which field, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldError {
    /// The file (or `GET /world`'s caller's name for it).
    pub file: String,
    /// Line and column (1-based), where the parser knows them.
    pub at: Option<(usize, usize)>,
    /// The field, as a path: `workspaces[0].campaigns[1].status`.
    pub field: String,
    /// What was wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.at {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}: {}", self.field, self.message)
    }
}

impl std::error::Error for WorldError {}

/// Whether a file name means JSON (else YAML).
fn is_json(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".json")
}

/// Parses a world file's text; `name` (its path) chooses JSON or YAML.
pub fn parse(name: &str, text: &str) -> Result<World, WorldError> {
    let refuse = |at, path: String, message: String| WorldError {
        file: name.to_string(),
        at,
        field: match path.as_str() {
            "." => "(the document)".to_string(),
            _ => path,
        },
        message,
    };
    if is_json(name) {
        let mut de = serde_json::Deserializer::from_str(text);
        let world: World = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let at = Some((e.inner().line(), e.inner().column()));
            let message = strip_location(&e.inner().to_string());
            refuse(at, e.path().to_string(), message)
        })?;
        de.end().map_err(|e| {
            let at = Some((e.line(), e.column()));
            refuse(at, ".".into(), strip_location(&e.to_string()))
        })?;
        Ok(world)
    } else {
        let de = serde_yaml::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.inner().location().map(|l| (l.line(), l.column()));
            let message = strip_location(&e.inner().to_string());
            refuse(at, e.path().to_string(), message)
        })
    }
}

/// A parser's message without the position it appends (given apart).
fn strip_location(message: &str) -> String {
    let cut = [" at line ", " at position "]
        .iter()
        .filter_map(|marker| message.find(marker))
        .min()
        .unwrap_or(message.len());
    let message = &message[..cut];
    // serde_yaml prefixes the path it knows; the field is given apart.
    match message.split_once(": ") {
        Some((head, rest)) if head.contains('.') && !head.contains(' ') => rest.to_string(),
        _ => message.to_string(),
    }
}

/// Reads and parses a world file.
pub fn read(path: &Path) -> Result<World, WorldError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| WorldError {
        file: name.clone(),
        at: None,
        field: "(the file)".into(),
        message: format!("cannot be read: {e}"),
    })?;
    parse(&name, &text)
}

/// Loads `world` into `engine` and `faults`, all or nothing (see the
/// module's documentation). `demo` marks its keys as the demo world's:
/// they work only while the server runs with `--demo`.
pub fn load(
    engine: &Engine,
    faults: &Faults,
    file: &str,
    world: &World,
    demo: bool,
) -> Result<(), WorldError> {
    let fail = |field: String, message: String| WorldError {
        file: file.to_string(),
        at: None,
        field,
        message,
    };
    // Every rule, on a scratch engine first.
    let scratch = campaign_engine::in_memory_virtual(Arc::new(Registry));
    for (i, workspace) in world.workspaces.iter().enumerate() {
        create_workspace(&scratch, workspace, demo)
            .map_err(|(field, e)| fail(format!("workspaces[{i}]{field}"), e))?;
    }
    // Keys select their workspace, so they are unique across the store.
    let existing: Vec<String> = engine
        .list_workspaces()
        .map_err(|e| fail("(the store)".into(), e.to_string()))?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let new = |w: &&WorldWorkspace| !existing.contains(&w.id);
    for (i, workspace) in world.workspaces.iter().enumerate().filter(|(_, w)| new(w)) {
        for (k, key) in workspace.keys.iter().enumerate() {
            let found = engine
                .find_key(&key.key)
                .map_err(|e| fail("(the store)".into(), e.to_string()))?;
            if let Some(record) = found {
                return Err(fail(
                    format!("workspaces[{i}].keys[{k}].key"),
                    format!(
                        "the key {:?} belongs to workspace {:?} already; keys select their workspace, so each is unique",
                        key.key, record.workspace.id
                    ),
                ));
            }
        }
    }
    // One group commit: a crash while loading leaves none of the world.
    let (created, committed) = engine.hold(|| {
        for (i, workspace) in world.workspaces.iter().enumerate().filter(|(_, w)| new(w)) {
            create_workspace(engine, workspace, demo)
                .map_err(|(field, e)| fail(format!("workspaces[{i}]{field}"), e))?;
        }
        Ok(())
    });
    created?;
    if !committed {
        return Err(fail(
            "(the store)".into(),
            "the world could not be committed; nothing of it was kept".into(),
        ));
    }
    for fault in &world.faults {
        faults.arm(fault);
    }
    Ok(())
}

/// Creates one workspace and everything in it; on error, the field (below
/// the workspace) and the message.
fn create_workspace(
    engine: &Engine,
    workspace: &WorldWorkspace,
    demo: bool,
) -> Result<(), (String, String)> {
    let at = |field: String| move |e: EngineError| (field.clone(), e.to_string());
    engine
        .create_workspace(&map::workspace_create(
            campaign_api::sandbox::WorkspaceCreate {
                id: Some(workspace.id.clone()),
                dialect: workspace.dialect,
                name: workspace.name.clone(),
                requires_approval: workspace.requires_approval,
            },
        ))
        .map_err(at(".id".into()))?;
    if let Some(limits) = &workspace.rate_limits {
        map::check_rate_limits(limits).map_err(|message| (".rateLimits".to_string(), message))?;
        engine
            .set_rate_limits(&workspace.id, &map::rate_limits(limits.clone()))
            .map_err(at(".rateLimits".into()))?;
    }
    for (k, key) in workspace.keys.iter().enumerate() {
        engine
            .create_api_key(&workspace.id, &map::api_key_create(key), demo)
            .map_err(at(format!(".keys[{k}]")))?;
    }
    for (c, campaign) in workspace.campaigns.iter().enumerate() {
        engine
            .create_campaign(&workspace.id, &map::campaign_seed(campaign.clone()))
            .map_err(at(format!(".campaigns[{c}]")))?;
    }
    for (h, webhook) in workspace.webhooks.iter().enumerate() {
        engine
            .create_webhook(&workspace.id, &webhook.url, &webhook.events)
            .map_err(at(format!(".webhooks[{h}]")))?;
    }
    Ok(())
}

/// The world as it stands: what loading it into an empty server would set
/// up again (progress, such as sends made, is not part of a world).
pub fn export(engine: &Engine, faults: &Faults) -> Result<World, EngineError> {
    let mut workspaces = Vec::new();
    for workspace in engine.list_workspaces()? {
        let workspace = map::workspace(workspace);
        let keys = engine
            .api_keys(&workspace.id)?
            .into_iter()
            .map(|key| ApiKeyCreate {
                key: key.key,
                scopes: key.scopes,
                expires_at: key.expires_at.map(Iso8601),
                rate_tier: key.rate_tier.as_deref().and_then(map::tier_from_tag),
            })
            .collect();
        let mut campaigns = Vec::new();
        let mut from = PageFrom::Start;
        loop {
            let page = engine.list_campaigns(&workspace.id, from, 100)?;
            let last = page.items.last().map(|(seq, _)| *seq);
            for (_, campaign) in page.items {
                let prospects = engine.campaign_prospects(Some(&workspace.id), &campaign.id)?;
                campaigns.push(campaign_seed(
                    map::campaign(campaign),
                    prospects.into_iter().map(map::prospect).collect(),
                ));
            }
            match (page.more_after, last) {
                (true, Some(seq)) => from = PageFrom::After(seq),
                _ => break,
            }
        }
        let webhooks = engine
            .list_webhooks(&workspace.id)?
            .into_iter()
            .map(|w| WebhookSubscribe {
                url: w.url,
                events: w.events,
            })
            .collect();
        workspaces.push(WorldWorkspace {
            id: workspace.id,
            dialect: workspace.dialect,
            name: Some(workspace.name),
            requires_approval: workspace.requires_approval,
            rate_limits: Some(workspace.rate_limits).filter(|l| *l != RateLimits::default()),
            keys,
            campaigns,
            webhooks,
        });
    }
    let faults = faults
        .list()
        .into_iter()
        .map(|f| FaultCreate {
            dialect: f.dialect,
            operation_id: f.operation_id,
            count: Some(f.remaining),
            kind: f.kind,
            delay_ms: (f.kind == FaultKind::Delay).then_some(f.delay_ms),
        })
        .collect();
    Ok(World { workspaces, faults })
}

/// The seed that creates a campaign as it stands.
fn campaign_seed(
    campaign: campaign_api::sandbox::CampaignView,
    prospects: Vec<campaign_api::sandbox::ProspectView>,
) -> CampaignSeed {
    let draft = campaign.status == EngineStatus::Draft;
    CampaignSeed {
        id: Some(campaign.id),
        name: campaign.name,
        description: campaign.description,
        status: (!draft).then_some(campaign.status),
        steps: campaign
            .steps
            .into_iter()
            .map(|s| StepSeed {
                channel: s.channel,
                delay_seconds: s.delay_seconds,
                subject: s.subject,
                body: s.body,
            })
            .collect(),
        prospects: prospects
            .into_iter()
            .map(|p| ProspectSeed {
                id: Some(p.id),
                email: p.email,
                first_name: p.first_name,
                last_name: p.last_name,
                company: p.company,
                job_title: p.job_title,
                phone: p.phone,
                linkedin_url: p.linkedin_url,
                status: Some(p.status),
            })
            .collect(),
        settings: (campaign.settings != CampaignSettings::default()).then_some(campaign.settings),
        script_id: campaign.script_id,
        scheduled_at: campaign.scheduled_at.filter(|_| draft),
    }
}

/// A world as text: JSON, or YAML; absent and empty values are left out.
pub fn to_text(world: &World, json: bool) -> String {
    let mut value = serde_json::to_value(world).expect("a world serializes");
    prune(&mut value);
    if json {
        serde_json::to_string_pretty(&value).expect("JSON serializes") + "\n"
    } else {
        serde_yaml::to_string(&value).expect("YAML serializes")
    }
}

/// Removes nulls, `false`, and empty lists and objects from objects.
fn prune(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(prune);
            map.retain(|_, v| match v {
                serde_json::Value::Null | serde_json::Value::Bool(false) => false,
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::Object(o) => !o.is_empty(),
                _ => true,
            });
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(prune),
        _ => {}
    }
}

/// The world file's JSON Schema (`worlds/world.schema.json`).
pub fn schema() -> String {
    let schema = schemars::schema_for!(World);
    serde_json::to_string_pretty(&schema).expect("a schema serializes") + "\n"
}
