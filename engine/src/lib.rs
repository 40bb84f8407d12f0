//! The campaign engine: workspaces and keys, campaigns, sequence steps,
//! prospects and sends on a clock, with a transactional outbox of events,
//! stored in one SQLite database. It knows no vendor and no HTTP: faces
//! translate its commands, values and errors, and supply the rules that
//! differ by vendor through [`Dialects`].
//!
//! Every command is one SQLite transaction taken under one lock, so state
//! changes are atomic and linearizable.
//!
//! Dispatch model:
//! - A prospect has a position (its next step). Launching a campaign, or
//!   enrolling a prospect into an active one, queues that step as a send
//!   due `delay` after now; delivering a step queues the next one, due
//!   `delay` after the delivery.
//! - A queued send starts when it is due *and* its campaign and prospect are
//!   active; it is then in flight for the channel's duration (a call's
//!   length, an email's transit) and completes as delivered.
//! - Pausing changes one campaign row: queued sends are held where they are
//!   and nothing is rewritten, so pause and resume are O(1) in the number
//!   of queued sends. In-flight sends complete normally.
//! - `UNIQUE (prospect_id, position)` makes a second send of the same step
//!   impossible, across crashes too.
//! - After a restart, in-flight sends keep their recorded completion time
//!   and complete on schedule (or at once, if it has passed): nothing is
//!   re-sent and nothing is lost.
//!
//! Modules, one concern each: [`transaction`] (the engine value and its
//! group-committed transactions), [`workspaces`], [`campaigns`],
//! [`prospects`], [`dispatch`] (the clock's work), [`outbox`] (webhooks
//! and deliveries), [`rows`] (reading rows), [`store`] (the database and
//! its migrations), [`dialect`] (what faces supply), [`types`], [`clock`].

pub mod campaigns;
pub mod clock;
pub mod dialect;
pub mod dispatch;
pub mod error;
mod ids;
pub mod outbox;
pub mod prospects;
pub mod rows;
pub mod store;
pub mod transaction;
pub mod types;
pub mod workspaces;

pub use campaigns::{MAX_SECONDS, MAX_TIME_MS, StartOptions, Transition};
pub use clock::{Clock, ClockMode, VIRTUAL_EPOCH_MS};
pub use dialect::{CampaignIds, Dialects, IdScheme, ProspectIds, Uniform, is_canonical_uuid};
pub use error::{EngineError, EngineResult};
pub use outbox::{DomainEvent, SentMessage, check_url};
pub use rows::{Page, PageFrom};
pub use transaction::{Engine, Snapshot, in_memory_virtual};
pub use types::*;
