//! Workspaces are namespaces: two workspaces may hold the same campaign or
//! prospect id and never see each other's. The database keys a campaign
//! or prospect by its workspace and its public id joined with
//! [`SEPARATOR`] (a control character no workspace id may hold), so every
//! statement that finds a row by its key stays as it was; the public id is
//! kept beside it (`public_id`, indexed) for the sandbox's lookups that
//! name no workspace. Commands turn public ids into keys on the way in,
//! and every view turns keys back into public ids on the way out.

use rusqlite::{Connection, params};

use crate::error::{EngineError, EngineResult};

/// Joins a workspace id and a public id into a key (ASCII unit separator).
pub(crate) const SEPARATOR: char = '\u{1f}';

/// The key of `public` in workspace `workspace`.
pub(crate) fn key(workspace: &str, public: &str) -> String {
    format!("{workspace}{SEPARATOR}{public}")
}

/// The public id of a key (a text without a separator is its own).
pub(crate) fn public(key: &str) -> &str {
    key.split_once(SEPARATOR).map_or(key, |(_, id)| id)
}

/// The public id of a key, owned.
pub(crate) fn public_owned(key: String) -> String {
    match key.split_once(SEPARATOR) {
        Some((_, id)) => id.to_string(),
        None => key,
    }
}

/// The workspace part of a key.
pub(crate) fn workspace_of(key: &str) -> &str {
    key.split_once(SEPARATOR)
        .map_or("", |(workspace, _)| workspace)
}

/// Whether a workspace id can be part of a key.
pub(crate) fn valid_workspace_id(id: &str) -> bool {
    !id.chars().any(char::is_control)
}

/// The key of campaign `id`: in `workspace` when one is given, otherwise
/// the one campaign of any workspace with that public id (several are a
/// conflict the caller must resolve through a workspace's own API).
pub(crate) fn campaign_key(
    tx: &Connection,
    workspace: Option<&str>,
    id: &str,
) -> EngineResult<String> {
    key_in(tx, "campaigns", workspace, id).map_err(|e| e.unwrap_or(EngineError::CampaignNotFound))
}

/// The key of prospect `id`, as [`campaign_key`] finds a campaign's.
pub(crate) fn prospect_key(
    tx: &Connection,
    workspace: Option<&str>,
    id: &str,
) -> EngineResult<String> {
    key_in(tx, "prospects", workspace, id).map_err(|e| e.unwrap_or(EngineError::ProspectNotFound))
}

/// The key of `id` in `table`; `Err(None)` when no workspace holds it.
fn key_in(
    tx: &Connection,
    table: &str,
    workspace: Option<&str>,
    id: &str,
) -> Result<String, Option<EngineError>> {
    if let Some(workspace) = workspace {
        return Ok(key(workspace, id));
    }
    let keys: Vec<String> = tx
        .prepare_cached(&format!(
            "SELECT id FROM {table} WHERE public_id = CAST(?1 AS TEXT) ORDER BY id LIMIT 4"
        ))
        .and_then(|mut stmt| stmt.query_map(params![id], |r| r.get(0))?.collect())
        .map_err(|e| Some(e.into()))?;
    match keys.as_slice() {
        [] => Err(None),
        [one] => Ok(one.clone()),
        several => Err(Some(EngineError::Conflict(format!(
            "{} id {id:?} is in several workspaces ({}): use a workspace's own API",
            table.trim_end_matches('s'),
            several
                .iter()
                .map(|k| workspace_of(k))
                .collect::<Vec<_>>()
                .join(", ")
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let k = key("ws-a", "camp_123");
        assert_eq!(public(&k), "camp_123");
        assert_eq!(workspace_of(&k), "ws-a");
        assert_eq!(public_owned(k), "camp_123");
        assert_eq!(public("plain"), "plain");
        assert!(valid_workspace_id("acme-1"));
        assert!(!valid_workspace_id("a\u{1f}b"));
    }
}
