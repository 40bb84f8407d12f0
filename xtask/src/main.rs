//! Project automation. `cargo xtask --help` lists the tasks.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod browser;
mod ci;
mod conformance;
mod contract;
mod openapi;
mod samples;
mod soak;
mod specmatic;
mod tools;
mod world_proxy;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Project automation for the campaign sandbox"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Manage the OpenAPI documents: `generate` rewrites openapi/*.json from
    /// the API traits, `check` fails on a stale document and shows the diff.
    #[command(disable_help_flag = true)]
    Openapi {
        /// Arguments for dropshot-api-manager (generate, check, list, --help).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Replay every documented vendor example, print the matrix, write
    /// target/conformance/report.md and junit.xml, and run schemathesis.
    Conformance(conformance::Args),
    /// Run the ecosystem's contract tools on the documents: Redocly lint,
    /// Prism mocking every documented status, a generated Python client,
    /// Specmatic replaying every example against the sandbox.
    Contract(contract::Args),
    /// Install the pinned tools (npm, PyPI) into target/tools and list them.
    Tools,
    /// Drive the inspector (/ui) and the reference pages (/docs) in headless
    /// Chromium; screenshots in target/browser.
    Browser,
    /// Run the benchmarks: engine (cargo bench) and HTTP throughput (wrk).
    Bench(bench::Args),
    /// A bounded fault soak: clients on every face, the clock advancing, a
    /// failing webhook receiver, and kill -9 at random moments; checks
    /// every invariant at the end and writes target/reliability/soak.md.
    Soak(soak::Args),
    /// Run everything CI runs: fmt --check, clippy -D warnings, openapi
    /// check, the whole test suite, conformance, the contract tools, the
    /// browser test and a two-minute fault soak.
    Ci,
}

/// The workspace root (xtask lives one level below it).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// The cargo that runs this task (`$CARGO`), for the cargo commands a task
/// runs.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().task {
        Task::Openapi { args } => openapi::run(args),
        Task::Conformance(args) => conformance::run(args),
        Task::Bench(args) => bench::run(args),
        Task::Contract(args) => contract::run(args),
        Task::Tools => tools::run(),
        Task::Browser => browser::run(),
        Task::Soak(args) => soak::run(args),
        Task::Ci => ci::run(),
    }
}
