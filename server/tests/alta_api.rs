//! The Alta face end to end: an in-process server (memory store, virtual
//! clock) driven through the generated clients and, for malformed input,
//! through raw HTTP.

mod common;

use campaign_client::{alta, sandbox};
use common::world::*;
use serde_json::{Value, json};

#[tokio::test]
async fn pause_and_resume_through_the_generated_client() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    let id: uuid::Uuid = CAMPAIGN.parse().unwrap();

    let paused = world
        .alta
        .pause_campaign()
        .campaign_id(id)
        .body(alta::types::PauseCampaignBody {
            pause_prospects: Some(true),
        })
        .send()
        .await
        .unwrap();
    // As Alta publishes: 200, no body, the rate-limit headers; state by GET.
    assert_eq!(paused.status(), 200);
    assert!(paused.headers().get("content-type").is_none());
    assert_eq!(paused.headers()["ratelimit-limit"], "100");
    let fetched = world.campaign(id).await;
    assert_eq!(fetched.status, alta::types::CampaignStatus::Paused);
    assert_eq!(
        fetched.object_type,
        alta::types::CampaignObjectType::Campaign
    );

    let prospects = world.prospects(CAMPAIGN).await;
    assert_eq!(prospects.data.len(), 3);
    assert!(
        prospects
            .data
            .iter()
            .all(|p| p.status == alta::types::ProspectStatus::Paused)
    );

    // A second pause is a 200 no-op.
    let again = world
        .alta
        .pause_campaign()
        .campaign_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);

    let resumed = world
        .alta
        .resume_campaign()
        .campaign_id(id)
        .body(alta::types::ResumeCampaignBody {
            resume_prospects: Some(true),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 200);
    let prospects = world.prospects(CAMPAIGN).await;
    assert!(
        prospects
            .data
            .iter()
            .all(|p| p.status == alta::types::ProspectStatus::Active)
    );

    let fetched = world.campaign(id).await;
    assert_eq!(fetched.status, alta::types::CampaignStatus::Active);
}

#[tokio::test]
async fn a_prospect_paused_on_its_own_stays_paused_across_a_campaign_resume() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    let id: uuid::Uuid = CAMPAIGN.parse().unwrap();
    let prospects = world.prospects(CAMPAIGN).await;
    let lone = prospects.data[0].id;
    let paused = world
        .alta
        .pause_prospect()
        .prospect_id(lone)
        .send()
        .await
        .unwrap();
    assert_eq!(paused.status, alta::types::ProspectStatus::Paused);
    world
        .alta
        .pause_campaign()
        .campaign_id(id)
        .send()
        .await
        .unwrap();
    world
        .alta
        .resume_campaign()
        .campaign_id(id)
        .send()
        .await
        .unwrap();
    let after = world.prospects(CAMPAIGN).await;
    let statuses: Vec<_> = after.data.iter().map(|p| (p.id, p.status)).collect();
    assert!(
        statuses.contains(&(lone, alta::types::ProspectStatus::Paused)),
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|(_, s)| *s == alta::types::ProspectStatus::Active)
            .count(),
        2
    );
    let resumed = world
        .alta
        .resume_prospect()
        .prospect_id(lone)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status, alta::types::ProspectStatus::Active);
}

#[tokio::test]
async fn the_optional_pause_body_may_be_absent_empty_or_empty_object() {
    let world = World::new().await;
    for (n, body) in [
        None,
        Some(("application/json", vec![])),
        Some(("application/json", b"{}".to_vec())),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("0b6f2a53-3c1e-4d4e-9a55-1f0a4f3b8c1{n}");
        world.active_campaign(&id).await;
        let (status, headers, answer) = world
            .raw(
                "POST",
                &format!("/v1/campaigns/{id}/pause"),
                Some(TOKEN),
                body,
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, Value::Null, "pause answers with no body");
        assert!(headers.contains_key("ratelimit-remaining"));
        let (_, _, campaign) = world
            .raw("GET", &format!("/v1/campaigns/{id}"), Some(TOKEN), None)
            .await;
        assert_eq!(campaign["status"], "paused");
        let (_, _, page) = world
            .raw(
                "GET",
                &format!("/v1/prospects?campaignId={id}"),
                Some(TOKEN),
                None,
            )
            .await;
        assert!(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["status"] == "active"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn malformed_requests_get_alta_errors_never_dropshot_bodies() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    let pause = format!("/v1/campaigns/{CAMPAIGN}/pause");
    let json = |s: &str| Some(("application/json", s.as_bytes().to_vec()));

    let (s, _, b) = world
        .raw("POST", &pause, Some(TOKEN), json("{not json"))
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw(
            "POST",
            &pause,
            Some(TOKEN),
            json(r#"{"pauseProspects": "yes"}"#),
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw("POST", &pause, Some(TOKEN), json(r#"{"surprise": 1}"#))
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw("POST", "/v1/campaigns/not-a-uuid/pause", Some(TOKEN), None)
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    assert_eq!(
        b["message"],
        "campaignId must be a UUID, got \"not-a-uuid\""
    );
    let (s, _, b) = world
        .raw(
            "POST",
            "/v1/campaigns/5d0f8a3e-0000-4000-8000-000000000000/pause",
            Some(TOKEN),
            None,
        )
        .await;
    assert_alta_error(s, &b, 404, "NotFound");
    assert_eq!(b["message"], "Resource not found");
    let huge = format!(
        r#"{{"pauseProspects": true, "pad": "{}"}}"#,
        "x".repeat(200_000)
    );
    let (s, _, b) = world.raw("POST", &pause, Some(TOKEN), json(&huge)).await;
    assert_alta_error(s, &b, 413, "PayloadTooLarge");
    assert!(
        b["message"].as_str().unwrap().contains("65536 bytes"),
        "{b}"
    );
    // The key is checked before the body is measured.
    let (s, _, b) = world.raw("POST", &pause, None, json(&huge)).await;
    assert_alta_error(s, &b, 401, "Unauthorized");
    let (s, headers, b) = world.raw("DELETE", &pause, Some(TOKEN), None).await;
    assert_alta_error(s, &b, 405, "MethodNotAllowed");
    assert_eq!(headers["allow"], "POST");
    let (s, _, b) = world.raw("GET", "/v1/nothing/here", None, None).await;
    assert_alta_error(s, &b, 404, "NotFound");
    let (s, _, b) = world.raw("POST", &pause, None, None).await;
    assert_alta_error(s, &b, 401, "Unauthorized");
    assert_eq!(b["message"], "Invalid API token");
    let (s, _, b) = world.raw("POST", &pause, Some("wrong"), None).await;
    assert_alta_error(s, &b, 401, "Unauthorized");
    let (s, _, b) = world
        .raw(
            "POST",
            "/v1/campaigns",
            Some(TOKEN),
            json(r#"{"name": ""}"#),
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let long = format!(r#"{{"name": "{}"}}"#, "n".repeat(256));
    let (s, _, b) = world
        .raw("POST", "/v1/campaigns", Some(TOKEN), json(&long))
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw("GET", "/v1/campaigns?limit=0", Some(TOKEN), None)
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw("GET", "/v1/campaigns?limit=abc", Some(TOKEN), None)
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");

    // Nothing stored was touched by any of it.
    let campaign = world
        .alta
        .get_campaign()
        .campaign_id(CAMPAIGN.parse::<uuid::Uuid>().unwrap())
        .send()
        .await;
    assert_eq!(
        campaign.unwrap().status,
        alta::types::CampaignStatus::Active
    );
}

#[tokio::test]
async fn pausing_a_draft_is_a_validation_error_and_the_campaign_is_unchanged() {
    let world = World::new().await;
    let created = world
        .alta
        .create_campaign()
        .body(alta::types::CampaignCreate {
            name: "Draft".parse().unwrap(),
            description: None,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(created.status, alta::types::CampaignStatus::Draft);
    let (s, _, b) = world
        .raw(
            "POST",
            &format!("/v1/campaigns/{}/pause", created.id),
            Some(TOKEN),
            None,
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    assert_eq!(b["message"], "Campaign is not active");
    let (s, _, b) = world
        .raw(
            "POST",
            &format!("/v1/campaigns/{}/resume", created.id),
            Some(TOKEN),
            None,
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    assert_eq!(b["message"], "Campaign is not paused");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_headers_and_recovers_on_the_clock() {
    let world = World::new().await;
    world
        .sandbox
        .set_rate_limits()
        .workspace_id("acme")
        .body(sandbox::types::RateLimits {
            per_minute: std::num::NonZeroU32::new(3),
            per_day: None,
            prospects_per_minute: None,
        })
        .send()
        .await
        .unwrap();
    for remaining in [2, 1, 0] {
        let (s, h, _) = world.raw("GET", "/v1/campaigns", Some(TOKEN), None).await;
        assert_eq!(s, 200);
        assert_eq!(h["ratelimit-remaining"], remaining.to_string().as_str());
        assert_eq!(h["ratelimit-policy"], "3;w=60");
    }
    let (s, h, b) = world.raw("GET", "/v1/campaigns", Some(TOKEN), None).await;
    assert_alta_error(s, &b, 429, "TooManyRequests");
    assert_eq!(
        b["message"],
        "Rate limit exceeded. Please retry after 60 seconds."
    );
    // The message promises 60 seconds, and so does Retry-After; the
    // allowance itself is whole again sooner (a token every 20 s).
    assert_eq!(h["retry-after"], "60");
    assert_eq!(h["ratelimit-remaining"], "0");
    world.advance(60).await;
    let (s, _, _) = world.raw("GET", "/v1/campaigns", Some(TOKEN), None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn cursor_pagination_walks_forward_and_back_and_rejects_changed_filters() {
    let world = World::new().await;
    for n in 0..23 {
        world
            .alta
            .create_campaign()
            .body(alta::types::CampaignCreate {
                name: format!("c{n:02}").parse().unwrap(),
                description: None,
            })
            .send()
            .await
            .unwrap();
    }
    let first = world.alta.list_campaigns().send().await.unwrap();
    assert_eq!(first.data.len(), 10);
    assert!(first.has_more && first.previous.is_none());
    let second = world
        .alta
        .list_campaigns()
        .cursor(first.next.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.data[0].name, "c10");
    let third = world
        .alta
        .list_campaigns()
        .cursor(second.next.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(third.data.len(), 3);
    assert!(!third.has_more && third.next.is_none());
    let back = world
        .alta
        .list_campaigns()
        .cursor(third.previous.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        back.data.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        second
            .data
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    );

    world.active_campaign(CAMPAIGN).await;
    let prospects = world
        .alta
        .list_prospects()
        .campaign_id(CAMPAIGN)
        .limit(1)
        .send()
        .await
        .unwrap();
    let (s, _, b) = world
        .raw(
            "GET",
            &format!("/v1/prospects?cursor={}", prospects.next.clone().unwrap()),
            Some(TOKEN),
            None,
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    assert_eq!(
        b["message"],
        "filters must not change between pages of a cursor"
    );
}

#[tokio::test]
async fn adding_prospects_validates_and_queues_the_first_step() {
    let world = World::new().await;
    world.active_campaign(CAMPAIGN).await;
    let path = format!("/v1/campaigns/{CAMPAIGN}/prospects");
    let json = |v: Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));
    let too_many: Vec<Value> = (0..21)
        .map(|n| json!({"email": format!("p{n}@x.example")}))
        .collect();
    let (s, _, b) = world
        .raw(
            "POST",
            &path,
            Some(TOKEN),
            json(json!({"prospects": too_many})),
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw(
            "POST",
            &path,
            Some(TOKEN),
            json(json!({"prospects": [{"firstName": "Ann"}]})),
        )
        .await;
    assert_alta_error(s, &b, 400, "ValidationError");
    let (s, _, b) = world
        .raw(
            "POST",
            &path,
            Some(TOKEN),
            json(json!({"prospects": [{"firstName": "Ann", "lastName": "Lee", "company": "Acme"}, {"phone": "+15550100"}]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["data"].as_array().unwrap().len(), 2);
    let campaign = world.engine_campaign(CAMPAIGN).await;
    assert_eq!(campaign.prospect_count, 5);
    assert_eq!(campaign.counters.queued, 5);
}
