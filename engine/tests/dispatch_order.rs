//! One long clock advance dispatches what many short ones do. A send that
//! starts and completes inside one advance is written once (queued
//! straight to delivered); these tests hold that shortcut to the
//! step-by-step result: the same sends (states and times), the same
//! prospects and the same counters, with campaigns whose channels take
//! different times, so deliveries interleave across campaigns.
//!
//! Send ids are not compared: they follow the order the dispatcher queues
//! sends in, which in one long advance is time order within each pass
//! over the due events, not across passes (a pass completes what is in
//! flight before it starts what is due, whatever their times).

mod common;

use campaign_engine::{
    CampaignSeed, CampaignSettings, Channel, Engine, EngineStatus, SendQuery, StepSeed,
    in_memory_virtual,
};
use common::{WS, dialects, prospects, seeded};

/// The shared world plus a campaign of calls that take two minutes, made
/// before nothing else is due.
fn world() -> Engine {
    let engine = seeded(in_memory_virtual(dialects()));
    let step = |channel, delay_seconds| StepSeed {
        channel,
        delay_seconds,
        subject: None,
        body: None,
    };
    engine
        .create_campaign(
            WS,
            &CampaignSeed {
                id: Some("camp_calls".into()),
                status: Some(EngineStatus::Active),
                steps: vec![
                    step(Channel::Call, 0),
                    step(Channel::Email, 0),
                    step(Channel::Call, 7),
                ],
                prospects: prospects("c", 4),
                settings: Some(CampaignSettings {
                    email_transit_seconds: 3,
                    call_duration_seconds: 120,
                    linkedin_seconds: 10,
                }),
                ..CampaignSeed::named("calls".into())
            },
        )
        .unwrap();
    engine
}

/// Everything a dispatch writes but the send ids, as text: each send by
/// campaign, prospect and step, each campaign's prospects and counters.
fn state(engine: &Engine) -> String {
    let mut sends: Vec<_> = engine
        .list_sends(&SendQuery {
            limit: Some(10_000),
            ..SendQuery::default()
        })
        .unwrap()
        .into_iter()
        .map(|send| {
            (
                (send.campaign_id, send.prospect_id, send.step),
                (send.channel, send.state, send.due_at),
                (send.started_at, send.completes_at, send.finished_at),
            )
        })
        .collect();
    sends.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = format!("{sends:#?}\n");
    for campaign in [common::CAMPAIGN, "camp_calls"] {
        let view = engine.campaign(None, campaign).unwrap();
        text += &format!("{campaign}: {:?} {:?}\n", view.status, view.counters);
        for prospect in engine.campaign_prospects(None, campaign).unwrap() {
            text += &format!(
                "  {} {:?} at step {} (updated {})\n",
                prospect.id, prospect.status, prospect.position, prospect.updated_at
            );
        }
    }
    text
}

/// Two copies of the world after `seconds`: one advanced a second at a
/// time (nothing starts and completes in one advance), one in a single
/// advance; checks that they agree and that the stepped one's state
/// contains `reached`.
fn stepped_and_jumped(seconds: usize, reached: &str) -> (Engine, Engine) {
    let stepped = world();
    for _ in 0..seconds {
        stepped.advance_clock(1_000).unwrap();
    }
    let jumped = world();
    jumped.advance_clock(1_000 * seconds as i64).unwrap();
    let expected = state(&stepped);
    assert!(expected.contains(reached), "no {reached}: {expected}");
    assert_eq!(state(&jumped), expected);
    (stepped, jumped)
}

#[test]
fn one_long_advance_dispatches_what_many_short_ones_do() {
    // To the end: every campaign completed.
    stepped_and_jumped(600, "Completed");
}

#[test]
fn an_advance_that_ends_mid_flight_leaves_the_same_sends_in_flight() {
    let (stepped, jumped) = stepped_and_jumped(100, "InFlight");
    // And both go on alike from there.
    stepped.advance_clock(500_000).unwrap();
    jumped.advance_clock(500_000).unwrap();
    assert_eq!(state(&jumped), state(&stepped));
}
