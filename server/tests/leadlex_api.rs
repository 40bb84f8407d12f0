//! The Leadlex face end to end.

mod common;

use common::Face;
use serde_json::json;

const BASE: &str = "/functions/v1/api-gateway/v1/campaigns";
const KEY: &str = "wbk_rw_test";

fn auth(key: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {key}"))]
}

async fn call(face: &Face, method: &str, path: &str, key: &str) -> common::Answer {
    let headers = auth(key);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    face.call(method, path, &headers, None).await
}

fn assert_error(answer: &common::Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
    assert_eq!(
        common::keys(&answer.body["error"]),
        ["code", "details", "message"]
    );
}

async fn world() -> Face {
    let face = Face::start("leadlex", KEY, &["campaigns:read", "campaigns:write"]).await;
    face.sandbox(
        "POST",
        "/workspaces/ws/keys",
        json!({"key": "wbk_ro", "scopes": ["campaigns:read"]}),
    )
    .await;
    face.sandbox(
        "POST",
        "/workspaces/ws/keys",
        json!({"key": "wbk_pro", "scopes": ["campaigns:read"], "rateTier": "pro"}),
    )
    .await;
    face.seed(json!({
        "id": "cmp_1", "name": "Outreach", "status": "active",
        "steps": [{"channel": "email", "delaySeconds": 60}, {"channel": "email", "delaySeconds": 600}],
        "prospects": [{"email": "a@x.example", "firstName": "Ann", "lastName": "Lee"}, {"email": "b@x.example"}]
    }))
    .await;
    face
}

#[tokio::test]
async fn scopes_statuses_and_contacts() {
    let face = world().await;
    let read = call(&face, "GET", &format!("{BASE}/cmp_1"), "wbk_ro").await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["data"]["campaign"]["status"], "active");
    assert!(read.headers.contains_key("x-request-id"));
    assert_eq!(read.headers["x-ratelimit-limit"], "10", "starter tier");
    assert_error(
        &call(&face, "POST", &format!("{BASE}/cmp_1/pause"), "wbk_ro").await,
        403,
        "insufficient_permissions",
    );

    face.advance(90).await;
    let contacts = call(&face, "GET", &format!("{BASE}/cmp_1/contacts"), KEY).await;
    let first = &contacts.body["data"][0];
    assert_eq!(
        (first["full_name"].as_str(), first["current_step"].as_u64()),
        (Some("Ann Lee"), Some(2)),
        "{}",
        contacts.body
    );
    assert!(first["last_sent_at"].is_string());

    let paused = call(&face, "POST", &format!("{BASE}/cmp_1/pause"), KEY).await;
    assert_eq!(paused.body["data"]["campaign"]["status"], "paused");
    assert_error(
        &call(&face, "POST", &format!("{BASE}/cmp_1/pause"), KEY).await,
        409,
        "campaign_not_active",
    );
    let started = call(&face, "POST", &format!("{BASE}/cmp_1/start"), KEY).await;
    assert_eq!(started.status, 200, "{}", started.body);
    assert_eq!(started.body["data"]["status"], "active");
    assert!(
        started.body["data"]["task_id"]
            .as_str()
            .unwrap()
            .starts_with("task_")
    );
    assert_error(
        &call(&face, "POST", &format!("{BASE}/cmp_1/start"), KEY).await,
        400,
        "validation_error",
    );

    let list = call(&face, "GET", &format!("{BASE}?page=1&per_page=1"), KEY).await;
    assert_eq!(
        list.body["meta"],
        json!({"page": 1, "per_page": 1, "total": 1})
    );
    assert_error(
        &call(&face, "GET", &format!("{BASE}?per_page=500"), KEY).await,
        400,
        "validation_error",
    );
    assert_error(
        &call(&face, "GET", &format!("{BASE}/cmp_nope"), KEY).await,
        404,
        "campaign_not_found",
    );
    assert_error(
        &call(&face, "GET", &format!("{BASE}/cmp_1"), "wbk_unknown").await,
        401,
        "invalid_key",
    );
    let pro = call(&face, "GET", &format!("{BASE}/cmp_1"), "wbk_pro").await;
    assert_eq!(pro.headers["x-ratelimit-limit"], "50", "pro tier");
}

#[tokio::test]
async fn approval_holds_a_resume_until_approved() {
    let face = Face::start("leadlex", KEY, &["campaigns:read", "campaigns:write"]).await;
    face.sandbox(
        "POST",
        "/workspaces",
        json!({"id": "strict", "dialect": "leadlex", "requiresApproval": true}),
    )
    .await;
    face.sandbox(
        "POST",
        "/workspaces/strict/keys",
        json!({"key": "wbk_strict", "scopes": ["campaigns:write"]}),
    )
    .await;
    face.sandbox(
        "POST",
        "/workspaces/strict/campaigns",
        json!({"id": "cmp_s", "name": "s", "status": "draft", "steps": [{"channel": "email"}], "prospects": [{"email": "a@b.c"}]}),
    )
    .await;
    let started = call(&face, "POST", &format!("{BASE}/cmp_s/start"), "wbk_strict").await;
    assert_eq!(
        started.body["data"]["status"], "pending_approval",
        "{}",
        started.body
    );
    face.advance(60).await;
    assert_eq!(
        face.campaign("cmp_s").await["counters"]["inFlight"],
        0,
        "nothing is sent before approval"
    );
    face.sandbox("POST", "/campaigns/cmp_s/approve", json!(null))
        .await;
    face.advance(1).await;
    assert_eq!(face.campaign("cmp_s").await["counters"]["inFlight"], 1);
    let empty = call(
        &face,
        "POST",
        &format!("{BASE}/cmp_nope/start"),
        "wbk_strict",
    )
    .await;
    assert_error(&empty, 404, "campaign_not_found");
}

#[tokio::test]
async fn daily_limits_reset_at_midnight_utc() {
    let face = world().await;
    face.sandbox(
        "PUT",
        "/workspaces/ws/rate-limits",
        json!({"perMinute": 1000, "perDay": 2}),
    )
    .await;
    for _ in 0..2 {
        assert_eq!(call(&face, "GET", BASE, KEY).await.status, 200);
    }
    let refused = call(&face, "GET", BASE, KEY).await;
    assert_error(&refused, 429, "rate_limited");
    assert_eq!(refused.body["error"]["details"]["window"], "day");
    // Another key has its own allowance.
    assert_eq!(call(&face, "GET", BASE, "wbk_ro").await.status, 200);
    face.advance(15 * 3600).await; // from 09:00 to midnight UTC
    assert_eq!(call(&face, "GET", BASE, KEY).await.status, 200);
}
