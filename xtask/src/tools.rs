//! `cargo xtask tools`: the ecosystem's tools the project checks its
//! documents with, pinned, installed into `target/tools/` (npm packages
//! under `target/tools/npm`, PyPI packages in the virtual environment
//! `target/tools/venv`). Installing is idempotent: a stamp file records
//! what was installed, and nothing is fetched while it matches.
//!
//! Node.js with npm, Python 3 with venv, and a Java runtime (Specmatic) must
//! be on the machine; as root on Debian, missing ones are installed with
//! apt-get, otherwise the error says exactly what to install.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

/// npm packages, pinned.
pub const NPM_TOOLS: &[&str] = &[
    "@redocly/cli@2.77.0",
    "@stoplight/prism-cli@5.16.0",
    "specmatic@2.55.1",
    // The HTTP bench's stateful peer: its package carries the standalone jar.
    "wiremock@3.13.2",
    // Drives Debian's Chromium in the browser test (it downloads no browser).
    "playwright-core@1.65.1",
];

/// PyPI packages, pinned (requests runs the vendors' Python samples).
pub const PYPI_TOOLS: &[&str] = &[
    "schemathesis==4.32.5",
    "openapi-python-client==0.29.1",
    "requests==2.34.2",
];

/// Where the tools are.
#[derive(Debug, Clone)]
pub struct Tools {
    dir: PathBuf,
}

impl Tools {
    /// The installed tools (installing them first when needed).
    pub fn ensure() -> anyhow::Result<Self> {
        let tools = Self {
            dir: target_dir(&crate::project_root()).join("tools"),
        };
        tools.install()?;
        Ok(tools)
    }

    /// `target/tools`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An executable of an npm package (`redocly`, `prism`).
    pub fn npm_bin(&self, name: &str) -> PathBuf {
        self.dir.join("npm/node_modules/.bin").join(name)
    }

    /// Specmatic's jar (run with `java -jar`: the npm wrapper loses the exit
    /// code).
    pub fn specmatic_jar(&self) -> PathBuf {
        self.dir.join("npm/node_modules/specmatic/specmatic.jar")
    }

    /// An executable of the virtual environment (`python`, `st`,
    /// `openapi-python-client`).
    pub fn venv_bin(&self, name: &str) -> PathBuf {
        self.dir.join("venv/bin").join(name)
    }

    /// Environment every tool runs with: no telemetry, no update checks.
    pub fn quiet_env(command: &mut Command) -> &mut Command {
        command
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .env("SPECMATIC_DISABLE_TELEMETRY", "true")
            .env("SCARF_ANALYTICS", "false")
            .env("NO_UPDATE_NOTIFIER", "1")
    }

    fn install(&self) -> anyhow::Result<()> {
        let stamp = self.dir.join("installed.txt");
        let wanted = format!("{}\n{}\n", NPM_TOOLS.join("\n"), PYPI_TOOLS.join("\n"));
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            return Ok(());
        }
        require("node", "nodejs")?;
        require("npm", "npm")?;
        require("java", "default-jre-headless")?;
        std::fs::create_dir_all(self.dir.join("npm"))?;
        eprintln!(
            "==> installing {} into {}",
            NPM_TOOLS.join(" "),
            self.dir.join("npm").display()
        );
        let npm = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--ignore-scripts",
                "--prefix",
            ])
            .arg(self.dir.join("npm"))
            .args(NPM_TOOLS)
            .env("SCARF_ANALYTICS", "false")
            .status()
            .context("running npm")?;
        if !npm.success() {
            bail!("npm install of {} failed", NPM_TOOLS.join(" "));
        }
        let venv = self.dir.join("venv");
        if !self.venv_bin("python").exists() {
            let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
            let created = Command::new(&python)
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .with_context(|| format!("running {python}"))?;
            if !created.success() {
                bail!(
                    "creating a virtual environment with `{python} -m venv` failed (Debian: apt-get install python3-venv)"
                );
            }
        }
        eprintln!(
            "==> installing {} into {}",
            PYPI_TOOLS.join(" "),
            venv.display()
        );
        let pip = Command::new(self.venv_bin("pip"))
            .args(["install", "-q"])
            .args(PYPI_TOOLS)
            .status()
            .context("running pip")?;
        if !pip.success() {
            bail!("pip install of {} failed", PYPI_TOOLS.join(" "));
        }
        std::fs::write(&stamp, wanted)?;
        Ok(())
    }
}

/// Makes sure `program` runs; as root with apt-get, installs the Debian
/// package that has it.
pub fn require(program: &str, debian_package: &str) -> anyhow::Result<()> {
    let runs = |p: &str| {
        Command::new(p)
            .arg(if p == "java" { "-version" } else { "--version" })
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if runs(program) {
        return Ok(());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root && Path::new("/usr/bin/apt-get").exists() {
        eprintln!("==> {program} is missing: apt-get install {debian_package}");
        let updated = Command::new("apt-get").arg("update").status()?;
        let installed = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", debian_package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()?;
        if updated.success() && installed.success() && runs(program) {
            return Ok(());
        }
    }
    bail!(
        "`{program}` is needed by the project's checks and is not installed: install it (Debian: apt-get install {debian_package}) and run again"
    )
}

pub use campaign_test_utils::target_dir;

/// `cargo xtask tools`: installs and lists the tools.
pub fn run() -> anyhow::Result<ExitCode> {
    let tools = Tools::ensure()?;
    println!("npm tools ({}):", NPM_TOOLS.join(", "));
    for name in ["redocly", "prism"] {
        println!("  {}", tools.npm_bin(name).display());
    }
    println!("  java -jar {}", tools.specmatic_jar().display());
    println!("PyPI tools ({}):", PYPI_TOOLS.join(", "));
    for name in ["st", "openapi-python-client"] {
        println!("  {}", tools.venv_bin(name).display());
    }
    Ok(ExitCode::SUCCESS)
}
