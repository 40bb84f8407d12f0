//! `cargo xtask browser`: the inspector (`/ui`) and the reference pages
//! (`/docs`) in a real browser. Starts campaignd with the demo world on
//! free ports, then drives headless Chromium (Debian's `chromium`, through
//! the pinned playwright-core) with `xtask/browser/inspector.mjs`: pause a
//! campaign through the Alta face and see it paused, advance the clock and
//! see sends move, open a failed webhook delivery and redeliver it, read
//! the request log, open two reference pages. Screenshots are written to
//! `target/browser/`.

use std::process::{Command, ExitCode};

use anyhow::Context;
use campaign_test_utils::TestServer;

/// Runs the task.
pub fn run() -> anyhow::Result<ExitCode> {
    let root = crate::project_root();
    let tools = crate::tools::Tools::ensure()?;
    crate::tools::require("chromium", "chromium")?;
    let out = crate::tools::target_dir(&root).join("browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    eprintln!("==> starting campaignd with the demo world");
    let binary = campaign_test_utils::campaignd_binary(&root, false)?;
    let world = root.join("worlds/demo.yaml");
    let server = TestServer::spawn(
        &binary,
        [
            "serve".as_ref(),
            "--memory".as_ref(),
            "--clock".as_ref(),
            "virtual".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--world".as_ref(),
            world.as_os_str(),
        ],
    )?;
    eprintln!("==> driving headless Chromium (xtask/browser/inspector.mjs)");
    let status = Command::new("node")
        .arg(root.join("xtask/browser/inspector.mjs"))
        .env("TOOLS_NPM", tools.dir().join("npm"))
        .env("SANDBOX", server.url("sandbox"))
        .env("ALTA", server.url("alta"))
        .env("LEADTERRA", server.origin("leadterra"))
        .env("ALTA_DOCS", format!("{}/docs", server.origin("alta")))
        .env("OUT", &out)
        .status()
        .context("running node")?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "==> browser FAILED; screenshots so far in {}",
            out.display()
        );
        ExitCode::FAILURE
    })
}
