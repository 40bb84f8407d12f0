//! Workspaces are namespaces: the five vendors' own sample ids live in two
//! workspaces at once, each with its own keys, and a command through one
//! workspace's key never reaches the other's campaign or prospect.

use campaign_test_utils::TestServer;
use serde_json::{Value, json};

/// One vendor: its face, how a key is sent, its documented sample campaign
/// id, and its own get and pause requests (paths as documented, `{id}` for
/// the campaign).
struct Vendor {
    face: &'static str,
    header: &'static str,
    bearer: bool,
    sample_id: &'static str,
    get: &'static str,
    pause: (&'static str, &'static str),
    /// Where the get's answer says the campaign's status (Leadterra's
    /// stats do not: what each campaign sent a day later tells).
    status: Option<&'static str>,
    seed: fn() -> Value,
}

fn emails() -> Value {
    let step = json!({"channel": "email", "delaySeconds": 86400, "subject": "Hi"});
    json!({"steps": [step, step, step],
           "prospects": [{"email": "ada@analytical.example", "firstName": "Ada"}]})
}

const VENDORS: [Vendor; 5] = [
    Vendor {
        face: "alta",
        status: Some("/status"),
        header: "authorization",
        bearer: true,
        sample_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        get: "/v1/campaigns/{id}",
        pause: ("POST", "/v1/campaigns/{id}/pause"),
        seed: || {
            json!({"steps": [{"channel": "email", "delaySeconds": 86400}],
                   "prospects": [{"id": ALTA_PROSPECT, "email": "ada@analytical.example"}]})
        },
    },
    Vendor {
        face: "voicegenie",
        status: Some("/data/campaign_status"),
        header: "x-api-key",
        bearer: false,
        sample_id: "550e8400-e29b-41d4-a716-446655440000",
        get: "/campaign/{id}",
        pause: ("GET", "/pauseTheCampaign/{id}"),
        seed: || {
            json!({"steps": [{"channel": "call", "delaySeconds": 0}], "scriptId": "script_1",
                   "settings": {"callDurationSeconds": 86400},
                   "prospects": [{"phone": "+14155550100"}]})
        },
    },
    Vendor {
        face: "leadterra",
        status: None,
        header: "authorization",
        bearer: true,
        sample_id: "camp_123",
        get: "/v1/campaigns/{id}/stats",
        pause: ("POST", "/v1/campaigns/{id}/pause"),
        seed: emails,
    },
    Vendor {
        face: "leadlex",
        status: Some("/data/campaign/status"),
        header: "authorization",
        bearer: true,
        sample_id: "cmp_abc123",
        get: "/functions/v1/api-gateway/v1/campaigns/{id}",
        pause: ("POST", "/functions/v1/api-gateway/v1/campaigns/{id}/pause"),
        seed: emails,
    },
    Vendor {
        face: "woodpecker",
        status: Some("/status"),
        header: "x-api-key",
        bearer: false,
        sample_id: "12345",
        get: "/rest/v2/campaigns/{id}",
        pause: ("POST", "/rest/v2/campaigns/{id}/pause"),
        seed: emails,
    },
];

/// Alta's documented sample prospect id, enrolled in both workspaces.
const ALTA_PROSPECT: &str = "3f2b8c1e-9d4a-4e6b-8f7c-2a1d5e9b0c44";

const WORKSPACES: [&str; 2] = ["one", "two"];

/// A key in the vendor's own format.
fn key(vendor: &Vendor, workspace: &str) -> String {
    match vendor.face {
        "leadterra" => format!("sk_test_{workspace}"),
        "leadlex" => format!("wbk_{workspace}"),
        face => format!("{face}_key_{workspace}"),
    }
}

async fn call(
    server: &TestServer,
    vendor: &Vendor,
    workspace: &str,
    method: &str,
    path: &str,
) -> (u16, Value) {
    let key = key(vendor, workspace);
    let value = if vendor.bearer {
        format!("Bearer {key}")
    } else {
        key
    };
    let path = path.replace("{id}", vendor.sample_id);
    let body = (method == "POST" && vendor.face == "alta").then_some(b"{}".as_slice());
    let answer = server
        .call(
            vendor.face,
            method,
            &path,
            &[
                (vendor.header, &value),
                ("content-type", "application/json"),
            ],
            body,
        )
        .await;
    (answer.status, answer.body)
}

#[tokio::test]
async fn the_vendors_sample_ids_live_in_two_workspaces_at_once() {
    let server = TestServer::in_process(false).await.unwrap();
    for vendor in &VENDORS {
        for workspace in WORKSPACES {
            let ws = format!("{}-{workspace}", vendor.face);
            server
                .workspace(
                    &ws,
                    vendor.face,
                    &key(vendor, workspace),
                    &["campaigns:read", "campaigns:write"],
                )
                .await;
            let mut seed = (vendor.seed)();
            seed["id"] = json!(vendor.sample_id);
            seed["name"] = json!(format!("sample in {ws}"));
            seed["status"] = json!("active");
            let made = server
                .sandbox("POST", &format!("/workspaces/{ws}/campaigns"), seed)
                .await;
            assert_eq!(made["id"], vendor.sample_id, "{ws} holds the sample id");
            assert_eq!(made["workspaceId"], ws);
        }
    }
    for vendor in &VENDORS {
        let face = vendor.face;
        // Each workspace's key sees its own campaign under the sample id.
        for workspace in WORKSPACES {
            let (status, body) = call(&server, vendor, workspace, "GET", vendor.get).await;
            assert_eq!(status, 200, "{face} {workspace}: {body}");
        }
        // Pausing through one key pauses that workspace's campaign only.
        let (first, body) = call(&server, vendor, "one", vendor.pause.0, vendor.pause.1).await;
        assert_eq!(first, 200, "{face}: {body}");
        match vendor.status {
            Some(pointer) => {
                let status = |body: &Value| body.pointer(pointer).cloned().unwrap_or_default();
                let (_, one) = call(&server, vendor, "one", "GET", vendor.get).await;
                let (_, two) = call(&server, vendor, "two", "GET", vendor.get).await;
                assert_ne!(
                    status(&one),
                    status(&two),
                    "{face}: only workspace one's campaign is paused"
                );
                let (other, body) =
                    call(&server, vendor, "two", vendor.pause.0, vendor.pause.1).await;
                assert_eq!(other, 200, "{face}: {body}");
                let (_, two) = call(&server, vendor, "two", "GET", vendor.get).await;
                assert_eq!(status(&one), status(&two), "{face}: now both are paused");
            }
            None => {
                // A day later workspace two's first email went out; workspace
                // one's, paused, did not.
                server.advance(90_000).await;
                let (_, one) = call(&server, vendor, "one", "GET", vendor.get).await;
                let (_, two) = call(&server, vendor, "two", "GET", vendor.get).await;
                assert_eq!(
                    (&one["sent"], &two["sent"]),
                    (&json!(0), &json!(1)),
                    "{face}: {one} {two}"
                );
            }
        }
    }
    // Alta's prospects too: the same prospect id in both workspaces.
    let alta = &VENDORS[0];
    let pause = format!("/v1/prospects/{ALTA_PROSPECT}/pause");
    let (first, body) = call(&server, alta, "one", "POST", &pause).await;
    assert_eq!(first, 200, "{body}");
    assert_eq!(body["status"], "paused", "{body}");
    let (other, body) = call(&server, alta, "two", "GET", "/v1/campaigns/{id}").await;
    assert_eq!(other, 200, "{body}");
    let prospects = server
        .call(
            "alta",
            "GET",
            &format!("/v1/prospects?campaignId={}", alta.sample_id),
            &[("authorization", "Bearer alta_key_two")],
            None,
        )
        .await;
    assert_eq!(prospects.status, 200, "{:?}", prospects.body);
    assert_eq!(prospects.body["data"][0]["id"], ALTA_PROSPECT);
    assert_ne!(
        prospects.body["data"][0]["status"], "paused",
        "workspace two's prospect was not paused"
    );

    // The sandbox's lookups that name no workspace refuse an id two
    // workspaces hold, and say where it is.
    let url = format!("{}/campaigns/camp_123", server.url("sandbox"));
    let answer = server.http().call("GET", &url, &[], None).await.unwrap();
    assert_eq!(answer.status, 409, "{:?}", answer.body);
    let message = answer.body.to_string();
    assert!(
        message.contains("leadterra-one") && message.contains("leadterra-two"),
        "{message}"
    );

    // Woodpecker allocates its integer ids per workspace: the first create
    // in each gets the same id.
    let mut created = Vec::new();
    for workspace in WORKSPACES {
        let answer = server
            .call(
                "woodpecker",
                "POST",
                "/rest/v2/campaigns",
                &[("x-api-key", &key(&VENDORS[4], workspace)), ("content-type", "application/json")],
                Some(br#"{"name": "Q3", "emails": [{"subject": "Hi", "body": "<p>Hi</p>", "delay_in_days": 0}], "prospects": [{"email": "grace@hopper.example"}]}"#),
            )
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        created.push(answer.body["id"].clone());
    }
    assert_eq!(created[0], created[1], "each workspace counts its own ids");
    server.close().await;
}
