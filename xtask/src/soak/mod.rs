//! `cargo xtask soak --minutes N`: a bounded fault soak. Concurrent
//! clients on all five vendor faces (creates, pauses, resumes, reads,
//! lists, contacts), the virtual clock advancing, a webhook receiver that
//! fails 30% of the time (503s, hangs past the attempt timeout, dropped
//! connections) or answers slowly, and the server killed with SIGKILL at
//! random moments and restarted on the same data directory. At the end
//! (after a last kill and restart, and a drain of the webhook retries on
//! the virtual clock) it checks:
//!
//! - every acknowledged create is there, and every campaign whose last
//!   acknowledged pause or resume has no unknown request after it is in
//!   the state that request asked for;
//! - every acknowledged prospect add is there;
//! - no send was made twice, and each campaign's counters match its sends;
//! - every campaign is in a state the engine defines;
//! - every webhook event was delivered (a 2xx from the receiver), with the
//!   same delivery id and body on every attempt;
//! - the server's memory and open files stayed bounded.
//!
//! It prints the figures and writes them to `target/reliability/soak.md`
//! (beside the auth matrix's report); any violation fails the task.

mod checks;
mod faces;
mod receiver;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use campaign_test_utils::TestServer;
use campaign_test_utils::http::Client;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use faces::{Bases, FACES, Record};
use receiver::Receiver;

/// Options of the task.
#[derive(clap::Args)]
pub struct Args {
    /// How long the clients run, in minutes (the drain and the checks come
    /// after).
    #[arg(long, default_value_t = 2.0)]
    minutes: f64,
    /// Seed of every random choice (kill times, requests, receiver fates);
    /// printed, so a failing run can be repeated.
    #[arg(long)]
    seed: Option<u64>,
}

/// Bounds on the server process, checked on every sample.
pub const MAX_RSS_KIB: u64 = 1024 * 1024;
pub const MAX_OPEN_FILES: u64 = 1024;

/// What the soak measured.
#[derive(Debug, Default)]
pub struct Figures {
    pub seed: u64,
    pub minutes: f64,
    pub kills: u64,
    pub clock_advances: u64,
    pub max_rss_kib: u64,
    pub max_open_files: u64,
    pub drain_seconds: f64,
    /// Planted violations the checks reported (of [`checks::CANARIES`]).
    pub canaries_caught: usize,
}

/// Runs the soak.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.minutes > 0.0 && args.minutes <= 24.0 * 60.0) {
        bail!(
            "--minutes must be above 0 and at most a day, not {}",
            args.minutes
        );
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let root = crate::project_root();
    let binary = campaign_test_utils::campaignd_binary(&root, false)?;
    let target = campaign_test_utils::target_dir(&root);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let passed = runtime.block_on(soak(&binary, &target, seed, args.minutes))?;
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The server under test, restarted after each kill.
struct Target {
    binary: PathBuf,
    data: PathBuf,
    server: Option<TestServer>,
    bases: Bases,
    pid: Arc<AtomicU64>,
}

impl Target {
    fn start(&mut self) -> anyhow::Result<()> {
        let server = TestServer::spawn(
            &self.binary,
            [
                "serve".as_ref(),
                "--port".as_ref(),
                "0".as_ref(),
                "--clock".as_ref(),
                "virtual".as_ref(),
                "--data-dir".as_ref(),
                self.data.as_os_str(),
            ],
        )?;
        let mut bases = self.bases.write().expect("bases");
        for api in &server.ports().apis {
            bases.insert(api.name.clone(), api.base_url.clone());
        }
        self.pid
            .store(server.pid().map_or(0, u64::from), Ordering::Relaxed);
        self.server = Some(server);
        Ok(())
    }

    fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.kill_9()?;
        }
        self.pid.store(0, Ordering::Relaxed);
        self.start()
    }

    fn sandbox(&self) -> String {
        self.bases.read().expect("bases")["sandbox"].clone()
    }
}

async fn soak(binary: &Path, target_dir: &Path, seed: u64, minutes: f64) -> anyhow::Result<bool> {
    let dir = target_dir.join("soak");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    eprintln!("soak: {minutes} min, seed {seed} (repeat with --seed {seed})");
    let receiver = Receiver::start(seed).await?;
    let mut target = Target {
        binary: binary.to_path_buf(),
        data: dir.join("data"),
        server: None,
        bases: Bases::default(),
        pid: Arc::default(),
    };
    target.start()?;
    let http = Client::default();
    set_up(&http, &target.sandbox(), &receiver.url).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let record = Arc::new(Mutex::new(Record::default()));
    let mut clients = Vec::new();
    for face in &FACES {
        for index in 0..face.clients as u64 {
            clients.push(tokio::spawn(faces::run_client(
                face,
                index,
                seed,
                Arc::clone(&target.bases),
                Arc::clone(&stop),
                Arc::clone(&record),
            )));
        }
    }
    let advances = Arc::new(AtomicU64::new(0));
    let clock = tokio::spawn(advance_clock(
        Arc::clone(&target.bases),
        Arc::clone(&stop),
        Arc::clone(&advances),
    ));
    let sampled = Arc::new(Mutex::new((0u64, 0u64)));
    let sampler = tokio::spawn(sample(Arc::clone(&target.pid), Arc::clone(&sampled)));

    let mut figures = Figures {
        seed,
        minutes,
        ..Figures::default()
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(minutes * 60.0);
    loop {
        let wait = Duration::from_millis(rng.random_range(3_000..12_000));
        if Instant::now() + wait >= deadline {
            tokio::time::sleep(deadline.saturating_duration_since(Instant::now())).await;
            break;
        }
        tokio::time::sleep(wait).await;
        target.kill_and_restart()?;
        figures.kills += 1;
        eprintln!(
            "soak: kill -9 number {} at {:.0} s",
            figures.kills,
            started.elapsed().as_secs_f64()
        );
    }
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.context("a soak client panicked")?;
    }
    clock.await.context("the clock task panicked")?;
    // A last kill: everything checked below is what survived it.
    target.kill_and_restart()?;
    figures.kills += 1;
    figures.clock_advances = advances.load(Ordering::Relaxed);

    let drained = Instant::now();
    let mut violations = checks::drain(&http, &target.sandbox()).await?;
    figures.drain_seconds = drained.elapsed().as_secs_f64();
    sampler.abort();
    (figures.max_rss_kib, figures.max_open_files) = *sampled.lock().expect("samples");

    let record = std::mem::take(&mut *record.lock().expect("soak record"));
    let (seen, tally) = receiver.report();
    let outcome = checks::check(&http, &target.sandbox(), &record, &seen, &tally, &figures).await?;
    violations.extend(outcome.violations.iter().cloned());
    // The checks must be able to fail: the same checks, given an
    // acknowledged create the server never saw and a delivery id it never
    // sent, must report both.
    let (canary_record, canary_seen) = checks::canaries(&record, &seen);
    let canary = checks::check(
        &http,
        &target.sandbox(),
        &canary_record,
        &canary_seen,
        &tally,
        &figures,
    )
    .await?;
    let caught = checks::CANARIES
        .iter()
        .filter(|id| canary.violations.iter().any(|v| v.contains(*id)))
        .count();
    if caught != checks::CANARIES.len() {
        violations.push(format!(
            "the checks caught {caught} of {} planted violations: {:?}",
            checks::CANARIES.len(),
            canary.violations
        ));
    }
    figures.canaries_caught = caught;
    if let Some(server) = target.server.take() {
        server.terminate()?;
    }
    let report = checks::report(&figures, &record, &tally, &outcome, &violations);
    print!("{report}");
    let reports = target_dir.join("reliability");
    std::fs::create_dir_all(&reports)?;
    std::fs::write(reports.join("soak.md"), &report)?;
    eprintln!(
        "soak: report written to {}",
        reports.join("soak.md").display()
    );
    Ok(violations.is_empty())
}

/// One workspace per face, its key, its rate limits lifted, and the
/// receiver subscribed to every event of the vendors that have webhooks.
async fn set_up(http: &Client, sandbox: &str, hooks: &str) -> anyhow::Result<()> {
    let call = |method: &'static str, path: String, body: Value| async move {
        http.json(method, &format!("{sandbox}{path}"), Some(&body))
            .await
            .map(drop)
    };
    for face in &FACES {
        let ws = faces::workspace(face);
        call(
            "POST",
            "/workspaces".into(),
            json!({"id": ws, "dialect": face.name}),
        )
        .await?;
        call(
            "POST",
            format!("/workspaces/{ws}/keys"),
            // Leadlex keys carry scopes; the other faces ignore them.
            json!({"key": face.key, "scopes": ["campaigns:read", "campaigns:write"]}),
        )
        .await?;
        call(
            "PUT",
            format!("/workspaces/{ws}/rate-limits"),
            json!({"perMinute": 100_000_000, "perDay": 1_000_000_000, "prospectsPerMinute": 100_000_000}),
        )
        .await?;
        // Every event of the vendors that have webhooks (the server's own
        // list of what each vendor documents).
        if let Some(events) = campaignd::registry::webhooks(face.name).map(|rules| rules.events) {
            call(
                "POST",
                format!("/workspaces/{ws}/webhooks"),
                json!({"url": hooks, "events": events}),
            )
            .await?;
        }
    }
    Ok(())
}

/// Moves the virtual clock a minute every 200 ms (errors, while the server
/// is down, are skipped).
async fn advance_clock(bases: Bases, stop: Arc<AtomicBool>, advances: Arc<AtomicU64>) {
    let http = Client::default();
    while !stop.load(Ordering::Relaxed) {
        let sandbox = bases.read().expect("bases")["sandbox"].clone();
        let advanced = http
            .json(
                "POST",
                &format!("{sandbox}/clock/advance"),
                Some(&json!({"seconds": 60})),
            )
            .await
            .is_ok();
        if advanced {
            advances.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Samples the server's resident memory (KiB) and open files every 250 ms;
/// keeps the maximum of each.
async fn sample(pid: Arc<AtomicU64>, maxima: Arc<Mutex<(u64, u64)>>) {
    loop {
        let current = pid.load(Ordering::Relaxed);
        if current != 0 {
            let rss = std::fs::read_to_string(format!("/proc/{current}/status"))
                .ok()
                .and_then(|status| {
                    status.lines().find_map(|line| {
                        line.strip_prefix("VmRSS:").and_then(|v| {
                            v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
                        })
                    })
                });
            let files = std::fs::read_dir(format!("/proc/{current}/fd"))
                .map(|entries| entries.count() as u64)
                .ok();
            let mut max = maxima.lock().expect("samples");
            max.0 = max.0.max(rss.unwrap_or(0));
            max.1 = max.1.max(files.unwrap_or(0));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
