//! Prospects: enrolment (also by email), reading and paging, per-prospect
//! pause and resume, and the outcomes the sandbox simulates (bounce, reply).

use rusqlite::{Connection, OptionalExtension, params};

use crate::Engine;
use crate::campaigns::Transition;
use crate::dispatch::{campaign_next_due, complete_campaign_if_done, queue_step};
use crate::error::{EngineError, EngineResult};
use crate::ids::{campaign_key, key, prospect_key, public, public_owned, workspace_of};
use crate::outbox::DomainEvent;
use crate::rows::{
    PROSPECT_SELECT, Page, PageFrom, finish_page, load_campaign, load_prospect, page_seqs,
    prospect_from_row, prospect_state_str,
};
use crate::transaction::{Snapshot, exec};
use crate::types::{CampaignView, ProspectSeed, ProspectState, ProspectView};

impl Engine {
    /// Enrolls prospects; in an active campaign their first step is queued.
    pub fn add_prospects(
        &self,
        workspace_id: &str,
        campaign_id: &str,
        seeds: &[ProspectSeed],
    ) -> EngineResult<Vec<ProspectView>> {
        let campaign_id = &key(workspace_id, campaign_id);
        self.transact_and_rearm(campaign_id, |tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), campaign_id)?;
            let ids = insert_prospects(tx, campaign_id, seeds, now)?;
            if campaign.launched_at.is_some() {
                let unfinished = |seed: &&ProspectSeed| {
                    matches!(
                        seed.status,
                        None | Some(ProspectState::Active | ProspectState::Paused)
                    )
                };
                for (id, _) in ids.iter().zip(seeds).filter(|(_, seed)| unfinished(seed)) {
                    queue_step(tx, campaign_id, id, 0, now)?;
                }
            }
            reopen_if_completed(tx, campaign_id, now)?;
            let added = DomainEvent::ContactsAdded {
                campaign_id: public(campaign_id),
                prospect_ids: &public_ids(&ids),
            };
            self.emit(tx, workspace_id, &added, now)?;
            ids.iter()
                .map(|id| load_prospect(tx, Some(workspace_id), id))
                .collect()
        })
    }

    /// Enrolls prospects matched by email: a new email is enrolled (and
    /// queued at step 1 in a launched campaign), a known one has its fields
    /// updated and keeps its position. Returns (enrolled, updated, total).
    pub fn enroll_by_email(
        &self,
        workspace_id: &str,
        campaign_id: &str,
        seeds: &[ProspectSeed],
    ) -> EngineResult<(u64, u64, u64)> {
        let campaign_id = &key(workspace_id, campaign_id);
        self.transact_and_rearm(campaign_id, |tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), campaign_id)?;
            let (mut fresh, mut updated) = (Vec::new(), 0u64);
            for seed in seeds {
                let changed = exec(
                    tx,
                    "UPDATE prospects SET first_name = COALESCE(?1, first_name),
                         last_name = COALESCE(?2, last_name), company = COALESCE(?3, company),
                         job_title = COALESCE(?4, job_title), updated_at = ?5
                     WHERE campaign_id = ?6 AND email = ?7",
                    params![
                        seed.first_name,
                        seed.last_name,
                        seed.company,
                        seed.job_title,
                        now,
                        campaign_id,
                        seed.email
                    ],
                )?;
                if changed > 0 {
                    updated += 1;
                } else if !fresh.iter().any(|s: &ProspectSeed| s.email == seed.email) {
                    fresh.push(seed.clone());
                }
            }
            let ids = insert_prospects(tx, campaign_id, &fresh, now)?;
            if campaign.launched_at.is_some() {
                for id in &ids {
                    queue_step(tx, campaign_id, id, 0, now)?;
                }
            }
            reopen_if_completed(tx, campaign_id, now)?;
            if !ids.is_empty() {
                let added = DomainEvent::ContactsAdded {
                    campaign_id: public(campaign_id),
                    prospect_ids: &public_ids(&ids),
                };
                self.emit(tx, workspace_id, &added, now)?;
            }
            let total = campaign.prospect_count + ids.len() as u64;
            Ok((ids.len() as u64, updated, total))
        })
    }

    /// One prospect, within a workspace when one is given.
    pub fn prospect(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<ProspectView> {
        self.read(|tx| load_prospect(tx, workspace_id, &prospect_key(tx, workspace_id, id)?))
    }

    /// Every prospect of a campaign, in enrolment order.
    pub fn campaign_prospects(
        &self,
        workspace_id: Option<&str>,
        campaign_id: &str,
    ) -> EngineResult<Vec<ProspectView>> {
        self.snapshot(|read| read.campaign_prospects(workspace_id, campaign_id))
    }

    /// A page of a workspace's prospects, optionally of one campaign.
    pub fn list_prospects(
        &self,
        workspace_id: &str,
        campaign_id: Option<&str>,
        from: PageFrom,
        limit: u32,
    ) -> EngineResult<Page<ProspectView>> {
        self.read(|tx| {
            let campaign = campaign_id.map(|campaign| key(workspace_id, campaign));
            let (column, key) = match &campaign {
                Some(campaign) => {
                    load_campaign(tx, Some(workspace_id), campaign)?;
                    ("campaign_id", campaign.as_str())
                }
                None => (
                    "(SELECT workspace_id FROM campaigns c WHERE c.id = campaign_id)",
                    workspace_id,
                ),
            };
            let seqs = page_seqs(tx, "prospects", column, key, from, limit)?;
            let items = seqs
                .into_iter()
                .map(|(seq, id)| Ok((seq, load_prospect(tx, None, &id)?)))
                .collect::<EngineResult<Vec<_>>>()?;
            finish_page(tx, "prospects", column, key, items)
        })
    }

    /// Records that a prospect's last email bounced or that it replied
    /// (simulated through the sandbox API): it leaves the sequence (its
    /// queued step is dropped), a bounce marks its last delivered send
    /// failed, and the vendor's event is recorded. A prospect that already
    /// bounced or replied is `WrongProspectStatus`.
    pub fn record_outcome(
        &self,
        prospect_id: &str,
        outcome: ProspectState,
    ) -> EngineResult<ProspectView> {
        if !matches!(outcome, ProspectState::Bounced | ProspectState::Replied) {
            return Err(EngineError::Invalid(
                "an outcome is bounced or replied".into(),
            ));
        }
        let prospect_id = &self.read(|tx| prospect_key(tx, None, prospect_id))?;
        self.transact(|tx, now| {
            let prospect = load_prospect(tx, None, prospect_id)?;
            if matches!(prospect.status, ProspectState::Bounced | ProspectState::Replied) {
                return Err(EngineError::WrongProspectStatus { status: prospect.status });
            }
            // A prospect's campaign is in its workspace.
            let campaign_id = key(workspace_of(prospect_id), &prospect.campaign_id);
            let dropped = exec(tx, "DELETE FROM sends WHERE prospect_id = ?1 AND state = 'queued'", params![prospect_id])?;
            exec(tx, "UPDATE campaigns SET queued = queued - ?2 WHERE id = ?1", params![campaign_id, dropped as i64])?;
            let mut bounced_step = None;
            if outcome == ProspectState::Bounced {
                let last: Option<(i64, u32)> = tx
                    .prepare_cached(
                        "SELECT id, position FROM sends WHERE prospect_id = ?1 AND state = 'delivered'
                         ORDER BY position DESC LIMIT 1",
                    )?
                    .query_row(params![prospect_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((send_id, position)) = last {
                    exec(tx, "UPDATE sends SET state = 'failed' WHERE id = ?1", params![send_id])?;
                    exec(
                        tx,
                        "UPDATE campaigns SET delivered = delivered - 1, failed = failed + 1 WHERE id = ?1",
                        params![campaign_id],
                    )?;
                    bounced_step = Some(position + 1);
                }
            }
            exec(
                tx,
                "UPDATE prospects SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![prospect_id, prospect_state_str(outcome), now],
            )?;
            complete_campaign_if_done(tx, &campaign_id)?;
            let value = load_prospect(tx, None, prospect_id)?;
            let event = match outcome {
                ProspectState::Bounced => DomainEvent::MessageBounced(&value, bounced_step),
                _ => DomainEvent::ReplyReceived(&value),
            };
            // The key holds the workspace.
            self.emit(tx, workspace_of(prospect_id), &event, now)?;
            Ok(value)
        })
    }

    /// Pauses (`paused = true`) or resumes one prospect. Already in the
    /// target state is an unchanged no-op; a finished prospect is
    /// `WrongProspectStatus`.
    pub fn set_prospect_paused(
        &self,
        workspace_id: &str,
        id: &str,
        paused: bool,
    ) -> EngineResult<Transition<ProspectView>> {
        let id = &key(workspace_id, id);
        self.transact_reporting_due(|tx, now, due| {
            let prospect = load_prospect(tx, Some(workspace_id), id)?;
            let (from, to) = if paused {
                (ProspectState::Active, ProspectState::Paused)
            } else {
                (ProspectState::Paused, ProspectState::Active)
            };
            let changed = if prospect.status == from {
                exec(
                    tx,
                    "UPDATE prospects SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, prospect_state_str(to), now],
                )?;
                true
            } else if prospect.status == to {
                false
            } else {
                return Err(EngineError::WrongProspectStatus {
                    status: prospect.status,
                });
            };
            if changed && !paused {
                // The resumed prospect's queued sends may be due.
                due.set(campaign_next_due(
                    tx,
                    &key(workspace_id, &prospect.campaign_id),
                )?);
            }
            let value = load_prospect(tx, None, id)?;
            Ok(Transition {
                value,
                changed,
                in_flight: 0,
            })
        })
    }
}

/// Moves every prospect of a campaign in status `from` to `to`
/// (`pauseProspects` / `resumeProspects`).
pub(crate) fn move_prospects(
    tx: &Connection,
    campaign_id: &str,
    from: ProspectState,
    to: ProspectState,
    now: i64,
) -> EngineResult<()> {
    exec(
        tx,
        "UPDATE prospects SET status = ?3, updated_at = ?4 WHERE campaign_id = ?1 AND status = ?2",
        params![
            campaign_id,
            prospect_state_str(from),
            prospect_state_str(to),
            now
        ],
    )?;
    Ok(())
}

/// A completed campaign that got new work (enrolled prospects) is active
/// again, so that work is sent.
pub(crate) fn reopen_if_completed(
    tx: &Connection,
    campaign_id: &str,
    now: i64,
) -> EngineResult<()> {
    exec(
        tx,
        "UPDATE campaigns SET status = 'active', updated_at = ?2
         WHERE id = ?1 AND status = 'completed' AND queued > 0",
        params![campaign_id, now],
    )?;
    Ok(())
}

/// The public ids of prospect keys.
fn public_ids(keys: &[String]) -> Vec<String> {
    keys.iter().map(|k| public(k).to_string()).collect()
}

/// Inserts prospects into a campaign (its key; ids generated as UUIDs when
/// absent) and counts them; returns their keys in order.
pub(crate) fn insert_prospects(
    tx: &Connection,
    campaign_id: &str,
    seeds: &[ProspectSeed],
    now: i64,
) -> EngineResult<Vec<String>> {
    let mut ids = Vec::with_capacity(seeds.len());
    for seed in seeds {
        let public = seed
            .id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let id = key(workspace_of(campaign_id), &public);
        let inserted = tx
            .prepare_cached(
                "INSERT INTO prospects (id, campaign_id, email, first_name, last_name, company,
                     job_title, phone, linkedin_url, status, created_at, updated_at, public_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                id,
                campaign_id,
                seed.email,
                seed.first_name,
                seed.last_name,
                seed.company,
                seed.job_title,
                seed.phone,
                seed.linkedin_url,
                prospect_state_str(seed.status.unwrap_or(ProspectState::Active)),
                now,
                public
            ])?;
        if inserted == 0 {
            return Err(EngineError::Conflict(format!("prospect {public:?} exists")));
        }
        ids.push(id);
    }
    tx.prepare_cached("UPDATE campaigns SET prospects = prospects + ?2 WHERE id = ?1")?
        .execute(params![campaign_id, ids.len() as i64])?;
    Ok(ids)
}

impl Snapshot<'_> {
    /// Every prospect of a campaign, in enrolment order.
    pub fn campaign_prospects(
        &self,
        workspace_id: Option<&str>,
        campaign_id: &str,
    ) -> EngineResult<Vec<ProspectView>> {
        let campaign_id = campaign_key(self.tx, workspace_id, campaign_id)?;
        load_campaign(self.tx, workspace_id, &campaign_id)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "{PROSPECT_SELECT} WHERE p.campaign_id = CAST(?1 AS TEXT) ORDER BY p.seq"
        ))?;
        let rows = stmt.query_map(params![campaign_id], prospect_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The ids of a campaign's prospects (read in this snapshot), in
    /// enrolment order: for an answer that lists only the ids, without
    /// loading each prospect (and its last send) as
    /// [`Snapshot::campaign_prospects`] does.
    pub fn prospect_ids(&self, campaign: &CampaignView) -> EngineResult<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id FROM prospects WHERE campaign_id = CAST(?1 AS TEXT) ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![key(&campaign.workspace_id, &campaign.id)], |r| {
            Ok(public_owned(r.get(0)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many of a campaign's prospects (read in this snapshot) are in
    /// `state`, counted in SQL: no prospect is loaded, so a campaign of a
    /// million stays cheap.
    pub fn count_prospects(
        &self,
        campaign: &CampaignView,
        state: ProspectState,
    ) -> EngineResult<u64> {
        let count: i64 = self
            .tx
            .prepare_cached(
                "SELECT COUNT(*) FROM prospects
                 WHERE campaign_id = CAST(?1 AS TEXT) AND status = CAST(?2 AS TEXT)",
            )?
            .query_row(
                params![
                    key(&campaign.workspace_id, &campaign.id),
                    prospect_state_str(state)
                ],
                |r| r.get(0),
            )?;
        Ok(count.max(0) as u64)
    }
}
