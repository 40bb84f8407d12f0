//! Empty on purpose: this crate is its Cargo.toml (see there).
