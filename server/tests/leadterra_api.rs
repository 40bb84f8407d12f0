//! The Leadterra face end to end.

mod common;

use common::Face;
use serde_json::json;

const KEY: &str = "sk_test_abc123";

fn auth() -> [(&'static str, &'static str); 2] {
    [
        ("authorization", "Bearer sk_test_abc123"),
        ("content-type", "application/json"),
    ]
}

fn assert_error(answer: &common::Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
    assert_eq!(common::keys(&answer.body), ["error"]);
    assert_eq!(common::keys(&answer.body["error"]), ["code", "message"]);
}

#[tokio::test]
async fn a_campaign_runs_from_create_to_stats() {
    let face = Face::start("leadterra", KEY, &[]).await;
    let created = face
        .call(
            "POST",
            "/v1/campaigns",
            &auth(),
            Some(r#"{"name": "Launch", "sequenceSteps": [{"subject": "Hi", "bodyHtml": "<p>1</p>"}, {"subject": "Again", "bodyHtml": "<p>2</p>"}]}"#),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["status"], "draft");
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("camp_"));

    let start = face
        .call("POST", &format!("/v1/campaigns/{id}/start"), &auth(), None)
        .await;
    assert_error(&start, 400, "no_leads_enrolled");

    let leads = json!({"leads": [
        {"email": "a@x.example", "firstName": "A", "company": "X", "jobTitle": "CTO"},
        {"email": "b@x.example", "firstName": "B"}
    ]});
    let bulk = face
        .call(
            "POST",
            &format!("/v1/campaigns/{id}/leads/bulk"),
            &auth(),
            Some(&leads.to_string()),
        )
        .await;
    assert_eq!(bulk.body, json!({"enrolled": 2, "updated": 0, "total": 2}));

    let start = face
        .call(
            "POST",
            &format!("/v1/campaigns/{id}/start"),
            &auth(),
            Some(""),
        )
        .await;
    assert_eq!(start.status, 200, "{}", start.body);
    assert_eq!(start.body["status"], "running");
    let again = face
        .call("POST", &format!("/v1/campaigns/{id}/start"), &auth(), None)
        .await;
    assert_eq!(again.status, 200, "starting a running campaign is a no-op");

    face.advance(10).await;
    let stats = face
        .call("GET", &format!("/v1/campaigns/{id}/stats"), &auth(), None)
        .await;
    assert_eq!(stats.body["sent"], 2, "{}", stats.body);
    face.advance(30).await;
    let paused = face
        .call("POST", &format!("/v1/campaigns/{id}/pause"), &auth(), None)
        .await;
    assert_eq!(paused.body["status"], "paused");
    let stats = face
        .call("GET", &format!("/v1/campaigns/{id}/stats"), &auth(), None)
        .await;
    assert_eq!(
        (
            stats.body["delivered"].as_u64(),
            stats.body["queued"].as_u64()
        ),
        (Some(2), Some(2)),
        "held: {}",
        stats.body
    );

    // Re-enrolling a known lead updates it and keeps its position.
    let again =
        json!({"leads": [{"email": "a@x.example", "company": "Y"}, {"email": "c@x.example"}]});
    let bulk = face
        .call(
            "POST",
            &format!("/v1/campaigns/{id}/leads/bulk"),
            &auth(),
            Some(&again.to_string()),
        )
        .await;
    assert_eq!(bulk.body, json!({"enrolled": 1, "updated": 1, "total": 3}));
    let prospects = face
        .sandbox("GET", &format!("/campaigns/{id}/prospects"), json!(null))
        .await;
    let a = prospects["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["email"] == "a@x.example")
        .unwrap();
    assert_eq!(
        (a["position"].as_u64(), a["company"].as_str()),
        (Some(1), Some("Y"))
    );
}

#[tokio::test]
async fn bad_input_gets_leadterra_errors() {
    let face = Face::start("leadterra", KEY, &[]).await;
    face.seed(json!({"id": "camp_1", "name": "c", "status": "active", "steps": [{"channel": "email"}], "prospects": [{"email": "a@b.c"}]})).await;
    let pause = "/v1/campaigns/camp_1/pause";
    assert_error(
        &face.call("POST", pause, &[], None).await,
        401,
        "authentication_failed",
    );
    assert_error(
        &face
            .call("POST", pause, &[("authorization", "Basic abc")], None)
            .await,
        401,
        "authentication_failed",
    );
    assert_error(
        &face
            .call(
                "POST",
                pause,
                &[("authorization", "Bearer sk_live_nope")],
                None,
            )
            .await,
        401,
        "authentication_failed",
    );
    assert_error(
        &face.call("POST", pause, &auth(), Some("{oops")).await,
        400,
        "invalid_request",
    );
    assert_error(
        &face
            .call("POST", pause, &auth(), Some(r#"{"now": true}"#))
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &face
            .call("POST", "/v1/campaigns/camp_1/pause?x=1", &auth(), None)
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &face
            .call("POST", "/v1/campaigns/camp_nope/pause", &auth(), None)
            .await,
        404,
        "campaign_not_found",
    );
    assert_error(
        &face
            .call("POST", "/v1/campaigns", &auth(), Some(r#"{"name": ""}"#))
            .await,
        400,
        "invalid_request",
    );
    assert_error(
        &face
            .call(
                "POST",
                "/v1/campaigns",
                &auth(),
                Some(r#"{"name": "x", "extra": 1}"#),
            )
            .await,
        400,
        "invalid_request",
    );
    let bad_lead = r#"{"leads": [{"email": "not-an-email"}]}"#;
    assert_error(
        &face
            .call(
                "POST",
                "/v1/campaigns/camp_1/leads/bulk",
                &auth(),
                Some(bad_lead),
            )
            .await,
        400,
        "invalid_request",
    );
    assert_eq!(
        face.campaign("camp_1").await["status"],
        "active",
        "nothing changed"
    );
    // An empty body with Content-Type: application/json is fine.
    assert_eq!(
        face.call("POST", pause, &auth(), Some("")).await.status,
        200
    );
}

#[tokio::test]
async fn webhooks_are_created_with_a_secret_shown_once() {
    let face = Face::start("leadterra", KEY, &[]).await;
    let body =
        json!({"url": "http://127.0.0.1:9/hook", "events": ["campaign.started", "message.sent"]});
    let created = face
        .call("POST", "/v1/webhooks", &auth(), Some(&body.to_string()))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let webhook = &created.body["webhook"];
    assert!(webhook["id"].as_str().unwrap().starts_with("wh_"));
    assert_eq!(webhook["status"], "active");
    assert!(webhook["signingSecret"].as_str().unwrap().len() > 20);
    let insecure = json!({"url": "http://hooks.example.com/x", "events": ["message.sent"]});
    assert_error(
        &face
            .call("POST", "/v1/webhooks", &auth(), Some(&insecure.to_string()))
            .await,
        400,
        "invalid_request",
    );
    let unknown = json!({"url": "https://hooks.example.com/x", "events": ["campaign.paused"]});
    assert_error(
        &face
            .call("POST", "/v1/webhooks", &auth(), Some(&unknown.to_string()))
            .await,
        400,
        "invalid_request",
    );
}
