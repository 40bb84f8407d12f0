//! A database written by an earlier build (schema version 2, the demo world
//! after an hour of virtual time, with a webhook) opens with this build:
//! it is upgraded in place, keeps every row, and ends with exactly the
//! schema a fresh database gets. An edited migration would make the two
//! schemas differ, so this also guards the rule "never edit a shipped
//! migration".

use std::sync::Arc;

use campaign_engine::{
    CampaignIds, Clock, Engine, EngineStatus, IdScheme, ProspectIds, Uniform, VIRTUAL_EPOCH_MS,
    store,
};
use rusqlite::Connection;

// The fixture must be older than this build, or nothing is upgraded.
const _: () = assert!(store::SCHEMA_VERSION > 2);

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/store-v2.sqlite3"
);

/// Every schema object's definition, sorted.
fn schema(conn: &Connection) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%'",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort();
    rows
}

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_version_2_database_is_upgraded_in_place_and_keeps_its_rows() {
    let dir = std::env::temp_dir().join(format!("campaign-store-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(FIXTURE, dir.join("campaigns.sqlite3")).unwrap();
    {
        let before = Connection::open(dir.join("campaigns.sqlite3")).unwrap();
        let version: i64 = before
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2, "the fixture is a version 2 database");
    }

    let conn = store::open(store::Location::Dir(&dir)).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version as usize, store::SCHEMA_VERSION);
    for (table, rows) in [
        ("workspaces", 5),
        ("api_keys", 7),
        ("campaigns", 5),
        ("prospects", 15),
        ("sends", 18),
        ("webhooks", 1),
    ] {
        assert_eq!(count(&conn, table), rows, "{table} kept every row");
    }
    let fresh = store::open(store::Location::Memory).unwrap();
    assert_eq!(
        schema(&conn),
        schema(&fresh),
        "an upgraded database has exactly a fresh database's schema"
    );

    // The engine runs on it: the stored virtual time resumes and the demo
    // world's campaigns are there.
    let ids = IdScheme {
        campaigns: CampaignIds::Uuid,
        prospects: ProspectIds::Text,
    };
    let clock = Clock::virtual_at(VIRTUAL_EPOCH_MS);
    let engine = Engine::new(conn, clock.clone(), Arc::new(Uniform(ids))).unwrap();
    assert_eq!(clock.now_ms(), VIRTUAL_EPOCH_MS + 3_600_000);
    let campaigns = engine
        .snapshot(|read| read.list_campaigns_by_offset("leadterra-demo", 0, 10))
        .unwrap()
        .0;
    assert_eq!(campaigns.len(), 1);
    assert_eq!(campaigns[0].status, EngineStatus::Active);
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}
