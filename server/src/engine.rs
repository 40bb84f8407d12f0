//! The campaign engine: campaigns, steps, prospects and sends on a clock.
//!
//! Every command is one SQLite transaction taken under one lock, so state
//! changes are atomic and linearizable. The engine knows nothing about HTTP
//! or vendors: faces translate its results and errors.
//!
//! Dispatch model:
//! - A prospect has a position (its next step). Launching a campaign, or
//!   enrolling a prospect into an active one, queues that step as a send
//!   due `delay` after now; delivering a step queues the next one, due
//!   `delay` after the delivery.
//! - A queued send starts when it is due *and* its campaign and prospect are
//!   active; it is then in flight for the channel's duration (a call's
//!   length, an email's transit) and completes as delivered.
//! - Pausing changes one campaign row: queued sends are held where they are
//!   and nothing is rewritten, so pause and resume are O(1) in the number
//!   of queued sends. In-flight sends complete normally.
//! - `UNIQUE (prospect_id, position)` makes a second send of the same step
//!   impossible, across crashes too.
//! - After a restart, in-flight sends keep their recorded completion time
//!   and complete on schedule (or at once, if it has passed): nothing is
//!   re-sent and nothing is lost.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};

use campaign_api::sandbox::{
    ApiKey, ApiKeyCreate, CampaignSeed, CampaignSettings, CampaignView, Channel, DeliveryAttempt,
    DeliveryQuery, DeliveryState, DeliveryView, Dialect, EngineStatus, ProspectSeed, ProspectState,
    ProspectView, RateLimits, RateTier, SendCounters, SendQuery, SendState, SendView, StepView,
    Workspace, WorkspaceCreate,
};
use campaign_api::wire::Iso8601;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::clock::{Clock, VIRTUAL_EPOCH_MS};
use crate::webhooks::{self, DomainEvent, DueDelivery};

/// What went wrong with an engine command.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No such workspace.
    #[error("workspace not found")]
    WorkspaceNotFound,
    /// No such campaign (in the caller's workspace).
    #[error("campaign not found")]
    CampaignNotFound,
    /// No such prospect (in the caller's workspace).
    #[error("prospect not found")]
    ProspectNotFound,
    /// The campaign's status does not allow the command.
    #[error("campaign is {status:?}")]
    WrongStatus {
        /// The status it is in.
        status: EngineStatus,
    },
    /// The prospect's status does not allow the command.
    #[error("prospect is {status:?}")]
    WrongProspectStatus {
        /// The status it is in.
        status: ProspectState,
    },
    /// Starting needs at least one prospect.
    #[error("campaign has no prospects")]
    NoProspects,
    /// Starting needs at least one step.
    #[error("campaign has no sequence steps")]
    NoSteps,
    /// Something with that identity exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The command's input is not acceptable.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Only a virtual clock can be moved.
    #[error("the clock is real; only a virtual clock can be advanced")]
    ClockIsReal,
    /// Something failed that should not (a bug), and was rolled back.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed.
    #[error("storage failure: {0:#}")]
    Storage(#[from] rusqlite::Error),
}

/// Result of an engine command.
pub type EngineResult<T> = Result<T, EngineError>;

/// The outcome of a state change that may be a no-op.
#[derive(Debug, Clone)]
pub struct Transition<T> {
    /// The object after the command.
    pub value: T,
    /// False when the command found it already in the target state.
    pub changed: bool,
    /// Sends of the campaign in flight when the command was acknowledged.
    pub in_flight: u64,
}

impl Transition<CampaignView> {
    /// The outcome for a campaign, with its in-flight count.
    fn of(value: CampaignView, changed: bool) -> Self {
        let in_flight = value.counters.in_flight;
        Self {
            value,
            changed,
            in_flight,
        }
    }
}

/// How `start` treats each status.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    /// Launch a draft (Leadterra, Leadlex, VoiceGenie); else a draft is
    /// `WrongStatus` (Alta's resume).
    pub launch_drafts: bool,
    /// Also resume paused prospects.
    pub resume_prospects: bool,
    /// Go to `pending_approval` instead of `active` (Leadlex setting).
    pub needs_approval: bool,
}

/// A page request over rows ordered by their sequence number.
#[derive(Debug, Clone, Copy)]
pub enum PageFrom {
    /// From the start.
    Start,
    /// Rows after this sequence number.
    After(i64),
    /// Rows before this sequence number.
    Before(i64),
}

/// One page of rows in ascending order, with their sequence numbers.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows with their sequence numbers.
    pub items: Vec<(i64, T)>,
    /// Whether rows exist after the last one.
    pub more_after: bool,
    /// Whether rows exist before the first one.
    pub more_before: bool,
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub struct WebhookRecord {
    /// Its id.
    pub id: String,
    /// Its workspace.
    pub workspace_id: String,
    /// Where deliveries go.
    pub url: String,
    /// The events it receives.
    pub events: Vec<String>,
    /// The HMAC signing secret.
    pub secret: String,
    /// When it was created (ms).
    pub created_at_ms: i64,
}

/// A key as authentication sees it.
#[derive(Debug, Clone)]
pub struct KeyRecord {
    /// The key string.
    pub key: String,
    /// Its rate tier, if set.
    pub tier: Option<RateTier>,
    /// The key's workspace.
    pub workspace: Workspace,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// When it expires (ms), if ever.
    pub expires_at_ms: Option<i64>,
    /// Whether it belongs to the demo world.
    pub demo: bool,
}

/// How long a claimed delivery may go without an outcome (wall clock).
const CLAIM_LEASE_MS: i64 = 60_000;

/// The error of a command whose batch failed to commit.
fn batch_failed() -> EngineError {
    EngineError::Storage(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
        Some("the batch holding this change failed to commit".into()),
    ))
}

/// Runs a command in a savepoint of the open transaction: on error the
/// command (and the dispatch run before it) rolls back alone.
fn run_savepoint<T>(
    state: &mut State,
    clock: &Clock,
    hooks: bool,
    rearm: Rearm<'_>,
    command: impl FnOnce(&Connection, i64) -> EngineResult<T>,
) -> EngineResult<T> {
    let now = clock.now_ms();
    let (dispatched_before, next_before) = (state.dispatched_to_ms, state.next_event_ms);
    let conn = &state.conn;
    exec(conn, "SAVEPOINT command", [])?;
    let outcome = (|| {
        let mut next = next_before;
        if now >= next {
            next = dispatch_until(conn, dispatched_before, now, hooks)?;
        }
        let dispatched = dispatched_before.max(now);
        let result = command(conn, now)?;
        let due = match rearm {
            Rearm::Nothing => i64::MAX,
            Rearm::Campaign(id) => campaign_next_due(conn, id)?,
            Rearm::Everything => i64::MIN,
        };
        if due <= now {
            next = dispatch_until(conn, dispatched, now, hooks)?;
        } else {
            next = next.min(due);
        }
        Ok((result, dispatched, next))
    })();
    match outcome {
        Ok((result, dispatched, next)) => {
            exec(conn, "RELEASE command", [])?;
            state.dispatched_to_ms = dispatched;
            state.next_event_ms = next;
            Ok(result)
        }
        Err(error) => {
            // The dispatch ran inside the savepoint too: redo it next time.
            state.next_event_ms = i64::MIN;
            let _ = exec(conn, "ROLLBACK TO command", []);
            let _ = exec(conn, "RELEASE command", []);
            Err(error)
        }
    }
}

/// What a command may have made due.
#[derive(Clone, Copy)]
enum Rearm<'a> {
    /// Nothing new.
    Nothing,
    /// Sends of this campaign.
    Campaign(&'a str),
    /// Anything.
    Everything,
}

struct State {
    conn: Connection,
    /// The clock time up to which dispatch has run.
    dispatched_to_ms: i64,
    /// Nothing is due before this time; dispatch is skipped until then.
    next_event_ms: i64,
    /// Group commit: whether a transaction is open, the number of the batch
    /// it belongs to, the last batch committed, and the last that failed.
    open: bool,
    /// `dispatched_to_ms` when the open batch began (restored if it fails).
    batch_dispatched_from: i64,
    batch: u64,
    committed: u64,
    failed: u64,
}

/// The engine; share it behind an `Arc`.
pub struct Engine {
    state: Mutex<State>,
    clock: Clock,
    /// Keys already looked up (every request authenticates): cleared when
    /// a workspace changes or the world is reset.
    keys: RwLock<HashMap<String, KeyRecord>>,
    /// Commands about to take the lock: while there are any, a finished
    /// command leaves the transaction open for them (group commit).
    waiting: AtomicUsize,
    /// Signalled when a batch commits (or fails to).
    batch_done: Condvar,
    /// Whether any webhook exists: without one, recording events is skipped
    /// entirely (no query on the hot path).
    has_webhooks: AtomicBool,
}

/// Rows processed per statement batch while dispatching.
const DISPATCH_BATCH: i64 = 20_000;

impl Engine {
    /// An engine over an opened database and a clock. A virtual clock
    /// resumes from the time stored in the database, if any.
    pub fn new(conn: Connection, clock: Clock) -> EngineResult<Self> {
        let stored: Option<i64> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'virtual_now_ms'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| v.parse().ok());
        if let Some(ms) = stored {
            clock.set_virtual(ms);
        }
        // A delivery caught mid-attempt by a crash is attempted again.
        conn.execute(
            "UPDATE deliveries SET state = 'pending' WHERE state = 'sending'",
            [],
        )?;
        let now = clock.now_ms();
        let engine = Self {
            state: Mutex::new(State {
                conn,
                dispatched_to_ms: now,
                next_event_ms: i64::MIN,
                open: false,
                batch_dispatched_from: now,
                batch: 1,
                committed: 0,
                failed: 0,
            }),
            clock,
            keys: RwLock::new(HashMap::new()),
            waiting: AtomicUsize::new(0),
            batch_done: Condvar::new(),
            has_webhooks: AtomicBool::new(false),
        };
        let any: bool =
            engine
                .lock()
                .conn
                .query_row("SELECT EXISTS (SELECT 1 FROM webhooks)", [], |r| r.get(0))?;
        engine.has_webhooks.store(any, Ordering::SeqCst);
        engine.dispatch()?;
        Ok(engine)
    }

    /// The engine's clock.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Records a domain event in the outbox (see [`webhooks::record`]).
    fn emit(
        &self,
        tx: &Connection,
        workspace_id: &str,
        event: &DomainEvent<'_>,
        now: i64,
    ) -> EngineResult<()> {
        if self.has_webhooks.load(Ordering::SeqCst) {
            webhooks::record(tx, workspace_id, event, now)?;
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change
        // (the transaction rolls back on drop), so a poisoned lock is safe.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `command` in one transaction, after dispatching everything due.
    fn transact<T>(
        &self,
        command: impl FnOnce(&Connection, i64) -> EngineResult<T>,
    ) -> EngineResult<T> {
        self.transact_then(Rearm::Nothing, command)
    }

    /// Like `transact`, for commands that may make sends of `campaign` due
    /// (or of any campaign, for `None`): they are dispatched in the same
    /// transaction when due now, else remembered as the next event.
    fn transact_and_rearm<T>(
        &self,
        campaign: Option<&str>,
        command: impl FnOnce(&Connection, i64) -> EngineResult<T>,
    ) -> EngineResult<T> {
        self.transact_then(campaign.map_or(Rearm::Everything, Rearm::Campaign), command)
    }

    /// Runs one command atomically (a savepoint inside the open batch
    /// transaction), dispatching what is due first, and returns once the
    /// batch holding it is durably committed.
    ///
    /// Group commit: commands that arrive while others run join the same
    /// transaction; the last command of a burst commits it for all. Nobody
    /// is answered before the commit that holds their change, so every
    /// acknowledged change survives a kill -9, and a burst of N commands
    /// pays for one commit instead of N.
    fn transact_then<T>(
        &self,
        rearm: Rearm<'_>,
        command: impl FnOnce(&Connection, i64) -> EngineResult<T>,
    ) -> EngineResult<T> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut guard = self.lock();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let state = &mut *guard;
        if !state.open {
            exec(&state.conn, "BEGIN", [])?;
            state.open = true;
            state.batch_dispatched_from = state.dispatched_to_ms;
        }
        // A panicking command must not leave its half-done writes in the
        // batch: roll its savepoint back and answer an internal error.
        let hooks = self.has_webhooks.load(Ordering::SeqCst);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_savepoint(state, &self.clock, hooks, rearm, command)
        }))
        .unwrap_or_else(|_| {
            let _ = exec(&state.conn, "ROLLBACK TO command", []);
            let _ = exec(&state.conn, "RELEASE command", []);
            state.next_event_ms = i64::MIN;
            Err(EngineError::Internal(
                "a command failed unexpectedly; its changes were rolled back".into(),
            ))
        });
        let my_batch = state.batch;
        // SQLite rolls the whole transaction back by itself after some
        // errors (disk full, I/O): then the batch is lost, not committable.
        let lost = state.conn.is_autocommit();
        if lost || self.waiting.load(Ordering::SeqCst) == 0 {
            // Last of the burst: commit for everyone in the batch.
            let committed = if lost {
                Err(batch_failed())
            } else {
                exec(&state.conn, "COMMIT", []).map_err(EngineError::from)
            };
            state.open = false;
            state.batch += 1;
            match &committed {
                Ok(_) => state.committed = my_batch,
                Err(_) => {
                    let _ = exec(&state.conn, "ROLLBACK", []);
                    state.failed = my_batch;
                    state.next_event_ms = i64::MIN;
                    state.dispatched_to_ms = state.batch_dispatched_from;
                    self.forget_keys();
                }
            }
            self.batch_done.notify_all();
            committed?;
        } else {
            guard = self
                .batch_done
                .wait_while(guard, |s| s.committed < my_batch && s.failed < my_batch)
                .unwrap_or_else(|p| p.into_inner());
            if guard.committed < my_batch {
                return Err(batch_failed());
            }
        }
        outcome
    }

    /// Runs everything due up to the clock's current time.
    pub fn dispatch(&self) -> EngineResult<()> {
        self.transact(|_, _| Ok(()))
    }

    /// Moves a virtual clock forward, running everything due on the way.
    pub fn advance_clock(&self, by_ms: i64) -> EngineResult<i64> {
        let target = self
            .clock
            .now_ms()
            .saturating_add(by_ms.max(0))
            .min(MAX_TIME_MS);
        if !self.clock.set_virtual(target) {
            return Err(EngineError::ClockIsReal);
        }
        // Dispatching up to the new time happens at the start of the command.
        self.transact(|tx, now| {
            exec(
                tx,
                "INSERT INTO meta (key, value) VALUES ('virtual_now_ms', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![now.to_string()],
            )?;
            Ok(now)
        })
    }

    /// Deletes everything and rewinds a virtual clock.
    pub fn reset(&self) -> EngineResult<()> {
        self.transact(|tx, _| {
            crate::store::wipe(tx)?;
            self.forget_keys();
            self.has_webhooks.store(false, Ordering::SeqCst);
            Ok(())
        })?;
        let mut state = self.lock();
        self.clock.rewind_virtual();
        state.dispatched_to_ms = self.clock.now_ms();
        state.next_event_ms = i64::MIN;
        Ok(())
    }

    // ----- workspaces and keys -------------------------------------------

    /// Creates a workspace.
    pub fn create_workspace(&self, input: &WorkspaceCreate) -> EngineResult<Workspace> {
        self.transact(|tx, now| {
            let id = match &input.id {
                Some(id) if id.trim().is_empty() => {
                    return Err(EngineError::Invalid(
                        "workspace id must not be empty".into(),
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
                params![
                    id,
                    dialect_str(input.dialect),
                    name,
                    input.requires_approval,
                    now
                ],
            )?;
            if inserted == 0 {
                return Err(EngineError::Conflict(format!("workspace {id:?} exists")));
            }
            load_workspace(tx, &id)
        })
    }

    /// One workspace.
    pub fn workspace(&self, id: &str) -> EngineResult<Workspace> {
        self.transact(|tx, _| load_workspace(tx, id))
    }

    /// Every workspace, oldest first.
    pub fn list_workspaces(&self) -> EngineResult<Vec<Workspace>> {
        self.transact(|tx, _| {
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
    ) -> EngineResult<ApiKey> {
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
                    input.expires_at.map(|t| t.0.timestamp_millis()),
                    demo,
                    now,
                    input.rate_tier.map(tier_str)
                ],
            )?;
            if inserted == 0 {
                return Err(EngineError::Conflict("that key string is in use".into()));
            }
            Ok(ApiKey {
                key: input.key.clone(),
                workspace_id: workspace_id.to_string(),
                scopes: input.scopes.clone(),
                expires_at: input.expires_at,
                rate_tier: input.rate_tier,
            })
        })
    }

    /// Looks a key up (no expiry or scope check: faces decide).
    pub fn find_key(&self, key: &str) -> EngineResult<Option<KeyRecord>> {
        if let Some(record) = self.keys.read().unwrap_or_else(|p| p.into_inner()).get(key) {
            return Ok(Some(record.clone()));
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
        let record = KeyRecord {
            key: key.to_string(),
            tier: tier.as_deref().map(parse_tier),
            workspace: load_workspace(&state.conn, &workspace_id)?,
            scopes: serde_json::from_str(&scopes).unwrap_or_default(),
            expires_at_ms,
            demo,
        };
        // Filled under the engine lock, so a concurrent change (which clears
        // the cache under the same lock's protection) cannot be overtaken.
        // A batch that fails to commit clears the cache, so a row read from
        // an open batch is never cached beyond its batch's failure.
        self.keys
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), record.clone());
        Ok(Some(record))
    }

    fn forget_keys(&self) {
        self.keys.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    // ----- campaigns -----------------------------------------------------

    /// Creates a campaign with its steps and prospects; `active` launches
    /// it and `paused` launches then pauses it.
    pub fn create_campaign(
        &self,
        workspace_id: &str,
        seed: &CampaignSeed,
    ) -> EngineResult<CampaignView> {
        for step in &seed.steps {
            check_seconds("a step's delaySeconds", step.delay_seconds)?;
        }
        if let Some(settings) = &seed.settings {
            check_seconds("emailTransitSeconds", settings.email_transit_seconds)?;
            check_seconds("callDurationSeconds", settings.call_duration_seconds)?;
            check_seconds("linkedinSeconds", settings.linkedin_seconds)?;
        }
        self.transact_and_rearm(None, |tx, now| {
            let workspace = load_workspace(tx, workspace_id)?;
            let id = match &seed.id {
                Some(id) => {
                    validate_campaign_id(workspace.dialect, id)?;
                    id.clone()
                }
                None => new_campaign_id(tx, workspace.dialect)?,
            };
            let settings = seed.settings.clone().unwrap_or_default();
            let inserted = exec(
                tx,
                "INSERT INTO campaigns (id, workspace_id, name, description, status, created_at,
                     updated_at, email_transit_ms, call_duration_ms, linkedin_ms, script_id,
                     scheduled_at)
                 VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    id,
                    workspace_id,
                    seed.name,
                    seed.description,
                    now,
                    secs_to_ms(settings.email_transit_seconds),
                    secs_to_ms(settings.call_duration_seconds),
                    secs_to_ms(settings.linkedin_seconds),
                    seed.script_id,
                    seed.scheduled_at
                        .filter(
                            |_| seed.status.unwrap_or(EngineStatus::Draft) == EngineStatus::Draft
                        )
                        .map(|at| at.0.timestamp_millis().clamp(0, MAX_TIME_MS)),
                ],
            )?;
            if inserted == 0 {
                return Err(EngineError::Conflict(format!("campaign {id:?} exists")));
            }
            for (position, step) in seed.steps.iter().enumerate() {
                exec(
                    tx,
                    "INSERT INTO steps (campaign_id, position, channel, delay_ms, subject, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        position as i64,
                        channel_str(step.channel),
                        secs_to_ms(step.delay_seconds),
                        step.subject,
                        step.body
                    ],
                )?;
            }
            for prospect_id in seed.prospects.iter().filter_map(|p| p.id.as_deref()) {
                validate_prospect_id(workspace.dialect, prospect_id)?;
            }
            insert_prospects(tx, &id, &seed.prospects, now)?;
            match seed.status.unwrap_or(EngineStatus::Draft) {
                EngineStatus::Draft => {}
                EngineStatus::Active => launch(tx, &id, now, EngineStatus::Active)?,
                EngineStatus::PendingApproval => {
                    launch(tx, &id, now, EngineStatus::PendingApproval)?
                }
                status @ (EngineStatus::Paused | EngineStatus::Stopped) => {
                    launch(tx, &id, now, EngineStatus::Active)?;
                    set_status(tx, &id, status, now)?;
                    exec(
                        tx,
                        "UPDATE campaigns SET paused_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                }
                EngineStatus::Completed => set_status(tx, &id, EngineStatus::Completed, now)?,
            }
            let view = load_campaign(tx, None, &id)?;
            self.emit(tx, workspace_id, &DomainEvent::CampaignCreated(&view), now)?;
            if view.launched_at.is_some() {
                self.emit(tx, workspace_id, &DomainEvent::CampaignStarted(&view), now)?;
            }
            Ok(view)
        })
    }

    /// One campaign, within a workspace when one is given.
    pub fn campaign(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<CampaignView> {
        self.transact(|tx, _| load_campaign(tx, workspace_id, id))
    }

    /// A page of a workspace's campaigns, oldest first.
    pub fn list_campaigns(
        &self,
        workspace_id: &str,
        from: PageFrom,
        limit: u32,
    ) -> EngineResult<Page<CampaignView>> {
        self.transact(|tx, _| {
            let seqs = page_seqs(tx, "campaigns", "workspace_id", workspace_id, from, limit)?;
            let items = seqs
                .into_iter()
                .map(|(seq, id)| Ok((seq, load_campaign(tx, None, &id)?)))
                .collect::<EngineResult<Vec<_>>>()?;
            finish_page(tx, "campaigns", "workspace_id", workspace_id, items)
        })
    }

    /// A page of a workspace's campaigns by offset, oldest first, with the
    /// total count.
    pub fn list_campaigns_by_offset(
        &self,
        workspace_id: &str,
        offset: u64,
        limit: u32,
    ) -> EngineResult<(Vec<CampaignView>, u64)> {
        self.transact(|tx, _| {
            let ids: Vec<String> = tx
                .prepare_cached(
                    "SELECT id FROM campaigns WHERE workspace_id = CAST(?1 AS TEXT)
                     ORDER BY seq LIMIT ?2 OFFSET ?3",
                )?
                .query_map(params![workspace_id, limit, offset as i64], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let total: i64 = tx
                .prepare_cached("SELECT COUNT(*) FROM campaigns WHERE workspace_id = ?1")?
                .query_row(params![workspace_id], |r| r.get(0))?;
            let campaigns = ids
                .iter()
                .map(|id| load_campaign(tx, None, id))
                .collect::<EngineResult<_>>()?;
            Ok((campaigns, total.max(0) as u64))
        })
    }

    /// Launches a draft: it becomes active and first steps are queued.
    pub fn launch(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<CampaignView> {
        self.transact_and_rearm(Some(id), |tx, now| {
            let campaign = load_campaign(tx, workspace_id, id)?;
            if campaign.status != EngineStatus::Draft {
                return Err(EngineError::WrongStatus {
                    status: campaign.status,
                });
            }
            launch(tx, id, now, EngineStatus::Active)?;
            let view = load_campaign(tx, None, id)?;
            self.emit(
                tx,
                &view.workspace_id,
                &DomainEvent::CampaignStarted(&view),
                now,
            )?;
            Ok(view)
        })
    }

    /// Approves a campaign waiting for approval: it becomes active.
    pub fn approve(&self, id: &str) -> EngineResult<CampaignView> {
        self.transact_and_rearm(Some(id), |tx, now| {
            let campaign = load_campaign(tx, None, id)?;
            if campaign.status != EngineStatus::PendingApproval {
                return Err(EngineError::WrongStatus {
                    status: campaign.status,
                });
            }
            set_status(tx, id, EngineStatus::Active, now)?;
            load_campaign(tx, None, id)
        })
    }

    /// Pauses an active campaign: no new send starts; in-flight sends
    /// complete. A paused campaign is an unchanged no-op; any other status
    /// is `WrongStatus`. O(1) in queued sends unless `pause_prospects`.
    pub fn pause(
        &self,
        workspace_id: &str,
        id: &str,
        pause_prospects: bool,
    ) -> EngineResult<Transition<CampaignView>> {
        self.transact(|tx, now| {
            // Compare-and-set: one statement decides and applies the change.
            let changed = exec(
                tx,
                "UPDATE campaigns SET status = 'paused', paused_at = ?3, updated_at = ?3
                 WHERE id = ?1 AND workspace_id = ?2 AND status = 'active'",
                params![id, workspace_id, now],
            )? == 1;
            if !changed {
                match load_campaign(tx, Some(workspace_id), id)?.status {
                    EngineStatus::Paused => {}
                    status => return Err(EngineError::WrongStatus { status }),
                }
            }
            if pause_prospects {
                move_prospects(tx, id, ProspectState::Active, ProspectState::Paused, now)?;
            }
            let value = load_campaign(tx, None, id)?;
            if changed {
                self.emit(tx, workspace_id, &DomainEvent::CampaignPaused(&value), now)?;
            }
            Ok(Transition::of(value, changed))
        })
    }

    /// Stops an active or paused campaign (Woodpecker's STOPPED).
    pub fn stop(&self, workspace_id: &str, id: &str) -> EngineResult<Transition<CampaignView>> {
        self.transact(|tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), id)?;
            let changed = match campaign.status {
                EngineStatus::Active | EngineStatus::Paused | EngineStatus::PendingApproval => {
                    set_status(tx, id, EngineStatus::Stopped, now)?;
                    true
                }
                EngineStatus::Stopped => false,
                status => return Err(EngineError::WrongStatus { status }),
            };
            let value = load_campaign(tx, None, id)?;
            Ok(Transition::of(value, changed))
        })
    }

    /// Starts or resumes a campaign: a draft is launched (if allowed), a
    /// paused or stopped one continues each prospect where it stopped, an
    /// active one is an unchanged no-op.
    pub fn start(
        &self,
        workspace_id: &str,
        id: &str,
        options: StartOptions,
    ) -> EngineResult<Transition<CampaignView>> {
        self.transact_and_rearm(Some(id), |tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), id)?;
            let target = if options.needs_approval {
                EngineStatus::PendingApproval
            } else {
                EngineStatus::Active
            };
            let changed = match campaign.status {
                EngineStatus::Draft if options.launch_drafts => {
                    if campaign.steps.is_empty() {
                        return Err(EngineError::NoSteps);
                    }
                    if campaign.prospect_count == 0 {
                        return Err(EngineError::NoProspects);
                    }
                    launch(tx, id, now, target)?;
                    true
                }
                EngineStatus::Paused | EngineStatus::Stopped => {
                    set_status(tx, id, target, now)?;
                    exec(
                        tx,
                        "UPDATE campaigns SET started_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                    // Everything may have finished while it was held.
                    complete_campaign_if_done(tx, id)?;
                    true
                }
                EngineStatus::Active | EngineStatus::PendingApproval => false,
                status => return Err(EngineError::WrongStatus { status }),
            };
            if options.resume_prospects {
                move_prospects(tx, id, ProspectState::Paused, ProspectState::Active, now)?;
            }
            let value = load_campaign(tx, None, id)?;
            if changed {
                self.emit(tx, workspace_id, &DomainEvent::CampaignStarted(&value), now)?;
            }
            Ok(Transition::of(value, changed))
        })
    }

    /// Deletes a campaign that is not active.
    pub fn delete_campaign(&self, workspace_id: &str, id: &str) -> EngineResult<CampaignView> {
        self.transact(|tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), id)?;
            if campaign.status == EngineStatus::Active {
                return Err(EngineError::WrongStatus {
                    status: campaign.status,
                });
            }
            exec(tx, "DELETE FROM campaigns WHERE id = ?1", params![id])?;
            self.emit(
                tx,
                workspace_id,
                &DomainEvent::CampaignDeleted(&campaign),
                now,
            )?;
            Ok(campaign)
        })
    }

    // ----- prospects -----------------------------------------------------

    /// Enrolls prospects; in an active campaign their first step is queued.
    pub fn add_prospects(
        &self,
        workspace_id: &str,
        campaign_id: &str,
        seeds: &[ProspectSeed],
    ) -> EngineResult<Vec<ProspectView>> {
        self.transact_and_rearm(Some(campaign_id), |tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), campaign_id)?;
            let ids = insert_prospects(tx, campaign_id, seeds, now)?;
            if campaign.launched_at.is_some() {
                let unfinished = |seed: &&ProspectSeed| {
                    matches!(
                        seed.status,
                        None | Some(ProspectState::Active | ProspectState::Paused)
                    )
                };
                for (id, _) in ids.iter().zip(seeds).filter(|(_, seed)| unfinished(seed)) {
                    queue_step(tx, campaign_id, id, 0, now)?;
                }
            }
            reopen_if_completed(tx, campaign_id, now)?;
            let added = DomainEvent::ContactsAdded {
                campaign_id,
                prospect_ids: &ids,
            };
            self.emit(tx, workspace_id, &added, now)?;
            ids.iter()
                .map(|id| load_prospect(tx, Some(workspace_id), id))
                .collect()
        })
    }

    /// Enrolls prospects matched by email: a new email is enrolled (and
    /// queued at step 1 in a launched campaign), a known one has its fields
    /// updated and keeps its position. Returns (enrolled, updated, total).
    pub fn enroll_by_email(
        &self,
        workspace_id: &str,
        campaign_id: &str,
        seeds: &[ProspectSeed],
    ) -> EngineResult<(u64, u64, u64)> {
        self.transact_and_rearm(Some(campaign_id), |tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), campaign_id)?;
            let (mut fresh, mut updated) = (Vec::new(), 0u64);
            for seed in seeds {
                let changed = exec(
                    tx,
                    "UPDATE prospects SET first_name = COALESCE(?3, first_name),
                         last_name = COALESCE(?4, last_name), company = COALESCE(?5, company),
                         job_title = COALESCE(?6, job_title), updated_at = ?7
                     WHERE campaign_id = ?1 AND email = ?2",
                    params![
                        campaign_id,
                        seed.email,
                        seed.first_name,
                        seed.last_name,
                        seed.company,
                        seed.job_title,
                        now
                    ],
                )?;
                if changed > 0 {
                    updated += 1;
                } else if !fresh.iter().any(|s: &ProspectSeed| s.email == seed.email) {
                    fresh.push(seed.clone());
                }
            }
            let ids = insert_prospects(tx, campaign_id, &fresh, now)?;
            if campaign.launched_at.is_some() {
                for id in &ids {
                    queue_step(tx, campaign_id, id, 0, now)?;
                }
            }
            reopen_if_completed(tx, campaign_id, now)?;
            if !ids.is_empty() {
                let added = DomainEvent::ContactsAdded {
                    campaign_id,
                    prospect_ids: &ids,
                };
                self.emit(tx, workspace_id, &added, now)?;
            }
            let total = campaign.prospect_count + ids.len() as u64;
            Ok((ids.len() as u64, updated, total))
        })
    }

    /// Creates a webhook subscription of a workspace; returns it with its
    /// signing secret.
    pub fn create_webhook(
        &self,
        workspace_id: &str,
        url: &str,
        events: &[String],
    ) -> EngineResult<WebhookRecord> {
        webhooks::check_url(url).map_err(EngineError::Invalid)?;
        self.transact(|tx, now| {
            let workspace = load_workspace(tx, workspace_id)?;
            let known = webhooks::events_of(workspace.dialect);
            if known.is_empty() {
                return Err(EngineError::Invalid(format!(
                    "{:?} has no webhooks",
                    workspace.dialect
                )));
            }
            if events.is_empty() {
                return Err(EngineError::Invalid(
                    "events must name at least one event".into(),
                ));
            }
            if let Some(unknown) = events.iter().find(|e| !known.contains(&e.as_str())) {
                return Err(EngineError::Invalid(format!(
                    "unknown event {unknown:?}: one of {}",
                    known.join(", ")
                )));
            }
            let record = WebhookRecord {
                id: format!("wh_{}", &uuid::Uuid::new_v4().simple().to_string()[..16]),
                workspace_id: workspace_id.to_string(),
                url: url.to_string(),
                events: events.to_vec(),
                secret: format!(
                    "whsec_{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                ),
                created_at_ms: now,
            };
            exec(
                tx,
                "INSERT INTO webhooks (id, workspace_id, url, events, secret, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6)",
                params![
                    record.id,
                    record.workspace_id,
                    record.url,
                    serde_json::to_string(&record.events).expect("strings serialize"),
                    record.secret,
                    now
                ],
            )?;
            self.has_webhooks.store(true, Ordering::SeqCst);
            Ok(record)
        })
    }

    /// A workspace's webhooks, oldest first (secrets omitted).
    pub fn list_webhooks(&self, workspace_id: &str) -> EngineResult<Vec<WebhookRecord>> {
        self.transact(|tx, _| {
            load_workspace(tx, workspace_id)?;
            let rows = tx
                .prepare_cached(
                    "SELECT id, workspace_id, url, events, created_at FROM webhooks
                     WHERE workspace_id = CAST(?1 AS TEXT) ORDER BY seq",
                )?
                .query_map(params![workspace_id], |r| {
                    Ok(WebhookRecord {
                        id: r.get(0)?,
                        workspace_id: r.get(1)?,
                        url: r.get(2)?,
                        events: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                        secret: String::new(),
                        created_at_ms: r.get(4)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
    }

    /// Claims up to `limit` deliveries due now: they become `sending`.
    ///
    /// A delivery claimed more than a minute ago (wall clock) whose outcome
    /// was never recorded is claimed again: attempts take at most 10 s.
    pub fn claim_due_deliveries(&self, limit: usize) -> EngineResult<Vec<DueDelivery>> {
        let wall_ms = chrono::Utc::now().timestamp_millis();
        self.transact(|tx, now| {
            let due: Vec<DueDelivery> = tx
                .prepare_cached(
                    "SELECT d.id, w.url, w.secret, d.body, ws.dialect, d.attempts
                     FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
                     JOIN workspaces ws ON ws.id = w.workspace_id
                                          WHERE (d.state = 'pending' AND d.next_attempt_at <= CAST(?1 AS INTEGER))
                        OR (d.state = 'sending' AND d.claimed_at < CAST(?3 AS INTEGER))
                     ORDER BY d.next_attempt_at, d.seq LIMIT ?2",
                )?
                .query_map(params![now, limit as i64, wall_ms - CLAIM_LEASE_MS], |r| {
                    Ok(DueDelivery {
                        id: r.get(0)?,
                        url: r.get(1)?,
                        secret: r.get(2)?,
                        body: r.get(3)?,
                        dialect: parse_dialect(&r.get::<_, String>(4)?),
                        attempts: r.get(5)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
                        for delivery in &due {
                exec(
                    tx,
                    "UPDATE deliveries SET state = 'sending', claimed_at = ?2 WHERE id = ?1",
                    params![delivery.id, wall_ms],
                )?;
            }
            Ok(due)
        })
    }

    /// Records the outcome of an attempt: a 2xx delivers; anything else is
    /// retried on the vendor's schedule, or fails when it is exhausted.
    pub fn finish_delivery(
        &self,
        delivery: &DueDelivery,
        outcome: Result<u16, String>,
    ) -> EngineResult<()> {
        self.transact(|tx, now| {
            let attempt = delivery.attempts + 1;
            let (status, error) = match &outcome {
                Ok(status) => (Some(*status), None),
                Err(error) => (None, Some(error.clone())),
            };
            exec(
                tx,
                "INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error)
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                params![delivery.id, attempt, now, status, error],
            )?;
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let retry = (!delivered).then(|| webhooks::retry_delay(delivery.dialect, attempt)).flatten();
            let (state, next) = match (delivered, retry) {
                (true, _) => ("delivered", None),
                (false, Some(delay)) => ("pending", Some(now + 1000 * delay as i64)),
                (false, None) => ("failed", None),
            };
            exec(
                tx,
                                "UPDATE deliveries SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_status = ?5,
                     last_error = ?6, delivered_at = CASE WHEN ?2 = 'delivered' THEN ?7 END
                 WHERE id = ?1 AND state = 'sending'",
                params![delivery.id, state, attempt, next, status, error, now],
            )?;
            Ok(())
        })
    }

    /// Deliveries with their attempts, oldest first.
    pub fn list_deliveries(&self, query: &DeliveryQuery) -> EngineResult<Vec<DeliveryView>> {
        self.transact(|tx, _| {
            let ids: Vec<String> = tx
                .prepare_cached("SELECT id, webhook_id, event FROM deliveries ORDER BY seq")?
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })?
                .filter_map(Result::ok)
                .filter(|(_, webhook, event)| {
                    query.webhook_id.as_ref().is_none_or(|w| w == webhook)
                        && query.event.as_ref().is_none_or(|e| e == event)
                })
                .map(|(id, _, _)| id)
                .collect();
            ids.iter().map(|id| load_delivery(tx, id)).collect()
        })
    }

    /// Makes a delivery due now again.
    pub fn redeliver(&self, id: &str) -> EngineResult<DeliveryView> {
        self.transact(|tx, now| {
            let changed = exec(
                tx,
                "UPDATE deliveries SET state = 'pending', next_attempt_at = ?2
                 WHERE id = ?1 AND state <> 'sending'",
                params![id, now],
            )?;
            if changed == 0 {
                let exists: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM deliveries WHERE id = ?1)")?
                    .query_row(params![id], |r| r.get(0))?;
                if exists {
                    return Err(EngineError::Conflict(format!(
                        "delivery {id:?} is being attempted now"
                    )));
                }
                return Err(EngineError::Invalid(format!("no delivery {id:?}")));
            }
            load_delivery(tx, id)
        })
    }

    /// One prospect, within a workspace when one is given.
    pub fn prospect(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<ProspectView> {
        self.transact(|tx, _| load_prospect(tx, workspace_id, id))
    }

    /// Every prospect of a campaign, in enrolment order.
    pub fn campaign_prospects(
        &self,
        workspace_id: Option<&str>,
        campaign_id: &str,
    ) -> EngineResult<Vec<ProspectView>> {
        self.transact(|tx, _| {
            load_campaign(tx, workspace_id, campaign_id)?;
            let mut stmt = tx.prepare_cached(&format!(
                "{PROSPECT_SELECT} WHERE p.campaign_id = CAST(?1 AS TEXT) ORDER BY p.seq"
            ))?;
            let rows = stmt.query_map(params![campaign_id], prospect_from_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    /// A page of a workspace's prospects, optionally of one campaign.
    pub fn list_prospects(
        &self,
        workspace_id: &str,
        campaign_id: Option<&str>,
        from: PageFrom,
        limit: u32,
    ) -> EngineResult<Page<ProspectView>> {
        self.transact(|tx, _| {
            let (column, key) = match campaign_id {
                Some(campaign) => {
                    load_campaign(tx, Some(workspace_id), campaign)?;
                    ("campaign_id", campaign)
                }
                None => (
                    "(SELECT workspace_id FROM campaigns c WHERE c.id = campaign_id)",
                    workspace_id,
                ),
            };
            let seqs = page_seqs(tx, "prospects", column, key, from, limit)?;
            let items = seqs
                .into_iter()
                .map(|(seq, id)| Ok((seq, load_prospect(tx, None, &id)?)))
                .collect::<EngineResult<Vec<_>>>()?;
            finish_page(tx, "prospects", column, key, items)
        })
    }

    /// Records that a prospect's last email bounced or that it replied
    /// (simulated through the sandbox API): it leaves the sequence (its
    /// queued step is dropped), a bounce marks its last delivered send
    /// failed, and the vendor's event is recorded. A prospect that already
    /// bounced or replied is `WrongProspectStatus`.
    pub fn record_outcome(
        &self,
        prospect_id: &str,
        outcome: ProspectState,
    ) -> EngineResult<ProspectView> {
        if !matches!(outcome, ProspectState::Bounced | ProspectState::Replied) {
            return Err(EngineError::Invalid(
                "an outcome is bounced or replied".into(),
            ));
        }
        self.transact(|tx, now| {
            let prospect = load_prospect(tx, None, prospect_id)?;
            if matches!(prospect.status, ProspectState::Bounced | ProspectState::Replied) {
                return Err(EngineError::WrongProspectStatus { status: prospect.status });
            }
            let campaign_id = prospect.campaign_id.clone();
            let dropped = exec(tx, "DELETE FROM sends WHERE prospect_id = ?1 AND state = 'queued'", params![prospect_id])?;
            exec(tx, "UPDATE campaigns SET queued = queued - ?2 WHERE id = ?1", params![campaign_id, dropped as i64])?;
            let mut bounced_step = None;
            if outcome == ProspectState::Bounced {
                let last: Option<(i64, u32)> = tx
                    .prepare_cached(
                        "SELECT id, position FROM sends WHERE prospect_id = ?1 AND state = 'delivered'
                         ORDER BY position DESC LIMIT 1",
                    )?
                    .query_row(params![prospect_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((send_id, position)) = last {
                    exec(tx, "UPDATE sends SET state = 'failed' WHERE id = ?1", params![send_id])?;
                    exec(
                        tx,
                        "UPDATE campaigns SET delivered = delivered - 1, failed = failed + 1 WHERE id = ?1",
                        params![campaign_id],
                    )?;
                    bounced_step = Some(position + 1);
                }
            }
            exec(
                tx,
                "UPDATE prospects SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![prospect_id, prospect_state_str(outcome), now],
            )?;
            complete_campaign_if_done(tx, &campaign_id)?;
            let value = load_prospect(tx, None, prospect_id)?;
            let workspace: String = tx
                .prepare_cached("SELECT workspace_id FROM campaigns WHERE id = ?1")?
                .query_row(params![campaign_id], |r| r.get(0))?;
            let event = match outcome {
                ProspectState::Bounced => DomainEvent::MessageBounced(&value, bounced_step),
                _ => DomainEvent::ReplyReceived(&value),
            };
            self.emit(tx, &workspace, &event, now)?;
            Ok(value)
        })
    }

    /// Pauses (`paused = true`) or resumes one prospect. Already in the
    /// target state is an unchanged no-op; a finished prospect is
    /// `WrongProspectStatus`.
    pub fn set_prospect_paused(
        &self,
        workspace_id: &str,
        id: &str,
        paused: bool,
    ) -> EngineResult<Transition<ProspectView>> {
        self.transact_and_rearm(None, |tx, now| {
            let prospect = load_prospect(tx, Some(workspace_id), id)?;
            let (from, to) = if paused {
                (ProspectState::Active, ProspectState::Paused)
            } else {
                (ProspectState::Paused, ProspectState::Active)
            };
            let changed = if prospect.status == from {
                exec(
                    tx,
                    "UPDATE prospects SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, prospect_state_str(to), now],
                )?;
                true
            } else if prospect.status == to {
                false
            } else {
                return Err(EngineError::WrongProspectStatus {
                    status: prospect.status,
                });
            };
            let value = load_prospect(tx, None, id)?;
            Ok(Transition {
                value,
                changed,
                in_flight: 0,
            })
        })
    }

    // ----- sends ---------------------------------------------------------

    /// The send log, in queue order.
    pub fn list_sends(&self, query: &SendQuery) -> EngineResult<Vec<SendView>> {
        let limit = i64::from(query.limit.unwrap_or(1000).clamp(1, 10_000));
        self.transact(|tx, _| {
            let after = query.after_id.unwrap_or(0);
            let rows = match &query.campaign_id {
                Some(campaign) => tx
                    .prepare_cached(&format!(
                        "{SEND_SELECT} WHERE campaign_id = CAST(?1 AS TEXT) AND id > ?2 ORDER BY id LIMIT ?3"
                    ))?
                    .query_map(params![campaign, after, limit], send_from_row)?
                    .collect::<Result<_, _>>()?,
                None => tx
                    .prepare_cached(&format!("{SEND_SELECT} WHERE id > ?1 ORDER BY id LIMIT ?2"))?
                    .query_map(params![after, limit], send_from_row)?
                    .collect::<Result<_, _>>()?,
            };
            Ok(rows)
        })
    }
}

/// Executes a statement through the connection's statement cache: every
/// statement the engine runs is compiled once, not once per request.
///
/// A trap, measured: SQLite recompiles a statement on every new binding
/// when a parameter compared by `=` (or a range) takes part in choosing an
/// ORDER BY plan. Writing such parameters as `CAST(?N AS TEXT)` keeps the
/// index plan and the compiled statement.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

// ----- dispatch ---------------------------------------------------------

/// Runs every event due in `(from, to]` in time order; returns the time of
/// the next event (or `i64::MAX` when nothing is pending). Set-based: each
/// batch is a handful of statements, whatever its size.
fn dispatch_until(tx: &Connection, from: i64, to: i64, hooks: bool) -> EngineResult<i64> {
    loop {
        let scheduled = launch_scheduled(tx, to)?;
        let completed = complete_in_flight(tx, to)?;
        let started = start_due(tx, from, to, hooks)?;
        if scheduled == 0 && completed == 0 && started == 0 {
            break;
        }
    }
    next_event(tx)
}

/// Launches every scheduled draft whose time has come, as of that time.
fn launch_scheduled(tx: &Connection, to: i64) -> EngineResult<usize> {
    let due: Vec<(String, i64)> = tx
        .prepare_cached(
            "SELECT id, scheduled_at FROM campaigns
             WHERE scheduled_at <= CAST(?1 AS INTEGER) AND status = 'draft'
             ORDER BY scheduled_at, id",
        )?
        .query_map(params![to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, at) in &due {
        launch(tx, id, *at, EngineStatus::Active)?;
    }
    Ok(due.len())
}

/// Completes in-flight sends whose time has come (in order of completion),
/// advances their prospects and queues each prospect's next step.
fn complete_in_flight(tx: &Connection, to: i64) -> EngineResult<usize> {
    tx.prepare_cached("DELETE FROM temp.dispatch_done")?
        .execute([])?;
    let done = tx
        .prepare_cached(
            "INSERT INTO temp.dispatch_done (send_id, campaign_id, prospect_id, position, done_at)
             SELECT id, campaign_id, prospect_id, position, completes_at FROM sends
             WHERE state = 'in_flight' AND completes_at <= CAST(?1 AS INTEGER)
             ORDER BY completes_at, id LIMIT ?2",
        )?
        .execute(params![to, DISPATCH_BATCH])?;
    if done == 0 {
        return Ok(0);
    }
    tx.prepare_cached(
        "UPDATE sends SET state = 'delivered', finished_at = completes_at
         WHERE id IN (SELECT send_id FROM temp.dispatch_done)",
    )?
    .execute([])?;
    tx.prepare_cached(
        "UPDATE prospects SET position = d.position + 1, updated_at = d.done_at
         FROM temp.dispatch_done d WHERE prospects.id = d.prospect_id",
    )?
    .execute([])?;
    // The next step of every prospect that has one, due its delay after the
    // delivery, in delivery order (send ids follow queue order).
    let queued = tx
        .prepare_cached(
            "INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
             SELECT d.campaign_id, d.prospect_id, st.position, st.channel, 'queued', d.done_at + st.delay_ms
             FROM temp.dispatch_done d
             JOIN steps st ON st.campaign_id = d.campaign_id AND st.position = d.position + 1
             WHERE true ORDER BY d.done_at, d.send_id
             ON CONFLICT (prospect_id, position) DO NOTHING",
        )?
        .execute([])?;
    tx.prepare_cached(
        "UPDATE prospects SET status = 'completed'
         WHERE status IN ('active', 'paused') AND id IN (
             SELECT d.prospect_id FROM temp.dispatch_done d WHERE NOT EXISTS (
                 SELECT 1 FROM steps st WHERE st.campaign_id = d.campaign_id AND st.position = d.position + 1))",
    )?
    .execute([])?;
    tx.prepare_cached(
        "UPDATE campaigns SET in_flight = in_flight - c.n, delivered = delivered + c.n, queued = queued + c.next
         FROM (SELECT d.campaign_id,
                      COUNT(*) AS n,
                      SUM(EXISTS (SELECT 1 FROM steps st
                                  WHERE st.campaign_id = d.campaign_id AND st.position = d.position + 1)) AS next
               FROM temp.dispatch_done d GROUP BY d.campaign_id) c
         WHERE campaigns.id = c.campaign_id",
    )?
    .execute([])?;
    let expected_next: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM temp.dispatch_done d JOIN steps st
             ON st.campaign_id = d.campaign_id AND st.position = d.position + 1",
        )?
        .query_row([], |r| r.get(0))?;
    if usize::try_from(expected_next).ok() != Some(queued) {
        // A next step already existed (it cannot, by construction): count
        // from the sends themselves rather than trust the increment.
        exec(
            tx,
            "UPDATE campaigns SET queued = (SELECT COUNT(*) FROM sends s
                 WHERE s.campaign_id = campaigns.id AND s.state = 'queued')
             WHERE id IN (SELECT campaign_id FROM temp.dispatch_done)",
            [],
        )?;
    }
    let touched: Vec<String> = tx
        .prepare_cached("SELECT DISTINCT campaign_id FROM temp.dispatch_done")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for campaign_id in &touched {
        complete_campaign_if_done(tx, campaign_id)?;
    }
    Ok(done)
}

/// Starts queued sends that are due in active campaigns for active
/// prospects: a send due while its campaign was held starts at `from`.
fn start_due(tx: &Connection, from: i64, to: i64, hooks: bool) -> EngineResult<usize> {
    let campaigns: Vec<(String, i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, email_transit_ms, call_duration_ms, linkedin_ms FROM campaigns
             WHERE status = 'active' AND queued > 0",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut started_total = 0;
    for (campaign_id, email_ms, call_ms, linkedin_ms) in campaigns {
        tx.prepare_cached("DELETE FROM temp.dispatch_started")?
            .execute([])?;
        let started = tx
            .prepare_cached(
                "INSERT INTO temp.dispatch_started (send_id)
                 SELECT s.id FROM sends s JOIN prospects p ON p.id = s.prospect_id
                 WHERE s.campaign_id = CAST(?1 AS TEXT) AND s.state = 'queued' AND s.due_at <= CAST(?2 AS INTEGER)
                   AND p.status = 'active'
                 ORDER BY s.due_at, s.id LIMIT ?3",
            )?
            .execute(params![campaign_id, to, DISPATCH_BATCH])?;
        if started == 0 {
            continue;
        }
        tx.prepare_cached(
            "UPDATE sends SET state = 'in_flight', started_at = MAX(due_at, ?1),
                 completes_at = MAX(due_at, ?1)
                     + CASE channel WHEN 'email' THEN ?2 WHEN 'call' THEN ?3 ELSE ?4 END
             WHERE id IN (SELECT send_id FROM temp.dispatch_started)",
        )?
        .execute(params![from, email_ms, call_ms, linkedin_ms])?;
        tx.prepare_cached(
            "UPDATE campaigns SET queued = queued - ?2, in_flight = in_flight + ?2 WHERE id = ?1",
        )?
        .execute(params![campaign_id, started as i64])?;
        if hooks {
            webhooks::record_messages_sent(tx, &campaign_id, to)?;
        }
        started_total += started;
    }
    Ok(started_total)
}

/// The earliest due time of a campaign's startable queued sends (or
/// `i64::MAX`): an index walk in time order that stops at the first hit.
fn campaign_next_due(tx: &Connection, campaign_id: &str) -> EngineResult<i64> {
    let due: Option<i64> = tx
        .prepare_cached(
            "SELECT s.due_at FROM campaigns c
             JOIN sends s ON s.campaign_id = c.id
             JOIN prospects p ON p.id = s.prospect_id
             WHERE c.id = CAST(?1 AS TEXT) AND c.status = 'active' AND s.state = 'queued' AND p.status = 'active'
             ORDER BY s.due_at LIMIT 1",
        )?
        .query_row(params![campaign_id], |r| r.get(0))
        .optional()?;
    Ok(due.unwrap_or(i64::MAX))
}

/// The earliest time anything can happen without a command. Each query
/// walks an index in time order and stops at the first hit, so this stays
/// cheap however many sends are queued.
fn next_event(tx: &Connection) -> EngineResult<i64> {
    let mut next: Option<i64> = tx
        .prepare_cached(
            "SELECT completes_at FROM sends WHERE state = 'in_flight' ORDER BY completes_at LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    let scheduled: Option<i64> = tx
        .prepare_cached(
            "SELECT MIN(scheduled_at) FROM campaigns WHERE scheduled_at IS NOT NULL AND status = 'draft'",
        )?
        .query_row([], |r| r.get(0))?;
    next = next.into_iter().chain(scheduled).min();
    let active: Vec<String> = tx
        .prepare_cached("SELECT id FROM campaigns WHERE status = 'active' AND queued > 0")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for campaign_id in active {
        let due = campaign_next_due(tx, &campaign_id)?;
        next = next.into_iter().chain(Some(due)).min();
    }
    Ok(next.unwrap_or(i64::MAX))
}

/// Moves every prospect of a campaign in status `from` to `to`
/// (`pauseProspects` / `resumeProspects`).
fn move_prospects(
    tx: &Connection,
    campaign_id: &str,
    from: ProspectState,
    to: ProspectState,
    now: i64,
) -> EngineResult<()> {
    exec(
        tx,
        "UPDATE prospects SET status = ?3, updated_at = ?4 WHERE campaign_id = ?1 AND status = ?2",
        params![
            campaign_id,
            prospect_state_str(from),
            prospect_state_str(to),
            now
        ],
    )?;
    Ok(())
}

/// A completed campaign that got new work (enrolled prospects) is active
/// again, so that work is sent.
fn reopen_if_completed(tx: &Connection, campaign_id: &str, now: i64) -> EngineResult<()> {
    exec(
        tx,
        "UPDATE campaigns SET status = 'active', updated_at = ?2
         WHERE id = ?1 AND status = 'completed' AND queued > 0",
        params![campaign_id, now],
    )?;
    Ok(())
}

fn complete_campaign_if_done(tx: &Connection, campaign_id: &str) -> EngineResult<()> {
    tx.prepare_cached(
        "UPDATE campaigns SET status = 'completed'
         WHERE id = ?1 AND status = 'active' AND queued = 0 AND in_flight = 0
           AND EXISTS (SELECT 1 FROM prospects WHERE campaign_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM prospects WHERE campaign_id = ?1
                           AND status IN ('active', 'paused'))",
    )?
    .execute(params![campaign_id])?;
    Ok(())
}

/// Marks a campaign launched with `status` and queues every unfinished
/// prospect's next step, due its delay after now.
fn launch(tx: &Connection, id: &str, now: i64, status: EngineStatus) -> EngineResult<()> {
    exec(tx,
        "UPDATE campaigns SET status = ?2, launched_at = COALESCE(launched_at, ?3), started_at = ?3,
             updated_at = ?3, scheduled_at = NULL WHERE id = ?1",
        params![id, status_str(status), now],
    )?;
    let queued = exec(tx,
        "INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
         SELECT p.campaign_id, p.id, st.position, st.channel, 'queued', ?2 + st.delay_ms
         FROM prospects p JOIN steps st ON st.campaign_id = p.campaign_id AND st.position = p.position
         WHERE p.campaign_id = CAST(?1 AS TEXT) AND p.status IN ('active', 'paused') ORDER BY p.seq
         ON CONFLICT (prospect_id, position) DO NOTHING",
        params![id, now],
    )?;
    exec(
        tx,
        "UPDATE campaigns SET queued = queued + ?2 WHERE id = ?1",
        params![id, queued as i64],
    )?;
    Ok(())
}

/// Queues step `position` for a prospect, due its delay after `base`.
fn queue_step(
    tx: &Connection,
    campaign_id: &str,
    prospect_id: &str,
    position: i64,
    base: i64,
) -> EngineResult<()> {
    let step: Option<(String, i64)> = tx
        .prepare_cached(
            "SELECT channel, delay_ms FROM steps WHERE campaign_id = ?1 AND position = ?2",
        )?
        .query_row(params![campaign_id, position], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((channel, delay)) = step {
        insert_send(
            tx,
            campaign_id,
            prospect_id,
            position,
            parse_channel(&channel),
            base + delay,
        )?;
    }
    Ok(())
}

/// Inserts a queued send unless that (prospect, step) already has one.
fn insert_send(
    tx: &Connection,
    campaign_id: &str,
    prospect_id: &str,
    position: i64,
    channel: Channel,
    due_at: i64,
) -> EngineResult<()> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5) ON CONFLICT (prospect_id, position) DO NOTHING",
        )?
        .execute(params![
            campaign_id,
            prospect_id,
            position,
            channel_str(channel),
            due_at
        ])?;
    if inserted > 0 {
        tx.prepare_cached("UPDATE campaigns SET queued = queued + 1 WHERE id = ?1")?
            .execute(params![campaign_id])?;
    }
    Ok(())
}

fn set_status(tx: &Connection, id: &str, status: EngineStatus, now: i64) -> EngineResult<()> {
    tx.prepare_cached("UPDATE campaigns SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, status_str(status), now])?;
    Ok(())
}

fn insert_prospects(
    tx: &Connection,
    campaign_id: &str,
    seeds: &[ProspectSeed],
    now: i64,
) -> EngineResult<Vec<String>> {
    let mut ids = Vec::with_capacity(seeds.len());
    for seed in seeds {
        let id = seed
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let inserted = tx
            .prepare_cached(
                "INSERT INTO prospects (id, campaign_id, email, first_name, last_name, company,
                     job_title, phone, linkedin_url, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                id,
                campaign_id,
                seed.email,
                seed.first_name,
                seed.last_name,
                seed.company,
                seed.job_title,
                seed.phone,
                seed.linkedin_url,
                prospect_state_str(seed.status.unwrap_or(ProspectState::Active)),
                now
            ])?;
        if inserted == 0 {
            return Err(EngineError::Conflict(format!("prospect {id:?} exists")));
        }
        ids.push(id);
    }
    tx.prepare_cached("UPDATE campaigns SET prospects = prospects + ?2 WHERE id = ?1")?
        .execute(params![campaign_id, ids.len() as i64])?;
    Ok(ids)
}

// ----- paging -----------------------------------------------------------

fn page_seqs(
    tx: &Connection,
    table: &str,
    column: &str,
    key: &str,
    from: PageFrom,
    limit: u32,
) -> EngineResult<Vec<(i64, String)>> {
    let limit = i64::from(limit);
    let (condition, order, bound) = match from {
        PageFrom::Start => ("seq > CAST(?2 AS INTEGER)", "ASC", i64::MIN),
        PageFrom::After(seq) => ("seq > CAST(?2 AS INTEGER)", "ASC", seq),
        PageFrom::Before(seq) => ("seq < CAST(?2 AS INTEGER)", "DESC", seq),
    };
    let sql = format!(
        "SELECT seq, id FROM {table} WHERE {column} = CAST(?1 AS TEXT) AND ({condition}) ORDER BY seq {order} LIMIT ?3"
    );
    let mut rows: Vec<(i64, String)> = tx
        .prepare_cached(&sql)?
        .query_map(params![key, bound, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|(seq, _)| *seq);
    Ok(rows)
}

fn finish_page<T>(
    tx: &Connection,
    table: &str,
    column: &str,
    key: &str,
    items: Vec<(i64, T)>,
) -> EngineResult<Page<T>> {
    let exists = |condition: &str, seq: i64| -> EngineResult<bool> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = ?1 AND seq {condition} ?2)"
        );
        Ok(tx
            .prepare_cached(&sql)?
            .query_row(params![key, seq], |r| r.get(0))?)
    };
    let (more_after, more_before) = match (items.first(), items.last()) {
        (Some((first, _)), Some((last, _))) => (exists(">", *last)?, exists("<", *first)?),
        _ => (false, false),
    };
    Ok(Page {
        items,
        more_after,
        more_before,
    })
}

// ----- loading ----------------------------------------------------------

const WORKSPACE_SELECT: &str =
    "SELECT id, dialect, name, per_minute, per_day, prospects_per_minute,
    requires_approval, created_at FROM workspaces";

fn workspace_from_row(r: &Row<'_>) -> rusqlite::Result<Workspace> {
    Ok(Workspace {
        id: r.get(0)?,
        dialect: parse_dialect(&r.get::<_, String>(1)?),
        name: r.get(2)?,
        rate_limits: RateLimits {
            per_minute: r.get(3)?,
            per_day: r.get(4)?,
            prospects_per_minute: r.get(5)?,
        },
        requires_approval: r.get(6)?,
        created_at: Iso8601::from_millis(r.get(7)?),
    })
}

fn load_workspace(conn: &Connection, id: &str) -> EngineResult<Workspace> {
    conn.prepare_cached(&format!("{WORKSPACE_SELECT} WHERE id = ?1"))?
        .query_row(params![id], workspace_from_row)
        .optional()?
        .ok_or(EngineError::WorkspaceNotFound)
}

fn load_campaign(
    tx: &Connection,
    workspace_id: Option<&str>,
    id: &str,
) -> EngineResult<CampaignView> {
    let campaign = tx
        .prepare_cached(
            "SELECT id, workspace_id, name, description, status, is_archived, created_at, updated_at,
                 launched_at, paused_at, started_at, email_transit_ms, call_duration_ms, linkedin_ms,
                 script_id, queued, in_flight, delivered, failed, prospects, scheduled_at
             FROM campaigns WHERE id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(CampaignView {
                id: r.get(0)?,
                workspace_id: r.get(1)?,
                name: r.get(2)?,
                description: r.get(3)?,
                status: parse_status(&r.get::<_, String>(4)?),
                is_archived: r.get(5)?,
                created_at: Iso8601::from_millis(r.get(6)?),
                updated_at: Iso8601::from_millis(r.get(7)?),
                launched_at: opt_millis(r, 8)?,
                paused_at: opt_millis(r, 9)?,
                started_at: opt_millis(r, 10)?,
                settings: CampaignSettings {
                    email_transit_seconds: ms_to_secs(r.get(11)?),
                    call_duration_seconds: ms_to_secs(r.get(12)?),
                    linkedin_seconds: ms_to_secs(r.get(13)?),
                },
                script_id: r.get(14)?,
                scheduled_at: opt_millis(r, 20)?,
                steps: Vec::new(),
                prospect_count: r.get::<_, i64>(19)?.max(0) as u64,
                counters: SendCounters {
                    queued: r.get::<_, i64>(15)?.max(0) as u64,
                    in_flight: r.get::<_, i64>(16)?.max(0) as u64,
                    delivered: r.get::<_, i64>(17)?.max(0) as u64,
                    failed: r.get::<_, i64>(18)?.max(0) as u64,
                },
            })
        })
        .optional()?;
    // The workspace is checked here, not in SQL: a `?2 IS NULL OR ...`
    // condition makes SQLite recompile the statement whenever the binding
    // changes between null and a value.
    let mut campaign = campaign
        .filter(|c| workspace_id.is_none_or(|ws| ws == c.workspace_id))
        .ok_or(EngineError::CampaignNotFound)?;
    campaign.steps = tx
        .prepare_cached(
            "SELECT position, channel, delay_ms, subject, body FROM steps WHERE campaign_id = CAST(?1 AS TEXT)
             ORDER BY position",
        )?
        .query_map(params![id], |r| {
            Ok(StepView {
                position: r.get(0)?,
                channel: parse_channel(&r.get::<_, String>(1)?),
                delay_seconds: ms_to_secs(r.get(2)?),
                subject: r.get(3)?,
                body: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(campaign)
}

const PROSPECT_SELECT: &str = "SELECT p.id, p.campaign_id, p.email, p.first_name, p.last_name,
    p.company, p.job_title, p.phone, p.linkedin_url, p.status, p.position, p.created_at,
    p.updated_at, (SELECT MAX(s.started_at) FROM sends s WHERE s.prospect_id = p.id)
    FROM prospects p";

fn prospect_from_row(r: &Row<'_>) -> rusqlite::Result<ProspectView> {
    Ok(ProspectView {
        id: r.get(0)?,
        campaign_id: r.get(1)?,
        email: r.get(2)?,
        first_name: r.get(3)?,
        last_name: r.get(4)?,
        company: r.get(5)?,
        job_title: r.get(6)?,
        phone: r.get(7)?,
        linkedin_url: r.get(8)?,
        status: parse_prospect_state(&r.get::<_, String>(9)?),
        position: r.get(10)?,
        created_at: Iso8601::from_millis(r.get(11)?),
        updated_at: Iso8601::from_millis(r.get(12)?),
        last_sent_at: opt_millis(r, 13)?,
    })
}

fn load_prospect(
    tx: &Connection,
    workspace_id: Option<&str>,
    id: &str,
) -> EngineResult<ProspectView> {
    let found = tx
        .prepare_cached(&format!("{PROSPECT_SELECT} WHERE p.id = ?1"))?
        .query_row(params![id], prospect_from_row)
        .optional()?;
    let found = match (found, workspace_id) {
        (Some(prospect), Some(workspace)) => {
            let owner: String = tx
                .prepare_cached("SELECT workspace_id FROM campaigns WHERE id = ?1")?
                .query_row(params![prospect.campaign_id], |r| r.get(0))?;
            (owner == workspace).then_some(prospect)
        }
        (found, _) => found,
    };
    found.ok_or(EngineError::ProspectNotFound)
}

fn load_delivery(tx: &Connection, id: &str) -> EngineResult<DeliveryView> {
    let attempts = tx
        .prepare_cached(
            "SELECT attempt, at, status, error FROM delivery_attempts WHERE delivery_id = CAST(?1 AS TEXT)
             ORDER BY attempt",
        )?
        .query_map(params![id], |r| {
            Ok(DeliveryAttempt {
                attempt: r.get(0)?,
                at: Iso8601::from_millis(r.get(1)?),
                status: r.get(2)?,
                error: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    tx.prepare_cached(
        "SELECT id, webhook_id, event, body, state, created_at, next_attempt_at, delivered_at
         FROM deliveries WHERE id = ?1",
    )?
    .query_row(params![id], |r| {
        let state = match r.get::<_, String>(4)?.as_str() {
            "sending" => DeliveryState::Sending,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        };
        Ok(DeliveryView {
            id: r.get(0)?,
            webhook_id: r.get(1)?,
            event: r.get(2)?,
            body: r.get(3)?,
            next_attempt_at: if state == DeliveryState::Pending {
                opt_millis(r, 6)?
            } else {
                None
            },
            state,
            created_at: Iso8601::from_millis(r.get(5)?),
            delivered_at: opt_millis(r, 7)?,
            attempts,
        })
    })
    .map_err(EngineError::from)
}

/// An optional millisecond column as an optional timestamp.
fn opt_millis(r: &Row<'_>, column: usize) -> rusqlite::Result<Option<Iso8601>> {
    Ok(r.get::<_, Option<i64>>(column)?.map(Iso8601::from_millis))
}

const SEND_SELECT: &str = "SELECT id, campaign_id, prospect_id, position, channel, state, due_at,
    started_at, completes_at, finished_at FROM sends";

fn send_from_row(r: &Row<'_>) -> rusqlite::Result<SendView> {
    Ok(SendView {
        id: r.get(0)?,
        campaign_id: r.get(1)?,
        prospect_id: r.get(2)?,
        step: r.get(3)?,
        channel: parse_channel(&r.get::<_, String>(4)?),
        state: parse_send_state(&r.get::<_, String>(5)?),
        due_at: Iso8601::from_millis(r.get(6)?),
        started_at: opt_millis(r, 7)?,
        completes_at: opt_millis(r, 8)?,
        finished_at: opt_millis(r, 9)?,
    })
}

// ----- ids --------------------------------------------------------------

/// The largest Woodpecker campaign id (integers JavaScript clients can hold).
const MAX_WOODPECKER_ID: u64 = (1 << 53) - 1;

/// Checks an explicit campaign id against the dialect's id format.
fn validate_campaign_id(dialect: Dialect, id: &str) -> EngineResult<()> {
    let ok = match dialect {
        // Stored as given and looked up lower-cased, hyphenated: only that
        // form stays reachable through the faces.
        Dialect::Alta | Dialect::Voicegenie => is_canonical_uuid(id),
        Dialect::Woodpecker => {
            id.parse::<u64>()
                .is_ok_and(|n| n > 0 && n <= MAX_WOODPECKER_ID)
                && !id.starts_with('0')
        }
        Dialect::Leadterra | Dialect::Leadlex => {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }
    };
    if ok {
        Ok(())
    } else {
        Err(EngineError::Invalid(format!(
            "{id:?} is not a valid {dialect:?} campaign id"
        )))
    }
}

/// A UUID in the lower-case hyphenated form the faces answer with.
fn is_canonical_uuid(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok_and(|u| u.to_string() == id)
}

/// A prospect id given to the sandbox must be one its face can answer
/// with: Alta's prospects are UUIDs (its face would otherwise fail to
/// build their answers).
fn validate_prospect_id(dialect: Dialect, id: &str) -> EngineResult<()> {
    let ok = match dialect {
        Dialect::Alta => is_canonical_uuid(id),
        _ => !id.is_empty() && !id.chars().any(char::is_control),
    };
    if ok {
        Ok(())
    } else {
        Err(EngineError::Invalid(format!(
            "{id:?} is not a valid {dialect:?} prospect id"
        )))
    }
}

/// A fresh campaign id in the dialect's format.
fn new_campaign_id(tx: &Connection, dialect: Dialect) -> EngineResult<String> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    Ok(match dialect {
        Dialect::Alta | Dialect::Voicegenie => uuid::Uuid::new_v4().to_string(),
        Dialect::Leadterra => format!("camp_{}", &random[..12]),
        Dialect::Leadlex => format!("cmp_{}", &random[..12]),
        Dialect::Woodpecker => {
            let max: Option<i64> = tx.query_row(
                "SELECT MAX(CAST(c.id AS INTEGER)) FROM campaigns c
                 JOIN workspaces w ON w.id = c.workspace_id WHERE w.dialect = 'woodpecker'",
                [],
                |r| r.get(0),
            )?;
            let next = max
                .unwrap_or(100_000)
                .max(100_000)
                .checked_add(1)
                .filter(|n| *n as u64 <= MAX_WOODPECKER_ID);
            next.ok_or_else(|| EngineError::Invalid("no Woodpecker campaign id is left".into()))?
                .to_string()
        }
    })
}

// ----- enum <-> text ----------------------------------------------------

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// The longest delay or duration accepted (ten years): sums of times stay
/// far from overflowing.
pub const MAX_SECONDS: u64 = 10 * 365 * 86_400;
/// The latest time the clock may show (9999-12-31T23:59:59Z).
pub const MAX_TIME_MS: i64 = 253_402_300_799_000;

/// Rejects delays and durations beyond [`MAX_SECONDS`].
fn check_seconds(what: &str, seconds: u64) -> EngineResult<()> {
    if seconds > MAX_SECONDS {
        return Err(EngineError::Invalid(format!(
            "{what} must be at most {MAX_SECONDS} seconds, got {seconds}"
        )));
    }
    Ok(())
}

fn ms_to_secs(ms: i64) -> u64 {
    u64::try_from(ms / 1000).unwrap_or(0)
}

macro_rules! text_enum {
    ($to:ident, $from:ident, $ty:ty, $default:expr, { $($variant:path => $text:literal),+ $(,)? }) => {
        /// The stored text of the value.
        pub fn $to(value: $ty) -> &'static str {
            match value { $($variant => $text),+ }
        }
        fn $from(text: &str) -> $ty {
            match text { $($text => $variant,)+ _ => $default }
        }
    };
}

text_enum!(dialect_str, parse_dialect, Dialect, Dialect::Alta, {
    Dialect::Alta => "alta", Dialect::Voicegenie => "voicegenie", Dialect::Leadterra => "leadterra",
    Dialect::Leadlex => "leadlex", Dialect::Woodpecker => "woodpecker",
});
text_enum!(status_str, parse_status, EngineStatus, EngineStatus::Draft, {
    EngineStatus::Draft => "draft", EngineStatus::Active => "active", EngineStatus::Paused => "paused",
    EngineStatus::Stopped => "stopped", EngineStatus::PendingApproval => "pending_approval",
    EngineStatus::Completed => "completed",
});
text_enum!(channel_str, parse_channel, Channel, Channel::Email, {
    Channel::Email => "email", Channel::Call => "call", Channel::Linkedin => "linkedin",
});
text_enum!(prospect_state_str, parse_prospect_state, ProspectState, ProspectState::Active, {
    ProspectState::Active => "active", ProspectState::Paused => "paused",
    ProspectState::Completed => "completed", ProspectState::Bounced => "bounced",
    ProspectState::Replied => "replied",
});
text_enum!(tier_str, parse_tier, RateTier, RateTier::Starter, {
    RateTier::Starter => "starter", RateTier::Pro => "pro", RateTier::Org => "org",
});
text_enum!(send_state_str, parse_send_state, SendState, SendState::Queued, {
    SendState::Queued => "queued", SendState::InFlight => "in_flight",
    SendState::Delivered => "delivered", SendState::Failed => "failed",
});

/// A fresh virtual-clock engine over an in-memory database (tests).
pub fn in_memory_virtual() -> Engine {
    let conn =
        crate::store::open(crate::store::Location::Memory).expect("in-memory database opens");
    Engine::new(conn, Clock::virtual_at(VIRTUAL_EPOCH_MS)).expect("engine starts")
}
