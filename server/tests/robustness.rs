//! Edge inputs found in review: absurd times and ids are refused with a
//! 4xx and the engine keeps working; campaigns created waiting for approval
//! or completed still send what they are given.

mod common;

use common::Face;
use serde_json::json;

async fn try_seed(face: &Face, body: serde_json::Value) -> u16 {
    let url = format!("{}/workspaces/ws/campaigns", face.server.url("sandbox"));
    face.http
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn absurd_delays_and_clock_jumps_are_refused_or_capped() {
    let face = Face::start("leadterra", "sk_test_r", &[]).await;
    let huge = json!({"id": "camp_x", "name": "x", "status": "active", "steps": [{"channel": "email"}, {"channel": "email", "delaySeconds": 10_000_000_000_000_000u64}], "prospects": [{"email": "a@b.c"}]});
    assert_eq!(try_seed(&face, huge).await, 400);
    let slow = json!({"id": "camp_y", "name": "y", "status": "active", "settings": {"emailTransitSeconds": 10_000_000_000_000u64}});
    assert_eq!(try_seed(&face, slow).await, 400);
    face.seed(json!({"id": "camp_ok", "name": "ok", "status": "active", "steps": [{"channel": "email"}], "prospects": [{"email": "a@b.c"}]})).await;
    let clock = face
        .sandbox(
            "POST",
            "/clock/advance",
            json!({"seconds": 9_007_199_254_740_991u64}),
        )
        .await;
    assert_eq!(clock["now"], "9999-12-31T23:59:59Z");
    let view = face.campaign("camp_ok").await;
    assert_eq!(
        view["status"], "completed",
        "the engine still dispatches: {view}"
    );
    assert_eq!(
        face.call(
            "GET",
            "/v1/campaigns/camp_ok/stats",
            &[("authorization", "Bearer sk_test_r")],
            None
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn woodpecker_ids_beyond_range_are_refused() {
    let face = Face::start("woodpecker", "wp", &[]).await;
    assert_eq!(
        try_seed(&face, json!({"id": "18446744073709551615", "name": "x"})).await,
        400
    );
    assert_eq!(
        try_seed(&face, json!({"id": "9007199254740991", "name": "max"})).await,
        201
    );
    let created = face
        .call(
            "POST",
            "/rest/v2/campaigns",
            &[("x-api-key", "wp")],
            Some(r#"{"name": "next"}"#),
        )
        .await;
    assert_eq!(
        created.status, 400,
        "no id left after the largest: {}",
        created.body
    );
}

#[tokio::test]
async fn a_campaign_created_pending_approval_sends_once_approved() {
    let face = Face::start("leadlex", "wbk_a", &["campaigns:write"]).await;
    face.seed(json!({"id": "cmp_p", "name": "p", "status": "pending_approval", "steps": [{"channel": "email"}], "prospects": [{"email": "a@b.c"}]}))
        .await;
    face.advance(60).await;
    assert_eq!(face.campaign("cmp_p").await["counters"]["inFlight"], 0);
    face.sandbox("POST", "/campaigns/cmp_p/approve", json!(null))
        .await;
    face.advance(1).await;
    assert_eq!(face.campaign("cmp_p").await["counters"]["inFlight"], 1);
}

#[tokio::test]
async fn prospects_added_to_a_completed_campaign_are_sent() {
    let face = Face::start("leadterra", "sk_test_c", &[]).await;
    face.seed(json!({"id": "camp_c", "name": "c", "status": "active", "steps": [{"channel": "email"}], "prospects": [{"email": "a@b.c"}]})).await;
    face.advance(60).await;
    assert_eq!(face.campaign("camp_c").await["status"], "completed");
    let auth = [
        ("authorization", "Bearer sk_test_c"),
        ("content-type", "application/json"),
    ];
    let bulk = face
        .call(
            "POST",
            "/v1/campaigns/camp_c/leads/bulk",
            &auth,
            Some(r#"{"leads": [{"email": "new@b.c"}]}"#),
        )
        .await;
    assert_eq!(bulk.status, 200);
    face.advance(60).await;
    let view = face.campaign("camp_c").await;
    assert_eq!(
        (
            view["counters"]["delivered"].as_u64(),
            view["status"].as_str()
        ),
        (Some(2), Some("completed")),
        "{view}"
    );
}

#[tokio::test]
async fn the_sandbox_api_takes_json_as_curl_sends_it_and_explains_a_bad_body() {
    let server = campaign_test_utils::TestServer::in_process(false)
        .await
        .unwrap();
    let http = server.http().reqwest();
    let url = |path: &str| format!("{}{path}", server.url("sandbox"));
    // `curl -d '{...}'` sends form encoding; no Content-Type at all works too.
    for (n, content_type) in [
        Some("application/x-www-form-urlencoded"),
        None,
        Some("application/json"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut request = http
            .post(url("/workspaces"))
            .body(format!(r#"{{"id": "acme{n}", "dialect": "alta"}}"#));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 201, "{content_type:?}");
    }
    // A body that is not JSON says so, and shows one that works.
    let answer = http
        .post(url("/workspaces/acme0/keys"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("key=my_token")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid request body: ")
            && message.contains(r#"for example: {"key": "my_token"}"#),
        "{message}"
    );
    // A missing body too.
    let answer = http.post(url("/clock/advance")).send().await.unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("request body is required; send a JSON object"),
        "{body}"
    );
}

#[tokio::test]
async fn seeded_ids_must_be_ones_the_face_can_answer_with() {
    // Alta answers with lower-case UUIDs: a seeded prospect id that is not
    // one (found by schemathesis: Alta's listProspects then failed with a
    // 500) and an upper-case campaign UUID are refused up front.
    let face = Face::start("alta", "k", &[]).await;
    let campaign = |id: &str, prospect: &str| json!({"id": id, "name": "n", "prospects": [{"id": prospect, "email": "a@b.example"}]});
    let lower = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    let prospect = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b";
    for (id, prospect_id, status) in [
        (lower, "p1", 400),
        ("7C9E6679-7425-40DE-944B-E07FC1F90AE7", prospect, 400),
        (lower, prospect, 201),
    ] {
        let got = try_seed(&face, campaign(id, prospect_id)).await;
        assert_eq!(got, status, "campaign {id}, prospect {prospect_id}");
    }
    let answer = face
        .call(
            "GET",
            "/v1/prospects?campaignId=7c9e6679-7425-40de-944b-e07fc1f90ae7",
            &[("authorization", "Bearer k")],
            None,
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// Serde's derived `Deserialize` takes a struct from a JSON array of its
/// fields; the schema does not (found by schemathesis `--checks all`).
/// Such bodies are refused in each API's own 400 shape, and nothing is
/// created.
#[tokio::test]
async fn an_array_where_an_object_belongs_is_refused_in_the_faces_shape() {
    let face = Face::start("voicegenie", "vg_key", &[]).await;
    let upload = json!({
        "campaign_name": "Renewals",
        "script_id": "script_1",
        "contacts": [{"phone_number": "+14155550100"}, [null, null]]
    });
    let answer = face
        .call(
            "POST",
            "/uploadCampaignData",
            &[
                ("x-api-key", "vg_key"),
                ("content-type", "application/json"),
            ],
            Some(&upload.to_string()),
        )
        .await;
    assert_eq!(answer.status, 400, "{:?}", answer.body);
    assert_eq!(answer.body["success"], false);
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("contacts[1] is an array; its schema expects an object"),
        "{}",
        answer.body
    );
    let listed = face
        .call(
            "GET",
            "/fetchCampaignData",
            &[("x-api-key", "vg_key")],
            None,
        )
        .await;
    assert_eq!(
        listed.body["data"]["campaigns"],
        json!([]),
        "{}",
        listed.body
    );

    // The sandbox API: a rate-limit body sent as an array.
    let limits = face
        .server
        .http()
        .call(
            "PUT",
            &format!("{}/workspaces/ws/rate-limits", face.server.url("sandbox")),
            &[("content-type", "application/json")],
            Some(b"[null, null]"),
        )
        .await
        .unwrap();
    assert_eq!(limits.status, 400, "{:?}", limits.body);
    assert!(
        limits.body["message"]
            .as_str()
            .unwrap()
            .contains("the body is an array")
    );
}

/// The documents declare `2^53 - 1` as the maximum of every 64-bit
/// integer; a larger one in a body or a query is refused, not clamped
/// (found by schemathesis `--checks all`).
#[tokio::test]
async fn integers_beyond_the_documented_maximum_are_refused() {
    let face = Face::start("voicegenie", "vg_key", &[]).await;
    let sandbox = face.server.url("sandbox").to_string();
    let http = face.server.http();
    let too_far = http
        .call(
            "POST",
            &format!("{sandbox}/clock/advance"),
            &[("content-type", "application/json")],
            Some(br#"{"seconds": 9007199254740992}"#),
        )
        .await
        .unwrap();
    assert_eq!(too_far.status, 400, "{:?}", too_far.body);
    assert!(
        too_far.body["message"]
            .as_str()
            .unwrap()
            .contains("seconds is 9007199254740992, beyond the largest integer"),
        "{}",
        too_far.body
    );
    let sends = http
        .call(
            "GET",
            &format!("{sandbox}/sends?afterId=-9007199254740992"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(sends.status, 400, "{:?}", sends.body);
    let listed = face
        .call(
            "GET",
            "/fetchCampaignData?offset=9007199254740992",
            &[("x-api-key", "vg_key")],
            None,
        )
        .await;
    assert_eq!(listed.status, 400, "{:?}", listed.body);
    assert_eq!(listed.body["success"], false);
    // The largest admitted value still works.
    let listed = face
        .call(
            "GET",
            "/fetchCampaignData?offset=9007199254740991",
            &[("x-api-key", "vg_key")],
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{:?}", listed.body);
}

/// A server whose engine is busy with a long command (a clock advance
/// through 150,000 sends), and the thread running it: it has run for
/// 100 ms when this returns. Its Alta workspace has the key `busy_key`,
/// already used once (so it is in the key cache).
async fn busy_server() -> (
    campaignd::app::Running,
    std::thread::JoinHandle<std::time::Duration>,
) {
    use campaign_engine::{
        ApiKeyCreate, CampaignSeed, Channel, EngineStatus, ProspectSeed, StepSeed, WorkspaceCreate,
    };
    let running = campaignd::app::start_in_memory(false).await.unwrap();
    let app = std::sync::Arc::clone(&running.app);
    tokio::task::spawn_blocking(move || {
        app.engine
            .create_workspace(&WorkspaceCreate {
                id: Some("busy".into()),
                dialect: "alta".into(),
                name: None,
                requires_approval: false,
            })
            .unwrap();
        let seed = CampaignSeed {
            id: Some("00000000-0000-4000-8000-000000000001".into()),
            status: Some(EngineStatus::Active),
            steps: vec![StepSeed {
                channel: Channel::Email,
                delay_seconds: 0,
                subject: None,
                body: None,
            }],
            prospects: (0..150_000)
                .map(|n| ProspectSeed {
                    email: Some(format!("p{n}@busy.example")),
                    ..ProspectSeed::default()
                })
                .collect(),
            ..CampaignSeed::named("busy".into())
        };
        app.engine.create_campaign("busy", &seed).unwrap();
        let key = ApiKeyCreate {
            key: "busy_key".into(),
            scopes: Vec::new(),
            expires_at: None,
            rate_tier: None,
        };
        app.engine.create_api_key("busy", &key, false).unwrap();
    })
    .await
    .unwrap();
    let listed = reqwest::Client::new()
        .get(format!(
            "{}/campaigns",
            running.ports(false).api("alta").base_url
        ))
        .bearer_auth("busy_key")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let app = std::sync::Arc::clone(&running.app);
    let (started, busy_now) = std::sync::mpsc::channel();
    let busy = std::thread::spawn(move || {
        started.send(()).unwrap();
        let began = std::time::Instant::now();
        app.engine.advance_clock(3_600_000).unwrap();
        began.elapsed()
    });
    busy_now.recv().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    (running, busy)
}

/// Sends a no-op 100 ms after the requests that wait for the busy engine
/// were sent, from a thread and runtime of its own (a blocked server
/// runtime would hold up a client on it too, and so hide the wait), and
/// checks that it was answered in well under the busy command's time:
/// held up, it would wait for most of the command. Then each `waiting`
/// request must have been answered with `answered`.
async fn no_op_is_not_held(
    running: &campaignd::app::Running,
    busy: std::thread::JoinHandle<std::time::Duration>,
    waiting: Vec<tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>>,
    answered: u16,
) {
    let url = format!("{}/healthz", running.ports(false).api("alta").origin);
    answered_at_once(
        url,
        busy,
        "the no-op",
        "the waiting requests held the async workers",
    )
    .await;
    for request in waiting {
        assert_eq!(request.await.unwrap().unwrap().status(), answered);
    }
}

/// GETs `url` 100 ms from now, from a thread and runtime of its own, and
/// checks that its 200 came in well under the `busy` command's time (held
/// up, it would wait for most of the command; `held` says by what).
async fn answered_at_once(
    url: String,
    busy: std::thread::JoinHandle<std::time::Duration>,
    what: &str,
    held: &str,
) {
    let probe = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let asked = std::time::Instant::now();
        let status = runtime.block_on(async { reqwest::get(url).await.unwrap().status() });
        (status, asked.elapsed())
    });
    let ((status, latency), command) =
        tokio::task::spawn_blocking(move || (probe.join().unwrap(), busy.join().unwrap()))
            .await
            .unwrap();
    assert_eq!(status, 200);
    assert!(
        latency * 4 < command,
        "{what} took {latency:?} during a command of {command:?}: {held}"
    );
}

/// `--memory` keeps nothing, but its reads go to WAL readers of a scratch
/// database like a durable store's: while a long command holds the
/// engine, a read that needs no dispatch (here the workspaces) is answered
/// at once. (With a single in-memory connection, the store before this
/// test, it waited for the whole command.)
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn reads_in_memory_do_not_wait_for_a_busy_engine() {
    let (running, busy) = busy_server().await;
    let url = format!(
        "{}/workspaces",
        running.ports(false).api("sandbox").base_url
    );
    answered_at_once(
        url,
        busy,
        "listing the workspaces",
        "the read waited for the engine",
    )
    .await;
}

/// Requests with keys the key cache does not hold are looked up in the
/// store off the async workers (an unknown one by a reader, without the
/// engine's lock): while the engine is busy, the server goes on answering
/// everything else. With the key lookups on the workers (the code before
/// 198cdad), the no-op here was answered only after the command ended.
/// One async worker: a single blocked worker stops the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn requests_with_unknown_keys_do_not_stall_a_busy_server() {
    let (running, busy) = busy_server().await;
    let http = reqwest::Client::new();
    let campaigns = format!("{}/campaigns", running.ports(false).api("alta").base_url);
    let unknown: Vec<_> = (0..4)
        .map(|n| {
            let request = http
                .get(&campaigns)
                .bearer_auth(format!("nobody_{n}"))
                .send();
            tokio::spawn(request)
        })
        .collect();
    no_op_is_not_held(&running, busy, unknown, 401).await;
}

/// Sandbox API calls wait for a busy engine on the blocking pool, not on
/// an async worker (here creating workspaces, writes that take the
/// engine's lock): the server goes on answering everything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn sandbox_calls_do_not_stall_a_busy_server() {
    let (running, busy) = busy_server().await;
    let http = reqwest::Client::new();
    let workspaces = format!(
        "{}/workspaces",
        running.ports(false).api("sandbox").base_url
    );
    let sandbox: Vec<_> = (0..4)
        .map(|n| {
            let body = serde_json::json!({"id": format!("waiting-{n}"), "dialect": "alta"});
            tokio::spawn(http.post(&workspaces).json(&body).send())
        })
        .collect();
    no_op_is_not_held(&running, busy, sandbox, 201).await;
}

/// A write refused by its own checks (a malformed body, a blank name, a
/// path id that is no UUID) is answered from the request's task, without
/// the writer thread: while the engine is busy, and the writer with it,
/// the refusals come at once. With the checks run on the writer thread
/// (before this test), each waited for the whole command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_refused_by_its_own_checks_does_not_wait_for_the_writer() {
    let (running, busy) = busy_server().await;
    let alta = running.ports(false).api("alta").base_url.clone();
    let http = reqwest::Client::new();
    let refused = [
        ("/campaigns", "{"),
        ("/campaigns", r#"{"name": "  "}"#),
        ("/campaigns/not-a-uuid/pause", "{}"),
    ]
    .map(|(path, body)| {
        http.post(format!("{alta}{path}"))
            .bearer_auth("busy_key")
            .header("content-type", "application/json")
            .body(body)
            .send()
    });
    let asked = std::time::Instant::now();
    let answers = futures::future::join_all(refused).await;
    let latency = asked.elapsed();
    let command = tokio::task::spawn_blocking(move || busy.join().unwrap())
        .await
        .unwrap();
    for answer in answers {
        let answer = answer.unwrap();
        assert_eq!(answer.status(), 400, "{:?}", answer.text().await);
    }
    assert!(
        latency * 4 < command,
        "the refusals took {latency:?} during a command of {command:?}: they waited for the writer"
    );
}
