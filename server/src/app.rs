//! The running application: one engine shared by one dropshot server per
//! face, each on its own port and serving its own document.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;

use anyhow::Context as _;
use campaign_api::ports::{PortTable, ServedApi};
use campaign_api::sandbox::Dialect;
use dropshot::{ConfigDropshot, HttpError, HttpServer, RequestContext, ServerBuilder};

use campaign_engine::{Clock, Engine, VIRTUAL_EPOCH_MS, store};

use crate::faults::Faults;
use crate::ratelimit::RateLimiters;
use crate::registry::{FACES, Registry};

/// State shared by every face.
pub struct App {
    /// The campaign engine.
    pub engine: Engine,
    /// Per-workspace rate limiters.
    pub limits: RateLimiters,
    /// Armed faults.
    pub faults: Faults,
    /// Whether the demo world is loaded and its keys accepted.
    pub demo: bool,
    /// The world file given with `--world` (its name and contents):
    /// loaded at start and again by a reset.
    pub world: Option<(String, campaign_api::sandbox::World)>,
    /// Per-key request queues (Woodpecker's throttling).
    pub key_queues: crate::faces::KeyQueues,
    /// What the built-in webhook sinks received, by sink name.
    pub sinks: std::sync::Mutex<SinkLog>,
    /// The writer thread the vendor faces' commands run on.
    pub writer: crate::writer::Writer,
    /// The token the sandbox control API requires, if one was given.
    pub admin_token: Option<AdminToken>,
    /// What the vendor faces answered ([`crate::requestlog`]).
    pub requests: crate::requestlog::RequestLog,
    /// Whether the request log records (`--no-request-log` turns it off,
    /// for the benchmark that measures its cost).
    pub log_requests: bool,
    /// Which API answers where, once every server listens (the
    /// inspector links each face's reference).
    pub ports: std::sync::OnceLock<PortTable>,
}

/// Requests received by the built-in webhook sinks, by sink name.
pub type SinkLog = std::collections::HashMap<String, Vec<campaign_api::sandbox::SinkRequest>>;

impl App {
    /// Wipes the world; the demo world and the `--world` file load again.
    pub fn reset(&self) -> anyhow::Result<()> {
        self.engine.reset()?;
        self.limits.clear();
        self.faults.clear();
        self.sinks.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.requests.clear_all();
        load_worlds(&self.engine, &self.faults, self.demo, self.world.as_ref())
    }
}

/// Loads the demo world (when asked) and then the `--world` file.
fn load_worlds(
    engine: &Engine,
    faults: &Faults,
    demo: bool,
    world: Option<&(String, campaign_api::sandbox::World)>,
) -> anyhow::Result<()> {
    if demo {
        crate::world::load(
            engine,
            faults,
            crate::world::DEMO_NAME,
            &crate::world::demo(),
            true,
        )
        .context("loading the demo world")?;
    }
    if let Some((name, world)) = world {
        // The error names the file, the field and what was wrong.
        crate::world::load(engine, faults, name, world, false)?;
    }
    Ok(())
}

/// The dropshot context of one face's server.
pub struct FaceContext {
    /// The shared application.
    pub app: Arc<App>,
    /// Which face this server is (None: the sandbox control API).
    pub dialect: Option<Dialect>,
    /// This face's OpenAPI document, as checked in.
    pub document: &'static str,
}

/// Where data lives.
#[derive(Debug, Clone)]
pub enum Storage {
    /// SQLite in this directory.
    Dir(std::path::PathBuf),
    /// Nothing kept: a scratch SQLite file in the temporary directory,
    /// removed when the servers close (`--memory`, and tests).
    Memory,
}

pub use campaign_engine::store::SyncMode;

/// How to start the servers.
#[derive(Debug, Clone)]
pub struct Options {
    /// The sandbox API's port; faces use the following ports. 0 picks free
    /// ports for every server (tests).
    pub port: u16,
    /// Address to listen on.
    pub bind: Ipv4Addr,
    /// Where data lives.
    pub storage: Storage,
    /// What an acknowledged write survives (a data directory only).
    pub sync: SyncMode,
    /// Virtual clock instead of the wall clock.
    pub virtual_clock: bool,
    /// Load the demo world.
    pub demo: bool,
    /// Load this world file (its name and contents), after the demo world.
    pub world: Option<(String, campaign_api::sandbox::World)>,
    /// Record every vendor face's requests in the request log.
    pub log_requests: bool,
    /// The token the sandbox control API requires from every caller
    /// (`Authorization: Bearer`), if any. Required to listen on anything
    /// but loopback.
    pub admin_token: Option<String>,
}

/// The sandbox control API's admin token, kept as its SHA-256 digest: a
/// caller's token is compared digest to digest, so the comparison's time
/// says nothing about the token.
pub struct AdminToken([u8; 32]);

impl AdminToken {
    /// The shortest token accepted.
    pub const MIN_LEN: usize = 16;

    /// A token, if it is one: at least [`Self::MIN_LEN`] visible ASCII
    /// characters (it travels in a header).
    pub fn new(token: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            token.len() >= Self::MIN_LEN && token.bytes().all(|b| b.is_ascii_graphic()),
            "the admin token must be at least {} visible ASCII characters (no spaces)",
            Self::MIN_LEN
        );
        Ok(Self(Self::digest(token)))
    }

    /// Whether `given` is this token.
    pub fn matches(&self, given: &str) -> bool {
        Self::digest(given) == self.0
    }

    fn digest(token: &str) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::digest(token.as_bytes()).into()
    }
}

/// One face as served.
pub struct Face {
    /// Short name (`sandbox`, `alta`, ...).
    pub name: &'static str,
    /// Base URL with the vendor's path prefix.
    pub base_url: String,
    /// The public address (the front layer's).
    pub addr: SocketAddr,
    /// The face's dropshot server, on loopback, behind the front layer
    /// (what the benchmark measures the front's cost against).
    pub internal_addr: SocketAddr,
}

/// The running servers.
pub struct Running {
    /// The shared application.
    pub app: Arc<App>,
    /// The faces in port order (sandbox first).
    pub faces: Vec<Face>,
    servers: Vec<HttpServer<FaceContext>>,
    fronts: Vec<tokio::task::JoinHandle<()>>,
    ticker: Option<tokio::task::JoinHandle<()>>,
    /// The scratch directory of a store that keeps nothing: removed when
    /// this is dropped (last, after the servers).
    _scratch: Option<store::Scratch>,
}

impl Running {
    /// Which API answers where (what `campaignd serve --ports-file`
    /// writes); with `internal`, each face's dropshot address behind its
    /// front layer too.
    pub fn ports(&self, internal: bool) -> PortTable {
        PortTable {
            apis: self
                .faces
                .iter()
                .map(|face| ServedApi {
                    name: face.name.to_string(),
                    base_url: face.base_url.clone(),
                    origin: format!("http://{}", face.addr),
                    document: format!("http://{}/openapi.json", face.addr),
                    internal: internal.then(|| format!("http://{}", face.internal_addr)),
                })
                .collect(),
        }
    }

    /// Waits until any server stops (they do not stop on their own).
    pub async fn wait_ref(&self) -> anyhow::Result<()> {
        let waits = self
            .servers
            .iter()
            .map(|server| Box::pin(server.wait_for_shutdown()));
        let (result, _, _) = futures::future::select_all(waits).await;
        result.map_err(|e| anyhow::anyhow!("a server stopped: {e}"))
    }

    /// Stops every server.
    pub async fn close(self) {
        if let Some(ticker) = self.ticker {
            ticker.abort();
        }
        for front in self.fronts {
            front.abort();
        }
        for server in self.servers {
            let _ = server.close().await;
        }
    }
}

/// Serves a face's own OpenAPI document.
#[dropshot::endpoint { method = GET, path = "/openapi.json", unpublished = true }]
async fn openapi_document(
    rqctx: RequestContext<FaceContext>,
) -> Result<http::Response<dropshot::Body>, HttpError> {
    Ok(http::Response::builder()
        .status(http::StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(rqctx.context().document.into())?)
}

/// A no-op: answers 200 with no body and touches nothing. The reference
/// point of the HTTP benchmark, and a liveness probe.
#[dropshot::endpoint { method = GET, path = "/healthz", unpublished = true }]
async fn health(
    _rqctx: RequestContext<FaceContext>,
) -> Result<http::Response<dropshot::Body>, HttpError> {
    Ok(http::Response::builder()
        .status(http::StatusCode::OK)
        .body(dropshot::Body::empty())?)
}

/// Opens the store, builds the engine and starts every server.
pub async fn start(options: Options, log: slog::Logger) -> anyhow::Result<Running> {
    let admin_token = options
        .admin_token
        .as_deref()
        .map(AdminToken::new)
        .transpose()?;
    anyhow::ensure!(
        options.bind.is_loopback() || admin_token.is_some(),
        "refusing to listen on {}: the sandbox control API (reset, keys, faults) has no \
         authentication of its own and would be open to the network. Pass --admin-token TOKEN \
         (or set CAMPAIGND_ADMIN_TOKEN; at least {} characters) and send \
         `Authorization: Bearer TOKEN` to the sandbox API, or keep --bind 127.0.0.1",
        options.bind,
        AdminToken::MIN_LEN
    );
    let (conn, scratch) = match &options.storage {
        Storage::Dir(dir) => (
            store::open_with(store::Location::Dir(dir), options.sync)?,
            None,
        ),
        Storage::Memory => {
            let scratch = store::Scratch::new()?;
            (
                store::open(store::Location::Scratch(&scratch))?,
                Some(scratch),
            )
        }
    };
    let clock = if options.virtual_clock {
        Clock::virtual_at(VIRTUAL_EPOCH_MS)
    } else {
        Clock::real()
    };
    let engine =
        Engine::new(conn, clock.clone(), Arc::new(Registry)).context("starting the engine")?;
    let faults = Faults::default();
    load_worlds(&engine, &faults, options.demo, options.world.as_ref())?;
    let (writer, jobs) = crate::writer::Writer::new();
    let app = Arc::new(App {
        engine,
        limits: RateLimiters::new(clock.clone()),
        faults,
        demo: options.demo,
        world: options.world,
        requests: Default::default(),
        log_requests: options.log_requests,
        ports: Default::default(),
        key_queues: Default::default(),
        sinks: Default::default(),
        writer,
        admin_token,
    });
    crate::writer::start(&app, jobs).context("starting the writer thread")?;

    let mut faces = Vec::new();
    let mut servers = Vec::new();
    let mut fronts = Vec::new();
    for spec in &FACES {
        let port = if options.port == 0 {
            0
        } else {
            options.port + spec.info.port_offset
        };
        let public = SocketAddr::V4(SocketAddrV4::new(options.bind, port));
        let listener = std::net::TcpListener::bind(public)
            .with_context(|| format!("starting the {} server on {public}", spec.name()))?;
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        let mut api = (spec.api)().map_err(|e| anyhow::anyhow!("{e}"))?;
        api.register(openapi_document)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        api.register(health).map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::pages::register(&mut api, spec.dialect().is_none())?;
        let context = || FaceContext {
            app: Arc::clone(&app),
            dialect: spec.dialect(),
            document: spec.document,
        };
        let config = ConfigDropshot {
            bind_address: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
            default_request_body_max_bytes: crate::front::BODY_LIMIT,
            ..ConfigDropshot::default()
        };
        let server = ServerBuilder::new(api, context(), log.new(slog::o!("face" => spec.name())))
            .config(config)
            .start()
            .map_err(|e| anyhow::anyhow!("starting the {} server: {e}", spec.name()))?;
        let routes = crate::front::Routes::from_document(
            spec.document,
            spec.info.prefix,
            spec.dialect().is_none(),
        )
        .with_context(|| format!("reading the {} document's paths", spec.name()))?;
        let front = crate::front::Front::new(
            Arc::new(context()),
            routes,
            (spec.gate)(),
            server.local_addr(),
        );
        fronts.push(tokio::spawn(crate::front::serve(listener, Arc::new(front))));
        faces.push(Face {
            name: spec.name(),
            base_url: format!("http://{addr}{}", spec.info.prefix),
            addr,
            internal_addr: server.local_addr(),
        });
        servers.push(server);
    }

    let ticker = (!options.virtual_clock).then(|| {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                interval.tick().await;
                let app = Arc::clone(&app);
                let _ = tokio::task::spawn_blocking(move || app.engine.dispatch()).await;
            }
        })
    });
    tokio::spawn(crate::delivery::run_worker(Arc::clone(&app)));
    let running = Running {
        app,
        faces,
        servers,
        fronts,
        ticker,
        _scratch: scratch,
    };
    let _ = running.app.ports.set(running.ports(false));
    Ok(running)
}

/// Starts every face on free loopback ports with an in-memory store and a
/// virtual clock, logging nothing: what tests and the conformance suite use.
pub async fn start_in_memory(demo: bool) -> anyhow::Result<Running> {
    let options = Options {
        port: 0,
        bind: Ipv4Addr::LOCALHOST,
        storage: Storage::Memory,
        sync: SyncMode::default(),
        virtual_clock: true,
        demo,
        world: None,
        log_requests: true,
        admin_token: None,
    };
    start(options, slog::Logger::root(slog::Discard, slog::o!())).await
}
