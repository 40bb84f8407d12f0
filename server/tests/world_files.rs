//! World files: an export loads into a fresh server as the same world
//! (YAML and JSON), the loaded world serves its vendor faces, a mistake is
//! refused at start with file, line, field and what was expected, and a
//! refused file loads nothing at all.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use serde_json::{Value, json};

fn campaignd() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_campaignd"))
}

/// A scratch directory of this test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("campaignd-world-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn serve(args: &[&str]) -> TestServer {
    let mut all = vec!["serve", "--port", "0", "--clock", "virtual"];
    all.extend(args);
    TestServer::spawn(campaignd(), &all).unwrap_or_else(|e| panic!("serve {args:?}: {e:#}"))
}

/// `GET /world`.
fn world(server: &TestServer) -> Value {
    blocking::json("GET", &format!("{}/world", server.url("sandbox")), None).unwrap()
}

/// `campaignd serve --port 0 <args>`, which must refuse to start: its
/// stderr.
fn refused(args: &[&str]) -> String {
    let mut all = vec!["--port", "0"];
    all.extend(args);
    common::refused_to_serve(&all)
}

#[test]
fn an_export_loads_as_the_same_world_in_yaml_and_json() {
    let first = serve(&["--memory", "--demo"]);
    let sandbox = first.url("sandbox").to_string();
    let post = |path: &str, body: Value| {
        blocking::json("POST", &format!("{sandbox}{path}"), Some(&body)).unwrap()
    };
    // Change the demo world in every part a world file has.
    post(
        "/workspaces",
        json!({"id": "acme", "dialect": "leadlex", "name": "Acme", "requiresApproval": true}),
    );
    blocking::json(
        "PUT",
        &format!("{sandbox}/workspaces/acme/rate-limits"),
        Some(&json!({"perMinute": 5000})),
    )
    .unwrap();
    post(
        "/workspaces/acme/keys",
        json!({"key": "wbk_acme", "scopes": ["campaigns:read"], "rateTier": "pro"}),
    );
    post(
        "/workspaces/acme/campaigns",
        json!({"id": "cmp_draft", "name": "Draft", "settings": {"emailTransitSeconds": 5},
               "steps": [{"channel": "email", "delaySeconds": 60, "subject": "Hi"}],
               "prospects": [{"id": "ct_1", "email": "a@example.com", "status": "paused"}]}),
    );
    post(
        "/workspaces/acme/webhooks",
        json!({"url": "http://127.0.0.1:9/hook", "events": ["campaign.paused"]}),
    );
    post(
        "/faults",
        json!({"dialect": "alta", "operationId": "resumeCampaign", "kind": "delay", "delayMs": 5, "count": 2}),
    );
    // A campaign paused through its vendor face, prospects too.
    let alta = first.url("alta").to_string();
    let paused = blocking::call(
        "POST",
        &format!("{alta}/campaigns/7c9e6679-7425-40de-944b-e07fc1f90ae7/pause"),
        &[("authorization", "Bearer alta_demo_token")],
        Some(br#"{"pauseProspects": true}"#),
    )
    .unwrap();
    assert_eq!(paused.status, 200, "{paused:?}");
    let exported = world(&first);
    assert_eq!(exported["workspaces"].as_array().unwrap().len(), 6);
    assert_eq!(exported["faults"][0]["count"], 2);

    let dir = scratch("round-trip");
    for (file, json) in [("world.yaml", false), ("world.json", true)] {
        let world_value: campaign_api::sandbox::World =
            serde_json::from_value(exported.clone()).unwrap();
        let path = dir.join(file);
        std::fs::write(&path, campaignd::world::to_text(&world_value, json)).unwrap();
        let second = serve(&["--memory", "--world", path.to_str().unwrap()]);
        assert_eq!(world(&second), exported, "{file} loads as the same world");
        assert!(second.stdout().contains("world.") && second.stdout().contains("loaded"));
        // Its keys work (not demo keys: this server has no --demo), and the
        // campaign is as it was exported.
        let read = blocking::call(
            "GET",
            &format!(
                "{}/campaigns/7c9e6679-7425-40de-944b-e07fc1f90ae7",
                second.url("alta")
            ),
            &[("authorization", "Bearer alta_demo_token")],
            None,
        )
        .unwrap();
        assert_eq!(read.status, 200, "{read:?}");
        assert_eq!(read.body["status"], "paused", "{read:?}");
        // A reset loads the world file again.
        blocking::call(
            "POST",
            &format!("{}/reset", second.url("sandbox")),
            &[],
            None,
        )
        .unwrap();
        assert_eq!(world(&second), exported, "{file}: after a reset");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The three kinds of mistake: the file is not YAML, a field is not one
/// the format has, a value is not one the field takes. Each names the
/// file, line, column and field, and what was expected.
#[test]
fn a_mistake_is_refused_with_its_line_and_field() {
    let dir = scratch("mistakes");
    let cases = [
        (
            "syntax.yaml",
            "workspaces:\n  - id: acme\n    dialect: alta\n   keys: [\n",
            "syntax.yaml:4:",
            "",
        ),
        (
            "field.yaml",
            "workspaces:\n  - id: acme\n    dialect: alta\n    campaigns:\n      - name: A\n        steps:\n          - channel: email\n            delaySecond: 60\n",
            "field.yaml:8:13: workspaces[0].campaigns[0].steps[0].delaySecond: unknown field `delaySecond`, expected one of `channel`, `delaySeconds`",
            "",
        ),
        (
            "value.json",
            "{\"workspaces\": [{\"id\": \"acme\",\n  \"dialect\": \"alta\",\n  \"campaigns\": [{\"name\": \"A\", \"status\": \"actve\"}]}]}",
            "value.json:3:",
            "workspaces[0].campaigns[0].status: unknown variant `actve`, expected one of `draft`, `active`",
        ),
    ];
    for (file, text, expected, also) in cases {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        let stderr = refused(&["--memory", "--world", path.to_str().unwrap()]);
        assert!(stderr.contains(expected), "{file}: {stderr}");
        assert!(stderr.contains(also), "{file}: {stderr}");
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file whose second workspace breaks a sandbox rule (an Alta campaign
/// id must be a UUID) is refused before anything is written: the first
/// workspace is not in the data directory afterwards.
#[test]
fn a_refused_world_loads_nothing() {
    let dir = scratch("nothing");
    let path = dir.join("world.yaml");
    std::fs::write(
        &path,
        "workspaces:\n  - id: fine\n    dialect: leadterra\n    keys: [{key: sk_fine}]\n  - id: broken\n    dialect: alta\n    campaigns:\n      - {id: not-a-uuid, name: A}\n",
    )
    .unwrap();
    let data = dir.join("data");
    let stderr = refused(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--world",
        path.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("world.yaml: workspaces[1].campaigns[0]:"),
        "{stderr}"
    );
    let server = serve(&["--data-dir", data.to_str().unwrap()]);
    assert_eq!(
        world(&server)["workspaces"],
        json!([]),
        "nothing was loaded"
    );
    drop(server);
    // A key another workspace holds is refused the same way.
    std::fs::write(
        &path,
        "workspaces:\n  - id: other\n    dialect: alta\n    keys: [{key: alta_demo_token}]\n",
    )
    .unwrap();
    let stderr = refused(&[
        "--data-dir",
        data.to_str().unwrap(),
        "--demo",
        "--world",
        path.to_str().unwrap(),
    ]);
    assert!(
        stderr.contains("workspaces[0].keys[0].key: the key \"alta_demo_token\" belongs to workspace \"alta-demo\""),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `worlds/world.schema.json` is the schema of the format as built, and
/// the demo world is valid against it.
#[test]
fn the_published_schema_is_current_and_the_demo_world_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let published = std::fs::read_to_string(root.join("worlds/world.schema.json")).unwrap();
    let printed = Command::new(campaignd())
        .args(["world", "schema"])
        .output()
        .unwrap();
    assert!(printed.status.success());
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap(),
        published,
        "worlds/world.schema.json is stale: run `campaignd world schema > worlds/world.schema.json`"
    );
    let schema: Value = serde_json::from_str(&published).unwrap();
    let demo: Value = serde_yaml::from_str(campaignd::world::DEMO).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&demo)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And a mistake is not.
    let wrong = json!({"workspaces": [{"id": "a", "dialect": "alta", "keyz": []}]});
    assert!(!validator.is_valid(&wrong));
}
