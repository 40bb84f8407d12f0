//! The clock stops at the end of year 9999 (what RFC 3339 can write); a
//! send started at that instant is due to complete after it, and must
//! still read as a writable time (schemathesis found "+10000-01-01T00:00:29Z"
//! in a send's completesAt).

mod common;

use campaign_engine::{CampaignSeed, EngineStatus, MAX_TIME_MS, SendQuery};
use common::*;

#[test]
fn times_past_the_end_of_the_clock_read_as_its_end() {
    let engine = world();
    // Straight to the end, then a campaign launched there: its first
    // steps are due after the end.
    engine.advance_clock(i64::MAX).unwrap();
    assert_eq!(engine.clock().now_ms(), MAX_TIME_MS);
    let seed = CampaignSeed {
        id: Some("camp_last".into()),
        status: Some(EngineStatus::Active),
        steps: steps(),
        prospects: prospects("last", 2),
        ..CampaignSeed::named("last".into())
    };
    engine.create_campaign(WS, &seed).unwrap();
    let sends = engine
        .list_sends(&SendQuery {
            campaign_id: Some("camp_last".into()),
            after_id: None,
            limit: Some(100),
        })
        .unwrap();
    assert!(!sends.is_empty());
    for send in &sends {
        let times = [
            Some(&send.due_at),
            send.started_at.as_ref(),
            send.completes_at.as_ref(),
        ];
        for time in times.into_iter().flatten() {
            assert!(time.timestamp_millis() <= MAX_TIME_MS, "{send:?}");
            assert!(!time.to_rfc3339().starts_with('+'), "{send:?}");
        }
    }
}
