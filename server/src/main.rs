//! `campaignd serve`: run the sandbox.

/// mimalloc instead of glibc malloc: allocation was a sixth of the CPU of
/// a durable write under load (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use std::io::Write as _;

use anyhow::Context as _;
use campaignd::app::{self, Storage};
use clap::{Parser, Subcommand, ValueEnum};
use slog::Drain as _;

#[derive(Parser)]
#[command(
    name = "campaignd",
    version,
    about = "A stateful sandbox of outreach-campaign APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClockArg {
    /// Wall-clock time: sends complete as time passes.
    Real,
    /// Time moves only when the sandbox API advances it (deterministic tests).
    Virtual,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SyncArg {
    /// Survives a crash of the process (SQLite `synchronous = NORMAL`).
    Process,
    /// Survives a power loss (SQLite `synchronous = FULL`).
    Full,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

/// The examples of `campaignd serve --help`: each one runs in
/// `server/tests/help_examples.rs`.
const SERVE_EXAMPLES: &str = "\
Examples:
  campaignd serve --demo --clock virtual
      The demo world: every vendor page's samples work as printed, and time
      moves only when POST /clock/advance moves it.
  campaignd serve --memory --world worlds/demo.yaml
      A world from a file (YAML or JSON; worlds/world.schema.json is its
      JSON Schema): workspaces, keys, rate limits, campaigns, webhooks and
      faults, loaded whole or not at all.
  campaignd serve --memory --port 0 --ports-file ports.json
      Nothing kept; every API on a free port, listed in the banner and, as
      JSON for scripts, in ports.json once they all listen.
  campaignd serve --port 8070 --data-dir ./sandbox-data
      The sandbox API on 8070, Alta on 8071 and the other faces after it;
      state kept in ./sandbox-data across restarts.
  campaignd serve --data-dir ./sandbox-data --sync full
      Every acknowledged write survives a power loss too, not only a crash
      of the process (an fsync per group commit).
  campaignd serve --bind 0.0.0.0 --admin-token change-me-0123456789
      In a container: every API on all interfaces, and the sandbox API
      answers only callers that send Authorization: Bearer
      change-me-0123456789 (vendor faces keep their own keys).";

#[derive(Subcommand)]
enum Command {
    /// Serve the sandbox API on PORT and each vendor face on the ports after it.
    #[command(after_long_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// World files: export a running sandbox's world, or print the format's schema.
    World {
        #[command(subcommand)]
        command: WorldCommand,
    },
}

/// Options of `campaignd serve`.
#[derive(clap::Args)]
struct ServeArgs {
    /// Port of the sandbox control API; Alta is PORT+1 (later faces follow).
    /// 0 gives every API a free port of its own (the table shows which).
    #[arg(long, short, default_value_t = 7070, env = "CAMPAIGND_PORT")]
    port: u16,
    /// Directory of the SQLite database (default: the per-user data directory).
    #[arg(long, env = "CAMPAIGND_DATA_DIR", conflicts_with = "memory")]
    data_dir: Option<PathBuf>,
    /// Keep nothing: the state lives in a scratch database under the
    /// temporary directory (TMPDIR; /dev/shm keeps it in RAM), without
    /// fsync, removed when campaignd exits; nothing survives the process
    /// (for tests).
    #[arg(long)]
    memory: bool,
    /// What an acknowledged write survives: `process` (a crash or kill -9
    /// of campaignd) or `full` (a power loss too: an fsync per group
    /// commit, at the disk's fsync cost).
    #[arg(long, value_enum, default_value_t = SyncArg::Process, conflicts_with = "memory")]
    sync: SyncArg,
    /// Real time, or a virtual clock moved through the sandbox API.
    #[arg(long, value_enum, default_value_t = ClockArg::Real)]
    clock: ClockArg,
    /// Load the demo world so every vendor page's samples work as written.
    #[arg(long)]
    demo: bool,
    /// Load this world file (YAML, or JSON when it ends in .json) after
    /// the demo world, if any. A mistake is refused at start with its
    /// line and field, and nothing is loaded.
    #[arg(long, value_name = "FILE", env = "CAMPAIGND_WORLD")]
    world: Option<PathBuf>,
    /// Address to listen on. Anything but loopback needs --admin-token:
    /// the sandbox API can reset everything and mint keys.
    #[arg(long, default_value_t = Ipv4Addr::LOCALHOST)]
    bind: Ipv4Addr,
    /// Require `Authorization: Bearer TOKEN` on every sandbox API call
    /// (at least 16 characters); vendor faces keep their own keys.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "CAMPAIGND_ADMIN_TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Keep no request log (for the benchmark that measures its cost).
    #[arg(long, hide = true)]
    no_request_log: bool,
    /// Also list each face's internal dropshot address (behind its front
    /// layer), for the benchmark that measures the front's cost.
    #[arg(long, hide = true)]
    show_internal: bool,
    /// Once every API listens, write the port table (JSON: each API's
    /// name, base URL, origin and document URL) to FILE, replacing it
    /// whole, so scripts and tests need not parse the banner.
    #[arg(long, value_name = "FILE")]
    ports_file: Option<PathBuf>,
    /// Log level; logs are JSON lines on stderr.
    #[arg(long, value_enum, default_value_t = LogLevel::Warn, env = "CAMPAIGND_LOG")]
    log: LogLevel,
}

/// The examples of `campaignd world --help`: each one runs in
/// `server/tests/help_examples.rs`.
const WORLD_EXAMPLES: &str = "\
Examples:
  campaignd world export --url http://127.0.0.1:7070 > world.yaml
      The running sandbox's world as YAML; `campaignd serve --world
      world.yaml` sets it up again.
  campaignd world schema > world.schema.json
      The JSON Schema of world files, for editors to complete them.";

#[derive(Subcommand)]
#[command(after_long_help = WORLD_EXAMPLES)]
enum WorldCommand {
    /// Print a running sandbox's world (GET /world) as YAML or JSON.
    #[command(after_long_help = WORLD_EXAMPLES)]
    Export {
        /// The sandbox API's base URL.
        #[arg(long, default_value = "http://127.0.0.1:7070")]
        url: String,
        /// Print JSON instead of YAML.
        #[arg(long)]
        json: bool,
        /// The sandbox's admin token, if it has one.
        #[arg(
            long,
            value_name = "TOKEN",
            env = "CAMPAIGND_ADMIN_TOKEN",
            hide_env_values = true
        )]
        admin_token: Option<String>,
    },
    /// Print the JSON Schema of world files.
    #[command(after_long_help = WORLD_EXAMPLES)]
    Schema,
}

/// `campaignd world ...`.
async fn world_command(command: WorldCommand) -> anyhow::Result<()> {
    let text = match command {
        WorldCommand::Schema => campaignd::world::schema(),
        WorldCommand::Export {
            url,
            json,
            admin_token,
        } => {
            let url = format!("{}/world", url.trim_end_matches('/'));
            let mut request = reqwest::Client::new().get(&url);
            if let Some(token) = admin_token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .with_context(|| format!("asking {url}"))?;
            let status = response.status();
            let body = response.text().await?;
            anyhow::ensure!(status.is_success(), "{url} answered {status}: {body}");
            let world: campaign_api::sandbox::World = serde_json::from_str(&body)
                .with_context(|| format!("{url} answered something that is not a world"))?;
            campaignd::world::to_text(&world, json)
        }
    };
    let mut stdout = std::io::stdout();
    stdout.write_all(text.as_bytes())?;
    Ok(stdout.flush()?)
}

/// SQLite allocates through the C library's malloc, not Rust's allocator.
/// glibc returns the top of a thread's arena to the kernel whenever a
/// free leaves it large enough (`madvise`), and the writer thread's next
/// transaction faults those pages back in: a tenth of the CPU of a durable
/// write under load, measured (BENCHMARKS.md). Keeping up to 256 MiB of
/// freed memory, with 16 MiB of headroom per growth, stops that churn.
#[allow(unsafe_code)]
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's tuning parameters; it is
    // called before the server starts serving.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TOP_PAD, 16 << 20);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    keep_freed_memory();
    match Cli::parse().command {
        Command::World { command } => world_command(command).await,
        Command::Serve(args) => serve(args).await,
    }
}

/// `campaignd serve ...`.
async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let ServeArgs {
        port,
        data_dir,
        memory,
        sync,
        clock,
        demo,
        world,
        no_request_log,
        bind,
        show_internal,
        ports_file,
        log,
        admin_token,
    } = args;
    let level = match log {
        LogLevel::Error => slog::Level::Error,
        LogLevel::Warn => slog::Level::Warning,
        LogLevel::Info => slog::Level::Info,
        LogLevel::Debug => slog::Level::Debug,
    };
    // JSON lines on stderr. The level filter comes before the asynchronous
    // drain so that filtered records never cross its channel (dropshot's
    // own logger filters after it, which costs a channel hop per request).
    let json = slog_json::Json::default(std::io::stderr()).fuse();
    let drain = slog_async::Async::new(json).chan_size(4096).build().fuse();
    let log = slog::Logger::root(
        slog::LevelFilter::new(drain, level).fuse(),
        slog::o!("name" => "campaignd"),
    );
    anyhow::ensure!(
        port <= u16::MAX - 5,
        "--port must leave room for the five ports after it"
    );
    let storage = if memory {
        Storage::Memory
    } else {
        let dir = match data_dir {
            Some(dir) => dir,
            None => dirs::data_dir()
                .context("no per-user data directory on this platform: pass --data-dir")?
                .join("campaignd"),
        };
        Storage::Dir(dir)
    };
    let where_data = match &storage {
        Storage::Memory => {
            "memory (nothing is kept: a scratch database in the temporary directory)".to_string()
        }
        Storage::Dir(dir) if sync == SyncArg::Full => {
            format!("{}, fsync per commit", dir.display())
        }
        Storage::Dir(dir) => dir.display().to_string(),
    };
    let options = app::Options {
        port,
        bind,
        storage,
        sync: match sync {
            SyncArg::Process => app::SyncMode::Process,
            SyncArg::Full => app::SyncMode::PowerLoss,
        },
        virtual_clock: clock == ClockArg::Virtual,
        demo,
        world: match &world {
            Some(path) => Some((path.display().to_string(), campaignd::world::read(path)?)),
            None => None,
        },
        log_requests: !no_request_log,
        admin_token: admin_token.clone(),
    };
    let running = app::start(options, log).await?;
    // A closed stdout must not stop the server: write the banner once and
    // ignore failures instead of letting println! panic.
    let mut banner = format!(
        "campaignd is serving (data: {where_data}; clock: {}{})\n\n",
        if clock == ClockArg::Virtual {
            "virtual"
        } else {
            "real"
        },
        match (demo, &world) {
            (true, Some(path)) => format!("; demo world and {} loaded", path.display()),
            (false, Some(path)) => format!("; {} loaded", path.display()),
            (true, None) => "; demo world loaded".into(),
            (false, None) => String::new(),
        }
    );
    if admin_token.is_some() {
        banner.push_str(
            "The sandbox API requires `Authorization: Bearer <admin token>` (--admin-token).\n\n",
        );
    }
    let ports = running.ports(show_internal);
    banner.push_str(&format!("  {:<10} {:<48} document\n", "API", "base URL"));
    for api in &ports.apis {
        banner.push_str(&format!(
            "  {:<10} {:<48} {}\n",
            api.name, api.base_url, api.document
        ));
    }
    for api in &ports.apis {
        if let Some(internal) = &api.internal {
            banner.push_str(&format!("  internal {} {internal}\n", api.name));
        }
    }
    banner.push('\n');
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    if let Some(file) = ports_file {
        write_whole(&file, &(serde_json::to_string_pretty(&ports)? + "\n"))
            .with_context(|| format!("writing the port table to {}", file.display()))?;
    }
    tokio::select! {
        result = running.wait_ref() => result,
        () = shutdown_signal() => {
            running.close().await;
            Ok(())
        }
    }
}

/// Writes `text` to `file` through a sibling temporary file and a rename,
/// so a reader never sees half a table.
fn write_whole(file: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut partial = file.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, file)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
