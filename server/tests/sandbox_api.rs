//! The sandbox control API and what every face shares, end to end: the
//! documents served, the send log on the virtual clock, injected faults,
//! reset, and demo keys.

mod common;

use campaign_client::{alta, sandbox};
use campaign_test_utils::TestServer;
use common::world::*;

#[tokio::test]
async fn every_face_serves_its_checked_in_document_byte_for_byte() {
    let world = World::new().await;
    for face in &world.server.ports().apis {
        let served = world.http.get(&face.document).send().await.unwrap();
        assert_eq!(served.status(), 200, "{}", face.name);
        let served = served.bytes().await.unwrap();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../openapi")
            .join(format!("{}.json", face.name));
        let checked_in = std::fs::read(path).unwrap();
        assert!(
            served == checked_in,
            "{} serves another document",
            face.name
        );
    }
    assert_eq!(world.server.ports().apis.len(), 6);
}

#[tokio::test]
async fn the_send_log_follows_the_virtual_clock() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    let sends = world
        .sandbox
        .list_sends()
        .campaign_id(CAMPAIGN)
        .send()
        .await
        .unwrap();
    assert_eq!(sends.items.len(), 3);
    assert!(
        sends
            .items
            .iter()
            .all(|s| s.state == sandbox::types::SendState::Queued)
    );
    // Step 0 is due after 60 s and an email is in transit for 30 s.
    world.advance(60).await;
    let campaign = world.engine_campaign(CAMPAIGN).await;
    assert_eq!(
        (campaign.counters.queued, campaign.counters.in_flight),
        (0, 3)
    );
    world.advance(30).await;
    let campaign = world.engine_campaign(CAMPAIGN).await;
    assert_eq!(
        (campaign.counters.delivered, campaign.counters.queued),
        (3, 3)
    );
    // The call step comes an hour later and lasts 180 s; then the campaign completes.
    world.advance(3600 + 180).await;
    let campaign = world.engine_campaign(CAMPAIGN).await;
    assert_eq!(campaign.counters.delivered, 6);
    assert_eq!(campaign.status, sandbox::types::EngineStatus::Completed);
    let sends = world
        .sandbox
        .list_sends()
        .campaign_id(CAMPAIGN)
        .send()
        .await
        .unwrap();
    assert_eq!(sends.items.len(), 6);
    assert!(
        sends
            .items
            .iter()
            .all(|s| s.state == sandbox::types::SendState::Delivered)
    );
}

#[tokio::test]
async fn injected_faults_fail_or_delay_the_named_operation_only() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    world
        .sandbox
        .inject_fault()
        .body(sandbox::types::FaultCreate {
            dialect: sandbox::types::Dialect::Alta,
            operation_id: "pauseCampaign".into(),
            count: Some(1),
            kind: sandbox::types::FaultKind::Error,
            delay_ms: None,
        })
        .send()
        .await
        .unwrap();
    let pause = format!("/v1/campaigns/{CAMPAIGN}/pause");
    let (s, _, b) = world
        .raw(
            "GET",
            &format!("/v1/campaigns/{CAMPAIGN}"),
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(s, 200, "another operation is unaffected: {b}");
    let (s, _, b) = world.raw("POST", &pause, Some(TOKEN), None).await;
    assert_alta_error(s, &b, 500, "InternalServerError");
    let campaign = world.engine_campaign(CAMPAIGN).await;
    assert_eq!(
        campaign.status,
        sandbox::types::EngineStatus::Active,
        "a failed pause changes nothing"
    );
    assert!(
        world
            .sandbox
            .list_faults()
            .send()
            .await
            .unwrap()
            .items
            .is_empty(),
        "the fault is used up"
    );
    let (s, _, _) = world.raw("POST", &pause, Some(TOKEN), None).await;
    assert_eq!(s, 200);

    world
        .sandbox
        .inject_fault()
        .body(sandbox::types::FaultCreate {
            dialect: sandbox::types::Dialect::Alta,
            operation_id: "getCampaign".into(),
            count: Some(1),
            kind: sandbox::types::FaultKind::Delay,
            delay_ms: Some(300),
        })
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (s, _, _) = world
        .raw(
            "GET",
            &format!("/v1/campaigns/{CAMPAIGN}"),
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
}

#[tokio::test]
async fn reset_empties_the_world() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    world.advance(5).await;
    world.sandbox.reset_world().send().await.unwrap();
    assert!(
        world
            .sandbox
            .list_workspaces()
            .send()
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let clock = world.sandbox.get_clock().send().await.unwrap();
    assert_eq!(clock.now.to_rfc3339(), "2026-01-05T09:00:00+00:00");
    let (s, _, b) = world.raw("GET", "/v1/campaigns", Some(TOKEN), None).await;
    assert_alta_error(s, &b, 401, "Unauthorized");
}

#[tokio::test]
async fn demo_keys_work_only_on_a_demo_server() {
    let server = TestServer::in_process(true).await.unwrap();
    let client = alta::Client::new_with_client(
        server.url("alta"),
        campaign_client::bearer_client("alta_demo_token").unwrap(),
    );
    let id: uuid::Uuid = "7c9e6679-7425-40de-944b-e07fc1f90ae7".parse().unwrap();
    client
        .pause_campaign()
        .campaign_id(id)
        .send()
        .await
        .unwrap();
    let paused = client.get_campaign().campaign_id(id).send().await.unwrap();
    assert_eq!(paused.status, alta::types::CampaignStatus::Paused);
    // After a reset the demo world is back, active again.
    sandbox::Client::new(server.url("sandbox"))
        .reset_world()
        .send()
        .await
        .unwrap();
    let fetched = client.get_campaign().campaign_id(id).send().await.unwrap();
    assert_eq!(fetched.status, alta::types::CampaignStatus::Active);
}
