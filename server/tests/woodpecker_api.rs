//! The Woodpecker face end to end, throttling included.

mod common;

use common::Face;
use serde_json::json;

const KEY: &str = "wp_test_key";

fn auth() -> [(&'static str, &'static str); 2] {
    [("x-api-key", KEY), ("content-type", "application/json")]
}

async fn world() -> Face {
    let face = Face::start("woodpecker", KEY, &[]).await;
    face.seed(json!({
        "id": "777", "name": "Cold", "status": "active",
        "steps": [{"channel": "email", "delaySeconds": 60}], "prospects": [{"email": "a@x.example"}]
    }))
    .await;
    face
}

fn assert_problem(answer: &common::Answer, status: u16, detail: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(
        common::keys(&answer.body),
        ["detail", "status", "timestamp", "title"]
    );
    assert_eq!(answer.body["status"], status);
    assert_eq!(answer.body["detail"], detail);
    let timestamp = answer.body["timestamp"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{timestamp}"
    );
}

#[tokio::test]
async fn lifecycle_with_bodiless_answers() {
    let face = world().await;
    let pause = face
        .call("POST", "/rest/v2/campaigns/777/pause", &auth(), None)
        .await;
    assert_eq!(
        (pause.status, pause.raw.len()),
        (200, 0),
        "200 with no body at all"
    );
    assert!(!pause.headers.contains_key("content-type"));
    assert_eq!(
        face.call("POST", "/rest/v2/campaigns/777/pause", &auth(), None)
            .await
            .status,
        200,
        "no-op"
    );
    let got = face
        .call("GET", "/rest/v2/campaigns/777", &auth(), None)
        .await;
    assert_eq!(
        (got.body["id"].as_u64(), got.body["status"].as_str()),
        (Some(777), Some("PAUSED"))
    );
    assert_eq!(
        face.call("POST", "/rest/v2/campaigns/777/stop", &auth(), None)
            .await
            .status,
        200
    );
    let stopped = face
        .call("GET", "/rest/v2/campaigns/777", &auth(), None)
        .await;
    assert_eq!(stopped.body["status"], "STOPPED");
    assert_problem(
        &face
            .call("POST", "/rest/v2/campaigns/777/pause", &auth(), None)
            .await,
        400,
        "Campaign is not running.",
    );
    assert_eq!(
        face.call("POST", "/rest/v2/campaigns/777/run", &auth(), None)
            .await
            .status,
        200
    );
    assert_eq!(
        face.call("GET", "/rest/v2/campaigns/777", &auth(), None)
            .await
            .body["status"],
        "RUNNING"
    );
    assert_problem(
        &face
            .call("DELETE", "/rest/v2/campaigns/777", &auth(), None)
            .await,
        409,
        "Campaign is running: pause or stop it before deleting.",
    );

    let created = face
        .call("POST", "/rest/v2/campaigns", &auth(), Some(r#"{"name": "New", "emails": [{"subject": "s", "body": "b"}], "prospects": [{"email": "p@x.example"}]}"#))
        .await;
    assert_eq!(created.body["status"], "DRAFT", "{}", created.body);
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(
        face.call(
            "POST",
            &format!("/rest/v2/campaigns/{id}/run"),
            &auth(),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(
        face.call(
            "POST",
            &format!("/rest/v2/campaigns/{id}/pause"),
            &auth(),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(
        face.call("DELETE", &format!("/rest/v2/campaigns/{id}"), &auth(), None)
            .await
            .status,
        200
    );
    let gone = face
        .call("GET", &format!("/rest/v2/campaigns/{id}"), &auth(), None)
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body,
        json!({"code": "CAMPAIGN_NOT_EXIST", "message": "Campaign not found", "details": null})
    );
}

#[tokio::test]
async fn bad_input_gets_the_documented_shapes() {
    let face = world().await;
    for path in [
        "/rest/v2/campaigns/{campaign_id}/pause",
        "/rest/v2/campaigns/-1/pause",
        "/rest/v2/campaigns/0/pause",
        "/rest/v2/campaigns/1.5/pause",
    ] {
        assert_problem(
            &face.call("POST", path, &auth(), None).await,
            400,
            "Value of campaign_id is incorrect.",
        );
    }
    assert_problem(
        &face
            .call("POST", "/rest/v2/campaigns/777/pause", &[], None)
            .await,
        401,
        "Invalid api key",
    );
    let bad_json = face
        .call("POST", "/rest/v2/campaigns", &auth(), Some("{"))
        .await;
    assert_eq!(bad_json.status, 400);
    assert_eq!(
        common::keys(&bad_json.body),
        ["detail", "status", "timestamp", "title"]
    );
    assert_eq!(face.campaign("777").await["status"], "active");
}

#[tokio::test]
async fn one_request_at_a_time_per_key_six_waiting_the_rest_refused() {
    let face = world().await;
    // Every getCampaign takes 300 ms: one runs, six wait, the eighth is refused.
    face.sandbox(
        "POST",
        "/faults",
        json!({"dialect": "woodpecker", "operationId": "getCampaign", "kind": "delay", "delayMs": 300, "count": 8}),
    )
    .await;
    let started = std::time::Instant::now();
    let headers = auth();
    let calls = (0..8).map(|_| face.call("GET", "/rest/v2/campaigns/777", &headers, None));
    let answers = futures::future::join_all(calls).await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let refused: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(
        (ok, refused.len()),
        (7, 1),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(
        common::keys(&refused[0].body),
        ["detail", "status", "timestamp", "title"]
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(7 * 300),
        "processed one at a time"
    );
}
