//! The auth matrix: every operation of every vendor face, read from its
//! checked-in document, called with each wrong credential, answers exactly
//! a status and body its document gives for that operation (timestamps
//! aside: they are the sandbox clock's), and changes nothing in the
//! database (every table compared before and after).
//!
//! Credentials: none, a malformed header, an unknown key, another face's
//! valid key, and (Leadlex) a read-only key on a write. A valid key of
//! another workspace in the same dialect reaches only that workspace: on
//! an object of the demo workspace it is the face's documented 404.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use campaignd::demo;
use common::documents::{Operation, document, documented, operations};
use serde_json::{Value, json};

const FACES: [&str; 5] = ["alta", "voicegenie", "leadterra", "leadlex", "woodpecker"];

/// A valid demo key of each face.
fn demo_key(face: &str) -> &'static str {
    match face {
        "alta" => demo::ALTA_TOKEN,
        "voicegenie" => demo::VOICEGENIE_KEY,
        "leadterra" => demo::LEADTERRA_KEY,
        "leadlex" => demo::LEADLEX_KEY,
        "woodpecker" => demo::WOODPECKER_KEYS[0],
        other => panic!("no face {other}"),
    }
}

/// A body with its timestamps blanked (they are the sandbox clock's).
fn untimed(mut body: Value) -> Value {
    fn walk(node: &mut Value) {
        match node {
            Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    if key == "timestamp" || key.ends_with("_at") || key.ends_with("At") {
                        *value = json!("<time>");
                    } else {
                        walk(value);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut body);
    body
}

/// Every row of every table, in rowid order.
fn database(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("campaigns.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let mut statement = conn
                .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY rowid"))
                .unwrap();
            let columns = statement.column_count();
            let rows = statement
                .query_map([], |r| {
                    (0..columns)
                        .map(|n| r.get::<_, rusqlite::types::Value>(n))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|values| format!("{values:?}"))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

/// The credential headers of `face` for `key`, or a malformed one.
fn credential(doc: &Value, key: Credential<'_>) -> Vec<(String, String)> {
    let scheme = doc["components"]["securitySchemes"]
        .as_object()
        .and_then(|s| s.values().next())
        .unwrap();
    let header = if scheme["type"] == "apiKey" {
        scheme["name"].as_str().unwrap().to_ascii_lowercase()
    } else {
        "authorization".to_string()
    };
    let value = match (key, scheme["type"] == "apiKey") {
        (Credential::None, _) => return Vec::new(),
        (Credential::Key(key), true) => key.to_string(),
        (Credential::Key(key), false) => format!("Bearer {key}"),
        (Credential::Malformed, true) => " ".to_string(),
        (Credential::Malformed, false) => "Bearer".to_string(),
    };
    vec![(header, value)]
}

#[derive(Clone, Copy)]
enum Credential<'a> {
    None,
    Malformed,
    Key(&'a str),
}

fn call(
    server: &TestServer,
    face: &str,
    op: &Operation,
    headers: &[(String, String)],
) -> (u16, Value) {
    let mut all: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let body = op.body.as_ref().map(|b| b.to_string());
    if body.is_some() {
        all.push(("content-type", "application/json"));
    }
    let answer = blocking::call(
        &op.method,
        &format!("{}{}", server.url(face), op.path),
        &all,
        body.as_deref().map(str::as_bytes),
    )
    .unwrap();
    (answer.status, answer.body)
}

#[test]
fn every_operation_refuses_every_wrong_credential_as_documented_and_changes_nothing() {
    let data = std::env::temp_dir().join(format!("campaignd-auth-matrix-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let server = TestServer::spawn(
        Path::new(env!("CARGO_BIN_EXE_campaignd")),
        [
            "serve".as_ref(),
            "--demo".as_ref(),
            "--clock".as_ref(),
            "virtual".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--data-dir".as_ref(),
            data.as_os_str(),
        ],
    )
    .unwrap();
    // A second workspace in each dialect, with a key of its own.
    let mut other_keys = BTreeMap::new();
    for face in FACES {
        let ws = format!("other-{face}");
        let key = match face {
            "leadterra" => "sk_test_other_workspace".to_string(),
            "leadlex" => "wbk_other_workspace".to_string(),
            _ => format!("other_workspace_{face}"),
        };
        let sandbox = server.url("sandbox");
        blocking::json(
            "POST",
            &format!("{sandbox}/workspaces"),
            Some(&json!({"id": ws, "dialect": face})),
        )
        .unwrap();
        blocking::json(
            "POST",
            &format!("{sandbox}/workspaces/{ws}/keys"),
            Some(&json!({"key": key, "scopes": ["campaigns:read", "campaigns:write"]})),
        )
        .unwrap();
        other_keys.insert(face, key);
    }
    let before = database(&data);
    let mut cells = 0;
    let mut per_row: BTreeMap<(&str, &str, u16), u32> = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, face) in FACES.iter().enumerate() {
        let doc = document(face);
        let another_face = demo_key(FACES[(n + 1) % FACES.len()]);
        for op in operations(&doc) {
            let mut cases: Vec<(&str, Credential<'_>, u16)> = vec![
                ("no credential", Credential::None, 401),
                ("a malformed header", Credential::Malformed, 401),
                (
                    "an unknown key",
                    Credential::Key("no_such_key_0123456789"),
                    401,
                ),
                ("another face's key", Credential::Key(another_face), 401),
            ];
            if *face == "leadlex" && op.method != "GET" {
                cases.push((
                    "a read-only key",
                    Credential::Key(demo::LEADLEX_READONLY_KEY),
                    403,
                ));
            }
            if op.has_path_id {
                cases.push((
                    "another workspace's key",
                    Credential::Key(&other_keys[face]),
                    404,
                ));
            }
            for (what, key, expected) in cases {
                cells += 1;
                *per_row.entry((face, what, expected)).or_default() += 1;
                let (status, body) = call(&server, face, &op, &credential(&doc, key));
                let label = format!("{face} {} {} with {what}", op.method, op.path);
                if status != expected {
                    failures.push(format!("{label}: {status} (expected {expected}): {body}"));
                    continue;
                }
                let bodies = documented(&doc, &op, status);
                if bodies.is_empty() {
                    failures.push(format!("{label}: the document gives no {status} example"));
                } else if !bodies
                    .iter()
                    .any(|b| untimed(b.clone()) == untimed(body.clone()))
                {
                    failures.push(format!(
                        "{label}: {body} is none of the documented {bodies:?}"
                    ));
                }
            }
        }
    }
    let after = database(&data);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    assert!(cells > 150, "only {cells} cells");
    assert!(
        failures.is_empty(),
        "{} of {cells} cells:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (table, rows) in &before {
        assert_eq!(rows, &after[table], "table {table} changed");
    }
    eprintln!("auth matrix: {cells} cells, 0 failures, no table changed");
    write_report(cells, &per_row);
}

/// The matrix's size and result, for the reliability report beside the
/// conformance one: `target/reliability/auth-matrix.md` (written only when
/// every cell passed).
fn write_report(cells: usize, per_row: &BTreeMap<(&str, &str, u16), u32>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate is in the workspace");
    let dir = campaign_test_utils::target_dir(root).join("reliability");
    let mut text = format!(
        "# Auth matrix (`cargo test -p campaignd --test auth_matrix`)\n\n\
         Every operation of the five vendor documents, with each wrong credential: \
         {cells} cells, **0 failures**; every SQLite table identical before and after.\n\n\
         | face | credential | answer | operations |\n|---|---|---|---|\n"
    );
    for ((face, what, status), n) in per_row {
        text.push_str(&format!("| {face} | {what} | {status} | {n} |\n"));
    }
    std::fs::create_dir_all(&dir).expect("creating target/reliability");
    std::fs::write(dir.join("auth-matrix.md"), text).expect("writing the auth matrix report");
}
