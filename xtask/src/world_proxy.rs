//! The conformance crate's `world-proxy` (see its doc), started by the
//! contract replay and the samples run: it sets up a conformance case's
//! world for each request and prints its verdict on the answer.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::contract::Running;

/// A running world proxy.
pub struct WorldProxy {
    _process: Running,
    lines: mpsc::Receiver<String>,
    /// The proxy's base URL of each vendor face.
    pub bases: BTreeMap<String, String>,
}

impl WorldProxy {
    /// Builds the proxy (once per run is enough).
    pub fn build(root: &Path) -> anyhow::Result<()> {
        let built = Command::new(crate::cargo())
            .args(["build", "-q", "-p", "conformance", "--bin", "world-proxy"])
            .current_dir(root)
            .status()?;
        if !built.success() {
            bail!("building the world proxy failed");
        }
        Ok(())
    }

    /// Starts the built proxy; with `case`, requests naming none are judged
    /// in that case's world.
    pub fn start(root: &Path, case: Option<&str>) -> anyhow::Result<Self> {
        let mut command = Command::new(crate::tools::target_dir(root).join("debug/world-proxy"));
        if let Some(case) = case {
            command.args(["--case", case]);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the world proxy")?;
        let stdout = child.stdout.take().context("the proxy's stdout")?;
        let process = Running(child);
        let (tx, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut bases = BTreeMap::new();
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .context("the world proxy did not start")?;
            if line == "ready" {
                break;
            }
            if let Some(rest) = line.strip_prefix("proxy ")
                && let Some((vendor, base)) = rest.split_once(' ')
            {
                bases.insert(vendor.to_string(), base.to_string());
            }
        }
        Ok(Self {
            _process: process,
            lines,
            bases,
        })
    }

    /// The proxy's base URL of `vendor`.
    pub fn base(&self, vendor: &str) -> anyhow::Result<&str> {
        self.bases
            .get(vendor)
            .map(String::as_str)
            .with_context(|| format!("no proxy for {vendor}"))
    }

    /// The verdicts printed since the last call (the proxy prints each
    /// before it answers, so every answered request's is there).
    pub fn verdicts(&self) -> Vec<Value> {
        self.lines
            .try_iter()
            .filter_map(|line| serde_json::from_str(&line).ok())
            .collect()
    }
}
