//! `cargo xtask bench`: the engine benchmarks (`cargo bench`) and the HTTP
//! figures, every target measured side by side in one run with wrk on
//! loopback: the no-op endpoint, durable pause/resume, `--memory` and
//! `--sync full` pause/resume, and the same pause/resume load on WireMock
//! and Prism. The table is printed and written into
//! BENCHMARKS.md between its `bench:http` markers, with the command and the
//! machine.

mod mixed;
mod peers;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use campaign_test_utils::TestServer;
use campaign_test_utils::http::blocking;
use serde_json::{Value, json};

use wrk::{Measure, Wrk};

/// Options of the task.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds per wrk measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Concurrent connections (one wrk thread).
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Rounds of every measurement (the figures of each round are shown).
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Only the HTTP benchmark.
    #[arg(long)]
    http_only: bool,
    /// Print the table without writing it into BENCHMARKS.md.
    #[arg(long)]
    no_write: bool,
}

/// Campaigns the pause+resume load rotates over.
const CAMPAIGNS: usize = 16;

/// The markers of the generated section of BENCHMARKS.md.
const BEGIN: &str = "<!-- bench:http begin (written by cargo xtask bench) -->";
const END: &str = "<!-- bench:http end -->";

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
    let scratch = std::env::temp_dir().join(format!("campaignd-http-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let result = http_bench(&binary, &scratch, &args);
    let _ = std::fs::remove_dir_all(&scratch);
    let table = result?;
    println!("{table}");
    if !args.no_write {
        write_section(&root.join("BENCHMARKS.md"), &table)?;
        eprintln!("==> wrote the table into BENCHMARKS.md");
    }
    Ok(ExitCode::SUCCESS)
}

/// A campaignd under test and what it is.
struct Target {
    label: &'static str,
    server: TestServer,
}

fn start(binary: &Path, label: &'static str, extra: &[&std::ffi::OsStr]) -> anyhow::Result<Target> {
    let mut args: Vec<&std::ffi::OsStr> = ["serve", "--port", "0", "--show-internal"]
        .iter()
        .map(|a| a.as_ref())
        .collect();
    args.extend_from_slice(extra);
    let server = TestServer::spawn(binary, args).with_context(|| format!("starting {label}"))?;
    seed(&server).with_context(|| format!("seeding {label}"))?;
    Ok(Target { label, server })
}

/// Workspace `bench` (Alta) with key `bench_token`, limits lifted, and
/// [`CAMPAIGNS`] active campaigns.
fn seed(server: &TestServer) -> anyhow::Result<()> {
    let sandbox = server.url("sandbox");
    let call = |method: &str, path: &str, body: Value| {
        blocking::json(method, &format!("{sandbox}{path}"), Some(&body))
    };
    call(
        "POST",
        "/workspaces",
        json!({"id": "bench", "dialect": "alta"}),
    )?;
    call(
        "POST",
        "/workspaces/bench/keys",
        json!({"key": "bench_token"}),
    )?;
    call(
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
        call("POST", "/workspaces/bench/campaigns", campaign)?;
    }
    Ok(())
}

/// The wrk script of the write load: pause and resume alternating over
/// the [`CAMPAIGNS`] campaigns, Alta's paths under `prefix`.
fn pause_resume_script(dir: &Path, prefix: &str) -> anyhow::Result<PathBuf> {
    let script = dir.join(format!("pause_resume{}.lua", prefix.replace('/', "_")));
    std::fs::write(
        &script,
        format!(
            r#"-- Alternates pause and resume of each of {CAMPAIGNS} campaigns.
local n = 0
request = function()
  n = n + 1
  local campaign = string.format("00000000-0000-4000-8000-%012d", math.floor(n / 2) % {CAMPAIGNS})
  local action = (n % 2 == 0) and "pause" or "resume"
  return wrk.format("POST", "{prefix}/campaigns/" .. campaign .. "/" .. action,
    {{["Authorization"] = "Bearer bench_token", ["Content-Type"] = "application/json"}}, "{{}}")
end
"#
        ),
    )?;
    Ok(script)
}

/// Every measurement of one round.
struct Round {
    noop: Measure,
    direct: Measure,
    writes: Vec<(&'static str, Measure)>,
    /// Durable pause/resume on Alta alone, by four wrks at once (the
    /// mixed workload's load generator).
    split: Vec<Measure>,
    /// The mixed workload: the four faces' wrks, run at once.
    mixed: Vec<Measure>,
}

/// The label of durable pause/resume without the request log (the ratio
/// of the log's cost looks it up).
const UNLOGGED: &str = "request log off: durable, `--no-request-log`";

/// The table's labels of the two WireMock runs (the ratios look them up).
const WIREMOCK_KEPT: &str =
    "WireMock 3.13.2, scenario state machine (in memory), as shipped (request journal kept)";
const WIREMOCK_OFF: &str =
    "WireMock 3.13.2, scenario state machine (in memory), `--no-request-journal`";

fn http_bench(binary: &Path, scratch: &Path, args: &Args) -> anyhow::Result<String> {
    let durable_dir = scratch.join("durable");
    let unlogged_dir = scratch.join("unlogged");
    let full_dir = scratch.join("full");
    let targets = [
        start(
            binary,
            "durable (`--data-dir`, default `--sync process`)",
            &["--data-dir".as_ref(), durable_dir.as_os_str()],
        )?,
        start(
            binary,
            UNLOGGED,
            &[
                "--data-dir".as_ref(),
                unlogged_dir.as_os_str(),
                "--no-request-log".as_ref(),
            ],
        )?,
        start(binary, "`--memory`", &["--memory".as_ref()])?,
        start(
            binary,
            "`--sync full`",
            &[
                "--data-dir".as_ref(),
                full_dir.as_os_str(),
                "--sync".as_ref(),
                "full".as_ref(),
            ],
        )?,
    ];
    let tools = crate::tools::Tools::ensure()?;
    eprintln!("==> starting WireMock {} and Prism", peers::WIREMOCK);
    let peers = [
        (
            WIREMOCK_KEPT,
            peers::wiremock(&tools, peers::Journal::Kept)?,
        ),
        (WIREMOCK_OFF, peers::wiremock(&tools, peers::Journal::Off)?),
        (
            "Prism 5.16.0 mocking `openapi/alta.json` (no state)",
            peers::prism(&tools)?,
        ),
    ];
    let fsync = wrk::fsync_time(scratch)?;
    let script = pause_resume_script(scratch, "/v1")?;
    let wrk = Wrk {
        connections: args.connections,
        seconds: args.seconds,
    };
    let reference = &targets[0].server;
    let internal = reference
        .ports()
        .api("alta")
        .internal
        .clone()
        .context("the port table has no internal address for alta")?;
    // A short warm-up of every target before anything is measured (the
    // JVM's needs it most).
    let mut origins: Vec<(&'static str, &str, PathBuf)> = targets
        .iter()
        .map(|t| (t.label, t.server.origin("alta"), script.clone()))
        .collect();
    for (label, peer) in &peers {
        origins.push((
            label,
            &peer.origin,
            pause_resume_script(scratch, peer.prefix)?,
        ));
    }
    let warm_up = args.seconds.max(2);
    for (label, origin, script) in &origins {
        Wrk {
            connections: args.connections,
            seconds: warm_up,
        }
        .run(origin, Some(script))
        .with_context(|| format!("warming up {label}"))?;
    }
    let mut rounds = Vec::new();
    for round in 1..=args.rounds {
        eprintln!("==> round {round} of {}", args.rounds);
        let noop = wrk.run(&format!("{}/healthz", reference.origin("alta")), None)?;
        let direct = wrk.run(&format!("{internal}/healthz"), None)?;
        let mut writes = Vec::new();
        for (label, origin, script) in &origins {
            let measure = wrk
                .run(origin, Some(script))
                .with_context(|| format!("measuring {label}"))?;
            writes.push((*label, measure));
        }
        let share = Wrk {
            connections: (args.connections / 4).max(1),
            seconds: args.seconds,
        };
        // Durable pause/resume again, with the mixed workload's load
        // generator: four wrks at once, a quarter of the connections each.
        let durable = &origins[0];
        let split = at_once(
            &share,
            &[("alta", durable.1, durable.2.as_path()); 4],
            Wrk::run,
        )?;
        let mixed_faces = mixed::prepare(&targets[0].server, scratch, round)?;
        let runs: Vec<(&str, &str, &Path)> = mixed_faces
            .iter()
            .map(|face| (face.name, face.base.as_str(), face.script.as_path()))
            .collect();
        let mixed = at_once(&share, &runs, Wrk::run_tolerant)?;
        rounds.push(Round {
            noop,
            direct,
            writes,
            split,
            mixed,
        });
    }
    Ok(table(&rounds, args, fsync))
}

/// Runs one wrk per `(name, origin, script)` at the same time, each with
/// `share`'s connections, by `measure` ([`Wrk::run`] or
/// [`Wrk::run_tolerant`]).
fn at_once(
    share: &Wrk,
    runs: &[(&str, &str, &Path)],
    measure: fn(&Wrk, &str, Option<&Path>) -> anyhow::Result<Measure>,
) -> anyhow::Result<Vec<Measure>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|&(name, origin, script)| {
                scope.spawn(move || {
                    measure(share, origin, Some(script))
                        .with_context(|| format!("the load on {name}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|run| run.join().expect("a wrk thread"))
            .collect()
    })
}

/// The markdown section: the command, the machine, then one row per load.
fn table(rounds: &[Round], args: &Args, fsync: std::time::Duration) -> String {
    let noop_mean = rounds.iter().map(|r| r.noop.rps).sum::<f64>() / rounds.len() as f64;
    let mut out = format!(
        "Command: `cargo xtask bench --http-only --seconds {} --connections {} --rounds {}` \
         (wrk -t1 -c{} -d{}s per figure, on loopback, release build, after a {} s warm-up of \
         each write target with its own load). Machine: {}. Rounds are listed in order; \
         ratios are to the mean of the no-op through the front in the same run.\n\n",
        args.seconds,
        args.connections,
        args.rounds,
        args.connections,
        args.seconds,
        args.seconds.max(2),
        wrk::machine(),
    );
    out.push_str(
        "| load | req/s per round | p50 | p99 | ratio to the no-op |\n|---|---|---|---|---|\n",
    );
    let row = |out: &mut String, label: &str, measures: Vec<&Measure>| {
        let rps: Vec<String> = measures.iter().map(|m| format!("{:.0}", m.rps)).collect();
        let mean = measures.iter().map(|m| m.rps).sum::<f64>() / measures.len() as f64;
        let p50 = measures.iter().map(|m| m.p50_ms).fold(0.0, f64::max);
        let p99 = measures.iter().map(|m| m.p99_ms).fold(0.0, f64::max);
        out.push_str(&format!(
            "| {label} | {} | {p50:.2} ms | {p99:.2} ms | {:.1}% |\n",
            rps.join(" / "),
            100.0 * mean / noop_mean
        ));
    };
    row(
        &mut out,
        "no-op `GET /healthz`, through the front",
        rounds.iter().map(|r| &r.noop).collect(),
    );
    row(
        &mut out,
        "no-op `GET /healthz`, straight to dropshot",
        rounds.iter().map(|r| &r.direct).collect(),
    );
    for (n, (label, _)) in rounds[0].writes.iter().enumerate() {
        row(
            &mut out,
            &format!("pause/resume, {label}"),
            rounds.iter().map(|r| &r.writes[n].1).collect(),
        );
    }
    let sum = |measures: &[Measure]| Measure {
        rps: measures.iter().map(|m| m.rps).sum(),
        p50_ms: measures.iter().map(|m| m.p50_ms).fold(0.0, f64::max),
        p99_ms: measures.iter().map(|m| m.p99_ms).fold(0.0, f64::max),
        refused: measures.iter().map(|m| m.refused).sum(),
        requests: measures.iter().map(|m| m.requests).sum(),
    };
    let split: Vec<Measure> = rounds.iter().map(|r| sum(&r.split)).collect();
    let mixed: Vec<Measure> = rounds.iter().map(|r| sum(&r.mixed)).collect();
    row(
        &mut out,
        "pause/resume, durable, in the mixed workload's shape: four wrks on Alta at once, a \
         quarter of the connections each (their sum)",
        split.iter().collect(),
    );
    row(
        &mut out,
        "mixed: reads, pauses, resumes and creates on Alta, Leadterra, Leadlex and \
         VoiceGenie at once (durable; the sum of four wrks, a quarter of the connections each)",
        mixed.iter().collect(),
    );
    // The mean req/s of the load whose label starts with `prefix`.
    let mean = |prefix: &str| {
        let n = rounds[0]
            .writes
            .iter()
            .position(|(label, _)| label.starts_with(prefix));
        n.map(|n| rounds.iter().map(|r| r.writes[n].1.rps).sum::<f64>() / rounds.len() as f64)
            .unwrap_or(f64::NAN)
    };
    let mean_of =
        |measures: &[Measure]| measures.iter().map(|m| m.rps).sum::<f64>() / measures.len() as f64;
    let (mixed_mean, split_mean) = (mean_of(&mixed), mean_of(&split));
    out.push_str(&format!(
        "\nThe mixed workload's non-2xx answers: {} of {} (tolerated up to 0.1%: Leadlex and \
         VoiceGenie refuse pausing a paused campaign or starting a running one, so a request \
         sent out of the script's order would be refused).\n",
        mixed.iter().map(|m| m.refused).sum::<u64>(),
        mixed.iter().map(|m| m.requests).sum::<u64>()
    ));
    out.push_str(&format!(
        "\nDurable pause/resume runs at **{:.1}×** WireMock's scenario throughput as shipped \
         and **{:.1}×** WireMock's without its request journal, and **{:.1}×** Prism's. The \
         mixed workload across four faces runs at **{:.0}%** of single-face durable \
         pause/resume driven the same way (four wrks of a quarter of the connections each), \
         and at **{:.0}%** of it driven by one wrk (means of the rounds).\n",
        mean("durable") / mean(WIREMOCK_KEPT),
        mean("durable") / mean(WIREMOCK_OFF),
        mean("durable") / mean("Prism"),
        100.0 * mixed_mean / split_mean,
        100.0 * mixed_mean / mean("durable")
    ));
    out.push_str(&format!(
        "\nThe request log (on by default) costs **{:.1}%** of durable pause/resume \
         throughput: {:.0} req/s with it, {:.0} without (`--no-request-log`), means of the \
         rounds.\n",
        100.0 * (1.0 - mean("durable") / mean(UNLOGGED)),
        mean("durable"),
        mean(UNLOGGED)
    ));
    out.push_str(&format!(
        "\np50 and p99 are the worst of the rounds. The disk's fsync time (`--sync full` pays \
         one per group commit), measured in the same run: median {:.2} ms over 100 fsyncs of \
         4 KiB.\n",
        fsync.as_secs_f64() * 1000.0
    ));
    out
}

/// Replaces the text between the markers in `path` with `table`.
fn write_section(path: &Path, table: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        bail!("{} has no {BEGIN} ... {END} section", path.display());
    };
    let updated = format!("{}{BEGIN}\n{table}{}", &text[..begin], &text[end..]);
    std::fs::write(path, updated)?;
    Ok(())
}
