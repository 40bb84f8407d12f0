//! The engine value and its one way of changing state: every command runs
//! as a savepoint of a group-committed SQLite transaction, under one lock,
//! after dispatching whatever the clock has made due.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

use rusqlite::{Connection, OptionalExtension, params};

use crate::campaigns::MAX_TIME_MS;
use crate::clock::{Clock, VIRTUAL_EPOCH_MS};
use crate::dialect::Dialects;
use crate::dispatch::{campaign_next_due, dispatch_until};
use crate::error::{EngineError, EngineResult};
use crate::outbox::{self, DomainEvent};
use crate::store;
use crate::types::KeyRecord;

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
    hooks: Option<&dyn Dialects>,
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
            Rearm::Reported(due) => due.get(),
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
    /// What the command reported: the earliest time it made anything due
    /// (`i64::MAX` for nothing).
    Reported(&'a std::cell::Cell<i64>),
}

pub(crate) struct State {
    pub(crate) conn: Connection,
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
    /// A thread is running commands in [`Engine::hold`]: nobody else commits
    /// the open batch; it commits when its commands are done.
    held: bool,
}

thread_local! {
    /// Whether this thread is inside [`Engine::hold`].
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The engine; share it behind an `Arc`.
pub struct Engine {
    pub(crate) state: Mutex<State>,
    pub(crate) clock: Clock,
    /// Keys already looked up (every request authenticates): cleared when
    /// a workspace changes or the world is reset.
    pub(crate) keys: RwLock<HashMap<String, Arc<KeyRecord>>>,
    /// Commands about to take the lock: while there are any, a finished
    /// command leaves the transaction open for them (group commit).
    pub(crate) waiting: AtomicUsize,
    /// Signalled when a batch commits (or fails to).
    pub(crate) batch_done: Condvar,
    /// Whether any webhook exists: without one, recording events is skipped
    /// entirely (no query on the hot path).
    pub(crate) has_webhooks: AtomicBool,
    /// The vendor rules, by dialect.
    pub(crate) dialects: Arc<dyn Dialects>,
    /// Checkpoints a database file's WAL off the commit path.
    _checkpointer: Option<store::Checkpointer>,
    /// Read connections of a database file (WAL readers: they never wait
    /// for the writer), idle ones kept for reuse; `None` in memory.
    readers: Option<Readers>,
    /// The state's next event, readable without the lock: a read made
    /// before it needs no dispatch first, so it can go to a reader.
    next_due: AtomicI64,
}

/// Idle read connections of a database file.
struct Readers {
    path: std::path::PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Runs `read` in one read transaction on an idle connection (opening
    /// one when none is idle): it sees the last committed state.
    fn run<T>(&self, read: impl FnOnce(&Connection) -> EngineResult<T>) -> EngineResult<T> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn.set_prepared_statement_cache_capacity(crate::store::STATEMENT_CACHE);
                conn
            }
        };
        exec(&conn, "BEGIN", [])?;
        let result = read(&conn);
        let ended = exec(&conn, "COMMIT", []);
        if ended.is_ok() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
        let value = result?;
        ended?;
        Ok(value)
    }
}

impl Engine {
    /// An engine over an opened database and a clock. A virtual clock
    /// resumes from the time stored in the database, if any.
    pub fn new(conn: Connection, clock: Clock, dialects: Arc<dyn Dialects>) -> EngineResult<Self> {
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
        let checkpointer = store::Checkpointer::start(&conn)
            .map_err(|e| EngineError::Internal(format!("starting the WAL checkpointer: {e:#}")))?;
        let readers = conn.path().filter(|p| !p.is_empty()).map(|path| Readers {
            path: path.into(),
            idle: Mutex::new(Vec::new()),
        });
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
                held: false,
            }),
            clock,
            keys: RwLock::new(HashMap::new()),
            waiting: AtomicUsize::new(0),
            batch_done: Condvar::new(),
            has_webhooks: AtomicBool::new(false),
            dialects,
            _checkpointer: checkpointer,
            readers,
            next_due: AtomicI64::new(i64::MIN),
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

    /// Records a domain event in the outbox (see [`outbox::record`]).
    pub(crate) fn emit(
        &self,
        tx: &Connection,
        workspace_id: &str,
        event: &DomainEvent<'_>,
        now: i64,
    ) -> EngineResult<()> {
        if self.records_events() {
            outbox::record(tx, &*self.dialects, workspace_id, event, now)?;
        }
        Ok(())
    }

    /// Whether domain events are recorded (some webhook exists).
    pub(crate) fn records_events(&self) -> bool {
        self.has_webhooks.load(Ordering::SeqCst)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change
        // (the transaction rolls back on drop), so a poisoned lock is safe.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A consistent read: every query made through the snapshot sees the
    /// same committed state (one transaction), so a face that answers a
    /// campaign with its prospects never mixes two moments.
    pub fn snapshot<T>(
        &self,
        read: impl FnOnce(&Snapshot<'_>) -> EngineResult<T>,
    ) -> EngineResult<T> {
        self.read(|tx| read(&Snapshot { tx }))
    }

    /// Runs a read in one transaction. A database file's reads go to a
    /// reader connection, so they never wait for the writer's batch,
    /// unless something is due (then the read runs as a command, after
    /// the dispatch it needs) or this thread holds a batch (then only the
    /// writer's connection sees its changes).
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> EngineResult<T>,
    ) -> EngineResult<T> {
        if self.clock.now_ms() < self.next_due.load(Ordering::SeqCst) {
            self.read_undispatched(read)
        } else {
            self.transact(|tx, _| read(tx))
        }
    }

    /// A read whose answer no dispatch changes (keys, workspaces,
    /// webhooks): like [`Engine::read`], but it goes to a reader even while
    /// something is due, so it never waits for the writer (unless this
    /// thread holds a batch, or the database is in memory).
    pub(crate) fn read_undispatched<T>(
        &self,
        read: impl FnOnce(&Connection) -> EngineResult<T>,
    ) -> EngineResult<T> {
        match &self.readers {
            Some(readers) if !HOLDING.with(std::cell::Cell::get) => readers.run(read),
            _ => self.transact(|tx, _| read(tx)),
        }
    }

    /// Runs `command` in one transaction, after dispatching everything due.
    pub(crate) fn transact<T>(
        &self,
        command: impl FnOnce(&Connection, i64) -> EngineResult<T>,
    ) -> EngineResult<T> {
        self.transact_then(Rearm::Nothing, command)
    }

    /// Like `transact`, for commands that may make sends of `campaign` due:
    /// they are dispatched in the same transaction when due now, else
    /// remembered as the next event.
    pub(crate) fn transact_and_rearm<T>(
        &self,
        campaign: &str,
        command: impl FnOnce(&Connection, i64) -> EngineResult<T>,
    ) -> EngineResult<T> {
        self.transact_then(Rearm::Campaign(campaign), command)
    }

    /// Like `transact_and_rearm`, for commands that learn only as they run
    /// what they may have made due (a new campaign, a prospect's
    /// campaign): the command lowers the cell it is given to the earliest
    /// such time. Nothing else is looked at, so the cost does not grow
    /// with the number of campaigns.
    pub(crate) fn transact_reporting_due<T>(
        &self,
        command: impl FnOnce(&Connection, i64, &std::cell::Cell<i64>) -> EngineResult<T>,
    ) -> EngineResult<T> {
        let due = std::cell::Cell::new(i64::MAX);
        self.transact_then(Rearm::Reported(&due), |tx, now| command(tx, now, &due))
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
        let hooks = self
            .has_webhooks
            .load(Ordering::SeqCst)
            .then_some(&*self.dialects);
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
        // Readers use this to tell whether anything is due. They read the
        // last committed state, so while a batch is open they may show the
        // moment before its dispatch: a consistent, slightly older view.
        self.next_due.store(state.next_event_ms, Ordering::SeqCst);
        let my_batch = state.batch;
        // SQLite rolls the whole transaction back by itself after some
        // errors (disk full, I/O): then the batch is lost, not committable.
        let lost = state.conn.is_autocommit();
        if lost {
            self.end_batch(state, Err(batch_failed()))?;
        } else if HOLDING.with(std::cell::Cell::get) {
            // The holder commits when its commands are done.
        } else if !state.held && self.waiting.load(Ordering::SeqCst) == 0 {
            // Last of the burst: commit for everyone in the batch.
            let committed = exec(&state.conn, "COMMIT", []).map_err(EngineError::from);
            self.end_batch(state, committed)?;
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

    /// Closes the open batch with the outcome of its commit (rolled back
    /// when it failed) and wakes everyone waiting for it.
    fn end_batch(&self, state: &mut State, committed: EngineResult<usize>) -> EngineResult<()> {
        let batch = state.batch;
        state.open = false;
        state.batch += 1;
        let outcome = match committed {
            Ok(_) => {
                state.committed = batch;
                Ok(())
            }
            Err(error) => {
                let _ = exec(&state.conn, "ROLLBACK", []);
                state.failed = batch;
                state.next_event_ms = i64::MIN;
                self.next_due.store(i64::MIN, Ordering::SeqCst);
                state.dispatched_to_ms = state.batch_dispatched_from;
                self.forget_keys();
                Err(error)
            }
        };
        self.batch_done.notify_all();
        outcome
    }

    /// Runs `commands` (any number of engine calls from this thread) in one
    /// group commit: none of their changes is committed before they are
    /// all done, and then all of them are, with whatever other threads
    /// added to the batch meanwhile. True when that commit succeeded (or
    /// nothing was written); false when the batch was lost, and with it
    /// every change the commands made. A writer thread that serves many
    /// requests uses it to acknowledge them all after one commit.
    pub fn hold<R>(&self, commands: impl FnOnce() -> R) -> (R, bool) {
        let first = {
            let mut state = self.lock();
            state.held = true;
            state.batch
        };
        HOLDING.with(|h| h.set(true));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(commands));
        HOLDING.with(|h| h.set(false));
        let mut guard = self.lock();
        let state = &mut *guard;
        state.held = false;
        let committed = if state.open {
            let committed = exec(&state.conn, "COMMIT", []).map_err(EngineError::from);
            self.end_batch(state, committed).is_ok()
        } else {
            true
        };
        // A batch lost on the way took some of the commands' changes with
        // it: then none of them is reported committed.
        let committed = committed && state.failed < first;
        drop(guard);
        match result {
            Ok(result) => (result, committed),
            Err(panic) => std::panic::resume_unwind(panic),
        }
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
            store::wipe(tx)?;
            self.forget_keys();
            self.has_webhooks.store(false, Ordering::SeqCst);
            Ok(())
        })?;
        let mut state = self.lock();
        self.clock.rewind_virtual();
        state.dispatched_to_ms = self.clock.now_ms();
        state.next_event_ms = i64::MIN;
        self.next_due.store(i64::MIN, Ordering::SeqCst);
        Ok(())
    }
}

/// Executes a statement through the connection's statement cache: every
/// statement the engine runs is compiled once, not once per request.
///
/// A trap, measured: SQLite recompiles a statement on every new binding
/// when a parameter compared by `=` (or a range) takes part in choosing an
/// ORDER BY plan. Writing such parameters as `CAST(?N AS TEXT)` keeps the
/// index plan and the compiled statement.
pub(crate) fn exec(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// A fresh virtual-clock engine over an in-memory database (tests).
pub fn in_memory_virtual(dialects: Arc<dyn Dialects>) -> Engine {
    let conn = store::open(store::Location::Memory).expect("in-memory database opens");
    Engine::new(conn, Clock::virtual_at(VIRTUAL_EPOCH_MS), dialects).expect("engine starts")
}

/// Reads inside one transaction ([`Engine::snapshot`]).
pub struct Snapshot<'a> {
    pub(crate) tx: &'a Connection,
}
