//! The engine's one error type: what went wrong with a command.

use crate::types::{EngineStatus, ProspectState};

/// What went wrong with an engine command.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No such workspace.
    #[error("workspace not found")]
    WorkspaceNotFound,
    /// No such campaign (in the caller's workspace).
    #[error("campaign not found")]
    CampaignNotFound,
    /// No such prospect (in the caller's workspace).
    #[error("prospect not found")]
    ProspectNotFound,
    /// The campaign's status does not allow the command.
    #[error("campaign is {status:?}")]
    WrongStatus {
        /// The status it is in.
        status: EngineStatus,
    },
    /// The prospect's status does not allow the command.
    #[error("prospect is {status:?}")]
    WrongProspectStatus {
        /// The status it is in.
        status: ProspectState,
    },
    /// Starting needs at least one prospect.
    #[error("campaign has no prospects")]
    NoProspects,
    /// Starting needs at least one step.
    #[error("campaign has no sequence steps")]
    NoSteps,
    /// Something with that identity exists already.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The command's input is not acceptable.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Only a virtual clock can be moved.
    #[error("the clock is real; only a virtual clock can be advanced")]
    ClockIsReal,
    /// Something failed that should not (a bug), and was rolled back.
    #[error("internal error: {0}")]
    Internal(String),
    /// The database failed.
    #[error("storage failure: {0:#}")]
    Storage(#[from] rusqlite::Error),
}

/// Result of an engine command.
pub type EngineResult<T> = Result<T, EngineError>;
