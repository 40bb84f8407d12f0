//! campaignd: the campaign sandbox server. One engine (the
//! `campaign-engine` crate: campaigns, prospects, sends on a clock, stored
//! in SQLite) behind one dropshot server per face, each behind its front
//! layer (`front`). Each face is a folder of `faces/`; `registry` lists
//! them. See ARCHITECTURE.md for the map.

pub mod app;
pub mod delivery;
pub mod demo;
pub mod faces;
pub mod faults;
pub mod front;
pub mod pages;
pub mod ratelimit;
pub mod registry;
pub mod requestlog;
pub mod world;
pub mod writer;
