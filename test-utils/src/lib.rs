//! The one test harness of the workspace. Every integration test, the
//! conformance runner, xtask's tasks and the benchmarks start servers and
//! talk to them through it:
//!
//! - [`TestServer`] starts campaignd on free loopback ports, in this
//!   process ([`TestServer::in_process`], feature `in-process`) or as a
//!   child process ([`TestServer::spawn`]), and knows where each API
//!   answers from the server's own port table ([`PortTable`]), never from
//!   its log text.
//! - [`http`] makes raw requests (status, headers, exact bytes) and strict
//!   JSON calls, from async code or, through [`http::blocking`], from
//!   plain code.
//! - [`campaignd_binary`] builds the server binary for harnesses outside
//!   its own package.

pub mod http;
mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

pub use campaign_api::ports::{PortTable, ServedApi};
pub use server::TestServer;

/// Builds `campaignd` (`cargo build -p campaignd`, with `--release` when
/// asked) in the workspace at `root`; returns the binary's path. Honours
/// `CARGO` and `CARGO_TARGET_DIR`.
pub fn campaignd_binary(root: &Path, release: bool) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "-q", "-p", "campaignd"])
        .current_dir(root);
    if release {
        command.arg("--release");
    }
    let built = command.status().context("running cargo")?;
    if !built.success() {
        bail!("building campaignd failed ({built})");
    }
    Ok(target_dir(root)
        .join(if release { "release" } else { "debug" })
        .join("campaignd"))
}

/// The workspace's target directory: `CARGO_TARGET_DIR`, else
/// `<root>/target`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}
