//! Freezing the real clock: time stands still and nothing falls due until
//! it is unfrozen; then the wall clock (moved on meanwhile) runs what fell
//! due. A virtual clock is left as it is.

use std::path::Path;
use std::time::Duration;

use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use serde_json::{Value, json};

fn serve(args: &[&str]) -> TestServer {
    let mut all = vec!["serve", "--memory", "--port", "0"];
    all.extend(args);
    TestServer::spawn(Path::new(env!("CARGO_BIN_EXE_campaignd")), &all).unwrap()
}

fn post(server: &TestServer, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}{path}", server.url("sandbox"));
    blocking::json("POST", &url, body.as_ref()).unwrap()
}

fn states(server: &TestServer) -> Vec<String> {
    let url = format!("{}/sends?campaignId=camp_frozen", server.url("sandbox"));
    let sends = blocking::json("GET", &url, None).unwrap();
    sends["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_frozen_clock_stands_still_until_unfrozen() {
    let server = serve(&[]);
    let frozen = post(&server, "/clock/freeze", None);
    assert_eq!(frozen["mode"], "frozen");
    post(
        &server,
        "/workspaces",
        Some(json!({"id": "acme", "dialect": "leadterra"})),
    );
    post(
        &server,
        "/workspaces/acme/campaigns",
        Some(json!({"id": "camp_frozen", "name": "F", "status": "active",
                    "steps": [{"channel": "email", "delaySeconds": 1}],
                    "prospects": [{"email": "a@example.com"}]})),
    );
    std::thread::sleep(Duration::from_millis(1_500));
    let clock = blocking::json("GET", &format!("{}/clock", server.url("sandbox")), None).unwrap();
    assert_eq!(clock["now"], frozen["now"], "time stood still");
    assert_eq!(states(&server), ["queued"], "nothing fell due while frozen");
    // Advancing is for virtual clocks only.
    let advance = blocking::call(
        "POST",
        &format!("{}/clock/advance", server.url("sandbox")),
        &[],
        Some(br#"{"seconds": 5}"#),
    )
    .unwrap();
    assert_eq!(advance.status, 409);

    let thawed = post(&server, "/clock/unfreeze", None);
    assert_eq!(thawed["mode"], "real");
    let started = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        states(&server) != ["queued"]
    });
    assert!(started, "the send started once the clock was unfrozen");
}

#[test]
fn a_virtual_clock_is_left_as_it_is() {
    let server = serve(&["--clock", "virtual"]);
    let before = blocking::json("GET", &format!("{}/clock", server.url("sandbox")), None).unwrap();
    assert_eq!(post(&server, "/clock/freeze", None), before);
    assert_eq!(post(&server, "/clock/unfreeze", None), before);
}
