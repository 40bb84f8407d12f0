//! The engine's guarantees under concurrency (guarantee 4 of
//! `guarantees.rs`): concurrent pause, resume and start never lose an
//! update; concurrent enrolments all land; a snapshot never mixes two
//! moments; a held batch commits every command at once.

mod common;

use std::sync::Arc;

use campaign_engine::*;
use common::*;

/// Guarantee 4: many threads pause and resume one campaign at once; the
/// acknowledged transitions must form one valid history.
#[test]
fn concurrent_pause_and_resume_never_lose_an_update() {
    let engine = Arc::new(world());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                let (mut paused, mut resumed) = (0u32, 0u32);
                for n in 0..250 {
                    if (n + t) % 2 == 0 {
                        paused += u32::from(engine.pause(WS, CAMPAIGN, false).unwrap().changed);
                    } else {
                        resumed += u32::from(
                            engine
                                .start(WS, CAMPAIGN, StartOptions::default())
                                .unwrap()
                                .changed,
                        );
                    }
                }
                (paused, resumed)
            })
        })
        .collect();
    let (paused, resumed) = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .fold((0, 0), |(p, r), (dp, dr)| (p + dp, r + dr));
    // Starting from active, changes alternate: pause, resume, pause, ...
    let status = engine.campaign(None, CAMPAIGN).unwrap().status;
    match status {
        EngineStatus::Paused => assert_eq!(paused, resumed + 1),
        EngineStatus::Active => assert_eq!(paused, resumed),
        other => panic!("impossible state {other:?}"),
    }
    assert!(paused > 0 && resumed > 0);
}

/// Guarantee 4 for inserts: concurrent enrolments all land, and counters
/// agree with the rows.
#[test]
fn concurrent_enrolments_all_land() {
    let engine = Arc::new(world());
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let engine = Arc::clone(&engine);
            std::thread::spawn(move || {
                for n in 0..25 {
                    let seed = ProspectSeed {
                        id: Some(format!("c{t}-{n}")),
                        ..ProspectSeed::default()
                    };
                    engine.add_prospects(WS, CAMPAIGN, &[seed]).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let campaign = engine.campaign(None, CAMPAIGN).unwrap();
    assert_eq!(campaign.prospect_count, (PROSPECTS + 200) as u64);
    assert_eq!(campaign.counters.queued, (PROSPECTS + 200) as u64);
    assert_eq!(
        engine.campaign_prospects(None, CAMPAIGN).unwrap().len(),
        PROSPECTS + 200
    );
}

#[test]
fn a_refused_start_changes_nothing_and_an_accepted_one_starts() {
    let engine = world();
    engine.pause(WS, CAMPAIGN, false).unwrap();
    let refused = engine
        .start_unless(WS, CAMPAIGN, StartOptions::default(), |c| {
            (c.status == EngineStatus::Paused).then_some("held")
        })
        .unwrap();
    assert_eq!(refused.err(), Some("held"));
    assert_eq!(
        engine.campaign(Some(WS), CAMPAIGN).unwrap().status,
        EngineStatus::Paused
    );
    let started = engine
        .start_unless(WS, CAMPAIGN, StartOptions::default(), |_| None::<()>)
        .unwrap()
        .unwrap();
    assert!(started.changed);
    assert_eq!(started.value.status, EngineStatus::Active);
}

/// A snapshot's reads agree with each other while enrolments land between
/// them: the campaign's prospect count is always the number of prospects
/// listed in the same snapshot.
#[test]
fn a_snapshot_never_mixes_two_moments() {
    let engine = Arc::new(world());
    let writer = {
        let engine = Arc::clone(&engine);
        std::thread::spawn(move || {
            for n in 0..300 {
                let seed = ProspectSeed {
                    id: Some(format!("s{n}")),
                    ..ProspectSeed::default()
                };
                engine.add_prospects(WS, CAMPAIGN, &[seed]).unwrap();
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() || reads == 0 {
        let (count, listed) = engine
            .snapshot(|read| {
                let campaign = read.campaign(Some(WS), CAMPAIGN)?;
                let prospects = read.campaign_prospects(Some(WS), CAMPAIGN)?;
                Ok((campaign.prospect_count, prospects.len()))
            })
            .unwrap();
        assert_eq!(count, listed as u64, "after {reads} reads");
        reads += 1;
    }
    writer.join().unwrap();
    let (page, total) = engine
        .snapshot(|read| read.list_campaigns_by_offset(WS, 0, 10))
        .unwrap();
    assert_eq!((page.len(), total), (1, 1));
    assert_eq!(page[0].prospect_count, (PROSPECTS + 300) as u64);
}

/// `hold` commits the changes of all its commands at once, after the
/// last: another connection sees none of them before and all after, and
/// the engine's reads from other threads do not wait for it.
#[test]
fn a_held_batch_commits_every_command_at_once() {
    let dir = std::env::temp_dir().join(format!("campaign-engine-hold-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let conn = campaign_engine::store::open(campaign_engine::store::Location::Dir(&dir)).unwrap();
    held_batch_commits_at_once(&dir, conn);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same in a scratch store (`campaignd serve --memory`): nothing is
/// kept, but reads do not wait for the writer either.
#[test]
fn a_held_batch_commits_every_command_at_once_in_a_scratch_store() {
    let scratch = campaign_engine::store::Scratch::new().unwrap();
    let conn =
        campaign_engine::store::open(campaign_engine::store::Location::Scratch(&scratch)).unwrap();
    held_batch_commits_at_once(scratch.path(), conn);
    let dir = scratch.path().to_path_buf();
    drop(scratch);
    assert!(!dir.exists(), "a dropped scratch directory is removed");
}

fn held_batch_commits_at_once(dir: &std::path::Path, conn: rusqlite::Connection) {
    let engine = Engine::new(
        conn,
        campaign_engine::Clock::virtual_at(campaign_engine::VIRTUAL_EPOCH_MS),
        Arc::new(Uniform(IdScheme {
            campaigns: CampaignIds::Prefixed("camp_"),
            prospects: ProspectIds::Text,
        })),
    )
    .unwrap();
    engine
        .create_workspace(&WorkspaceCreate {
            id: Some(WS.into()),
            dialect: "hold".into(),
            name: None,
            requires_approval: false,
        })
        .unwrap();
    for id in ["camp_a", "camp_b"] {
        let mut seed = CampaignSeed::named(id.into());
        seed.id = Some(id.into());
        seed.status = Some(EngineStatus::Active);
        engine.create_campaign(WS, &seed).unwrap();
    }
    let observer = rusqlite::Connection::open(dir.join("campaigns.sqlite3")).unwrap();
    let statuses = || -> Vec<String> {
        let mut stmt = observer
            .prepare("SELECT status FROM campaigns ORDER BY id")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let engine = Arc::new(engine);
    let (seen_inside, committed) = engine.hold(|| {
        engine.pause(WS, "camp_a", false).unwrap();
        // A read from another thread does not wait for the open batch: it
        // answers at once, with the last committed state. So does every
        // other read the sandbox API and the inspector make.
        let read = at_once(&engine, "a campaign", |e| {
            e.campaign(Some(WS), "camp_a").map(|c| c.status)
        });
        assert_eq!(read, EngineStatus::Active);
        at_once(&engine, "a workspace", |e| e.workspace(WS).map(drop));
        at_once(&engine, "the workspaces", |e| e.list_workspaces().map(drop));
        at_once(&engine, "the webhooks", |e| e.list_webhooks(WS).map(drop));
        at_once(&engine, "the deliveries", |e| {
            e.list_deliveries(&DeliveryQuery::default()).map(drop)
        });
        at_once(&engine, "the sends", |e| {
            e.list_sends(&SendQuery::default()).map(drop)
        });
        let after_one = statuses();
        engine.pause(WS, "camp_b", false).unwrap();
        (after_one, statuses())
    });
    assert!(committed);
    assert_eq!(
        seen_inside.0,
        ["active", "active"],
        "nothing committed mid-hold"
    );
    assert_eq!(
        seen_inside.1,
        ["active", "active"],
        "nothing committed mid-hold"
    );
    assert_eq!(
        statuses(),
        ["paused", "paused"],
        "everything committed after"
    );
    // A hold that writes nothing reports success too.
    assert_eq!(engine.hold(|| 7), (7, true));
}

/// Runs `read` on another thread and returns its answer, failing if it
/// does not answer within 10 s (it would wait for a held batch forever).
fn at_once<T: Send + 'static>(
    engine: &Arc<Engine>,
    what: &str,
    read: impl FnOnce(&Engine) -> EngineResult<T> + Send + 'static,
) -> T {
    let (sent, answered) = std::sync::mpsc::channel();
    let reader = Arc::clone(engine);
    std::thread::spawn(move || {
        let _ = sent.send(read(&reader));
    });
    answered
        .recv_timeout(std::time::Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("reading {what} during a held batch waited for it"))
        .unwrap_or_else(|e| panic!("reading {what}: {e}"))
}

/// A key nobody holds is refused from a WAL reader, without the engine
/// lock: a long command (a clock advance through 150,000 sends) does not
/// hold the answer up, so a burst of unknown keys never queues behind it.
/// The same for reading the workspaces, their keys and webhooks.
#[test]
fn an_unknown_key_is_refused_while_a_long_command_runs() {
    let dir = std::env::temp_dir().join(format!("campaign-engine-keys-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let engine = seeded(open(&dir));
    let mut seed = CampaignSeed::named("big".into());
    seed.id = Some("camp_big".into());
    seed.status = Some(EngineStatus::Active);
    seed.steps = vec![StepSeed {
        channel: Channel::Email,
        delay_seconds: 0,
        subject: None,
        body: None,
    }];
    seed.prospects = prospects("big", 150_000);
    engine.create_campaign(WS, &seed).unwrap();
    let engine = Arc::new(engine);
    let (started, busy_now) = std::sync::mpsc::channel();
    let busy = {
        let engine = Arc::clone(&engine);
        std::thread::spawn(move || {
            started.send(()).unwrap();
            let began = std::time::Instant::now();
            engine.advance_clock(3_600_000).unwrap();
            began.elapsed()
        })
    };
    busy_now.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let began = std::time::Instant::now();
    assert!(engine.find_key("nobody_holds_this").unwrap().is_none());
    engine.workspace(WS).unwrap();
    engine.list_workspaces().unwrap();
    engine.api_keys(WS).unwrap();
    engine.list_webhooks(WS).unwrap();
    let reads = began.elapsed();
    let command = busy.join().unwrap();
    // Waiting for the lock, the reads would take most of the command's
    // time (they start 50 ms into it).
    assert!(
        reads * 4 < command,
        "the reads took {reads:?} during a command of {command:?}: they waited for the lock"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
