//! Reading rows: paging by sequence number, loading domain values from
//! rows, and the stored text of each enum.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{EngineError, EngineResult};
use crate::ids::{public_owned, workspace_of};
use crate::types::{
    CampaignSettings, CampaignView, Channel, EngineStatus, ProspectState, ProspectView, RateLimits,
    SendCounters, SendState, SendView, StepView, Time, Workspace, time,
};

/// A page request over rows ordered by their sequence number.
#[derive(Debug, Clone, Copy)]
pub enum PageFrom {
    /// From the start.
    Start,
    /// Rows after this sequence number.
    After(i64),
    /// Rows before this sequence number.
    Before(i64),
}

/// One page of rows in ascending order, with their sequence numbers.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The rows with their sequence numbers.
    pub items: Vec<(i64, T)>,
    /// Whether rows exist after the last one.
    pub more_after: bool,
    /// Whether rows exist before the first one.
    pub more_before: bool,
}

// ----- paging -----------------------------------------------------------

pub(crate) fn page_seqs(
    tx: &Connection,
    table: &str,
    column: &str,
    key: &str,
    from: PageFrom,
    limit: u32,
) -> EngineResult<Vec<(i64, String)>> {
    let limit = i64::from(limit);
    let (condition, order, bound) = match from {
        PageFrom::Start => ("seq > CAST(?2 AS INTEGER)", "ASC", i64::MIN),
        PageFrom::After(seq) => ("seq > CAST(?2 AS INTEGER)", "ASC", seq),
        PageFrom::Before(seq) => ("seq < CAST(?2 AS INTEGER)", "DESC", seq),
    };
    let sql = format!(
        "SELECT seq, id FROM {table} WHERE {column} = CAST(?1 AS TEXT) AND ({condition}) ORDER BY seq {order} LIMIT ?3"
    );
    let mut rows: Vec<(i64, String)> = tx
        .prepare_cached(&sql)?
        .query_map(params![key, bound, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.sort_by_key(|(seq, _)| *seq);
    Ok(rows)
}

pub(crate) fn finish_page<T>(
    tx: &Connection,
    table: &str,
    column: &str,
    key: &str,
    items: Vec<(i64, T)>,
) -> EngineResult<Page<T>> {
    let exists = |condition: &str, seq: i64| -> EngineResult<bool> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = ?1 AND seq {condition} ?2)"
        );
        Ok(tx
            .prepare_cached(&sql)?
            .query_row(params![key, seq], |r| r.get(0))?)
    };
    let (more_after, more_before) = match (items.first(), items.last()) {
        (Some((first, _)), Some((last, _))) => (exists(">", *last)?, exists("<", *first)?),
        _ => (false, false),
    };
    Ok(Page {
        items,
        more_after,
        more_before,
    })
}

// ----- loading ----------------------------------------------------------

pub(crate) const WORKSPACE_SELECT: &str =
    "SELECT id, dialect, name, per_minute, per_day, prospects_per_minute,
    requires_approval, created_at FROM workspaces";

pub(crate) fn workspace_from_row(r: &Row<'_>) -> rusqlite::Result<Workspace> {
    Ok(Workspace {
        id: r.get(0)?,
        dialect: r.get(1)?,
        name: r.get(2)?,
        rate_limits: RateLimits {
            per_minute: r.get(3)?,
            per_day: r.get(4)?,
            prospects_per_minute: r.get(5)?,
        },
        requires_approval: r.get(6)?,
        created_at: time(r.get(7)?),
    })
}

pub(crate) fn load_workspace(conn: &Connection, id: &str) -> EngineResult<Workspace> {
    conn.prepare_cached(&format!("{WORKSPACE_SELECT} WHERE id = ?1"))?
        .query_row(params![id], workspace_from_row)
        .optional()?
        .ok_or(EngineError::WorkspaceNotFound)
}

pub(crate) fn load_campaign(
    tx: &Connection,
    workspace_id: Option<&str>,
    id: &str,
) -> EngineResult<CampaignView> {
    let campaign = tx
        .prepare_cached(
            "SELECT id, workspace_id, name, description, status, is_archived, created_at, updated_at,
                 launched_at, paused_at, started_at, email_transit_ms, call_duration_ms, linkedin_ms,
                 script_id, queued, in_flight, delivered, failed, prospects, scheduled_at
             FROM campaigns WHERE id = ?1",
        )?
        .query_row(params![id], |r| {
            Ok(CampaignView {
                id: public_owned(r.get(0)?),
                workspace_id: r.get(1)?,
                name: r.get(2)?,
                description: r.get(3)?,
                status: parse_status(&r.get::<_, String>(4)?),
                is_archived: r.get(5)?,
                created_at: time(r.get(6)?),
                updated_at: time(r.get(7)?),
                launched_at: opt_millis(r, 8)?,
                paused_at: opt_millis(r, 9)?,
                started_at: opt_millis(r, 10)?,
                settings: CampaignSettings {
                    email_transit_seconds: ms_to_secs(r.get(11)?),
                    call_duration_seconds: ms_to_secs(r.get(12)?),
                    linkedin_seconds: ms_to_secs(r.get(13)?),
                },
                script_id: r.get(14)?,
                scheduled_at: opt_millis(r, 20)?,
                steps: Vec::new(),
                prospect_count: r.get::<_, i64>(19)?.max(0) as u64,
                counters: SendCounters {
                    queued: r.get::<_, i64>(15)?.max(0) as u64,
                    in_flight: r.get::<_, i64>(16)?.max(0) as u64,
                    delivered: r.get::<_, i64>(17)?.max(0) as u64,
                    failed: r.get::<_, i64>(18)?.max(0) as u64,
                },
            })
        })
        .optional()?;
    // The workspace is checked here, not in SQL: a `?2 IS NULL OR ...`
    // condition makes SQLite recompile the statement whenever the binding
    // changes between null and a value.
    let mut campaign = campaign
        .filter(|c| workspace_id.is_none_or(|ws| ws == c.workspace_id))
        .ok_or(EngineError::CampaignNotFound)?;
    campaign.steps = tx
        .prepare_cached(
            "SELECT position, channel, delay_ms, subject, body FROM steps WHERE campaign_id = CAST(?1 AS TEXT)
             ORDER BY position",
        )?
        .query_map(params![id], |r| {
            Ok(StepView {
                position: r.get(0)?,
                channel: parse_channel(&r.get::<_, String>(1)?),
                delay_seconds: ms_to_secs(r.get(2)?),
                subject: r.get(3)?,
                body: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(campaign)
}

pub(crate) const PROSPECT_SELECT: &str =
    "SELECT p.id, p.campaign_id, p.email, p.first_name, p.last_name,
    p.company, p.job_title, p.phone, p.linkedin_url, p.status, p.position, p.created_at,
    p.updated_at, (SELECT MAX(s.started_at) FROM sends s WHERE s.prospect_id = p.id)
    FROM prospects p";

pub(crate) fn prospect_from_row(r: &Row<'_>) -> rusqlite::Result<ProspectView> {
    Ok(ProspectView {
        id: public_owned(r.get(0)?),
        campaign_id: public_owned(r.get(1)?),
        email: r.get(2)?,
        first_name: r.get(3)?,
        last_name: r.get(4)?,
        company: r.get(5)?,
        job_title: r.get(6)?,
        phone: r.get(7)?,
        linkedin_url: r.get(8)?,
        status: parse_prospect_state(&r.get::<_, String>(9)?),
        position: r.get(10)?,
        created_at: time(r.get(11)?),
        updated_at: time(r.get(12)?),
        last_sent_at: opt_millis(r, 13)?,
    })
}

pub(crate) fn load_prospect(
    tx: &Connection,
    workspace_id: Option<&str>,
    id: &str,
) -> EngineResult<ProspectView> {
    let found = tx
        .prepare_cached(&format!("{PROSPECT_SELECT} WHERE p.id = ?1"))?
        .query_row(params![id], prospect_from_row)
        .optional()?;
    // A key holds its workspace.
    let found = found.filter(|_| workspace_id.is_none_or(|ws| ws == workspace_of(id)));
    found.ok_or(EngineError::ProspectNotFound)
}

/// An optional millisecond column as an optional timestamp.
pub(crate) fn opt_millis(r: &Row<'_>, column: usize) -> rusqlite::Result<Option<Time>> {
    Ok(r.get::<_, Option<i64>>(column)?.map(time))
}

pub(crate) const SEND_SELECT: &str =
    "SELECT id, campaign_id, prospect_id, position, channel, state, due_at,
    started_at, completes_at, finished_at FROM sends";

pub(crate) fn send_from_row(r: &Row<'_>) -> rusqlite::Result<SendView> {
    Ok(SendView {
        id: r.get(0)?,
        campaign_id: public_owned(r.get(1)?),
        prospect_id: public_owned(r.get(2)?),
        step: r.get(3)?,
        channel: parse_channel(&r.get::<_, String>(4)?),
        state: parse_send_state(&r.get::<_, String>(5)?),
        due_at: time(r.get(6)?),
        started_at: opt_millis(r, 7)?,
        completes_at: opt_millis(r, 8)?,
        finished_at: opt_millis(r, 9)?,
    })
}

macro_rules! text_enum {
    ($to:ident, $from:ident, $ty:ty, $default:expr, { $($variant:path => $text:literal),+ $(,)? }) => {
        /// The stored text of the value.
        pub(crate) fn $to(value: $ty) -> &'static str {
            match value { $($variant => $text),+ }
        }
        /// The value of a stored text.
        pub(crate) fn $from(text: &str) -> $ty {
            match text { $($text => $variant,)+ _ => $default }
        }
    };
}

text_enum!(status_str, parse_status, EngineStatus, EngineStatus::Draft, {
    EngineStatus::Draft => "draft", EngineStatus::Active => "active", EngineStatus::Paused => "paused",
    EngineStatus::Stopped => "stopped", EngineStatus::PendingApproval => "pending_approval",
    EngineStatus::Completed => "completed",
});
text_enum!(channel_str, parse_channel, Channel, Channel::Email, {
    Channel::Email => "email", Channel::Call => "call", Channel::Linkedin => "linkedin",
});
text_enum!(prospect_state_str, parse_prospect_state, ProspectState, ProspectState::Active, {
    ProspectState::Active => "active", ProspectState::Paused => "paused",
    ProspectState::Completed => "completed", ProspectState::Bounced => "bounced",
    ProspectState::Replied => "replied",
});

/// A send's state from its stored text (sends are written by SQL only).
fn parse_send_state(text: &str) -> SendState {
    match text {
        "in_flight" => SendState::InFlight,
        "delivered" => SendState::Delivered,
        "failed" => SendState::Failed,
        _ => SendState::Queued,
    }
}

/// Whole seconds of a millisecond duration.
pub(crate) fn ms_to_secs(ms: i64) -> u64 {
    u64::try_from(ms / 1000).unwrap_or(0)
}
