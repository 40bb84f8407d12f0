//! Webhook delivery against real HTTP receivers on loopback: the sandbox's
//! built-in sinks, a raw receiver that never answers, and a receiver that
//! appears only after a kill -9 and restart.

mod common;

use std::time::{Duration, Instant};

use common::Face;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Polls `probe` every 50 ms until it returns `Some`, for at most `within`.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    within: Duration,
    mut probe: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sink(face: &Face, name: &str) -> Vec<Value> {
    let items = face
        .sandbox("GET", &format!("/sink/{name}"), json!(null))
        .await;
    items["items"].as_array().cloned().unwrap_or_default()
}

async fn deliveries(face: &Face, event: &str) -> Vec<Value> {
    let items = face
        .sandbox("GET", &format!("/deliveries?event={event}"), json!(null))
        .await;
    items["items"].as_array().cloned().unwrap_or_default()
}

async fn leadlex_world() -> (Face, String) {
    let face = Face::start(
        "leadlex",
        "wbk_hooks",
        &["campaigns:read", "campaigns:write"],
    )
    .await;
    face.seed(json!({"id": "cmp_hook", "name": "Hooks", "status": "active", "steps": [{"channel": "email", "delaySeconds": 60}], "prospects": [{"email": "a@x.example"}]}))
        .await;
    let hook = subscribe_to_pauses(&face, "leadlex").await;
    let secret = hook["signingSecret"].as_str().unwrap().to_string();
    (face, secret)
}

/// Subscribes a webhook of workspace `ws` to `campaign.paused`, delivered
/// to the sandbox's sink `sink`; the subscription as created.
async fn subscribe_to_pauses(face: &Face, sink: &str) -> Value {
    let sink_url = format!("{}/sink/{sink}", face.server.url("sandbox"));
    face.sandbox(
        "POST",
        "/workspaces/ws/webhooks",
        json!({"url": sink_url, "events": ["campaign.paused"]}),
    )
    .await
}

const LEADLEX_PAUSE: &str = "/functions/v1/api-gateway/v1/campaigns/cmp_hook/pause";

/// Pauses `cmp_hook` through Leadlex with the world's key; the status.
async fn pause_hooked(face: &Face) -> u16 {
    face.call(
        "POST",
        LEADLEX_PAUSE,
        &[("authorization", "Bearer wbk_hooks")],
        None,
    )
    .await
    .status
}

#[tokio::test]
async fn leadlex_pause_delivers_a_signed_campaign_paused() {
    let (face, secret) = leadlex_world().await;
    assert_eq!(pause_hooked(&face).await, 200);
    let received = eventually(Duration::from_secs(5), || async {
        let got = sink(&face, "leadlex").await;
        (!got.is_empty()).then_some(got)
    })
    .await;
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let headers = &request["headers"];
    let body = request["body"].as_str().unwrap();
    assert_eq!(
        headers["x-leadlex-signature"],
        format!("sha256={}", hmac_hex(&secret, body.as_bytes()))
    );
    assert_eq!(headers["user-agent"], "LeadLex-Webhook/1.0");
    assert!(
        chrono::DateTime::parse_from_rfc3339(headers["x-leadlex-timestamp"].as_str().unwrap())
            .is_ok()
    );
    assert!(uuid::Uuid::parse_str(headers["x-leadlex-delivery-id"].as_str().unwrap()).is_ok());
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(event["event"], "campaign.paused");
    assert_eq!(
        event["data"]["campaign"],
        json!({"id": "cmp_hook", "status": "paused", "paused_at": "2026-01-05T09:00:00Z"})
    );

    let log = eventually(Duration::from_secs(5), || async {
        let log = deliveries(&face, "campaign.paused").await;
        (log.first().is_some_and(|d| d["state"] == "delivered")).then_some(log)
    })
    .await;
    assert_eq!(log[0]["attempts"][0]["status"], 200);
    assert_eq!(log[0]["id"], headers["x-leadlex-delivery-id"]);
}

#[tokio::test]
async fn a_change_that_did_not_happen_records_no_event() {
    let (face, _) = leadlex_world().await;
    face.sandbox(
        "POST",
        "/faults",
        json!({"dialect": "leadlex", "operationId": "pauseCampaign", "kind": "error"}),
    )
    .await;
    assert_eq!(pause_hooked(&face).await, 500);
    assert!(
        deliveries(&face, "campaign.paused").await.is_empty(),
        "no event for a failed request"
    );
    assert_eq!(pause_hooked(&face).await, 200);
    assert_eq!(pause_hooked(&face).await, 409);
    assert_eq!(
        deliveries(&face, "campaign.paused").await.len(),
        1,
        "one pause, one event"
    );
}

#[tokio::test]
async fn deliveries_are_listed_by_webhook_and_by_event() {
    let (face, _) = leadlex_world().await;
    let second = subscribe_to_pauses(&face, "second").await;
    let second = second["id"].as_str().unwrap().to_string();
    assert_eq!(pause_hooked(&face).await, 200);
    let list = |query: String| {
        let face = &face;
        async move {
            let items = face
                .sandbox("GET", &format!("/deliveries{query}"), json!(null))
                .await;
            items["items"].as_array().cloned().unwrap_or_default()
        }
    };
    let all = list(String::new()).await;
    assert_eq!(all.len(), 2, "one delivery per subscribed webhook: {all:?}");
    let mine = list(format!("?webhookId={second}")).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["webhookId"], second.as_str());
    let first = all
        .iter()
        .map(|d| d["webhookId"].as_str().unwrap())
        .find(|id| *id != second)
        .expect("the first webhook's delivery");
    let theirs = list(format!("?webhookId={first}&event=campaign.paused")).await;
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["webhookId"], first);
    assert!(
        list(format!("?webhookId={second}&event=campaign.started"))
            .await
            .is_empty(),
        "no delivery of an event that did not happen"
    );
    assert_eq!(deliveries(&face, "campaign.paused").await.len(), 2);
}

#[tokio::test]
async fn leadterra_retries_follow_its_schedule_with_a_stable_id() {
    let face = Face::start("leadterra", "sk_test_hooks", &[]).await;
    face.seed(json!({"id": "camp_h", "name": "h", "status": "draft", "steps": [{"channel": "email"}], "prospects": [{"email": "a@x.example"}]}))
        .await;
    let url = format!("{}/sink/failing?status=500", face.server.url("sandbox"));
    let auth = [
        ("authorization", "Bearer sk_test_hooks"),
        ("content-type", "application/json"),
    ];
    let created = face
        .call(
            "POST",
            "/v1/webhooks",
            &auth,
            Some(&json!({"url": url, "events": ["campaign.started", "message.sent"]}).to_string()),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let secret = created.body["webhook"]["signingSecret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        face.call("POST", "/v1/campaigns/camp_h/start", &auth, None)
            .await
            .status,
        200
    );

    let first = eventually(Duration::from_secs(5), || async {
        let got = sink(&face, "failing").await;
        (got.len() >= 2).then_some(got)
    })
    .await;
    let started: Vec<&Value> = first
        .iter()
        .filter(|r| r["body"].as_str().unwrap().contains("campaign.started"))
        .collect();
    assert_eq!(started.len(), 1);
    let body = started[0]["body"].as_str().unwrap();
    assert_eq!(
        started[0]["headers"]["x-leadterra-signature"],
        hmac_hex(&secret, body.as_bytes())
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (event["event"].as_str(), event["data"]["id"].as_str()),
        (Some("campaign.started"), Some("camp_h"))
    );
    assert!(
        first
            .iter()
            .any(|r| r["body"].as_str().unwrap().contains("message.sent")),
        "the first email was sent"
    );

    // The answer was 500: the next attempt is due a minute later, not before.
    let pending = eventually(Duration::from_secs(5), || async {
        let log = deliveries(&face, "campaign.started").await;
        (log[0]["state"] == "pending" && log[0]["attempts"].as_array().unwrap().len() == 1)
            .then_some(log)
    })
    .await;
    assert_eq!(pending[0]["attempts"][0]["status"], 500);
    assert_eq!(pending[0]["nextAttemptAt"], "2026-01-05T09:01:00Z");
    face.advance(59).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        deliveries(&face, "campaign.started").await[0]["attempts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    face.advance(1).await;
    let retried = eventually(Duration::from_secs(5), || async {
        let got: Vec<Value> = sink(&face, "failing")
            .await
            .into_iter()
            .filter(|r| r["body"].as_str().unwrap().contains("campaign.started"))
            .collect();
        (got.len() == 2).then_some(got)
    })
    .await;
    assert_eq!(
        retried[0]["headers"]["x-leadterra-delivery-id"],
        retried[1]["headers"]["x-leadterra-delivery-id"]
    );
    assert_eq!(
        retried[0]["body"], retried[1]["body"],
        "the same bytes, the same signature"
    );
    let next = eventually(Duration::from_secs(5), || async {
        let log = deliveries(&face, "campaign.started").await;
        (log[0]["attempts"].as_array().unwrap().len() == 2).then_some(log)
    })
    .await;
    assert_eq!(
        next[0]["nextAttemptAt"], "2026-01-05T09:06:00Z",
        "then 5 minutes"
    );

    // A sink only answers real final statuses.
    let bad = face
        .http
        .post(format!("{}/sink/x?status=199", face.server.url("sandbox")))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let id = next[0]["id"].as_str().unwrap();
    let redelivered = face
        .sandbox("POST", &format!("/deliveries/{id}/redeliver"), json!(null))
        .await;
    assert_eq!(redelivered["state"], "pending");
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_after_10_s_and_the_api_stays_fast() {
    let face = Face::start(
        "leadlex",
        "wbk_slow",
        &["campaigns:read", "campaigns:write"],
    )
    .await;
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    face.seed(json!({"id": "cmp_s", "name": "s", "status": "active"}))
        .await;
    face.sandbox(
        "POST",
        "/workspaces/ws/webhooks",
        json!({"url": format!("http://{address}/hook"), "events": ["campaign.paused"]}),
    )
    .await;
    let started = Instant::now();
    let paused = face
        .call(
            "POST",
            "/functions/v1/api-gateway/v1/campaigns/cmp_s/pause",
            &[("authorization", "Bearer wbk_slow")],
            None,
        )
        .await;
    assert_eq!(paused.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a dead receiver never slows the API"
    );
    let log = eventually(Duration::from_secs(15), || async {
        let log = deliveries(&face, "campaign.paused").await;
        (log[0]["attempts"].as_array().unwrap().len() == 1).then_some(log)
    })
    .await;
    assert_eq!(log[0]["attempts"][0]["error"], "no answer within 10 s");
    assert_eq!(log[0]["state"], "pending");
    assert_eq!(
        log[0]["nextAttemptAt"], "2026-01-05T09:00:30Z",
        "Leadlex backs off 30 s first"
    );
    keep.abort();
}

#[tokio::test]
async fn simulated_bounces_and_replies_leave_the_sequence_and_fire_leadterra_events() {
    let face = Face::start("leadterra", "sk_test_br", &[]).await;
    face.seed(json!({
        "id": "camp_br", "name": "br", "status": "active",
        "steps": [{"channel": "email"}, {"channel": "email", "delaySeconds": 3600}],
        "prospects": [{"id": "lead_a", "email": "a@x.example"}, {"id": "lead_b", "email": "b@x.example"}]
    }))
    .await;
    let url = format!("{}/sink/outcomes", face.server.url("sandbox"));
    face.sandbox(
        "POST",
        "/workspaces/ws/webhooks",
        json!({"url": url, "events": ["message.bounced", "reply.received"]}),
    )
    .await;
    face.advance(60).await; // step 1 delivered to both; step 2 queued
    let bounced = face
        .sandbox("POST", "/prospects/lead_a/bounce", json!(null))
        .await;
    assert_eq!(bounced["status"], "bounced");
    let replied = face
        .sandbox("POST", "/prospects/lead_b/reply", json!(null))
        .await;
    assert_eq!(replied["status"], "replied");
    let again = face
        .http
        .post(format!(
            "{}/prospects/lead_a/reply",
            face.server.url("sandbox")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let view = face.campaign("camp_br").await;
    assert_eq!(
        view["counters"],
        json!({"queued": 0, "inFlight": 0, "delivered": 1, "failed": 1})
    );
    assert_eq!(
        view["status"], "completed",
        "nobody is left in the sequence"
    );
    let stats = face
        .call(
            "GET",
            "/v1/campaigns/camp_br/stats",
            &[("authorization", "Bearer sk_test_br")],
            None,
        )
        .await;
    assert_eq!(
        (
            stats.body["bounced"].as_u64(),
            stats.body["replied"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let received = eventually(Duration::from_secs(5), || async {
        let got = sink(&face, "outcomes").await;
        (got.len() == 2).then_some(got)
    })
    .await;
    let events: Vec<Value> = received
        .iter()
        .map(|r| serde_json::from_str(r["body"].as_str().unwrap()).unwrap())
        .collect();
    // Deliveries run concurrently: find each event by name.
    let find = |name: &str| {
        events
            .iter()
            .find(|e| e["event"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let bounce = find("message.bounced");
    assert_eq!(
        (
            bounce["data"]["leadId"].as_str(),
            bounce["data"]["step"].as_u64()
        ),
        (Some("lead_a"), Some(1))
    );
    assert_eq!(find("reply.received")["data"]["email"], "b@x.example");
}
