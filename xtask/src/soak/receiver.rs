//! The soak's webhook receiver: a real HTTP server on loopback that fails
//! on purpose. Each request draws its fate: 30% of them fail (22% a 503,
//! 1% a hang past the sandbox's 10 s attempt timeout, 7% a dropped
//! connection), 5% answer 2xx slowly (0.1 to 1 s), the rest at once. A delivery that has been failed
//! three times is answered 2xx on its next attempt, so every delivery has a
//! receiver that eventually accepts it. Every request is recorded by its
//! delivery id (the vendor's `X-...-Delivery-ID` header).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Failed answers a delivery gets at most before one is accepted.
const MAX_FAILURES: u32 = 3;
/// Longer than the sandbox gives a receiver (10 s).
const HANG: Duration = Duration::from_secs(11);

/// What the receiver saw of one delivery id.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The first body; every retry must repeat it.
    pub body: String,
    /// Requests with a different body than the first.
    pub changed_bodies: u32,
    pub requests: u32,
    pub failures: u32,
    /// Whether a 2xx was answered (completely written to the socket or
    /// not: a kill of the server mid-answer makes it deliver again).
    pub accepted: bool,
}

/// Counters of what the receiver did.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub requests: u64,
    pub failed_503: u64,
    pub hung: u64,
    pub dropped: u64,
    pub slow: u64,
    /// Requests without a delivery id header: a violation.
    pub without_id: u64,
}

#[derive(Default)]
struct State {
    seen: HashMap<String, Seen>,
    tally: Tally,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
}

enum Fate {
    Accept,
    Slow(Duration),
    Fail503,
    Hang,
    Drop,
}

impl Receiver {
    /// Starts the receiver on a free loopback port.
    pub async fn start(seed: u64) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address: SocketAddr = listener.local_addr()?;
        let receiver = Self {
            url: format!("http://{address}/hooks"),
            state: Arc::default(),
        };
        let rng = Arc::new(Mutex::new(StdRng::seed_from_u64(seed)));
        let served = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (served, rng) = (served.clone(), Arc::clone(&rng));
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let (served, rng) = (served.clone(), Arc::clone(&rng));
                        async move { served.answer(request, &rng).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(receiver)
    }

    /// Every delivery id seen, and the counters.
    pub fn report(&self) -> (HashMap<String, Seen>, Tally) {
        let state = self.state.lock().expect("receiver state");
        (state.seen.clone(), state.tally.clone())
    }

    async fn answer(
        &self,
        request: Request<hyper::body::Incoming>,
        rng: &Mutex<StdRng>,
    ) -> Result<Response<Full<Bytes>>, std::io::Error> {
        let id = request
            .headers()
            .iter()
            .find(|(name, _)| name.as_str().ends_with("-delivery-id"))
            .and_then(|(_, value)| value.to_str().ok())
            .map(str::to_string);
        let body = match request.into_body().collect().await {
            Ok(collected) => String::from_utf8_lossy(&collected.to_bytes()).into_owned(),
            Err(e) => return Err(std::io::Error::other(e)),
        };
        let fate = {
            let mut state = self.state.lock().expect("receiver state");
            state.tally.requests += 1;
            let Some(id) = id else {
                state.tally.without_id += 1;
                return Ok(status(400));
            };
            let draw: f64 = rng.lock().expect("receiver rng").random();
            let seen = state.seen.entry(id).or_default();
            if seen.requests == 0 {
                seen.body = body;
            } else if seen.body != body {
                seen.changed_bodies += 1;
            }
            seen.requests += 1;
            // Hangs hold one of the sandbox's 16 delivery slots for 10 s
            // each: 1% of requests keeps the drain at the end short.
            let fate = match draw {
                d if d < 0.22 && seen.failures < MAX_FAILURES => Fate::Fail503,
                d if d < 0.23 && seen.failures < MAX_FAILURES => Fate::Hang,
                d if d < 0.30 && seen.failures < MAX_FAILURES => Fate::Drop,
                d if d < 0.35 => {
                    Fate::Slow(Duration::from_millis(100 + (d * 100_000.0) as u64 % 900))
                }
                _ => Fate::Accept,
            };
            match fate {
                Fate::Fail503 | Fate::Hang | Fate::Drop => seen.failures += 1,
                Fate::Accept | Fate::Slow(_) => seen.accepted = true,
            }
            match fate {
                Fate::Fail503 => state.tally.failed_503 += 1,
                Fate::Hang => state.tally.hung += 1,
                Fate::Drop => state.tally.dropped += 1,
                Fate::Slow(_) => state.tally.slow += 1,
                Fate::Accept => {}
            }
            fate
        };
        match fate {
            Fate::Accept => Ok(status(200)),
            Fate::Slow(wait) => {
                tokio::time::sleep(wait).await;
                Ok(status(200))
            }
            Fate::Fail503 => Ok(status(503)),
            Fate::Hang => {
                tokio::time::sleep(HANG).await;
                Ok(status(504))
            }
            // An error from the service makes hyper close the connection
            // without an answer.
            Fate::Drop => Err(std::io::Error::other("dropped on purpose")),
        }
    }
}

fn status(code: u16) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or_default();
    response
}
