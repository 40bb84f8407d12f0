//! Engine benchmarks (`cargo bench -p campaign-engine --bench engine`, or
//! `cargo xtask bench` for these and the HTTP figures):
//!
//! 1. pause latency with 10 vs 1,000,000 queued sends (goal: ratio <= 1.5);
//! 2. a 1,000,000-send campaign run to completion on the virtual clock
//!    (goal: under 3 s), as 1,000,000 prospects x 1 step and as
//!    100,000 prospects x 10 steps; then, in the same run, the floor of
//!    its data model: only the row writes a run of 1,000,000 one-step
//!    sends makes, on bare copies of the send and prospect tables, with
//!    the store's text keys and with integer keys;
//! 3. the first page of a campaign's prospects, 10 vs 1,000,000 of them;
//! 4. a dispatch of 10 sends beside 1,000,000 delivered ones, without and
//!    with a webhook subscribed to sent messages.
//!
//! The store is a real SQLite file in WAL mode, as in production. Figures
//! are medians of many repetitions; compare ratios measured in one run.

use std::time::{Duration, Instant};

use std::sync::Arc;

use campaign_engine::{
    CampaignIds, CampaignSeed, Channel, Clock, Dialects, DomainEvent, Engine, EngineStatus,
    IdScheme, PageFrom, ProspectIds, ProspectSeed, StartOptions, StepSeed, Uniform,
    VIRTUAL_EPOCH_MS, WorkspaceCreate, store,
};

const IDS: IdScheme = IdScheme {
    campaigns: CampaignIds::Prefixed("camp_"),
    prospects: ProspectIds::Text,
};

fn engine(name: &str) -> (Engine, std::path::PathBuf) {
    engine_with(name, Arc::new(Uniform(IDS)))
}

fn engine_with(name: &str, dialects: Arc<dyn Dialects>) -> (Engine, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("campaignd-bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let conn = store::open(store::Location::Dir(&dir)).unwrap();
    let engine = Engine::new(conn, Clock::virtual_at(VIRTUAL_EPOCH_MS), dialects).unwrap();
    engine
        .create_workspace(&WorkspaceCreate {
            id: Some("bench".into()),
            dialect: "bench".into(),
            name: None,
            requires_approval: false,
        })
        .unwrap();
    (engine, dir)
}

fn seed(id: &str, prospects: usize, steps: usize, delay_seconds: u64) -> CampaignSeed {
    CampaignSeed {
        id: Some(id.into()),
        name: id.into(),
        description: None,
        status: Some(EngineStatus::Active),
        steps: (0..steps)
            .map(|_| StepSeed {
                channel: Channel::Email,
                delay_seconds,
                subject: None,
                body: None,
            })
            .collect(),
        prospects: (0..prospects)
            .map(|n| ProspectSeed {
                id: Some(format!("{id}-p{n}")),
                email: Some(format!("p{n}@bench.example")),
                ..ProspectSeed::default()
            })
            .collect(),
        settings: None,
        script_id: None,
        scheduled_at: None,
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

/// Pause latency of a campaign, by `pause` (`view`: the campaign read
/// back for the answer) or `pause_without_view`; resumes between pauses
/// (not timed).
fn pause_latency(engine: &Engine, id: &str, rounds: usize, view: bool) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let changed = if view {
            engine.pause("bench", id, false).unwrap().changed
        } else {
            engine.pause_without_view("bench", id, false).unwrap()
        };
        samples.push(started.elapsed());
        assert!(changed);
        engine
            .start(
                "bench",
                id,
                StartOptions {
                    launch_drafts: true,
                    ..Default::default()
                },
            )
            .unwrap();
    }
    samples
}

fn bench_pause_latency() {
    let (engine, dir) = engine("pause");
    let started = Instant::now();
    engine
        .create_campaign("bench", &seed("small", 10, 1, 86_400))
        .unwrap();
    engine
        .create_campaign("bench", &seed("large", 1_000_000, 1, 86_400))
        .unwrap();
    let setup = started.elapsed();
    let large = engine.campaign(None, "large").unwrap();
    assert_eq!(large.counters.queued, 1_000_000);
    // Interleave the two so that machine noise hits both alike.
    let (mut small, mut big, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..10 {
        small.extend(pause_latency(&engine, "small", 100, true));
        big.extend(pause_latency(&engine, "large", 100, true));
        bare.extend(pause_latency(&engine, "small", 100, false));
    }
    let (small_median, big_median) = (median(small.clone()), median(big.clone()));
    println!(
        "pause latency (setup of 1,000,010 queued sends took {:.1} s)",
        setup.as_secs_f64()
    );
    println!(
        "  10 queued sends:        median {:>8.1} us   p90 {:>8.1} us",
        small_median.as_secs_f64() * 1e6,
        percentile(small, 0.9).as_secs_f64() * 1e6
    );
    println!(
        "  1,000,000 queued sends: median {:>8.1} us   p90 {:>8.1} us",
        big_median.as_secs_f64() * 1e6,
        percentile(big, 0.9).as_secs_f64() * 1e6
    );
    println!(
        "  10 queued sends, pause_without_view (no campaign read back): median {:>8.1} us   p90 {:>8.1} us",
        median(bare.clone()).as_secs_f64() * 1e6,
        percentile(bare, 0.9).as_secs_f64() * 1e6
    );
    println!(
        "  ratio (1,000,000 / 10): {:.2}   (goal <= 1.5)",
        big_median.as_secs_f64() / small_median.as_secs_f64()
    );
    // A page of prospects must not cost in proportion to the campaign.
    let page = |id: &str| {
        let started = Instant::now();
        let page = engine
            .list_prospects("bench", Some(id), PageFrom::Start, 10)
            .unwrap();
        assert_eq!(page.items.len(), 10);
        started.elapsed()
    };
    let (mut small, mut big) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        small.push(page("small"));
        big.push(page("large"));
    }
    let (small_median, big_median) = (median(small), median(big));
    println!(
        "first page of prospects: 10 prospects {:.1} us, 1,000,000 prospects {:.1} us (10 items each; ratio {:.2}, goal <= 1.5)",
        small_median.as_secs_f64() * 1e6,
        big_median.as_secs_f64() * 1e6,
        big_median.as_secs_f64() / small_median.as_secs_f64()
    );
    // A campaign's contact ids (VoiceGenie's campaign answer lists them):
    // the ids alone against every prospect loaded, on 1,000,000.
    let time = |read: &dyn Fn(&campaign_engine::Snapshot<'_>) -> usize| {
        let started = Instant::now();
        let count = engine.snapshot(|snapshot| Ok(read(snapshot))).unwrap();
        assert_eq!(count, 1_000_000);
        started.elapsed()
    };
    let ids = time(&|snapshot| {
        let campaign = snapshot.campaign(None, "large").unwrap();
        snapshot.prospect_ids(&campaign).unwrap().len()
    });
    let views = time(&|snapshot| snapshot.campaign_prospects(None, "large").unwrap().len());
    println!(
        "contact ids of 1,000,000 prospects: ids only {:.0} ms, every prospect loaded {:.0} ms",
        ids.as_secs_f64() * 1e3,
        views.as_secs_f64() * 1e3
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(dir);
}

fn bench_run_to_completion(prospects: usize, steps: usize) -> f64 {
    let (engine, dir) = engine(&format!("run-{prospects}x{steps}"));
    let name = format!("run{prospects}x{steps}");
    let started = Instant::now();
    engine
        .create_campaign("bench", &seed(&name, prospects, steps, 60))
        .unwrap();
    let setup = started.elapsed();
    let started = Instant::now();
    // Far enough for every step: each is due 60 s after the last and an
    // email is in transit 30 s.
    engine
        .advance_clock(((steps as i64) * 90 + 60) * 1000)
        .unwrap();
    let run = started.elapsed();
    let campaign = engine.campaign(None, &name).unwrap();
    assert_eq!(campaign.counters.delivered, (prospects * steps) as u64);
    assert_eq!(campaign.status, EngineStatus::Completed);
    println!(
        "run to completion, {prospects} prospects x {steps} steps = {} sends: {:.2} s \
         (enrolling and queueing took {:.2} s; goal under 3 s)",
        prospects * steps,
        run.as_secs_f64(),
        setup.as_secs_f64()
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(dir);
    run.as_secs_f64()
}

/// One dialect with one webhook event, a message sent, so that a
/// dispatch records its sends in the outbox.
struct Hooked;

impl Dialects for Hooked {
    fn label(&self, _dialect: &str) -> &'static str {
        "bench"
    }

    fn ids(&self, _dialect: &str) -> IdScheme {
        IDS
    }

    fn webhook_events(&self, _dialect: &str) -> &'static [&'static str] {
        &["message_sent"]
    }

    fn event_bodies(
        &self,
        _dialect: &str,
        event: &DomainEvent<'_>,
        now_ms: i64,
    ) -> Vec<(&'static str, String)> {
        match event {
            DomainEvent::MessageSent(sent) => vec![(
                "message_sent",
                format!(
                    r#"{{"prospect": "{}", "step": {}, "at": {now_ms}}}"#,
                    sent.prospect_id, sent.position
                ),
            )],
            _ => Vec::new(),
        }
    }
}

/// A dispatch of 10 sends beside 1,000,000 sends already delivered,
/// without and then with a webhook subscribed to sent messages: what a
/// send costs a workspace with a webhook should not grow with every send
/// ever made (the message-sent query once walked the whole send table in
/// each dispatch batch).
fn bench_dispatch_with_webhook() {
    let (engine, dir) = engine_with("webhook", Arc::new(Hooked));
    engine
        .create_campaign("bench", &seed("history", 1_000_000, 1, 0))
        .unwrap();
    engine.advance_clock(120_000).unwrap();
    let rounds = 30;
    let timed = |label: &str| {
        let mut samples = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let id = format!("{label}{round}");
            engine
                .create_campaign("bench", &seed(&id, 10, 1, 60))
                .unwrap();
            let started = Instant::now();
            engine.advance_clock(60_000).unwrap();
            samples.push(started.elapsed());
            let campaign = engine.campaign(None, &id).unwrap();
            assert_eq!(campaign.counters.in_flight, 10, "the sends started");
        }
        median(samples)
    };
    let without = timed("plain");
    engine
        .create_webhook(
            "bench",
            "https://hooks.example/sent",
            &["message_sent".to_string()],
        )
        .unwrap();
    let with = timed("hooked");
    let pending = engine
        .list_deliveries(&campaign_engine::DeliveryQuery::default())
        .unwrap()
        .len();
    assert_eq!(pending, 10 * rounds, "one delivery per send");
    println!(
        "dispatching 10 sends beside 1,000,000 delivered ones: median {:.2} ms without a \
         webhook, {:.2} ms with one subscribed to sent messages (ratio {:.2})",
        without.as_secs_f64() * 1e3,
        with.as_secs_f64() * 1e3,
        with.as_secs_f64() / without.as_secs_f64()
    );
    drop(engine);
    let _ = std::fs::remove_dir_all(dir);
}

/// What SQLite charges for the row writes alone that a run of `n`
/// one-step sends makes in the store's data model: each send written
/// once, started and delivered (a send that starts and completes within
/// one clock advance is never seen in flight), each prospect completed,
/// all in one transaction, as two set-based `UPDATE`s with no dispatch
/// logic around them. The tables copy the
/// store's `sends` and `prospects` with their indexes; `keys` picks the
/// store's text keys or integer ones (a prospect's rowid, codes for
/// states), the change a new data model would start from.
fn bench_row_write_floor(n: usize, keys: &str) -> f64 {
    let dir = std::env::temp_dir().join(format!(
        "campaignd-bench-floor-{keys}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let conn = rusqlite::Connection::open(dir.join("floor.sqlite3")).unwrap();
    // The store's settings (store::open_with).
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    conn.pragma_update(None, "cache_size", -262_144).unwrap();
    let text = keys == "text";
    // (key type, prospect key, state values, status values, channel value)
    let (key, prospect_key, [queued, in_flight, delivered], [active, completed], email) = if text {
        (
            "TEXT",
            "id",
            ["'queued'", "'in_flight'", "'delivered'"],
            ["'active'", "'completed'"],
            "'email'",
        )
    } else {
        ("INTEGER", "seq", ["0", "1", "2"], ["0", "1"], "0")
    };
    conn.execute_batch(&format!(
        "CREATE TABLE prospects (
             seq INTEGER PRIMARY KEY AUTOINCREMENT,
             id TEXT NOT NULL UNIQUE,
             public_id TEXT,
             campaign_id {key} NOT NULL,
             email TEXT,
             status {key} NOT NULL,
             position INTEGER NOT NULL DEFAULT 0,
             updated_at INTEGER);
         CREATE INDEX prospects_of_campaign ON prospects (campaign_id);
         CREATE INDEX prospects_open ON prospects (campaign_id) WHERE status = {active};
         CREATE INDEX prospects_by_public_id ON prospects (public_id);
         CREATE TABLE sends (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             campaign_id {key} NOT NULL,
             prospect_id {key} NOT NULL REFERENCES prospects({prospect_key}) ON DELETE CASCADE,
             position INTEGER NOT NULL,
             channel {key} NOT NULL,
             state {key} NOT NULL,
             due_at INTEGER NOT NULL,
             started_at INTEGER,
             completes_at INTEGER,
             finished_at INTEGER,
             UNIQUE (prospect_id, position));
         CREATE INDEX sends_queued ON sends (campaign_id, due_at, id) WHERE state = {queued};
         CREATE INDEX sends_in_flight ON sends (completes_at, id) WHERE state = {in_flight};
         CREATE INDEX sends_by_campaign ON sends (campaign_id, id);
         BEGIN;
         WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {last})
         INSERT INTO prospects (id, public_id, campaign_id, email, status)
             SELECT 'bench' || char(31) || 'run-p' || i, 'run-p' || i,
                    {campaign}, 'p' || i || '@bench.example', {active} FROM k;
         INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
             SELECT campaign_id, {prospect_key}, 0, {email}, {queued}, 60000 FROM prospects ORDER BY seq;
         COMMIT;",
        last = n - 1,
        campaign = if text { "'bench' || char(31) || 'run'" } else { "1" },
    ))
    .unwrap();
    let timed = |sql: &str| {
        let started = Instant::now();
        let changed = conn.execute(sql, []).unwrap();
        (started.elapsed().as_secs_f64(), changed)
    };
    let started = Instant::now();
    conn.execute_batch("BEGIN").unwrap();
    let (deliver, a) = timed(&format!(
        "UPDATE sends SET state = {delivered}, started_at = due_at, completes_at = due_at + 30000,
             finished_at = due_at + 30000
         WHERE state = {queued}"
    ));
    let (complete, c) = timed(&format!(
        "UPDATE prospects SET position = 1, status = {completed}, updated_at = s.finished_at
         FROM sends s WHERE s.state = {delivered} AND prospects.{prospect_key} = s.prospect_id"
    ));
    let (commit, _) = timed("COMMIT");
    let total = started.elapsed().as_secs_f64();
    assert_eq!((a, c), (n, n), "every row written");
    println!(
        "row-write floor of run to completion, {n} one-step sends, {keys} keys: {total:.2} s \
         (started and delivered {deliver:.2} s, prospects completed {complete:.2} s, \
         commit {commit:.2} s)"
    );
    drop(conn);
    let _ = std::fs::remove_dir_all(dir);
    total
}

fn main() {
    // `cargo bench` passes --bench; a filter argument picks one benchmark.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wanted("pause_latency") {
        bench_pause_latency();
    }
    if wanted("webhook_dispatch") {
        bench_dispatch_with_webhook();
    }
    if wanted("run_to_completion") {
        let run = bench_run_to_completion(1_000_000, 1);
        bench_run_to_completion(100_000, 10);
        let text = bench_row_write_floor(1_000_000, "text");
        let integer = bench_row_write_floor(1_000_000, "integer");
        println!(
            "  run to completion (1,000,000 x 1) / its row-write floor: {:.2} (text keys), \
             {:.2} (integer keys)",
            run / text,
            run / integer
        );
    }
}
