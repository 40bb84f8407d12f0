//! Storage: one embedded SQLite database, its schema migrations and its
//! durability settings. The engine runs every command as one transaction on
//! the connection opened here.
//!
//! Durability: WAL journal. With [`SyncMode::Process`] (`synchronous =
//! NORMAL`, the default) a commit is in the WAL (the operating system's
//! page cache) before the server answers, so an acknowledged write survives
//! a kill -9 of the process; only a power loss can take the last
//! transactions. [`SyncMode::PowerLoss`] (`synchronous = FULL`) fsyncs the
//! WAL at every commit (one per group commit), so an acknowledged write
//! survives a power loss too, at the disk's fsync time per batch.

use std::path::Path;

use rusqlite::Connection;

/// Schema migrations, applied in order; `PRAGMA user_version` records how
/// many have run. Never edit one that has shipped: append a new one.
/// `tests/store_upgrade.rs` holds a database written by version 2 and
/// proves that upgrading it gives exactly a fresh database's schema, so an
/// edited migration fails the test. (Migration 1 was edited before that
/// test existed, while the project was young; 1 and 2 are frozen as they
/// shipped last.)
const MIGRATIONS: &[&str] = &[
    // 1: the whole initial schema.
    r#"
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE workspaces (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        dialect TEXT NOT NULL,
        name TEXT NOT NULL,
        per_minute INTEGER,
        per_day INTEGER,
        prospects_per_minute INTEGER,
        requires_approval INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE api_keys (
        key TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        scopes TEXT NOT NULL,
        expires_at INTEGER,
        tier TEXT,
        demo INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE campaigns (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        description TEXT,
        status TEXT NOT NULL,
        is_archived INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        launched_at INTEGER,
        paused_at INTEGER,
        started_at INTEGER,
        email_transit_ms INTEGER NOT NULL,
        call_duration_ms INTEGER NOT NULL,
        linkedin_ms INTEGER NOT NULL,
        script_id TEXT,
        queued INTEGER NOT NULL DEFAULT 0,
        in_flight INTEGER NOT NULL DEFAULT 0,
        delivered INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        prospects INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX campaigns_by_workspace ON campaigns(workspace_id, seq);
    CREATE INDEX campaigns_by_status ON campaigns(status);
    CREATE TABLE steps (
        campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        channel TEXT NOT NULL,
        delay_ms INTEGER NOT NULL,
        subject TEXT,
        body TEXT,
        PRIMARY KEY (campaign_id, position)
    );
    CREATE TABLE prospects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        email TEXT,
        first_name TEXT,
        last_name TEXT,
        company TEXT,
        job_title TEXT,
        phone TEXT,
        linkedin_url TEXT,
        status TEXT NOT NULL,
        position INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX prospects_by_campaign ON prospects(campaign_id, status);
    CREATE TABLE sends (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        campaign_id TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
        prospect_id TEXT NOT NULL REFERENCES prospects(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        channel TEXT NOT NULL,
        state TEXT NOT NULL,
        due_at INTEGER NOT NULL,
        started_at INTEGER,
        completes_at INTEGER,
        finished_at INTEGER,
        UNIQUE (prospect_id, position)
    );
    CREATE INDEX sends_queued ON sends(campaign_id, due_at, id) WHERE state = 'queued';
    CREATE INDEX sends_in_flight ON sends(completes_at, id) WHERE state = 'in_flight';
    CREATE INDEX sends_by_campaign ON sends(campaign_id, id);
    CREATE TABLE webhooks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
        CREATE INDEX webhooks_by_workspace ON webhooks(workspace_id);
    CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER,
        last_status INTEGER,
                last_error TEXT,
        delivered_at INTEGER,
        claimed_at INTEGER
    );
    CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state = 'pending';
    CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, seq);
    CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at INTEGER NOT NULL,
        status INTEGER,
        error TEXT,
        PRIMARY KEY (delivery_id, attempt)
    );
    "#,
    // 2: a draft may be scheduled to start itself.
    r#"
    ALTER TABLE campaigns ADD COLUMN scheduled_at INTEGER;
    CREATE INDEX campaigns_scheduled ON campaigns (scheduled_at) WHERE scheduled_at IS NOT NULL;
    "#,
    // 3: the delivery worker's lease query finds abandoned claims by index.
    r#"
    CREATE INDEX deliveries_claimed ON deliveries (claimed_at) WHERE state = 'sending';
    "#,
    // 4: a prospect's status is off the index every prospect is listed by,
    // so completing a prospect rewrites only the open prospects' index
    // (dispatch completes a million in one run); listing a campaign's
    // prospects walks them in seq order without a sort.
    r#"
    DROP INDEX prospects_by_campaign;
    CREATE INDEX prospects_of_campaign ON prospects (campaign_id);
    CREATE INDEX prospects_open ON prospects (campaign_id) WHERE status IN ('active', 'paused');
    "#,
    // 5: workspaces are namespaces. A campaign's and a prospect's key is
    // its workspace id and its public id joined by the unit separator
    // (char 31); the public id is kept, indexed, for lookups that name no
    // workspace. Rows written before are re-keyed, references too (the
    // foreign keys are checked at the commit).
    r#"
    PRAGMA defer_foreign_keys = ON;
    ALTER TABLE campaigns ADD COLUMN public_id TEXT;
    ALTER TABLE prospects ADD COLUMN public_id TEXT;
    UPDATE sends SET
        prospect_id = (SELECT c.workspace_id FROM campaigns c WHERE c.id = sends.campaign_id) || char(31) || prospect_id,
        campaign_id = (SELECT c.workspace_id FROM campaigns c WHERE c.id = sends.campaign_id) || char(31) || campaign_id;
    UPDATE prospects SET
        public_id = id,
        id = (SELECT c.workspace_id FROM campaigns c WHERE c.id = prospects.campaign_id) || char(31) || id,
        campaign_id = (SELECT c.workspace_id FROM campaigns c WHERE c.id = prospects.campaign_id) || char(31) || campaign_id;
    UPDATE steps SET
        campaign_id = (SELECT c.workspace_id FROM campaigns c WHERE c.id = steps.campaign_id) || char(31) || campaign_id;
    UPDATE campaigns SET public_id = id, id = workspace_id || char(31) || id;
    CREATE INDEX campaigns_by_public_id ON campaigns (public_id);
    CREATE INDEX prospects_by_public_id ON prospects (public_id);
    "#,
];

/// The schema version this build writes (the number of migrations).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Where the database lives.
#[derive(Debug, Clone)]
pub enum Location<'a> {
    /// A file `campaigns.sqlite3` in this directory (created if needed).
    Dir(&'a Path),
    /// In memory: gone when the process ends. A single connection: there
    /// are no WAL readers, so every read waits for the writer's batch.
    Memory,
    /// A database file in a [`Scratch`] directory: nothing survives the
    /// process (no fsync; the directory is removed when its guard drops),
    /// but it is a WAL file like a directory's, so reads go to WAL readers
    /// and never wait for the writer (what `campaignd serve --memory` uses).
    Scratch(&'a Scratch),
}

/// A temporary directory for a [`Location::Scratch`] database, under the
/// system's temporary directory (`TMPDIR`; `/dev/shm` keeps it in RAM),
/// removed when dropped. Its owner holds an exclusive lock on a file in it
/// for as long as it lives, so the directory of a process that was killed
/// (and so never dropped its guard) is known by its lock being free, even
/// from another PID namespace sharing the directory, and is removed by the
/// next scratch directory made in the same place.
#[derive(Debug)]
pub struct Scratch {
    dir: std::path::PathBuf,
    /// The owner's lock (released when dropped, after the removal).
    _owner: std::fs::File,
}

/// The names of scratch directories: this prefix, the owner's process id,
/// a dash and a number.
const SCRATCH_PREFIX: &str = "campaignd-scratch-";

/// The file whose lock marks a scratch directory's owner as alive.
const SCRATCH_OWNER: &str = "owner.lock";

impl Scratch {
    /// Makes a fresh scratch directory (and removes those left by processes
    /// that no longer run).
    pub fn new() -> anyhow::Result<Self> {
        use anyhow::Context;
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let parent = std::env::temp_dir();
        remove_abandoned_scratch(&parent);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("{SCRATCH_PREFIX}{}-{n}", std::process::id());
        let dir = parent.join(&name);
        // Made under another name and renamed once its lock is held, so a
        // sweep never sees it unlocked.
        let making = parent.join(format!("{name}.new"));
        for old in [&dir, &making] {
            // An earlier process's with this process id: nothing of it is
            // wanted.
            let _ = std::fs::remove_dir_all(old);
        }
        std::fs::create_dir_all(&making)
            .with_context(|| format!("creating scratch directory {}", making.display()))?;
        let owner = std::fs::File::create(making.join(SCRATCH_OWNER))
            .context("creating the scratch directory's lock file")?;
        owner
            .lock()
            .context("locking the scratch directory's lock file")?;
        std::fs::rename(&making, &dir)
            .with_context(|| format!("naming scratch directory {}", dir.display()))?;
        Ok(Self { dir, _owner: owner })
    }

    /// Where the directory is.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Removes the scratch directories in `parent` whose owner's lock is free
/// (their process ended without removing them).
fn remove_abandoned_scratch(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let is_scratch = name
            .to_str()
            .and_then(|n| n.strip_prefix(SCRATCH_PREFIX))
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(pid, n)| {
                [pid, n]
                    .iter()
                    .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            });
        if !is_scratch {
            continue;
        }
        let Ok(owner) = std::fs::File::open(entry.path().join(SCRATCH_OWNER)) else {
            continue;
        };
        if owner.try_lock().is_ok() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// What an acknowledged write survives (a database in a directory).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncMode {
    /// A crash of the process (`synchronous = NORMAL`).
    #[default]
    Process,
    /// A power loss too (`synchronous = FULL`: an fsync per commit).
    PowerLoss,
}

/// Opens (creating and migrating as needed) the database, durable against
/// a crash of the process.
/// Compiled statements kept per connection. The engine runs about a
/// hundred distinct statements; rusqlite's default of 16 made a workload
/// that mixes creates with pauses and reads evict and recompile them on
/// every request (measured: the writer thread spent its time in SQLite's
/// parser, and a create every 32 requests cost 40% of the throughput).
pub(crate) const STATEMENT_CACHE: usize = 256;

pub fn open(location: Location<'_>) -> anyhow::Result<Connection> {
    open_with(location, SyncMode::Process)
}

/// [`open`], with the durability of a database in a directory chosen.
pub fn open_with(location: Location<'_>, sync: SyncMode) -> anyhow::Result<Connection> {
    use anyhow::Context;
    let wal = |dir: &Path, synchronous: &str| -> anyhow::Result<Connection> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating data directory {}", dir.display()))?;
        let path = dir.join("campaigns.sqlite3");
        let conn = Connection::open(&path)
            .with_context(|| format!("opening database {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .context("enabling WAL")?;
        conn.pragma_update(None, "synchronous", synchronous)
            .context("setting synchronous")?;
        Ok(conn)
    };
    let conn = match location {
        Location::Dir(dir) => wal(
            dir,
            match sync {
                SyncMode::Process => "NORMAL",
                SyncMode::PowerLoss => "FULL",
            },
        )?,
        // Nothing is to survive: no fsync, not even at checkpoints.
        Location::Scratch(scratch) => wal(scratch.path(), "OFF")?,
        Location::Memory => Connection::open_in_memory().context("opening in-memory database")?,
    };
    conn.pragma_update(None, "foreign_keys", "ON")
        .context("enabling foreign keys")?;
    // Up to 256 MiB of page cache (SQLite's default is 2 MiB), taken only
    // as pages are used: dispatching a million sends in one transaction
    // re-reads evicted pages otherwise (run to completion: 5.6 s -> 4.9 s).
    conn.pragma_update(None, "cache_size", -262_144)
        .context("sizing the page cache")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrate(&conn)?;
    // Scratch tables of the dispatcher: per connection, never persisted.
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS dispatch_done (
             send_id INTEGER PRIMARY KEY, campaign_id TEXT NOT NULL, prospect_id TEXT NOT NULL,
             position INTEGER NOT NULL, done_at INTEGER NOT NULL,
             fused INTEGER NOT NULL DEFAULT 0);
         CREATE TEMP TABLE IF NOT EXISTS dispatch_started (send_id INTEGER PRIMARY KEY);",
    )
    .context("creating the dispatcher's scratch tables")?;
    Ok(conn)
}

/// Checkpoints the WAL of a database file from a thread of its own, so
/// that no commit pays for a checkpoint (SQLite's automatic checkpoint runs
/// inside the commit that crosses its threshold, fsyncing the database
/// file there: the writer's worst latencies). Stops when dropped.
pub struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// How often the checkpointer runs.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl Checkpointer {
    /// Turns `writer`'s automatic checkpoints off and starts checkpointing
    /// its database file (PASSIVE: never waits for the writer) on a
    /// connection of its own. `None` for an in-memory database.
    pub fn start(writer: &Connection) -> anyhow::Result<Option<Self>> {
        let Some(path) = writer
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
        else {
            return Ok(None);
        };
        let own = Connection::open(&path)?;
        own.busy_timeout(std::time::Duration::from_millis(100))?;
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = std::sync::Arc::clone(&stop);
        std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    // A busy database is checkpointed next time.
                    let _ = own.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })?;
        Ok(Some(Self { stop }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Applies every migration not yet applied, each in its own transaction.
fn migrate(conn: &Connection) -> anyhow::Result<()> {
    use anyhow::Context;
    let applied: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    anyhow::ensure!(
        applied <= MIGRATIONS.len(),
        "database schema version {applied} is newer than this campaignd ({})",
        MIGRATIONS.len()
    );
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let version = index + 1;
        conn.execute_batch(&format!(
            "BEGIN; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))
        .with_context(|| format!("applying schema migration {version}"))?;
    }
    Ok(())
}

/// Deletes every row of every table (the schema stays), within the
/// caller's transaction.
pub fn wipe(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM delivery_attempts; DELETE FROM deliveries; DELETE FROM webhooks; DELETE FROM sends; DELETE FROM prospects; DELETE FROM steps;
         DELETE FROM campaigns; DELETE FROM api_keys; DELETE FROM workspaces;
         DELETE FROM meta;",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkpointer_empties_the_wal_and_a_memory_database_needs_none() {
        let dir = std::env::temp_dir().join(format!("campaignd-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let conn = open(Location::Dir(&dir)).unwrap();
        let checkpointer = Checkpointer::start(&conn)
            .unwrap()
            .expect("a file database");
        let auto: i64 = conn
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get(0))
            .unwrap();
        assert_eq!(auto, 0, "the writer no longer checkpoints in its commits");
        for n in 0..200 {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, 'v')",
                [n.to_string()],
            )
            .unwrap();
        }
        // Every frame is copied back by the checkpointer within a few rounds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (log, copied): (i64, i64) = conn
                .query_row("PRAGMA wal_checkpoint(NOOP)", [], |r| {
                    Ok((r.get(1)?, r.get(2)?))
                })
                .unwrap();
            if log > 0 && copied == log {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{copied} of {log} frames copied"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        drop(checkpointer);
        assert!(
            Checkpointer::start(&open(Location::Memory).unwrap())
                .unwrap()
                .is_none()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_sync_mode_sets_synchronous() {
        let dir = std::env::temp_dir().join(format!("campaignd-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (mode, expected) in [(SyncMode::Process, 1), (SyncMode::PowerLoss, 2)] {
            let conn = open_with(Location::Dir(&dir), mode).unwrap();
            let synchronous: i64 = conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .unwrap();
            assert_eq!(synchronous, expected, "{mode:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn migrations_are_idempotent_and_recorded() {
        let dir = std::env::temp_dir().join(format!("campaignd-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        {
            let conn = open(Location::Dir(&dir)).unwrap();
            conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])
                .unwrap();
        }
        let conn = open(Location::Dir(&dir)).unwrap();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let value: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(value, "v");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A scratch directory goes when its guard drops; one whose owner is
    /// gone (killed, so it never dropped its guard: its lock is free) goes
    /// when the next scratch directory is made, and one whose owner lives
    /// stays.
    #[test]
    fn scratch_directories_are_removed_and_abandoned_ones_swept() {
        let abandoned = std::env::temp_dir().join(format!("{SCRATCH_PREFIX}4000000000-0"));
        std::fs::create_dir_all(&abandoned).unwrap();
        std::fs::write(abandoned.join(SCRATCH_OWNER), b"").unwrap();
        std::fs::write(abandoned.join("campaigns.sqlite3"), b"left behind").unwrap();
        let living = Scratch::new().unwrap();
        let scratch = Scratch::new().unwrap();
        assert!(
            !abandoned.exists(),
            "a dead owner's scratch directory is removed"
        );
        assert!(
            living.path().exists(),
            "a living owner's scratch directory stays"
        );
        drop(living);
        let conn = open(Location::Scratch(&scratch)).unwrap();
        let journal: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        let synchronous: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(synchronous, 0, "a scratch store never fsyncs");
        let dir = scratch.path().to_path_buf();
        assert!(dir.join("campaigns.sqlite3").exists());
        drop(conn);
        drop(scratch);
        assert!(!dir.exists());
    }
}
