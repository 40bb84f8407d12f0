//! The model of the guarantees test (`guarantees.rs`): when the watched
//! campaign and its prospects were held, and the concurrent groups of
//! commands, whose result must be one of their serial orders.

use campaign_engine::{CampaignSeed, Engine, EngineStatus, ProspectState, StartOptions};
use proptest::prelude::*;

use super::{OTHER_PROSPECTS, Others};
use crate::common::*;

/// A command of a concurrent group.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cmd {
    Pause { prospects: bool },
    Resume { prospects: bool },
    PauseProspect(usize),
    ResumeProspect(usize),
    Create { active: bool },
}

pub(crate) fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        any::<bool>().prop_map(|prospects| Cmd::Pause { prospects }),
        any::<bool>().prop_map(|prospects| Cmd::Resume { prospects }),
        (0..PROSPECTS).prop_map(Cmd::PauseProspect),
        (0..PROSPECTS).prop_map(Cmd::ResumeProspect),
        any::<bool>().prop_map(|active| Cmd::Create { active }),
    ]
}

/// Half-open intervals `[from, to)` during which something was paused
/// (`to` is `None` while it still is).
#[derive(Debug, Default, Clone)]
pub(crate) struct Held(pub(crate) Vec<(i64, Option<i64>)>);

impl Held {
    pub(crate) fn start(&mut self, at: i64) {
        if !self.is_held() {
            self.0.push((at, None));
        }
    }
    pub(crate) fn end(&mut self, at: i64) {
        if let Some(last) = self.0.last_mut().filter(|(_, to)| to.is_none()) {
            last.1 = Some(at);
        }
    }
    pub(crate) fn is_held(&self) -> bool {
        self.0.last().is_some_and(|(_, to)| to.is_none())
    }
    /// Whether a send starting at `t` started while held (a send may start
    /// at the very instant of the pause, dispatched before it, or at the
    /// instant of the resume).
    pub(crate) fn covers(&self, t: i64) -> bool {
        self.0
            .iter()
            .any(|&(from, to)| t > from && to.is_none_or(|to| t < to))
    }
}

/// The model of what statuses should be.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) campaign: Held,
    pub(crate) prospects: Vec<Held>,
    /// The model's own status of each prospect (`Paused` or `Active`).
    pub(crate) paused: Vec<bool>,
}

impl Model {
    /// An acknowledged campaign pause at `now`.
    pub(crate) fn pause(&mut self, now: i64, prospects: bool) {
        self.campaign.start(now);
        if prospects {
            for i in 0..PROSPECTS {
                self.set_prospect(i, true, now);
            }
        }
    }

    /// An acknowledged resume at `now`.
    pub(crate) fn resume(&mut self, now: i64, prospects: bool) {
        self.campaign.end(now);
        if prospects {
            for i in 0..PROSPECTS {
                self.set_prospect(i, false, now);
            }
        }
    }

    /// An acknowledged prospect pause or resume at `now`.
    pub(crate) fn set_prospect(&mut self, i: usize, pause: bool, now: i64) {
        if self.paused[i] != pause {
            self.paused[i] = pause;
            if pause {
                self.prospects[i].start(now)
            } else {
                self.prospects[i].end(now)
            }
        }
    }

    /// Whether the engine's statuses are this model's.
    pub(crate) fn matches(&self, engine: &Engine) -> bool {
        let campaign = engine.campaign(None, CAMPAIGN).unwrap().status;
        let campaign_ok = match campaign {
            EngineStatus::Paused => self.campaign.is_held(),
            EngineStatus::Active => !self.campaign.is_held(),
            _ => true,
        };
        campaign_ok
            && engine
                .campaign_prospects(None, CAMPAIGN)
                .unwrap()
                .iter()
                .all(|p| {
                    let index: usize = p.id[1..].parse().unwrap();
                    match p.status {
                        ProspectState::Paused => self.paused[index],
                        ProspectState::Active => !self.paused[index],
                        _ => true,
                    }
                })
    }
}

/// Every order of `items` (a group has at most four).
pub(crate) fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut all = Vec::new();
    for (k, first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(k);
        for mut tail in permutations(&rest) {
            tail.insert(0, *first);
            all.push(tail);
        }
    }
    all
}

/// Runs `cmds` at once, one thread each, then finds the serial order whose
/// model the engine's statuses match, and makes it the model. Creates get
/// their ids up front.
pub(crate) fn run_concurrently(
    engine: &Engine,
    cmds: &[Cmd],
    model: &mut Model,
    others: &mut Others,
) -> Result<(), TestCaseError> {
    let now = engine.clock().now_ms();
    let completed = engine.campaign(None, CAMPAIGN).unwrap().status == EngineStatus::Completed;
    let mut next = others.len();
    let ids: Vec<String> = cmds
        .iter()
        .map(|cmd| match cmd {
            Cmd::Create { .. } => {
                next += 1;
                format!("camp_other{}", next - 1)
            }
            _ => String::new(),
        })
        .collect();
    let accepted: Vec<bool> = std::thread::scope(|scope| {
        let threads: Vec<_> = cmds
            .iter()
            .zip(&ids)
            .map(|(cmd, id)| {
                scope.spawn(move || match *cmd {
                    Cmd::Pause { prospects } => engine.pause(WS, CAMPAIGN, prospects).is_ok(),
                    Cmd::Resume { prospects } => {
                        let options = StartOptions {
                            resume_prospects: prospects,
                            ..StartOptions::default()
                        };
                        engine.start(WS, CAMPAIGN, options).is_ok()
                    }
                    Cmd::PauseProspect(i) => engine
                        .set_prospect_paused(WS, &format!("p{i}"), true)
                        .is_ok(),
                    Cmd::ResumeProspect(i) => engine
                        .set_prospect_paused(WS, &format!("p{i}"), false)
                        .is_ok(),
                    Cmd::Create { active } => {
                        let seed = CampaignSeed {
                            id: Some(id.clone()),
                            status: Some(if active {
                                EngineStatus::Active
                            } else {
                                EngineStatus::Draft
                            }),
                            steps: steps(),
                            prospects: prospects(&format!("{id}_p"), OTHER_PROSPECTS),
                            ..CampaignSeed::named("other".into())
                        };
                        engine.create_campaign(WS, &seed).is_ok()
                    }
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for ((cmd, id), ok) in cmds.iter().zip(ids).zip(&accepted) {
        if let Cmd::Create { active } = *cmd {
            prop_assert!(ok, "a concurrent create was refused");
            others.push((id, active));
        }
    }
    // A pause or resume fails only on a completed campaign, which nothing
    // in the group can change (time does not move).
    let order_dependent: Vec<usize> = (0..cmds.len())
        .filter(|&k| !matches!(cmds[k], Cmd::Create { .. }))
        .collect();
    let candidates: Vec<Model> = permutations(&order_dependent)
        .into_iter()
        .map(|order| {
            let mut candidate = model.clone();
            for k in order {
                match cmds[k] {
                    Cmd::Pause { prospects } if !completed => candidate.pause(now, prospects),
                    Cmd::Resume { prospects } if !completed => candidate.resume(now, prospects),
                    Cmd::PauseProspect(i) if accepted[k] => candidate.set_prospect(i, true, now),
                    Cmd::ResumeProspect(i) if accepted[k] => candidate.set_prospect(i, false, now),
                    _ => {}
                }
            }
            candidate
        })
        .collect();
    let Some(serial) = candidates.into_iter().find(|c| c.matches(engine)) else {
        return Err(TestCaseError::fail(format!(
            "{cmds:?} at once left statuses no serial order gives: campaign {:?}, prospects {:?}",
            engine.campaign(None, CAMPAIGN).unwrap().status,
            engine
                .campaign_prospects(None, CAMPAIGN)
                .unwrap()
                .iter()
                .map(|p| p.status)
                .collect::<Vec<_>>()
        )));
    };
    *model = serial;
    Ok(())
}
