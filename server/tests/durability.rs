//! Acknowledged writes survive a kill -9 of the process: a real `campaignd`
//! child process is killed (SIGKILL) and restarted on the same data
//! directory.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use campaign_test_utils::TestServer;
use serde_json::{Value, json};

/// A `campaignd serve` child process over a data directory, from the test
/// harness, with the base URLs these tests use.
struct Server {
    process: TestServer,
    sandbox: String,
    alta: String,
    leadlex: String,
}

impl Server {
    /// Starts `campaignd serve` on free ports over `data_dir`.
    fn start(data_dir: &Path) -> Self {
        let args = [
            OsStr::new("serve"),
            OsStr::new("--port"),
            OsStr::new("0"),
            OsStr::new("--clock"),
            OsStr::new("virtual"),
            OsStr::new("--data-dir"),
            data_dir.as_os_str(),
        ];
        let process = TestServer::spawn(Path::new(env!("CARGO_BIN_EXE_campaignd")), args)
            .expect("campaignd starts");
        Self {
            sandbox: process.url("sandbox").to_string(),
            alta: process.url("alta").to_string(),
            leadlex: process.url("leadlex").to_string(),
            process,
        }
    }

    /// SIGTERM: a graceful stop; waits for the process to exit.
    fn terminate(self) {
        let exit = self.process.terminate().unwrap();
        assert!(exit.success(), "campaignd exits cleanly on SIGTERM: {exit}");
    }

    /// SIGKILL: no shutdown code runs.
    fn kill_9(self) {
        self.process.kill_9().unwrap();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("campaignd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn seed_world(http: &reqwest::Client, server: &Server) {
    let (s, _) = post(
        http,
        format!("{}/workspaces", server.sandbox),
        None,
        json!({"id": "acme", "dialect": "alta"}),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = post(
        http,
        format!("{}/workspaces/acme/keys", server.sandbox),
        None,
        json!({"key": "tok"}),
    )
    .await;
    assert_eq!(s, 201);
    // The writer below sends far more than 100 requests in a virtual minute.
    let response = http
        .put(format!("{}/workspaces/acme/rate-limits", server.sandbox))
        .json(&json!({"perMinute": 1_000_000}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (s, _) = post(
        http,
        format!("{}/workspaces/acme/campaigns", server.sandbox),
        None,
        json!({
            "id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "name": "Durable",
            "status": "active",
            "steps": [{"channel": "email", "delaySeconds": 10}, {"channel": "email", "delaySeconds": 10}],
            "prospects": [{"email": "a@x.example"}, {"email": "b@x.example"}]
        }),
    )
    .await;
    assert_eq!(s, 201);
}

#[tokio::test]
async fn state_and_clock_survive_kill_9() {
    let dir = temp_dir("kill9");
    let http = reqwest::Client::new();
    let server = Server::start(&dir);
    seed_world(&http, &server).await;
    // Step 0 starts at +10 s and is in transit for 30 s: at +20 s both sends are in flight.
    let (s, _) = post(
        &http,
        format!("{}/clock/advance", server.sandbox),
        None,
        json!({"seconds": 20}),
    )
    .await;
    assert_eq!(s, 200);
    let campaign = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    let (s, paused) = post(
        &http,
        format!("{}/campaigns/{campaign}/pause", server.alta),
        Some("tok"),
        json!({"pauseProspects": false}),
    )
    .await;
    assert_eq!(s, 200, "{paused}");
    server.kill_9();

    let server = Server::start(&dir);
    let clock: Value = http
        .get(format!("{}/clock", server.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        clock["now"], "2026-01-05T09:00:20Z",
        "the virtual clock is durable"
    );
    let view: Value = http
        .get(format!("{}/campaigns/{campaign}", server.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "paused");
    assert_eq!(
        view["counters"]["inFlight"], 2,
        "in-flight sends keep their completion time"
    );
    // The documented restart rule: in-flight sends complete on schedule.
    let (s, _) = post(
        &http,
        format!("{}/clock/advance", server.sandbox),
        None,
        json!({"seconds": 30}),
    )
    .await;
    assert_eq!(s, 200);
    let view: Value = http
        .get(format!("{}/campaigns/{campaign}", server.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["counters"]["delivered"], 2);
    assert_eq!(
        view["counters"]["queued"], 2,
        "next steps are held while paused"
    );
    server.kill_9();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn every_acknowledged_create_survives_a_kill_at_a_random_point() {
    acknowledged_creates_survive_kills("kill9-random", 1).await;
}

/// Sixteen writers at once: the writer thread runs their creates in shared
/// group commits, so the kills land during batches of many commands; every
/// create answered before the kill is there after the restart.
#[tokio::test]
async fn every_acknowledged_create_survives_a_kill_during_a_group_commit() {
    acknowledged_creates_survive_kills("kill9-batches", 16).await;
}

/// Rounds of `writers` concurrent create loops on Alta, each ended by a
/// kill -9 at a random point; then every acknowledged create is read back.
async fn acknowledged_creates_survive_kills(name: &str, writers: usize) {
    let dir = temp_dir(name);
    let http = reqwest::Client::new();
    let mut acknowledged: Vec<String> = Vec::new();
    // A fixed-seed LCG picks the kill points: random, yet repeatable.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next_delay = || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        Duration::from_millis(50 + (seed >> 33) % 250)
    };
    for round in 0..3 {
        let server = Server::start(&dir);
        if round == 0 {
            seed_world(&http, &server).await;
        }
        let loops: Vec<_> = (0..writers)
            .map(|w| {
                let http = http.clone();
                let alta = server.alta.clone();
                tokio::spawn(async move {
                    let mut acked = Vec::new();
                    for n in 0.. {
                        let sent = http
                            .post(format!("{alta}/campaigns"))
                            .bearer_auth("tok")
                            .json(&json!({"name": format!("r{round}-w{w}-{n}")}))
                            .send()
                            .await;
                        let Ok(response) = sent else { break };
                        let Ok(body) = response.json::<Value>().await else {
                            break;
                        };
                        let id = body["id"]
                            .as_str()
                            .unwrap_or_else(|| panic!("not a campaign: {body}"));
                        acked.push(id.to_string());
                    }
                    acked
                })
            })
            .collect();
        tokio::time::sleep(next_delay()).await;
        server.kill_9();
        let mut acked = Vec::new();
        for writer in loops {
            acked.extend(writer.await.unwrap());
        }
        assert!(
            !acked.is_empty(),
            "round {round} acknowledged nothing before the kill"
        );
        acknowledged.extend(acked);
    }
    let server = Server::start(&dir);
    for id in &acknowledged {
        let response = http
            .get(format!("{}/campaigns/{id}", server.sandbox))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "acknowledged campaign {id} was lost"
        );
    }
    server.kill_9();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn state_survives_a_graceful_restart() {
    let dir = temp_dir("restart");
    let http = reqwest::Client::new();
    let server = Server::start(&dir);
    seed_world(&http, &server).await;
    let campaign = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    let (s, _) = post(
        &http,
        format!("{}/campaigns/{campaign}/pause", server.alta),
        Some("tok"),
        json!({}),
    )
    .await;
    assert_eq!(s, 200);
    server.terminate();
    let server = Server::start(&dir);
    let view: Value = http
        .get(format!("{}/campaigns/{campaign}", server.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "paused");
    assert_eq!(view["prospectCount"], 2);
    server.terminate();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Guarantee 5: the send log survives kill -9 at random points while the
/// clock runs and the campaign is paused and resumed; after the restarts,
/// every (prospect, step) is sent exactly once, in order.
#[tokio::test]
async fn no_step_is_lost_or_sent_twice_across_kills() {
    let dir = temp_dir("kill9-sends");
    let http = reqwest::Client::new();
    let campaign = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next_delay = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        Duration::from_millis(40 + seed % 200)
    };
    for round in 0..4 {
        let server = Server::start(&dir);
        if round == 0 {
            seed_world(&http, &server).await;
        }
        let driver = {
            let http = http.clone();
            let (sandbox, alta) = (server.sandbox.clone(), server.alta.clone());
            tokio::spawn(async move {
                for n in 0u64.. {
                    let step = if n % 3 == 0 {
                        http.post(format!("{alta}/campaigns/{campaign}/pause"))
                            .bearer_auth("tok")
                            .send()
                            .await
                    } else if n % 3 == 1 {
                        http.post(format!("{alta}/campaigns/{campaign}/resume"))
                            .bearer_auth("tok")
                            .send()
                            .await
                    } else {
                        http.post(format!("{sandbox}/clock/advance"))
                            .json(&json!({"seconds": 7}))
                            .send()
                            .await
                    };
                    if step.is_err() {
                        break;
                    }
                }
            })
        };
        tokio::time::sleep(next_delay()).await;
        server.kill_9();
        let _ = driver.await;
    }
    let server = Server::start(&dir);
    let (s, _) = post(
        &http,
        format!("{}/campaigns/{campaign}/resume", server.alta),
        Some("tok"),
        json!({}),
    )
    .await;
    assert!(s == 200 || s == 400, "resume after restarts: {s}");
    let (s, _) = post(
        &http,
        format!("{}/clock/advance", server.sandbox),
        None,
        json!({"seconds": 3600}),
    )
    .await;
    assert_eq!(s, 200);
    let log: Value = http
        .get(format!("{}/sends?campaignId={campaign}", server.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sends = log["items"].as_array().unwrap();
    assert_eq!(
        sends.len(),
        4,
        "2 prospects x 2 steps, each exactly once: {log}"
    );
    let prospects: std::collections::BTreeSet<String> = sends
        .iter()
        .map(|s| s["prospectId"].as_str().unwrap().to_string())
        .collect();
    for prospect in prospects {
        let steps: Vec<&Value> = sends
            .iter()
            .filter(|s| s["prospectId"] == prospect)
            .collect();
        assert_eq!(steps.len(), 2);
        assert_eq!(
            (steps[0]["step"].as_u64(), steps[1]["step"].as_u64()),
            (Some(0), Some(1))
        );
        assert!(steps.iter().all(|s| s["state"] == "delivered"), "{log}");
        assert!(steps[1]["startedAt"].as_str() >= steps[0]["finishedAt"].as_str());
    }
    let view: Value = http
        .get(format!("{}/campaigns/{campaign}", server.sandbox))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["counters"]["delivered"], 4);
    assert_eq!(view["status"], "completed");
    server.kill_9();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Accepts one HTTP request on `listener`, answers 200, returns its text.
async fn receive_one(listener: tokio::net::TcpListener) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap();
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await
                    .unwrap();
                return text;
            }
        }
        if n == 0 {
            return String::from_utf8_lossy(&data).to_string();
        }
    }
}

/// Pending deliveries survive a kill -9: the receiver is down, the server is
/// killed, and after the restart the retry reaches the receiver with the
/// same delivery id.
#[tokio::test]
async fn pending_webhook_deliveries_survive_kill_9() {
    let dir = temp_dir("kill9-webhooks");
    let http = reqwest::Client::new();
    // A port with nothing listening (yet).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server::start(&dir);
    let sandbox = server.sandbox.clone();
    assert_eq!(
        post(
            &http,
            format!("{sandbox}/workspaces"),
            None,
            json!({"id": "ll", "dialect": "leadlex"})
        )
        .await
        .0,
        201
    );
    let key = json!({"key": "wbk_k", "scopes": ["campaigns:write"]});
    assert_eq!(
        post(&http, format!("{sandbox}/workspaces/ll/keys"), None, key)
            .await
            .0,
        201
    );
    let campaign = json!({"id": "cmp_d", "name": "d", "status": "active"});
    assert_eq!(
        post(
            &http,
            format!("{sandbox}/workspaces/ll/campaigns"),
            None,
            campaign
        )
        .await
        .0,
        201
    );
    let hook =
        json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["campaign.paused"]});
    assert_eq!(
        post(
            &http,
            format!("{sandbox}/workspaces/ll/webhooks"),
            None,
            hook
        )
        .await
        .0,
        201
    );
    let pause = format!("{}/v1/campaigns/cmp_d/pause", server.leadlex);
    assert_eq!(post(&http, pause, Some("wbk_k"), json!({})).await.0, 200);
    // The first attempt fails (nothing listens) and a retry is scheduled.
    let deliveries = || async {
        let log: Value = http
            .get(format!("{}/deliveries", server.sandbox))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["items"][0].clone()
    };
    let mut first = deliveries().await;
    for _ in 0..100 {
        if first["attempts"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        first = deliveries().await;
    }
    assert_eq!(first["state"], "pending", "{first}");
    assert!(first["attempts"][0]["error"].is_string(), "{first}");
    let delivery_id = first["id"].as_str().unwrap().to_string();
    server.kill_9();

    let server = Server::start(&dir);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let received = tokio::spawn(receive_one(listener));
    let (s, _) = post(
        &http,
        format!("{}/clock/advance", server.sandbox),
        None,
        json!({"seconds": 30}),
    )
    .await;
    assert_eq!(s, 200);
    let request = tokio::time::timeout(Duration::from_secs(10), received)
        .await
        .unwrap()
        .unwrap();
    assert!(
        request
            .to_lowercase()
            .contains(&format!("x-leadlex-delivery-id: {delivery_id}")),
        "{request}"
    );
    assert!(request.contains("campaign.paused"));
    server.kill_9();
    std::fs::remove_dir_all(&dir).unwrap();
}
