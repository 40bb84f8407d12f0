//! Campaigns: creation with their steps and prospects, listing, and every
//! status change (launch, approve, pause, stop, start, delete).

use rusqlite::{Connection, params};

use crate::Engine;
use crate::dialect::CampaignIds;
use crate::dispatch::{campaign_next_due, complete_campaign_if_done, launch, set_status};
use crate::error::{EngineError, EngineResult};
use crate::ids::{campaign_key, key};
use crate::outbox::DomainEvent;
use crate::prospects::{insert_prospects, move_prospects};
use crate::rows::{
    Page, PageFrom, channel_str, finish_page, load_campaign, load_workspace, page_seqs, status_str,
};
use crate::transaction::{Snapshot, exec};
use crate::types::{CampaignSeed, CampaignView, EngineStatus, ProspectState, time};

/// The longest delay or duration accepted (ten years): sums of times stay
/// far from overflowing.
pub const MAX_SECONDS: u64 = 10 * 365 * 86_400;
/// The latest time the clock may show (9999-12-31T23:59:59Z).
pub const MAX_TIME_MS: i64 = 253_402_300_799_000;

/// The outcome of a state change that may be a no-op.
#[derive(Debug, Clone)]
pub struct Transition<T> {
    /// The object after the command.
    pub value: T,
    /// False when the command found it already in the target state.
    pub changed: bool,
    /// Sends of the campaign in flight when the command was acknowledged.
    pub in_flight: u64,
}

impl Transition<CampaignView> {
    /// The outcome for a campaign, with its in-flight count.
    pub(crate) fn of(value: CampaignView, changed: bool) -> Self {
        let in_flight = value.counters.in_flight;
        Self {
            value,
            changed,
            in_flight,
        }
    }
}

/// How `start` treats each status.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    /// Launch a draft; else a draft is `WrongStatus` (a resume that only
    /// resumes).
    pub launch_drafts: bool,
    /// Also resume paused prospects.
    pub resume_prospects: bool,
    /// Go to `pending_approval` instead of `active` (a workspace setting).
    pub needs_approval: bool,
}

impl Engine {
    /// Creates a campaign with its steps and prospects; `active` launches
    /// it and `paused` launches then pauses it.
    pub fn create_campaign(
        &self,
        workspace_id: &str,
        seed: &CampaignSeed,
    ) -> EngineResult<CampaignView> {
        for step in &seed.steps {
            check_seconds("a step's delaySeconds", step.delay_seconds)?;
        }
        if let Some(settings) = &seed.settings {
            check_seconds("emailTransitSeconds", settings.email_transit_seconds)?;
            check_seconds("callDurationSeconds", settings.call_duration_seconds)?;
            check_seconds("linkedinSeconds", settings.linkedin_seconds)?;
        }
        self.transact_reporting_due(|tx, now, due| {
            let workspace = load_workspace(tx, workspace_id)?;
            let public = match &seed.id {
                Some(id) => {
                    self.check_campaign_id(&workspace.dialect, id)?;
                    id.clone()
                }
                None => self.new_campaign_id(tx, workspace_id, &workspace.dialect)?,
            };
            let id = key(workspace_id, &public);
            let settings = seed.settings.clone().unwrap_or_default();
            let inserted = exec(
                tx,
                "INSERT INTO campaigns (id, workspace_id, name, description, status, created_at,
                     updated_at, email_transit_ms, call_duration_ms, linkedin_ms, script_id,
                     scheduled_at, public_id)
                 VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    id,
                    workspace_id,
                    seed.name,
                    seed.description,
                    now,
                    secs_to_ms(settings.email_transit_seconds),
                    secs_to_ms(settings.call_duration_seconds),
                    secs_to_ms(settings.linkedin_seconds),
                    seed.script_id,
                    seed.scheduled_at
                        .filter(
                            |_| seed.status.unwrap_or(EngineStatus::Draft) == EngineStatus::Draft
                        )
                        .map(|at| at.timestamp_millis().clamp(0, MAX_TIME_MS)),
                    public,
                ],
            )?;
            if inserted == 0 {
                return Err(EngineError::Conflict(format!("campaign {public:?} exists")));
            }
            for (position, step) in seed.steps.iter().enumerate() {
                exec(
                    tx,
                    "INSERT INTO steps (campaign_id, position, channel, delay_ms, subject, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        id,
                        position as i64,
                        channel_str(step.channel),
                        secs_to_ms(step.delay_seconds),
                        step.subject,
                        step.body
                    ],
                )?;
            }
            for prospect_id in seed.prospects.iter().filter_map(|p| p.id.as_deref()) {
                self.check_prospect_id(&workspace.dialect, prospect_id)?;
            }
            insert_prospects(tx, &id, &seed.prospects, now)?;
            match seed.status.unwrap_or(EngineStatus::Draft) {
                EngineStatus::Draft => {}
                EngineStatus::Active => launch(tx, &id, now, EngineStatus::Active)?,
                EngineStatus::PendingApproval => {
                    launch(tx, &id, now, EngineStatus::PendingApproval)?
                }
                status @ (EngineStatus::Paused | EngineStatus::Stopped) => {
                    launch(tx, &id, now, EngineStatus::Active)?;
                    set_status(tx, &id, status, now)?;
                    exec(
                        tx,
                        "UPDATE campaigns SET paused_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                }
                EngineStatus::Completed => set_status(tx, &id, EngineStatus::Completed, now)?,
            }
            let view = load_campaign(tx, None, &id)?;
            // What the new campaign made due: its first sends, or its
            // scheduled launch.
            due.set(match view.status {
                EngineStatus::Active => campaign_next_due(tx, &id)?,
                EngineStatus::Draft => view
                    .scheduled_at
                    .map_or(i64::MAX, |at| at.timestamp_millis()),
                _ => i64::MAX,
            });
            self.emit(tx, workspace_id, &DomainEvent::CampaignCreated(&view), now)?;
            if view.launched_at.is_some() {
                self.emit(tx, workspace_id, &DomainEvent::CampaignStarted(&view), now)?;
            }
            Ok(view)
        })
    }

    /// One campaign, within a workspace when one is given.
    pub fn campaign(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<CampaignView> {
        self.snapshot(|read| read.campaign(workspace_id, id))
    }

    /// A page of a workspace's campaigns, oldest first.
    pub fn list_campaigns(
        &self,
        workspace_id: &str,
        from: PageFrom,
        limit: u32,
    ) -> EngineResult<Page<CampaignView>> {
        self.read(|tx| {
            let seqs = page_seqs(tx, "campaigns", "workspace_id", workspace_id, from, limit)?;
            let items = seqs
                .into_iter()
                .map(|(seq, id)| Ok((seq, load_campaign(tx, None, &id)?)))
                .collect::<EngineResult<Vec<_>>>()?;
            finish_page(tx, "campaigns", "workspace_id", workspace_id, items)
        })
    }

    /// Launches a draft: it becomes active and first steps are queued.
    pub fn launch(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<CampaignView> {
        let id = &self.read(|tx| campaign_key(tx, workspace_id, id))?;
        self.transact_and_rearm(id, |tx, now| {
            let campaign = load_campaign(tx, workspace_id, id)?;
            if campaign.status != EngineStatus::Draft {
                return Err(EngineError::WrongStatus {
                    status: campaign.status,
                });
            }
            launch(tx, id, now, EngineStatus::Active)?;
            let view = load_campaign(tx, None, id)?;
            self.emit(
                tx,
                &view.workspace_id,
                &DomainEvent::CampaignStarted(&view),
                now,
            )?;
            Ok(view)
        })
    }

    /// Approves a campaign waiting for approval: it becomes active.
    pub fn approve(&self, id: &str) -> EngineResult<CampaignView> {
        let id = &self.read(|tx| campaign_key(tx, None, id))?;
        self.transact_and_rearm(id, |tx, now| {
            let campaign = load_campaign(tx, None, id)?;
            if campaign.status != EngineStatus::PendingApproval {
                return Err(EngineError::WrongStatus {
                    status: campaign.status,
                });
            }
            set_status(tx, id, EngineStatus::Active, now)?;
            load_campaign(tx, None, id)
        })
    }

    /// Pauses an active campaign: no new send starts; in-flight sends
    /// complete. A paused campaign is an unchanged no-op; any other status
    /// is `WrongStatus`. O(1) in queued sends unless `pause_prospects`.
    pub fn pause(
        &self,
        workspace_id: &str,
        id: &str,
        pause_prospects: bool,
    ) -> EngineResult<Transition<CampaignView>> {
        let (value, changed) = self.pause_answering(workspace_id, id, pause_prospects, true)?;
        let value =
            value.ok_or_else(|| EngineError::Internal("a pause lost its campaign".into()))?;
        Ok(Transition::of(value, changed))
    }

    /// [`Engine::pause`] for a face whose answer shows nothing of the
    /// campaign: it is not read back (unless a webhook event needs it).
    /// True when it changed.
    pub fn pause_without_view(
        &self,
        workspace_id: &str,
        id: &str,
        pause_prospects: bool,
    ) -> EngineResult<bool> {
        Ok(self
            .pause_answering(workspace_id, id, pause_prospects, false)?
            .1)
    }

    /// Pauses; the campaign as it is after is read when `view` asks for
    /// it or an event needs it.
    fn pause_answering(
        &self,
        workspace_id: &str,
        id: &str,
        pause_prospects: bool,
        view: bool,
    ) -> EngineResult<(Option<CampaignView>, bool)> {
        let id = &key(workspace_id, id);
        self.transact(|tx, now| {
            // Compare-and-set: one statement decides and applies the change.
            let changed = exec(
                tx,
                "UPDATE campaigns SET status = 'paused', paused_at = ?3, updated_at = ?3
                 WHERE id = ?1 AND workspace_id = ?2 AND status = 'active'",
                params![id, workspace_id, now],
            )? == 1;
            if !changed {
                match load_campaign(tx, Some(workspace_id), id)?.status {
                    EngineStatus::Paused => {}
                    status => return Err(EngineError::WrongStatus { status }),
                }
            }
            if pause_prospects {
                move_prospects(tx, id, ProspectState::Active, ProspectState::Paused, now)?;
            }
            let event = changed && self.records_events();
            let value = if view || event {
                Some(load_campaign(tx, None, id)?)
            } else {
                None
            };
            if let (true, Some(value)) = (changed, &value) {
                self.emit(tx, workspace_id, &DomainEvent::CampaignPaused(value), now)?;
            }
            Ok((value, changed))
        })
    }

    /// Stops an active or paused campaign (held like a pause, but a
    /// distinct status).
    pub fn stop(&self, workspace_id: &str, id: &str) -> EngineResult<Transition<CampaignView>> {
        let id = &key(workspace_id, id);
        self.transact(|tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), id)?;
            let changed = match campaign.status {
                EngineStatus::Active | EngineStatus::Paused | EngineStatus::PendingApproval => {
                    set_status(tx, id, EngineStatus::Stopped, now)?;
                    true
                }
                EngineStatus::Stopped => false,
                status => return Err(EngineError::WrongStatus { status }),
            };
            let value = load_campaign(tx, None, id)?;
            Ok(Transition::of(value, changed))
        })
    }

    /// Starts or resumes a campaign: a draft is launched (if allowed), a
    /// paused or stopped one continues each prospect where it stopped, an
    /// active one is an unchanged no-op.
    pub fn start(
        &self,
        workspace_id: &str,
        id: &str,
        options: StartOptions,
    ) -> EngineResult<Transition<CampaignView>> {
        self.start_unless(workspace_id, id, options, |_| {
            None::<std::convert::Infallible>
        })?
        .map_err(|never| match never {})
    }

    /// [`Engine::start`], unless `refuse` finds a reason in the campaign as
    /// it stands: then nothing changes and the reason is the answer. The
    /// check and the start are one transaction, so no concurrent change
    /// slips between them.
    pub fn start_unless<R>(
        &self,
        workspace_id: &str,
        id: &str,
        options: StartOptions,
        refuse: impl FnOnce(&CampaignView) -> Option<R>,
    ) -> EngineResult<Result<Transition<CampaignView>, R>> {
        let id = &key(workspace_id, id);
        self.transact_and_rearm(id, |tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), id)?;
            if let Some(reason) = refuse(&campaign) {
                return Ok(Err(reason));
            }
            let target = if options.needs_approval {
                EngineStatus::PendingApproval
            } else {
                EngineStatus::Active
            };
            // Whether the campaign row may now differ from `campaign` in
            // more than the status and times set here (then it is read
            // again).
            let mut reread = false;
            let changed = match campaign.status {
                EngineStatus::Draft if options.launch_drafts => {
                    if campaign.steps.is_empty() {
                        return Err(EngineError::NoSteps);
                    }
                    if campaign.prospect_count == 0 {
                        return Err(EngineError::NoProspects);
                    }
                    launch(tx, id, now, target)?;
                    reread = true;
                    true
                }
                EngineStatus::Paused | EngineStatus::Stopped => {
                    exec(
                        tx,
                        "UPDATE campaigns SET status = ?2, updated_at = ?3, started_at = ?3 WHERE id = ?1",
                        params![id, status_str(target), now],
                    )?;
                    // Everything may have finished while it was held; not
                    // while sends are still queued or in flight.
                    let counters = &campaign.counters;
                    if counters.queued == 0 && counters.in_flight == 0 {
                        complete_campaign_if_done(tx, id)?;
                        reread = true;
                    }
                    true
                }
                EngineStatus::Active | EngineStatus::PendingApproval => false,
                status => return Err(EngineError::WrongStatus { status }),
            };
            if options.resume_prospects {
                move_prospects(tx, id, ProspectState::Paused, ProspectState::Active, now)?;
            }
            let value = if reread {
                load_campaign(tx, None, id)?
            } else if changed {
                let at = time(now);
                CampaignView {
                    status: target,
                    updated_at: at,
                    started_at: Some(at),
                    ..campaign
                }
            } else {
                campaign
            };
            if changed {
                self.emit(tx, workspace_id, &DomainEvent::CampaignStarted(&value), now)?;
            }
            Ok(Ok(Transition::of(value, changed)))
        })
    }

    /// Deletes a campaign that is not active.
    pub fn delete_campaign(&self, workspace_id: &str, id: &str) -> EngineResult<CampaignView> {
        let id = &key(workspace_id, id);
        self.transact(|tx, now| {
            let campaign = load_campaign(tx, Some(workspace_id), id)?;
            if campaign.status == EngineStatus::Active {
                return Err(EngineError::WrongStatus {
                    status: campaign.status,
                });
            }
            exec(tx, "DELETE FROM campaigns WHERE id = ?1", params![id])?;
            self.emit(
                tx,
                workspace_id,
                &DomainEvent::CampaignDeleted(&campaign),
                now,
            )?;
            Ok(campaign)
        })
    }

    /// Checks an explicit campaign id against the dialect's id scheme.
    fn check_campaign_id(&self, dialect: &str, id: &str) -> EngineResult<()> {
        if self.dialects.ids(dialect).accepts_campaign(id) {
            return Ok(());
        }
        Err(EngineError::Invalid(format!(
            "{id:?} is not a valid {} campaign id",
            self.dialects.label(dialect)
        )))
    }

    /// Checks an explicit prospect id against the dialect's id scheme: a
    /// prospect must be one its face can answer with.
    pub(crate) fn check_prospect_id(&self, dialect: &str, id: &str) -> EngineResult<()> {
        if self.dialects.ids(dialect).accepts_prospect(id) {
            return Ok(());
        }
        Err(EngineError::Invalid(format!(
            "{id:?} is not a valid {} prospect id",
            self.dialects.label(dialect)
        )))
    }

    /// A fresh campaign id in the dialect's scheme (sequential ids count
    /// per workspace).
    fn new_campaign_id(
        &self,
        tx: &Connection,
        workspace_id: &str,
        dialect: &str,
    ) -> EngineResult<String> {
        Ok(match self.dialects.ids(dialect).campaigns {
            CampaignIds::Uuid => uuid::Uuid::new_v4().to_string(),
            CampaignIds::Prefixed(prefix) => {
                format!(
                    "{prefix}{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..12]
                )
            }
            CampaignIds::Sequential { floor, max } => {
                let highest: Option<i64> = tx.query_row(
                    "SELECT MAX(CAST(public_id AS INTEGER)) FROM campaigns WHERE workspace_id = ?1",
                    params![workspace_id],
                    |r| r.get(0),
                )?;
                let floor = i64::try_from(floor).unwrap_or(i64::MAX);
                let next = highest
                    .unwrap_or(floor)
                    .max(floor)
                    .checked_add(1)
                    .filter(|n| u64::try_from(*n).is_ok_and(|n| n <= max));
                next.ok_or_else(|| {
                    EngineError::Invalid(format!(
                        "no {} campaign id is left",
                        self.dialects.label(dialect)
                    ))
                })?
                .to_string()
            }
        })
    }
}

/// Seconds as milliseconds, saturating.
pub(crate) fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// Rejects delays and durations beyond [`MAX_SECONDS`].
fn check_seconds(what: &str, seconds: u64) -> EngineResult<()> {
    if seconds > MAX_SECONDS {
        return Err(EngineError::Invalid(format!(
            "{what} must be at most {MAX_SECONDS} seconds, got {seconds}"
        )));
    }
    Ok(())
}

impl Snapshot<'_> {
    /// One campaign, within a workspace when one is given.
    pub fn campaign(&self, workspace_id: Option<&str>, id: &str) -> EngineResult<CampaignView> {
        let key = campaign_key(self.tx, workspace_id, id)?;
        load_campaign(self.tx, workspace_id, &key)
    }

    /// A page of a workspace's campaigns by offset, oldest first, with the
    /// total count.
    pub fn list_campaigns_by_offset(
        &self,
        workspace_id: &str,
        offset: u64,
        limit: u32,
    ) -> EngineResult<(Vec<CampaignView>, u64)> {
        let tx = self.tx;
        let ids: Vec<String> = tx
            .prepare_cached(
                "SELECT id FROM campaigns WHERE workspace_id = CAST(?1 AS TEXT)
                 ORDER BY seq LIMIT ?2 OFFSET ?3",
            )?
            .query_map(params![workspace_id, limit, offset as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let total: i64 = tx
            .prepare_cached("SELECT COUNT(*) FROM campaigns WHERE workspace_id = ?1")?
            .query_row(params![workspace_id], |r| r.get(0))?;
        let campaigns = ids
            .iter()
            .map(|id| load_campaign(tx, None, id))
            .collect::<EngineResult<_>>()?;
        Ok((campaigns, total.max(0) as u64))
    }
}
