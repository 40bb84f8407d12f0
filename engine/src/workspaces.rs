//! Workspaces (tenants) and their API keys. A key lookup is cached: every
//! request authenticates, and keys change rarely.

use std::sync::Arc;

use rusqlite::{OptionalExtension, params};

use crate::Engine;
use crate::error::{EngineError, EngineResult};
use crate::ids::valid_workspace_id;
use crate::rows::{WORKSPACE_SELECT, load_workspace, workspace_from_row};
use crate::transaction::exec;
use crate::types::{ApiKeyCreate, KeyRecord, RateLimits, Workspace, WorkspaceCreate};

impl Engine {
    /// Creates a workspace.
    pub fn create_workspace(&self, input: &WorkspaceCreate) -> EngineResult<Workspace> {
        self.transact(|tx, now| {
            let id = match &input.id {
                Some(id) if id.trim().is_empty() => {
                    return Err(EngineError::Invalid(
                        "workspace id must not be empty".into(),
                    ));
                }
                Some(id) if !valid_workspace_id(id) => {
                    return Err(EngineError::Invalid(
                        "workspace id must not contain control characters".into(),
                    ));
                }
                Some(id) => id.clone(),
                None => format!("ws_{}", uuid::Uuid::new_v4().simple()),
            };
            let name = input.name.clone().unwrap_or_else(|| id.clone());
            let inserted = exec(
                tx,
                "INSERT INTO workspaces (id, dialect, name, requires_approval, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
                params![id, input.dialect, name, input.requires_approval, now],
            )?;
            if inserted == 0 {
                return Err(EngineError::Conflict(format!("workspace {id:?} exists")));
            }
            load_workspace(tx, &id)
        })
    }

    /// One workspace.
    pub fn workspace(&self, id: &str) -> EngineResult<Workspace> {
        self.read_undispatched(|tx| load_workspace(tx, id))
    }

    /// Every workspace, oldest first.
    pub fn list_workspaces(&self) -> EngineResult<Vec<Workspace>> {
        self.read_undispatched(|tx| {
            let mut stmt = tx.prepare_cached(&format!("{WORKSPACE_SELECT} ORDER BY seq"))?;
            let rows = stmt.query_map([], workspace_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// Replaces a workspace's rate-limit overrides.
    pub fn set_rate_limits(&self, id: &str, limits: &RateLimits) -> EngineResult<Workspace> {
        self.transact(|tx, _| {
            // Under the engine lock, which every cache fill also holds.
            self.forget_keys();
            let changed = exec(
                tx,
                "UPDATE workspaces SET per_minute = ?2, per_day = ?3, prospects_per_minute = ?4
                 WHERE id = ?1",
                params![
                    id,
                    limits.per_minute,
                    limits.per_day,
                    limits.prospects_per_minute
                ],
            )?;
            if changed == 0 {
                return Err(EngineError::WorkspaceNotFound);
            }
            load_workspace(tx, id)
        })
    }

    /// Creates an API key with an exact string.
    pub fn create_api_key(
        &self,
        workspace_id: &str,
        input: &ApiKeyCreate,
        demo: bool,
    ) -> EngineResult<()> {
        if input.key.is_empty() || input.key.chars().any(|c| c.is_control()) {
            return Err(EngineError::Invalid(
                "key must be non-empty printable text".into(),
            ));
        }
        self.transact(|tx, now| {
            load_workspace(tx, workspace_id)?;
            let scopes = serde_json::to_string(&input.scopes).expect("strings serialize");
            let inserted = exec(
                tx,
                "INSERT INTO api_keys (key, workspace_id, scopes, expires_at, demo, created_at, tier)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (key) DO NOTHING",
                params![
                    input.key,
                    workspace_id,
                    scopes,
                    input.expires_at.map(|t| t.timestamp_millis()),
                    demo,
                    now,
                    input.rate_tier
                ],
            )?;
            if inserted == 0 {
                return Err(EngineError::Conflict("that key string is in use".into()));
            }
            Ok(())
        })
    }

    /// Looks a key up (no expiry or scope check: faces decide).
    /// A workspace's keys, in creation order (a world's export).
    pub fn api_keys(&self, workspace_id: &str) -> EngineResult<Vec<ApiKeyCreate>> {
        self.read_undispatched(|tx| {
            load_workspace(tx, workspace_id)?;
            let mut stmt = tx.prepare_cached(
                "SELECT key, scopes, expires_at, tier FROM api_keys
                 WHERE workspace_id = ?1 ORDER BY created_at, rowid",
            )?;
            let rows = stmt.query_map(params![workspace_id], |r| {
                Ok(ApiKeyCreate {
                    key: r.get(0)?,
                    scopes: serde_json::from_str(&r.get::<_, String>(1)?).unwrap_or_default(),
                    expires_at: r.get::<_, Option<i64>>(2)?.map(crate::types::time),
                    rate_tier: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// The record of `key` if the key cache holds it: never waits for the
    /// engine lock, so an async task may call it (on `None`,
    /// [`Engine::find_key`] looks in the store, and may wait). Shared, not
    /// copied: every authenticated request reads one.
    pub fn cached_key(&self, key: &str) -> Option<Arc<KeyRecord>> {
        self.keys
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// The record of `key` (its workspace, scopes, expiry), from the cache
    /// or, on a miss, from the store: a key that exists is read under the
    /// engine lock, to be cached (so it may wait for the writer's batch:
    /// async callers run it on the blocking pool).
    pub fn find_key(&self, key: &str) -> EngineResult<Option<Arc<KeyRecord>>> {
        if let Some(record) = self.cached_key(key) {
            return Ok(Some(record));
        }
        // A key no reader finds is refused without the engine lock (a
        // database file's readers never wait for the writer), so a burst
        // of unknown keys does not queue behind a busy engine.
        let known: bool = self.read_undispatched(|tx| {
            Ok(tx
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM api_keys WHERE key = ?1)")?
                .query_row(params![key], |r| r.get(0))?)
        })?;
        if !known {
            return Ok(None);
        }
        let state = self.lock();
        let found = state
            .conn
            .prepare_cached(
                "SELECT workspace_id, scopes, expires_at, demo, tier FROM api_keys WHERE key = ?1",
            )?
            .query_row(params![key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .optional()?;
        let Some((workspace_id, scopes, expires_at_ms, demo, tier)) = found else {
            return Ok(None);
        };
        let record = Arc::new(KeyRecord {
            key: key.to_string(),
            tier,
            workspace: load_workspace(&state.conn, &workspace_id)?,
            scopes: serde_json::from_str(&scopes).unwrap_or_default(),
            expires_at_ms,
            demo,
        });
        // Filled under the engine lock, so a concurrent change (which clears
        // the cache under the same lock's protection) cannot be overtaken.
        // A batch that fails to commit clears the cache, so a row read from
        // an open batch is never cached beyond its batch's failure.
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), Arc::clone(&record));
        Ok(Some(record))
    }

    pub(crate) fn forget_keys(&self) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
