//! The one way newsdesk runs Argon2: a bounded pool of password checks.
//!
//! Each Argon2id computation holds ~19 MiB for tens of milliseconds. Without a bound, a flood
//! of login attempts (no account needed) makes the blocking pool run hundreds at once and the
//! process grows by gigabytes. Here at most `concurrent` hashes run (one per core by default),
//! at most `queued` more wait for a slot, and anything beyond that is refused at once with
//! [`HasherError::Busy`] so the caller can answer 429/503 instead of piling up work.
//!
//! The work runs on `spawn_blocking`, inside the caller's tracing span, never on the async
//! executor; so does the first computation of the dummy hash that unknown users are checked
//! against.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument as _;

use crate::accounts::{self, HashError, Password};

#[derive(Debug, thiserror::Error)]
pub enum HasherError {
    /// Every slot is taken and the queue is full: try again shortly.
    #[error("too many password checks at once")]
    Busy,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("the password check did not finish: {0}")]
    Task(String),
}

/// A bounded Argon2 pool; clone the `Arc` to share it.
#[derive(Debug)]
pub struct PasswordHasher {
    slots: Arc<Semaphore>,
    concurrent: usize,
    queued: usize,
    /// Running plus waiting checks, to refuse beyond the queue without waiting.
    in_flight: AtomicUsize,
    /// How many Argon2 computations ran (for tests and `bench/abuse`).
    computed: AtomicU64,
    refused: AtomicU64,
    /// Computations running right now, and the most ever seen at once.
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

/// Gives the in-flight place back however the check ends (also when its future is dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::for_this_machine()
    }
}

impl PasswordHasher {
    /// `concurrent` hashes at once (at least 1), `queued` more may wait.
    pub fn new(concurrent: usize, queued: usize) -> Self {
        let concurrent = concurrent.max(1);
        PasswordHasher {
            slots: Arc::new(Semaphore::new(concurrent)),
            concurrent,
            queued,
            in_flight: AtomicUsize::new(0),
            computed: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// One hash per core, and a short queue (four per core): enough to absorb a burst of real
    /// sign-ins, small enough that a flood is refused within milliseconds.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cores, cores * 4)
    }

    pub fn concurrent(&self) -> usize {
        self.concurrent
    }

    /// How many Argon2 computations have run so far.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    /// The most Argon2 computations that ever ran at the same time.
    pub fn peak_concurrent(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// How many checks were refused because the queue was full.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HasherError> {
        let limit = self.concurrent + self.queued;
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let _place = InFlight(&self.in_flight);
        if before >= limit {
            self.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(limit, "password check refused: the hashing queue is full");
            return Err(HasherError::Busy);
        }
        let permit: OwnedSemaphorePermit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| HasherError::Task(e.to_string()))?;
        self.computed.fetch_add(1, Ordering::Relaxed);
        let span = tracing::Span::current();
        let (running, peak) = (self.running.clone(), self.peak.clone());
        tokio::task::spawn_blocking(move || {
            let _enter = span.enter();
            let now = running.fetch_add(1, Ordering::AcqRel) + 1;
            peak.fetch_max(now, Ordering::AcqRel);
            let out = work();
            running.fetch_sub(1, Ordering::AcqRel);
            drop(permit);
            out
        })
        .instrument(tracing::Span::current())
        .await
        .map_err(|e| HasherError::Task(e.to_string()))
    }

    /// An Argon2id PHC string for `password`.
    pub async fn hash(&self, password: Password) -> Result<String, HasherError> {
        Ok(self
            .run(move || accounts::hash_password(&password))
            .await??)
    }

    /// Whether `password` matches `phc`.
    pub async fn verify(&self, phc: String, password: String) -> Result<bool, HasherError> {
        self.run(move || accounts::verify_password(&phc, &password))
            .await
    }

    /// Checks `password` against `phc`, or against the dummy hash when there is no account,
    /// so both failures cost the same (no user enumeration).
    pub async fn verify_or_dummy(
        &self,
        phc: Option<String>,
        password: String,
    ) -> Result<bool, HasherError> {
        let real = phc.is_some();
        let phc = match phc {
            Some(p) => p,
            None => self.dummy_hash().await?,
        };
        let ok = self.verify(phc, password).await?;
        Ok(ok && real)
    }

    /// The dummy hash, computed once on a blocking thread (not on the executor, as a first
    /// `OnceLock` initialisation inside an async handler would).
    pub async fn dummy_hash(&self) -> Result<String, HasherError> {
        static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        DUMMY
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(|| accounts::dummy_password_hash().to_owned())
                    .await
                    .map_err(|e| HasherError::Task(e.to_string()))
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_flood_of_checks_runs_at_most_the_bound_and_refuses_the_rest() {
        let h = Arc::new(PasswordHasher::new(2, 3));
        let phc = accounts::dummy_password_hash().to_owned();
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let h = h.clone();
            let phc = phc.clone();
            tasks.push(tokio::spawn(async move {
                h.verify(phc, "a wrong password".into()).await
            }));
        }
        let mut ok = 0;
        let mut busy = 0;
        for t in tasks {
            match t.await.expect("join") {
                Ok(false) => ok += 1,
                Err(HasherError::Busy) => busy += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(ok >= 5, "at least the slots and the queue are served: {ok}");
        assert!(busy > 0, "the rest is refused, not queued without end");
        assert_eq!(h.computed(), ok as u64);
        assert_eq!(h.refused(), busy as u64);
        assert_eq!(h.in_flight.load(Ordering::Acquire), 0);
        assert!(h.peak_concurrent() <= 2, "{}", h.peak_concurrent());
    }

    #[tokio::test]
    async fn an_unknown_account_never_matches_even_the_dummy_password() {
        let h = PasswordHasher::new(1, 1);
        let ok = h
            .verify_or_dummy(None, "not the password of anyone".into())
            .await
            .expect("check");
        assert!(!ok);
        let real = h
            .hash(Password::parse("correct horse battery").expect("pw"))
            .await
            .expect("hash");
        assert!(
            h.verify_or_dummy(Some(real), "correct horse battery".into())
                .await
                .expect("check")
        );
    }
}
