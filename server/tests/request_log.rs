//! The request log: a vendor face's requests land in the log of the
//! workspace their key selected, with the status, bodies and masked
//! credentials; requests no key selected land in the face's own log; the
//! filters and clearing work, and the sandbox API's own calls are not
//! logged.

use campaign_test_utils::TestServer;
use campaign_test_utils::http::Client;
use serde_json::Value;

const CAMPAIGN: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

async fn log(http: &Client, url: &str) -> Vec<Value> {
    let answer = http.call("GET", url, &[], None).await.unwrap();
    assert_eq!(answer.status, 200, "{url}: {answer:?}");
    answer.body["items"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_logged_per_workspace_and_per_face() {
    let server = TestServer::in_process(true).await.unwrap();
    let http = server.http();
    let alta = server.url("alta");
    let sandbox = server.url("sandbox");
    let bearer = [("authorization", "Bearer alta_demo_token")];
    let paused = http
        .call(
            "POST",
            &format!("{alta}/campaigns/{CAMPAIGN}/pause"),
            &bearer,
            Some(br#"{"pauseProspects": true}"#),
        )
        .await
        .unwrap();
    assert_eq!(paused.status, 200);
    let read = http
        .call(
            "GET",
            &format!("{alta}/campaigns/{CAMPAIGN}"),
            &bearer,
            None,
        )
        .await
        .unwrap();
    assert_eq!(read.status, 200);
    // Refused: no workspace.
    let wrong = [("authorization", "Bearer not_a_key_at_all")];
    let refused = http
        .call("GET", &format!("{alta}/campaigns/{CAMPAIGN}"), &wrong, None)
        .await
        .unwrap();
    assert_eq!(refused.status, 401);
    let unknown = http
        .call("GET", &format!("{alta}/no/such/path"), &bearer, None)
        .await
        .unwrap();
    assert_eq!(unknown.status, 404);

    let workspace = format!("{sandbox}/workspaces/alta-demo/requests");
    let entries = log(http, &workspace).await;
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let (newest, pause) = (&entries[0], &entries[1]);
    assert_eq!(newest["method"], "GET");
    assert_eq!(pause["method"], "POST");
    assert_eq!(pause["path"], format!("/v1/campaigns/{CAMPAIGN}/pause"));
    assert_eq!(pause["status"], 200);
    assert_eq!(pause["face"], "alta");
    assert_eq!(pause["workspaceId"], "alta-demo");
    assert_eq!(pause["requestBody"], r#"{"pauseProspects":true}"#);
    assert_eq!(pause["requestHeaders"]["authorization"], "Bearer alta…");
    assert!(pause["latencyMicros"].as_u64().unwrap() > 0);
    assert!(
        newest["responseBody"]
            .as_str()
            .unwrap()
            .contains(r#""status":"paused""#),
        "{newest:#?}"
    );
    assert!(newest["id"].as_u64() > pause["id"].as_u64());

    let face = log(http, &format!("{sandbox}/faces/alta/requests")).await;
    let statuses: Vec<u64> = face.iter().map(|e| e["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [404, 401], "{face:#?}");
    assert_eq!(face[1]["requestHeaders"]["authorization"], "Bearer not_…");
    assert!(face.iter().all(|e| e["workspaceId"].is_null()));

    // Filters.
    let posts = log(http, &format!("{workspace}?method=post")).await;
    assert_eq!(posts.len(), 1);
    let by_status = log(http, &format!("{sandbox}/faces/alta/requests?status=401")).await;
    assert_eq!(by_status.len(), 1);
    let after = pause["id"].as_u64().unwrap();
    let newer = log(http, &format!("{workspace}?afterId={after}")).await;
    assert_eq!(newer.len(), 1);
    assert_eq!(log(http, &format!("{workspace}?limit=1")).await.len(), 1);
    assert_eq!(
        log(http, &format!("{workspace}?path=/pause")).await.len(),
        1
    );

    // Filters out of their documented range are refused.
    for wrong in [
        "status=0",
        "status=600",
        "limit=0",
        "limit=1001",
        "afterId=9007199254740992",
    ] {
        let refused = http
            .call("GET", &format!("{workspace}?{wrong}"), &[], None)
            .await
            .unwrap();
        assert_eq!(refused.status, 400, "{wrong}: {refused:?}");
    }

    // Clearing one log leaves the other.
    let cleared = http
        .call("POST", &format!("{workspace}/clear"), &[], None)
        .await
        .unwrap();
    assert_eq!(cleared.status, 204);
    assert!(log(http, &workspace).await.is_empty());
    assert_eq!(
        log(http, &format!("{sandbox}/faces/alta/requests"))
            .await
            .len(),
        2
    );
    let cleared = http
        .call(
            "POST",
            &format!("{sandbox}/faces/alta/requests/clear"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(cleared.status, 204);
    assert!(
        log(http, &format!("{sandbox}/faces/alta/requests"))
            .await
            .is_empty()
    );

    // An unknown workspace is a 404; the sandbox's own calls were not logged
    // anywhere (every log is empty now).
    let missing = http
        .call(
            "GET",
            &format!("{sandbox}/workspaces/nope/requests"),
            &[],
            None,
        )
        .await
        .unwrap();
    assert_eq!(missing.status, 404);
    for face in ["voicegenie", "leadterra", "leadlex", "woodpecker"] {
        assert!(
            log(http, &format!("{sandbox}/faces/{face}/requests"))
                .await
                .is_empty()
        );
    }
}
