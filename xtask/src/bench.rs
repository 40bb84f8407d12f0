//! `cargo xtask bench`: the engine benchmarks (`cargo bench`) and the HTTP
//! throughput of durable pause+resume pairs against a no-op endpoint of the
//! same server, both measured by wrk in one run on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

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
    let built = Command::new(crate::cargo())
        .args(["build", "--release", "-q", "-p", "campaignd"])
        .current_dir(&root)
        .status()?;
    if !built.success() {
        bail!("building campaignd failed");
    }
    let data = std::env::temp_dir().join(format!("campaignd-http-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut server = Command::new(root.join("target/release/campaignd"))
        .args(["serve", "--port", "0", "--show-internal", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting campaignd")?;
    let result = http_bench(&mut server, &args, &data);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
    result.map(|()| ExitCode::SUCCESS)
}

/// Where the bench reaches the server: the sandbox API, Alta's public
/// origin (its front layer) and Alta's internal dropshot server.
struct Origins {
    sandbox: String,
    alta: String,
    alta_internal: String,
}

fn origins(server: &mut Child) -> anyhow::Result<Origins> {
    let stdout = server.stdout.take().context("campaignd's stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let (mut sandbox, mut alta, mut alta_internal) = (None, None, None);
    for line in lines.by_ref() {
        let line = line?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["internal", "alta", origin] => alta_internal = Some(origin.to_string()),
            [name, _, document] => {
                let origin = document.trim_end_matches("/openapi.json").to_string();
                match *name {
                    "sandbox" => sandbox = Some(origin),
                    "alta" => alta = Some(origin),
                    _ => {}
                }
            }
            _ => {}
        }
        if sandbox.is_some() && alta.is_some() && alta_internal.is_some() {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Origins {
        sandbox: sandbox.context("no sandbox URL")?,
        alta: alta.context("no alta URL")?,
        alta_internal: alta_internal.context("no internal alta address")?,
    })
}

fn http_bench(server: &mut Child, args: &Args, data: &Path) -> anyhow::Result<()> {
    let Origins {
        sandbox,
        alta,
        alta_internal,
    } = origins(server)?;
    crate::http::json(
        "POST",
        &format!("{sandbox}/workspaces"),
        Some(r#"{"id": "bench", "dialect": "alta"}"#),
    )?;
    crate::http::json(
        "POST",
        &format!("{sandbox}/workspaces/bench/keys"),
        Some(r#"{"key": "bench_token"}"#),
    )?;
    crate::http::json(
        "PUT",
        &format!("{sandbox}/workspaces/bench/rate-limits"),
        Some(r#"{"perMinute": 100000000}"#),
    )?;
    for n in 0..CAMPAIGNS {
        let body = format!(
            r#"{{"id": "00000000-0000-4000-8000-{n:012}", "name": "bench {n}", "status": "active",
                "steps": [{{"channel": "email", "delaySeconds": 86400}}],
                "prospects": [{{"email": "a@bench.example"}}, {{"email": "b@bench.example"}}]}}"#
        );
        crate::http::json(
            "POST",
            &format!("{sandbox}/workspaces/bench/campaigns"),
            Some(&body),
        )?;
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
    let pairs = wrk(&["-s", &script_arg], &alta)?;
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
