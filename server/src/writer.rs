//! The writer: one thread that runs the vendor faces' engine commands,
//! as many as are waiting, in one group commit ([`Engine::hold`]), and
//! acknowledges each only after that commit. Requests wait for it
//! asynchronously (a oneshot channel), so no async worker thread ever
//! blocks on the store, and a burst of N requests pays for one commit.
//!
//! [`Engine::hold`]: campaign_engine::Engine::hold

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Weak};

use crate::app::App;

/// What a request's command leaves to do once its batch is settled: its
/// argument says whether the batch committed.
pub type Finish = Box<dyn FnOnce(bool) + Send>;

/// A request's command: runs on the writer thread.
pub type Job = Box<dyn FnOnce(&App) -> Finish + Send>;

/// The most commands one batch takes before it commits.
const MAX_BATCH: usize = 256;

/// The queue to the writer thread.
pub struct Writer {
    jobs: Sender<Job>,
}

impl Writer {
    /// A writer and the receiving end its thread takes ([`start`]).
    pub fn new() -> (Self, Receiver<Job>) {
        let (jobs, receiver) = std::sync::mpsc::channel();
        (Self { jobs }, receiver)
    }

    /// Runs `command` on the writer thread; resolves to its result once
    /// the batch holding its changes is committed, or to `None` when that
    /// batch was lost (or the command panicked): then nothing it changed
    /// was kept.
    pub async fn run<T: Send + 'static>(
        &self,
        command: impl FnOnce(&App) -> T + Send + 'static,
    ) -> Option<T> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |app| {
            let result = command(app);
            Box::new(move |committed| {
                let _ = answer.send(committed.then_some(result));
            })
        });
        if self.jobs.send(job).is_err() {
            return None;
        }
        answered.await.ok().flatten()
    }
}

/// Starts the writer thread for `app`; it stops once the app is gone.
pub fn start(app: &Arc<App>, jobs: Receiver<Job>) -> std::io::Result<()> {
    let app = Arc::downgrade(app);
    std::thread::Builder::new()
        .name("writer".into())
        .spawn(move || run(app, jobs))?;
    Ok(())
}

fn run(app: Weak<App>, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let Some(app) = app.upgrade() else { break };
        let (finishes, committed) = app.engine.hold(|| {
            let mut finishes = Vec::new();
            let mut next = Some(first);
            while let Some(job) = next.take() {
                // A command that panics answers as failed (its oneshot is
                // dropped); the others in the batch go on.
                if let Ok(finish) =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&app)))
                {
                    finishes.push(finish);
                }
                if finishes.len() < MAX_BATCH {
                    next = jobs.try_recv().ok();
                }
            }
            finishes
        });
        for finish in finishes {
            finish(committed);
        }
    }
}
