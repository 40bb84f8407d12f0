//! campaignd: the campaign sandbox server. One engine (campaigns,
//! prospects, sends on a clock, stored in SQLite) behind one dropshot
//! server per face, each behind its front layer (`front`).

pub mod alta;
pub mod app;
pub mod clock;
pub mod demo;
pub mod engine;
pub mod face;
pub mod faults;
pub mod front;
pub mod leadlex;
pub mod leadterra;
pub mod ratelimit;
pub mod sandbox;
pub mod store;
pub mod voicegenie;
pub mod webhooks;
pub mod woodpecker;
