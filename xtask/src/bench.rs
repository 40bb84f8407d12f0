//! `cargo xtask bench`: the engine benchmarks (`cargo bench`) and the HTTP
//! throughput of durable pause+resume pairs against a no-op endpoint of the
//! same server, both measured by wrk in one run on loopback.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, bail};
use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use serde_json::{Value, json};

/// Options of the task.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds per wrk measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Concurrent connections (one wrk thread).
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Only the HTTP benchmark.
    #[arg(long)]
    http_only: bool,
}

/// Campaigns the pause+resume load rotates over.
const CAMPAIGNS: usize = 16;

/// Runs the task.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let root = crate::project_root();
    if !args.http_only {
        eprintln!("==> engine benchmarks (cargo bench -p campaign-engine --bench engine)");
        let status = Command::new(crate::cargo())
            .args(["bench", "-p", "campaign-engine", "--bench", "engine"])
            .current_dir(&root)
            .status()?;
        if !status.success() {
            return Ok(ExitCode::FAILURE);
        }
    }
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed (Debian: apt-get install wrk)");
    }
    eprintln!("==> building campaignd (release)");
    let binary = campaign_test_utils::campaignd_binary(&root, true)?;
    let data = std::env::temp_dir().join(format!("campaignd-http-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let server = TestServer::spawn(
        &binary,
        [
            "serve".as_ref(),
            "--port".as_ref(),
            "0".as_ref(),
            "--show-internal".as_ref(),
            "--data-dir".as_ref(),
            data.as_os_str(),
        ],
    )?;
    let result = http_bench(&server, &args, &data);
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    result.map(|()| ExitCode::SUCCESS)
}

fn http_bench(server: &TestServer, args: &Args, data: &Path) -> anyhow::Result<()> {
    let sandbox = server.url("sandbox");
    let alta = server.origin("alta");
    let alta_internal = server
        .ports()
        .api("alta")
        .internal
        .as_deref()
        .context("the port table has no internal address for alta")?;
    let post = |method: &str, path: &str, body: Value| {
        blocking::json(method, &format!("{sandbox}{path}"), Some(&body))
    };
    post(
        "POST",
        "/workspaces",
        json!({"id": "bench", "dialect": "alta"}),
    )?;
    post(
        "POST",
        "/workspaces/bench/keys",
        json!({"key": "bench_token"}),
    )?;
    post(
        "PUT",
        "/workspaces/bench/rate-limits",
        json!({"perMinute": 100_000_000}),
    )?;
    for n in 0..CAMPAIGNS {
        let campaign = json!({
            "id": format!("00000000-0000-4000-8000-{n:012}"),
            "name": format!("bench {n}"),
            "status": "active",
            "steps": [{"channel": "email", "delaySeconds": 86400}],
            "prospects": [{"email": "a@bench.example"}, {"email": "b@bench.example"}]
        });
        post("POST", "/workspaces/bench/campaigns", campaign)?;
    }
    let script = data.join("pause_resume.lua");
    std::fs::write(
        &script,
        format!(
            r#"-- Alternates pause and resume of each of {CAMPAIGNS} campaigns.
local n = 0
request = function()
  n = n + 1
  local campaign = string.format("00000000-0000-4000-8000-%012d", math.floor(n / 2) % {CAMPAIGNS})
  local action = (n % 2 == 0) and "pause" or "resume"
  return wrk.format("POST", "/v1/campaigns/" .. campaign .. "/" .. action,
    {{["Authorization"] = "Bearer bench_token", ["Content-Type"] = "application/json"}}, "{{}}")
end
"#
        ),
    )?;
    std::thread::sleep(Duration::from_millis(200));
    let wrk = |extra: &[&str], url: &str| -> anyhow::Result<f64> {
        let output = Command::new("wrk")
            .args([
                "-t1",
                &format!("-c{}", args.connections),
                &format!("-d{}s", args.seconds),
            ])
            .args(extra)
            .arg(url)
            .output()
            .context("running wrk")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if text.contains("Non-2xx") {
            bail!("wrk saw non-2xx answers:\n{text}");
        }
        text.lines()
            .find_map(|l| l.strip_prefix("Requests/sec:"))
            .and_then(|v| v.trim().parse().ok())
            .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))
    };
    let script_arg = script.to_string_lossy().to_string();
    let noop = wrk(&[], &format!("{alta}/healthz"))?;
    let direct = wrk(&[], &format!("{alta_internal}/healthz"))?;
    let pairs = wrk(&["-s", &script_arg], alta)?;
    let direct_again = wrk(&[], &format!("{alta_internal}/healthz"))?;
    let noop_again = wrk(&[], &format!("{alta}/healthz"))?;
    let reference = (noop + noop_again) / 2.0;
    let direct_mean = (direct + direct_again) / 2.0;
    println!(
        "HTTP throughput (wrk -t1 -c{} -d{}s, loopback, release build, SQLite WAL data dir)",
        args.connections, args.seconds
    );
    println!(
        "  no-op GET /healthz:            {noop:>10.0} requests/s (again after: {noop_again:.0})"
    );
    println!(
        "  the same, straight to dropshot:{direct:>10.0} requests/s (again after: {direct_again:.0})"
    );
    println!(
        "  front layer: the no-op through it runs at {:.1}% of the no-op straight to dropshot",
        100.0 * reference / direct_mean
    );
    println!(
        "  pause+resume POSTs (durable):  {pairs:>10.0} requests/s = {:.0} pairs/s",
        pairs / 2.0
    );
    println!(
        "  ratio to the no-op mean:       {:>10.1}%   (goal >= 50%)",
        100.0 * pairs / reference
    );
    Ok(())
}
