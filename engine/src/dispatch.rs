//! Dispatch: the clock's side of the engine. Launching queues each
//! prospect's next step; due sends start when their campaign and prospect
//! are active, are in flight for the channel's duration, and complete as
//! delivered, queuing the next step. Set-based: a batch of any size is a
//! handful of statements.

use rusqlite::{Connection, OptionalExtension, params};

use crate::Engine;
use crate::dialect::Dialects;
use crate::error::EngineResult;
use crate::ids::campaign_key;
use crate::outbox;
use crate::rows::{SEND_SELECT, channel_str, parse_channel, send_from_row, status_str};
use crate::transaction::exec;
use crate::types::{Channel, EngineStatus, SendQuery, SendView};

/// Rows processed per statement batch while dispatching.
const DISPATCH_BATCH: i64 = 20_000;

/// Of the sends a batch just started (`temp.dispatch_started`), those
/// delivered too: kept in `temp.dispatch_done` (marked `fused`: written
/// delivered already) for the next completion pass, which moves them on
/// with the in-flight sends that complete, in order of completion. Sends
/// are found by id: the form
/// `dispatch_started JOIN sends` let SQLite walk every send in each batch
/// (a run to completion of 1,000,000 sends took 11 s instead of 5.7 s).
const DELIVERED_AT_START: &str =
    "INSERT INTO temp.dispatch_done (send_id, campaign_id, prospect_id, position, done_at, fused)
     SELECT id, campaign_id, prospect_id, position, completes_at, 1 FROM sends
     WHERE id IN (SELECT send_id FROM temp.dispatch_started) AND state = 'delivered'";

/// When a send started by [`start_due`] completes: its start (its due time,
/// or `?1` if it was due while held) plus its channel's duration (`?2`
/// email, `?3` call, `?4` LinkedIn).
const COMPLETES_AT: &str = "(MAX(due_at, ?1)
    + CASE channel WHEN 'email' THEN ?2 WHEN 'call' THEN ?3 ELSE ?4 END)";

impl Engine {
    /// The send log, in queue order.
    pub fn list_sends(&self, query: &SendQuery) -> EngineResult<Vec<SendView>> {
        let limit = i64::from(query.limit.unwrap_or(1000).clamp(1, 10_000));
        self.read(|tx| {
            let after = query.after_id.unwrap_or(0);
            let campaign = query
                .campaign_id
                .as_deref()
                .map(|campaign| campaign_key(tx, None, campaign))
                .transpose()?;
            let rows = match &campaign {
                Some(campaign) => tx
                    .prepare_cached(&format!(
                        "{SEND_SELECT} WHERE campaign_id = CAST(?1 AS TEXT) AND id > ?2 ORDER BY id LIMIT ?3"
                    ))?
                    .query_map(params![campaign, after, limit], send_from_row)?
                    .collect::<Result<_, _>>()?,
                None => tx
                    .prepare_cached(&format!("{SEND_SELECT} WHERE id > ?1 ORDER BY id LIMIT ?2"))?
                    .query_map(params![after, limit], send_from_row)?
                    .collect::<Result<_, _>>()?,
            };
            Ok(rows)
        })
    }
}

/// Runs every event due in `(from, to]` in time order; returns the time of
/// the next event (or `i64::MAX` when nothing is pending). Set-based: each
/// batch is a handful of statements, whatever its size.
pub(crate) fn dispatch_until(
    tx: &Connection,
    from: i64,
    to: i64,
    hooks: Option<&dyn Dialects>,
) -> EngineResult<i64> {
    // Sends started and delivered by the last start pass, waiting for the
    // next completion pass to move their prospects on.
    let mut delivered_at_start = 0;
    loop {
        let scheduled = launch_scheduled(tx, to)?;
        let completed = complete_in_flight(tx, to, delivered_at_start)?;
        let (started, delivered) = start_due(tx, from, to, hooks)?;
        delivered_at_start = delivered;
        // A pass that starts nothing delivers nothing: nothing is left
        // waiting when the loop ends.
        if scheduled == 0 && completed == 0 && started == 0 {
            break;
        }
    }
    next_event(tx)
}

/// Launches every scheduled draft whose time has come, as of that time.
fn launch_scheduled(tx: &Connection, to: i64) -> EngineResult<usize> {
    let due: Vec<(String, i64)> = tx
        .prepare_cached(
            "SELECT id, scheduled_at FROM campaigns
             WHERE scheduled_at <= CAST(?1 AS INTEGER) AND status = 'draft'
             ORDER BY scheduled_at, id",
        )?
        .query_map(params![to], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, at) in &due {
        launch(tx, id, *at, EngineStatus::Active)?;
    }
    Ok(due.len())
}

/// Completes in-flight sends whose time has come (in order of completion),
/// with the `delivered_at_start` sends the last start pass left in
/// `temp.dispatch_done`; advances their prospects and queues each
/// prospect's next step, in order of completion.
fn complete_in_flight(tx: &Connection, to: i64, delivered_at_start: usize) -> EngineResult<usize> {
    let picked = tx
        .prepare_cached(
            "INSERT INTO temp.dispatch_done (send_id, campaign_id, prospect_id, position, done_at)
             SELECT id, campaign_id, prospect_id, position, completes_at FROM sends
             WHERE state = 'in_flight' AND completes_at <= CAST(?1 AS INTEGER)
             ORDER BY completes_at, id LIMIT ?2",
        )?
        .execute(params![to, DISPATCH_BATCH])?;
    let done = picked + delivered_at_start;
    if done == 0 {
        return Ok(0);
    }
    if picked > 0 {
        tx.prepare_cached(
            "UPDATE sends SET state = 'delivered', finished_at = completes_at
             WHERE id IN (SELECT send_id FROM temp.dispatch_done WHERE NOT fused)",
        )?
        .execute([])?;
    }
    advance_delivered(tx)?;
    tx.prepare_cached("DELETE FROM temp.dispatch_done")?
        .execute([])?;
    Ok(done)
}

/// Moves on the prospects of the sends just delivered (those in
/// `temp.dispatch_done`, counted in flight): each past its step, queuing
/// its next one or completing it, and the campaigns' counters with them.
fn advance_delivered(tx: &Connection) -> EngineResult<()> {
    // Each prospect moves past its delivered step; one without a next step
    // is completed too (paused or not). Each row is written once: the
    // status (indexed) only where it changes.
    tx.prepare_cached(
        "UPDATE prospects SET position = d.position + 1, updated_at = d.done_at
         FROM temp.dispatch_done d WHERE prospects.id = d.prospect_id
           AND EXISTS (SELECT 1 FROM steps st WHERE st.campaign_id = d.campaign_id AND st.position = d.position + 1)",
    )?
    .execute([])?;
    tx.prepare_cached(
        "UPDATE prospects SET position = d.position + 1, updated_at = d.done_at,
             status = CASE WHEN prospects.status IN ('active', 'paused') THEN 'completed' ELSE prospects.status END
         FROM temp.dispatch_done d WHERE prospects.id = d.prospect_id
           AND NOT EXISTS (SELECT 1 FROM steps st WHERE st.campaign_id = d.campaign_id AND st.position = d.position + 1)",
    )?
    .execute([])?;
    // The next step of every prospect that has one, due its delay after the
    // delivery, in delivery order (send ids follow queue order).
    let queued = tx
        .prepare_cached(
            "INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
             SELECT d.campaign_id, d.prospect_id, st.position, st.channel, 'queued', d.done_at + st.delay_ms
             FROM temp.dispatch_done d
             JOIN steps st ON st.campaign_id = d.campaign_id AND st.position = d.position + 1
             WHERE true ORDER BY d.done_at, d.send_id
             ON CONFLICT (prospect_id, position) DO NOTHING",
        )?
        .execute([])?;
    tx.prepare_cached(
        "UPDATE campaigns SET in_flight = in_flight - c.n, delivered = delivered + c.n, queued = queued + c.next
         FROM (SELECT d.campaign_id,
                      COUNT(*) AS n,
                      SUM(EXISTS (SELECT 1 FROM steps st
                                  WHERE st.campaign_id = d.campaign_id AND st.position = d.position + 1)) AS next
               FROM temp.dispatch_done d GROUP BY d.campaign_id) c
         WHERE campaigns.id = c.campaign_id",
    )?
    .execute([])?;
    let expected_next: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM temp.dispatch_done d JOIN steps st
             ON st.campaign_id = d.campaign_id AND st.position = d.position + 1",
        )?
        .query_row([], |r| r.get(0))?;
    if usize::try_from(expected_next).ok() != Some(queued) {
        // A next step already existed (it cannot, by construction): count
        // from the sends themselves rather than trust the increment.
        exec(
            tx,
            "UPDATE campaigns SET queued = (SELECT COUNT(*) FROM sends s
                 WHERE s.campaign_id = campaigns.id AND s.state = 'queued')
             WHERE id IN (SELECT campaign_id FROM temp.dispatch_done)",
            [],
        )?;
    }
    let touched: Vec<String> = tx
        .prepare_cached("SELECT DISTINCT campaign_id FROM temp.dispatch_done")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for campaign_id in &touched {
        complete_campaign_if_done(tx, campaign_id)?;
    }
    Ok(())
}

/// Starts queued sends that are due in active campaigns for active
/// prospects: a send due while its campaign was held starts at `from`.
/// Returns how many started, and how many of them were delivered too (left
/// in `temp.dispatch_done` for the next completion pass).
fn start_due(
    tx: &Connection,
    from: i64,
    to: i64,
    hooks: Option<&dyn Dialects>,
) -> EngineResult<(usize, usize)> {
    let campaigns: Vec<(String, i64, i64, i64)> = tx
        .prepare_cached(
            "SELECT id, email_transit_ms, call_duration_ms, linkedin_ms FROM campaigns
             WHERE status = 'active' AND queued > 0",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut started_total = 0;
    let mut delivered_total = 0;
    for (campaign_id, email_ms, call_ms, linkedin_ms) in campaigns {
        tx.prepare_cached("DELETE FROM temp.dispatch_started")?
            .execute([])?;
        let started = tx
            .prepare_cached(
                "INSERT INTO temp.dispatch_started (send_id)
                 SELECT s.id FROM sends s JOIN prospects p ON p.id = s.prospect_id
                 WHERE s.campaign_id = CAST(?1 AS TEXT) AND s.state = 'queued' AND s.due_at <= CAST(?2 AS INTEGER)
                   AND p.status = 'active'
                 ORDER BY s.due_at, s.id LIMIT ?3",
            )?
            .execute(params![campaign_id, to, DISPATCH_BATCH])?;
        if started == 0 {
            continue;
        }
        // A send whose flight also ends by `to` is written once, started
        // and delivered: nobody can see it in flight (no command runs
        // inside a dispatch), and each write of a send row, with its
        // indexes, is most of a run's cost.
        tx.prepare_cached(&format!(
            "UPDATE sends SET started_at = MAX(due_at, ?1), completes_at = {COMPLETES_AT},
                 state = CASE WHEN {COMPLETES_AT} <= ?5 THEN 'delivered' ELSE 'in_flight' END,
                 finished_at = CASE WHEN {COMPLETES_AT} <= ?5 THEN {COMPLETES_AT} END
             WHERE id IN (SELECT send_id FROM temp.dispatch_started)"
        ))?
        .execute(params![from, email_ms, call_ms, linkedin_ms, to])?;
        tx.prepare_cached(
            "UPDATE campaigns SET queued = queued - ?2, in_flight = in_flight + ?2 WHERE id = ?1",
        )?
        .execute(params![campaign_id, started as i64])?;
        if let Some(dialects) = hooks {
            outbox::record_messages_sent(tx, dialects, &campaign_id, to)?;
        }
        // None can be delivered already unless the quickest channel ends
        // by `to` (a send starts at `from` at the earliest): a dispatch
        // on the real clock's ticks never reads its sends back.
        let quickest = email_ms.min(call_ms).min(linkedin_ms);
        if from.saturating_add(quickest) <= to {
            delivered_total += tx.prepare_cached(DELIVERED_AT_START)?.execute([])?;
        }
        started_total += started;
    }
    Ok((started_total, delivered_total))
}

/// The earliest due time of a campaign's startable queued sends (or
/// `i64::MAX`): an index walk in time order that stops at the first hit.
pub(crate) fn campaign_next_due(tx: &Connection, campaign_id: &str) -> EngineResult<i64> {
    let due: Option<i64> = tx
        .prepare_cached(
            "SELECT s.due_at FROM campaigns c
             JOIN sends s ON s.campaign_id = c.id
             JOIN prospects p ON p.id = s.prospect_id
             WHERE c.id = CAST(?1 AS TEXT) AND c.status = 'active' AND s.state = 'queued' AND p.status = 'active'
             ORDER BY s.due_at LIMIT 1",
        )?
        .query_row(params![campaign_id], |r| r.get(0))
        .optional()?;
    Ok(due.unwrap_or(i64::MAX))
}

/// The earliest time anything can happen without a command. Each query
/// walks an index in time order and stops at the first hit, so this stays
/// cheap however many sends are queued.
fn next_event(tx: &Connection) -> EngineResult<i64> {
    let mut next: Option<i64> = tx
        .prepare_cached(
            "SELECT completes_at FROM sends WHERE state = 'in_flight' ORDER BY completes_at LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    let scheduled: Option<i64> = tx
        .prepare_cached(
            "SELECT MIN(scheduled_at) FROM campaigns WHERE scheduled_at IS NOT NULL AND status = 'draft'",
        )?
        .query_row([], |r| r.get(0))?;
    next = next.into_iter().chain(scheduled).min();
    let active: Vec<String> = tx
        .prepare_cached("SELECT id FROM campaigns WHERE status = 'active' AND queued > 0")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for campaign_id in active {
        let due = campaign_next_due(tx, &campaign_id)?;
        next = next.into_iter().chain(Some(due)).min();
    }
    Ok(next.unwrap_or(i64::MAX))
}

pub(crate) fn complete_campaign_if_done(tx: &Connection, campaign_id: &str) -> EngineResult<()> {
    tx.prepare_cached(
        "UPDATE campaigns SET status = 'completed'
         WHERE id = ?1 AND status = 'active' AND queued = 0 AND in_flight = 0
           AND EXISTS (SELECT 1 FROM prospects WHERE campaign_id = ?1)
           AND NOT EXISTS (SELECT 1 FROM prospects WHERE campaign_id = ?1
                           AND status IN ('active', 'paused'))",
    )?
    .execute(params![campaign_id])?;
    Ok(())
}

/// Marks a campaign launched with `status` and queues every unfinished
/// prospect's next step, due its delay after now.
pub(crate) fn launch(
    tx: &Connection,
    id: &str,
    now: i64,
    status: EngineStatus,
) -> EngineResult<()> {
    exec(tx,
        "UPDATE campaigns SET status = ?2, launched_at = COALESCE(launched_at, ?3), started_at = ?3,
             updated_at = ?3, scheduled_at = NULL WHERE id = ?1",
        params![id, status_str(status), now],
    )?;
    let queued = exec(tx,
        "INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
         SELECT p.campaign_id, p.id, st.position, st.channel, 'queued', ?2 + st.delay_ms
         FROM prospects p JOIN steps st ON st.campaign_id = p.campaign_id AND st.position = p.position
         WHERE p.campaign_id = CAST(?1 AS TEXT) AND p.status IN ('active', 'paused') ORDER BY p.seq
         ON CONFLICT (prospect_id, position) DO NOTHING",
        params![id, now],
    )?;
    exec(
        tx,
        "UPDATE campaigns SET queued = queued + ?2 WHERE id = ?1",
        params![id, queued as i64],
    )?;
    Ok(())
}

/// Queues step `position` for a prospect, due its delay after `base`.
pub(crate) fn queue_step(
    tx: &Connection,
    campaign_id: &str,
    prospect_id: &str,
    position: i64,
    base: i64,
) -> EngineResult<()> {
    let step: Option<(String, i64)> = tx
        .prepare_cached(
            "SELECT channel, delay_ms FROM steps WHERE campaign_id = ?1 AND position = ?2",
        )?
        .query_row(params![campaign_id, position], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((channel, delay)) = step {
        insert_send(
            tx,
            campaign_id,
            prospect_id,
            position,
            parse_channel(&channel),
            base + delay,
        )?;
    }
    Ok(())
}

/// Inserts a queued send unless that (prospect, step) already has one.
pub(crate) fn insert_send(
    tx: &Connection,
    campaign_id: &str,
    prospect_id: &str,
    position: i64,
    channel: Channel,
    due_at: i64,
) -> EngineResult<()> {
    let inserted = tx
        .prepare_cached(
            "INSERT INTO sends (campaign_id, prospect_id, position, channel, state, due_at)
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5) ON CONFLICT (prospect_id, position) DO NOTHING",
        )?
        .execute(params![
            campaign_id,
            prospect_id,
            position,
            channel_str(channel),
            due_at
        ])?;
    if inserted > 0 {
        tx.prepare_cached("UPDATE campaigns SET queued = queued + 1 WHERE id = ?1")?
            .execute(params![campaign_id])?;
    }
    Ok(())
}

pub(crate) fn set_status(
    tx: &Connection,
    id: &str,
    status: EngineStatus,
    now: i64,
) -> EngineResult<()> {
    tx.prepare_cached("UPDATE campaigns SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, status_str(status), now])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The statements that read a dispatch batch's sends find them by id,
    /// whatever the tables hold: a plan that walks the send table would
    /// make each batch cost as much as every send ever queued.
    #[test]
    fn a_batch_s_sends_are_found_by_id_not_by_a_walk_of_every_send() {
        let conn = crate::store::open(crate::store::Location::Memory).unwrap();
        for sql in [super::DELIVERED_AT_START, crate::outbox::SENT_MESSAGES] {
            let plan: Vec<String> = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([], |r| r.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(
                plan.iter().all(|step| !step.starts_with("SCAN")),
                "{sql}\nwalks a table: {plan:?}"
            );
        }
    }
}
