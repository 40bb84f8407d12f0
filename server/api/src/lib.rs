//! The API traits and wire types of the campaign sandbox.
//!
//! One `#[dropshot::api_description]` trait per OpenAPI document in
//! `openapi/`: the documents are generated from these traits by
//! `cargo xtask openapi generate` and never edited by hand.
//!
//! Design decisions:
//! - Every face follows its vendor's URL, casing and error shapes exactly;
//!   the canonical Alta-style API is the house style for everything else.
//! - Handlers of vendor faces return [`wire::Reply`], which documents the
//!   success schema but may carry any status: vendor errors raised after
//!   authentication carry the rate-limit headers every answer must have.
//!   Each face's error type documents the error schema and catches what
//!   dropshot's own extractors reject, in the vendor's shape.
//! - Path ids are extracted as strings and validated by the face, so that a
//!   malformed id is the vendor's documented error, not dropshot's.
//! - Request bodies use [`wire::JsonInput`], parsed after authentication;
//!   optional bodies (Alta's pause and resume) accept an absent or empty
//!   body. dropshot still marks every request body as required in the
//!   document; the operation descriptions say which bodies are optional.
//! - Timestamps are ISO 8601 UTC with whole seconds ([`wire::Iso8601`]).

pub mod alta;
pub mod apis;
pub mod leadlex;
pub mod leadterra;
pub mod ports;
pub mod sandbox;
pub mod shape;
pub mod voicegenie;
pub mod wire;
pub mod woodpecker;
