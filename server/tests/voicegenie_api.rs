//! The VoiceGenie face end to end: documented envelopes, errors, rate
//! limits and voice semantics, plus the generated client.

mod common;

use common::{Face, keys};
use serde_json::{Value, json};

const KEY: &str = "vg_test_key";
const ID: &str = "550e8400-e29b-41d4-a716-446655440000";

async fn face() -> Face {
    Face::start("voicegenie", KEY, &[]).await
}

fn campaign(status: &str, contacts: usize, steps: Value) -> Value {
    json!({
        "id": ID, "name": "Calls", "status": status, "steps": steps,
        "prospects": (0..contacts).map(|n| json!({"phone": format!("+1555000{n:04}")})).collect::<Vec<_>>(),
        "settings": {"callDurationSeconds": 120},
        "scriptId": "script_1"
    })
}

fn auth() -> [(&'static str, &'static str); 1] {
    [("x-api-key", KEY)]
}

fn assert_error(answer: &common::Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["success"], false);
    assert_eq!(answer.body["error"], code, "{}", answer.body);
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test]
async fn pause_counts_calls_in_progress_and_they_complete() {
    let face = face().await;
    face.seed(campaign(
        "active",
        3,
        json!([{"channel": "call"}, {"channel": "call", "delaySeconds": 30}]),
    ))
    .await;
    let answer = face
        .call("GET", &format!("/pauseTheCampaign/{ID}"), &auth(), None)
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["data"]["active_calls"], 3);
    assert_eq!(keys(&answer.body), ["data", "message", "success"]);
    assert_eq!(answer.headers["x-ratelimit-limit"], "60");
    face.advance(120).await;
    let view = face.campaign(ID).await;
    assert_eq!(
        view["counters"]["delivered"], 3,
        "calls in progress complete: {view}"
    );
    face.advance(600).await;
    assert_eq!(
        face.campaign(ID).await["counters"]["inFlight"],
        0,
        "no new call starts while paused"
    );
    // Start resumes: the second calls start 30 s after resuming, not before.
    let started = face
        .call("GET", &format!("/startCampaign/{ID}"), &auth(), None)
        .await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(started.body["data"]["status"], "running");
    assert_eq!(started.body["message"], "Campaign started successfully");
    face.advance(1).await;
    assert_eq!(face.campaign(ID).await["counters"]["inFlight"], 3);
    let again = face
        .call("GET", &format!("/startCampaign/{ID}"), &auth(), None)
        .await;
    assert_error(&again, 400, "CAMPAIGN_ALREADY_RUNNING");
    assert_eq!(again.body["message"], "Campaign is already running");
}

#[tokio::test]
async fn bad_input_gets_the_voicegenie_envelope() {
    let face = face().await;
    face.seed(campaign("active", 1, json!([{"channel": "call"}])))
        .await;
    let missing = face
        .call("GET", &format!("/pauseTheCampaign/{ID}"), &[], None)
        .await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.body,
        json!({"success": false, "message": "Invalid or missing API key"})
    );
    let wrong = face
        .call(
            "GET",
            &format!("/pauseTheCampaign/{ID}"),
            &[("x-api-key", "nope")],
            None,
        )
        .await;
    assert_eq!(wrong.status, 401);
    let malformed = face
        .call("GET", "/pauseTheCampaign/not-a-uuid", &auth(), None)
        .await;
    assert_error(&malformed, 404, "NOT_FOUND");
    let unknown = face
        .call(
            "GET",
            "/campaign/550e8400-e29b-41d4-a716-000000000000",
            &auth(),
            None,
        )
        .await;
    assert_error(&unknown, 404, "NOT_FOUND");
    for (method, path) in [
        ("POST", format!("/pauseTheCampaign/{ID}")),
        ("PUT", format!("/pauseTheCampaign/{ID}")),
        ("DELETE", format!("/startCampaign/{ID}")),
        ("PATCH", format!("/startCampaign/{ID}")),
        ("POST", format!("/campaign/{ID}")),
        ("POST", format!("/deleteCampaign/{ID}")),
    ] {
        let answer = face.call(method, &path, &auth(), None).await;
        assert_error(&answer, 405, "METHOD_NOT_ALLOWED");
        assert_eq!(answer.headers["allow"], "GET");
    }
    let limit = face
        .call("GET", "/fetchCampaignData?limit=0", &auth(), None)
        .await;
    assert_error(&limit, 400, "VALIDATION_ERROR");
    let limit = face
        .call("GET", "/fetchCampaignData?limit=abc", &auth(), None)
        .await;
    assert_error(&limit, 400, "VALIDATION_ERROR");
    let body = face
        .call("POST", "/uploadCampaignData", &auth(), Some("{nope"))
        .await;
    assert_error(&body, 400, "VALIDATION_ERROR");
    let running = face
        .call("GET", &format!("/deleteCampaign/{ID}"), &auth(), None)
        .await;
    assert_error(&running, 400, "CAMPAIGN_RUNNING");
    assert_eq!(
        running.body["message"],
        "Cannot delete a running campaign. Please pause it first."
    );
    assert_eq!(
        face.campaign(ID).await["status"],
        "active",
        "nothing changed"
    );
}

#[tokio::test]
async fn starting_needs_a_script_and_contacts() {
    let face = face().await;
    let upload = face
        .call(
            "POST",
            "/uploadCampaignData",
            &auth(),
            Some(r#"{"campaign_name": "Empty", "contacts": []}"#),
        )
        .await;
    assert_eq!(upload.status, 200, "{}", upload.body);
    let id = upload.body["data"]["campaign_id"]
        .as_str()
        .unwrap()
        .to_string();
    let start = face
        .call("GET", &format!("/startCampaign/{id}"), &auth(), None)
        .await;
    assert_error(&start, 422, "INVALID_CAMPAIGN_STATE");
    assert_eq!(
        start.body["details"]["missing"],
        json!(["script_id", "contacts"])
    );
}

#[tokio::test]
async fn upload_skips_duplicates_and_lists_page_by_page() {
    let face = face().await;
    let body = json!({
        "campaign_name": "Renewals", "script_id": "s1",
        "contacts": [{"phone_number": "+1"}, {"phone_number": "+2"}, {"phone_number": "+1"}, {"name": "no phone"}]
    });
    let upload = face
        .call(
            "POST",
            "/uploadCampaignData",
            &auth(),
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(upload.status, 200);
    assert_eq!(upload.body["data"]["uploaded_count"], 2);
    assert_eq!(upload.body["data"]["failed_count"], 2);
    for n in 0..3 {
        let body = json!({"campaign_name": format!("c{n}"), "contacts": [{"phone_number": "+9"}]});
        face.call(
            "POST",
            "/uploadCampaignData",
            &auth(),
            Some(&body.to_string()),
        )
        .await;
    }
    let page = face
        .call("GET", "/fetchCampaignData?limit=2&offset=1", &auth(), None)
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body["data"]["pagination"],
        json!({"total": 4, "limit": 2, "offset": 1})
    );
    let names: Vec<&str> = page.body["data"]["campaigns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c0", "c1"]);
    let id = upload.body["data"]["campaign_id"].as_str().unwrap();
    let got = face
        .call("GET", &format!("/campaign/{id}"), &auth(), None)
        .await;
    assert_eq!(got.body["data"]["campaign_status"], "draft");
    assert_eq!(got.body["data"]["total_count"], 2);
    let deleted = face
        .call("GET", &format!("/deleteCampaign/{id}"), &auth(), None)
        .await;
    assert_eq!(deleted.status, 200);
    let gone = face
        .call("GET", &format!("/campaign/{id}"), &auth(), None)
        .await;
    assert_error(&gone, 404, "NOT_FOUND");
}

#[tokio::test]
async fn the_rate_limit_is_60_per_minute_and_settable() {
    let face = face().await;
    face.sandbox("PUT", "/workspaces/ws/rate-limits", json!({"perMinute": 2}))
        .await;
    for _ in 0..2 {
        assert_eq!(
            face.call("GET", "/fetchCampaignData", &auth(), None)
                .await
                .status,
            200
        );
    }
    let refused = face.call("GET", "/fetchCampaignData", &auth(), None).await;
    assert_error(&refused, 429, "RATE_LIMIT_EXCEEDED");
    assert_eq!(refused.headers["x-ratelimit-remaining"], "0");
    let reset: i64 = refused.headers["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset > 1_767_603_600, "epoch seconds: {reset}");
    face.advance(60).await;
    assert_eq!(
        face.call("GET", "/fetchCampaignData", &auth(), None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_generated_client_pauses_and_starts() {
    use campaign_client::voicegenie;
    let face = face().await;
    face.seed(campaign("active", 2, json!([{"channel": "call"}])))
        .await;
    let client = voicegenie::Client::new_with_client(
        face.server.origin("voicegenie"),
        campaign_client::api_key_client("x-api-key", KEY).unwrap(),
    );
    let paused = client
        .pause_campaign()
        .campaign_id(ID)
        .send()
        .await
        .unwrap();
    assert_eq!(paused.data.active_calls, 2);
    match client.pause_campaign().campaign_id(ID).send().await {
        Err(voicegenie::Error::ErrorResponse(error)) => {
            assert_eq!(error.status(), 400);
            assert_eq!(error.error.as_deref(), Some("CAMPAIGN_NOT_RUNNING"));
        }
        other => panic!("expected CAMPAIGN_NOT_RUNNING, got {other:?}"),
    }
    let started = client
        .start_campaign()
        .campaign_id(ID)
        .send()
        .await
        .unwrap();
    assert_eq!(started.data.status, "running");
    let body: Value =
        serde_json::to_value(&*client.get_campaign().id(ID).send().await.unwrap()).unwrap();
    assert_eq!(body["data"]["campaign_status"], "running");
}

#[tokio::test]
async fn schedule_time_makes_a_scheduled_campaign_that_starts_itself() {
    let face = face().await;
    let upload = |schedule: Value, script: Value| {
        json!({
            "campaign_name": "Renewals", "script_id": script, "schedule_time": schedule,
            "contacts": [{"phone_number": "+14155550101"}]
        })
        .to_string()
    };
    // An hour after the sandbox clock (2026-01-05T09:00:00Z).
    let answer = face
        .call(
            "POST",
            "/uploadCampaignData",
            &auth(),
            Some(&upload(json!("2026-01-05T10:00:00Z"), json!("s1"))),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let id = answer.body["data"]["campaign_id"]
        .as_str()
        .unwrap()
        .to_string();
    let status = |body: &Value| body["data"]["campaign_status"].clone();
    let get = face
        .call("GET", &format!("/campaign/{id}"), &auth(), None)
        .await;
    assert_eq!(status(&get.body), "scheduled");
    // Not running yet: pausing it is CAMPAIGN_NOT_RUNNING.
    let pause = face
        .call("GET", &format!("/pauseTheCampaign/{id}"), &auth(), None)
        .await;
    assert_eq!(pause.status, 400);
    assert_eq!(pause.body["error"], "CAMPAIGN_NOT_RUNNING");
    face.advance(3599).await;
    let get = face
        .call("GET", &format!("/campaign/{id}"), &auth(), None)
        .await;
    assert_eq!(status(&get.body), "scheduled");
    face.advance(1).await;
    let get = face
        .call("GET", &format!("/campaign/{id}"), &auth(), None)
        .await;
    assert_eq!(status(&get.body), "running");
    assert_eq!(face.campaign(&id).await["counters"]["inFlight"], 1);

    // A time already past starts it at once; a bad time or a missing script
    // is a VALIDATION_ERROR.
    let past = face
        .call(
            "POST",
            "/uploadCampaignData",
            &auth(),
            Some(&upload(json!("2026-01-05T09:00:00Z"), json!("s1"))),
        )
        .await;
    let past_id = past.body["data"]["campaign_id"]
        .as_str()
        .unwrap()
        .to_string();
    let get = face
        .call("GET", &format!("/campaign/{past_id}"), &auth(), None)
        .await;
    assert_eq!(status(&get.body), "running");
    for (schedule, script, message) in [
        (
            json!("tomorrow"),
            json!("s1"),
            "schedule_time must be an ISO 8601 date-time",
        ),
        (
            json!("2026-01-06T10:00:00Z"),
            Value::Null,
            "a scheduled campaign needs a script_id",
        ),
    ] {
        let answer = face
            .call(
                "POST",
                "/uploadCampaignData",
                &auth(),
                Some(&upload(schedule, script)),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body["error"], "VALIDATION_ERROR");
        assert!(
            answer.body["message"]
                .as_str()
                .unwrap()
                .starts_with(message),
            "{}",
            answer.body
        );
    }
}
