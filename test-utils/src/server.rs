//! A campaignd to test against, in process or as a child process, and the
//! seeding calls every test needs.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::PortTable;
use crate::http::{Answer, Client};

/// How long a child process may take to list its ports.
const START_LIMIT: Duration = Duration::from_secs(60);

/// A running campaignd and where its APIs answer.
pub struct TestServer {
    ports: PortTable,
    http: Client,
    inner: Inner,
}

enum Inner {
    #[cfg(feature = "in-process")]
    InProcess(campaignd::app::Running),
    Child(ChildServer),
}

/// A campaignd child process and its scratch directory (port table,
/// stdout, stderr).
struct ChildServer {
    child: Child,
    scratch: PathBuf,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl TestServer {
    /// Every API in this process on free loopback ports: memory store,
    /// virtual clock, nothing logged; with `demo`, the demo world loaded.
    #[cfg(feature = "in-process")]
    pub async fn in_process(demo: bool) -> anyhow::Result<Self> {
        let running = campaignd::app::start_in_memory(demo)
            .await
            .context("starting campaignd")?;
        Ok(Self {
            ports: running.ports(false),
            http: Client::default(),
            inner: Inner::InProcess(running),
        })
    }

    /// Runs `binary` with `args` (a `serve` command line) plus
    /// `--ports-file`, and waits until the server has written its port
    /// table. A server that exits first is an error quoting its stderr.
    pub fn spawn<I, S>(binary: &Path, args: I) -> anyhow::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        static STARTED: AtomicU32 = AtomicU32::new(0);
        let scratch = std::env::temp_dir().join(format!(
            "campaignd-test-server-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("creating {}", scratch.display()))?;
        let ports_file = scratch.join("ports.json");
        let child = Command::new(binary)
            .args(args)
            .arg("--ports-file")
            .arg(&ports_file)
            .stdout(std::fs::File::create(scratch.join("stdout"))?)
            .stderr(std::fs::File::create(scratch.join("stderr"))?)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = ChildServer { child, scratch };
        let started = Instant::now();
        let ports = loop {
            if let Ok(text) = std::fs::read_to_string(&ports_file) {
                break serde_json::from_str::<PortTable>(&text)
                    .with_context(|| format!("reading the port table {text:?}"))?;
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "campaignd exited ({status}) before listing its ports; its stderr:\n{}",
                    server.read("stderr")
                );
            }
            if started.elapsed() > START_LIMIT {
                bail!("campaignd did not list its ports within {START_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Ok(Self {
            ports,
            http: Client::default(),
            inner: Inner::Child(server),
        })
    }

    /// Which API answers where.
    pub fn ports(&self) -> &PortTable {
        &self.ports
    }

    /// The base URL of the API `name` (with its vendor's path prefix).
    pub fn url(&self, name: &str) -> &str {
        &self.ports.api(name).base_url
    }

    /// The origin (`http://host:port`) of the API `name`.
    pub fn origin(&self, name: &str) -> &str {
        &self.ports.api(name).origin
    }

    /// The HTTP client the helpers below use.
    pub fn http(&self) -> &Client {
        &self.http
    }

    /// What a child process printed on stdout so far (its banner); empty
    /// for a server in this process.
    pub fn stdout(&self) -> String {
        match &self.inner {
            Inner::Child(server) => server.read("stdout"),
            #[cfg(feature = "in-process")]
            Inner::InProcess(_) => String::new(),
        }
    }

    /// A sandbox API call that must succeed (any 2xx); its JSON body
    /// (`null` when it has none). A `null` `body` sends none. Panics with
    /// the answer otherwise.
    pub async fn sandbox(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.url("sandbox"));
        self.http
            .json(method, &url, (!body.is_null()).then_some(&body))
            .await
            .unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// Creates workspace `id` speaking `dialect`, with `key` holding
    /// `scopes` (an empty list: every scope).
    pub async fn workspace(&self, id: &str, dialect: &str, key: &str, scopes: &[&str]) {
        self.sandbox("POST", "/workspaces", json!({"id": id, "dialect": dialect}))
            .await;
        self.sandbox(
            "POST",
            &format!("/workspaces/{id}/keys"),
            json!({"key": key, "scopes": scopes}),
        )
        .await;
    }

    /// Moves the virtual clock by `seconds`.
    pub async fn advance(&self, seconds: u64) {
        self.sandbox("POST", "/clock/advance", json!({"seconds": seconds}))
            .await;
    }

    /// A raw request to the API `name`; `path` is as its vendor documents
    /// it, prefix included.
    pub async fn call(
        &self,
        name: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Answer {
        let url = format!("{}{path}", self.origin(name));
        self.http
            .call(method, &url, headers, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e:#}"))
    }

    /// The process id of a child process; `None` for a server in this
    /// process.
    pub fn pid(&self) -> Option<u32> {
        match &self.inner {
            Inner::Child(server) => Some(server.child.id()),
            #[cfg(feature = "in-process")]
            Inner::InProcess(_) => None,
        }
    }

    /// SIGTERM, the graceful stop; how the process exited.
    pub fn terminate(mut self) -> anyhow::Result<ExitStatus> {
        let server = self.child()?;
        let pid = server.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status()?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        Ok(server.child.wait()?)
    }

    /// SIGKILL: no shutdown code of the server runs.
    pub fn kill_9(mut self) -> anyhow::Result<()> {
        let server = self.child()?;
        server.child.kill()?;
        server.child.wait()?;
        Ok(())
    }

    /// Stops a server in this process (a child process is killed).
    pub async fn close(self) {
        match self.inner {
            #[cfg(feature = "in-process")]
            Inner::InProcess(running) => running.close().await,
            Inner::Child(server) => drop(server),
        }
    }

    fn child(&mut self) -> anyhow::Result<&mut ChildServer> {
        match &mut self.inner {
            Inner::Child(server) => Ok(server),
            #[cfg(feature = "in-process")]
            Inner::InProcess(_) => bail!("the server runs in this process, not as a child"),
        }
    }
}

impl ChildServer {
    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.scratch.join(file)).unwrap_or_default()
    }
}
