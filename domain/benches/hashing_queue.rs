//! The password-hashing queue under a flood, while another person signs in again and again:
//! prints that person's verification latency (p50/p99) and how often they were told "busy".
//!
//! Two floods of 200 parallel wrong passwords:
//! - from one signed-in person (200 "change password" requests at once): the app lets one check
//!   per person run at a time (`AccountsContext::one_check_for`, 429 for the rest), so the
//!   hasher sees one verification after another from them;
//! - from 200 different accounts at once: the queue bound answers "busy" (503, Retry-After)
//!   beyond 16 waiting per permit or 2 s of waiting, instead of letting the line grow.
//!
//! Run with `cargo bench -p portico-domain --bench hashing_queue` (release profile);
//! `SECONDS=n` sets the length of each flood (default 8).

// Benchmarks state what they expect with expect/panic, like tests (see [workspace.lints]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use portico_domain::{accounts::password::PasswordHasher, DomainError};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs `flooders` tasks that verify wrong passwords without pause for `seconds`, while the
/// other person signs in every 20 ms; returns (their latencies, their "busy" answers, flood
/// verifications done, flood "busy" answers).
async fn flood(
    hasher: &PasswordHasher,
    hash: &str,
    flooders: usize,
    seconds: u64,
) -> (Vec<Duration>, usize, usize, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..flooders {
        let (hasher, hash, stop) = (hasher.clone(), hash.to_owned(), stop.clone());
        let (done, busy) = (done.clone(), busy.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match hasher.verify("a wrong current password", &hash).await {
                    Ok(_) => {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(DomainError::Busy { .. }) => {
                        busy.fetch_add(1, Ordering::Relaxed);
                        // A hostile client does not honour Retry-After for long.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut victim = Vec::new();
    let mut victim_busy = 0;
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        let started = Instant::now();
        match hasher.verify("lantern quarry mosaic velvet", hash).await {
            Ok(ok) => {
                assert!(ok);
                victim.push(started.elapsed());
            }
            Err(DomainError::Busy { .. }) => victim_busy += 1,
            Err(e) => panic!("{e}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    victim.sort();
    (
        victim,
        victim_busy,
        done.load(Ordering::Relaxed),
        busy.load(Ordering::Relaxed),
    )
}

fn report(what: &str, (victim, victim_busy, done, busy): (Vec<Duration>, usize, usize, usize)) {
    println!(
        "{what}: the other person's sign-in p50 {:.1} ms, p99 {:.1} ms ({} verified, {} told busy); flood: {} verified, {} answered busy",
        percentile(&victim, 0.5).as_secs_f64() * 1e3,
        percentile(&victim, 0.99).as_secs_f64() * 1e3,
        victim.len(),
        victim_busy,
        done,
        busy,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // What `serve` gives a 2-core machine: cores - 1 permits.
        let permits = std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .max(1);
        let hasher = PasswordHasher::new(permits).expect("hasher");
        let password = "lantern quarry mosaic velvet";
        let hash = hasher.hash(password).await.expect("hash");
        let seconds: u64 = std::env::var("SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(8);

        // Alone first, for comparison.
        let mut alone = Vec::new();
        for _ in 0..40 {
            let started = Instant::now();
            assert!(hasher.verify(password, &hash).await.expect("verify"));
            alone.push(started.elapsed());
        }
        alone.sort();

        println!(
            "alone: p50 {:.1} ms, p99 {:.1} ms ({} verifications, {permits} permit(s))",
            percentile(&alone, 0.5).as_secs_f64() * 1e3,
            percentile(&alone, 0.99).as_secs_f64() * 1e3,
            alone.len(),
        );
        // 200 parallel requests from one person: one check at a time reaches the hasher.
        report(
            &format!("200 parallel wrong password changes by one person, {seconds} s"),
            flood(&hasher, &hash, 1, seconds).await,
        );
        report(
            &format!("200 accounts guessing at once, {seconds} s"),
            flood(&hasher, &hash, 200, seconds).await,
        );
    });
}
