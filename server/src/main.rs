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
    Serve {
        /// Port of the sandbox control API; Alta is PORT+1 (later faces follow).
        /// 0 gives every API a free port of its own (the table shows which).
        #[arg(long, short, default_value_t = 7070, env = "CAMPAIGND_PORT")]
        port: u16,
        /// Directory of the SQLite database (default: the per-user data directory).
        #[arg(long, env = "CAMPAIGND_DATA_DIR", conflicts_with = "memory")]
        data_dir: Option<PathBuf>,
        /// Keep everything in memory: nothing survives the process (for tests).
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
    },
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
    let Command::Serve {
        port,
        data_dir,
        memory,
        sync,
        clock,
        demo,
        bind,
        show_internal,
        ports_file,
        log,
        admin_token,
    } = Cli::parse().command;
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
        Storage::Memory => "memory (nothing is kept)".to_string(),
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
        if demo { "; demo world loaded" } else { "" }
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
