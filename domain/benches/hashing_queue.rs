//! The password-hashing queue under a flood: 200 tasks keep asking for verifications at once
//! (as 200 parallel wrong "change password" requests would, each costing one argon2 verify),
//! while another person signs in again and again. Prints that person's verification latency
//! (p50/p99), how often they were told "busy", and how many flood requests were answered
//! "busy" at once instead of queueing. Run with
//! `cargo bench -p portico-domain --bench hashing_queue` (release profile); `SECONDS=n` sets the
//! length of the flood (default 8).

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use portico_domain::{accounts::password::PasswordHasher, DomainError};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
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

        let stop = Arc::new(AtomicBool::new(false));
        let (flood_done, flood_busy) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut flood = Vec::new();
        for _ in 0..200 {
            let (hasher, hash, stop) = (hasher.clone(), hash.clone(), stop.clone());
            let (done, busy) = (flood_done.clone(), flood_busy.clone());
            flood.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match hasher.verify("a wrong current password", &hash).await {
                        Ok(_) => done.fetch_add(1, Ordering::Relaxed),
                        Err(DomainError::Busy { .. }) => {
                            busy.fetch_add(1, Ordering::Relaxed);
                            // A client told "busy" waits before it asks again (Retry-After);
                            // a hostile one would not wait long.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            0
                        }
                        Err(e) => panic!("{e}"),
                    };
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut victim = Vec::new();
        let mut victim_busy = 0;
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            let started = Instant::now();
            match hasher.verify(password, &hash).await {
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
        for task in flood {
            let _ = task.await;
        }
        victim.sort();
        println!(
            "alone: p50 {:.1} ms, p99 {:.1} ms ({} verifications, {permits} permit(s))",
            percentile(&alone, 0.5).as_secs_f64() * 1e3,
            percentile(&alone, 0.99).as_secs_f64() * 1e3,
            alone.len(),
        );
        println!(
            "during a flood of 200 parallel verifications for {seconds} s: the other person's sign-in p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} verified, {} told busy); flood: {} verified, {} answered busy at once",
            percentile(&victim, 0.5).as_secs_f64() * 1e3,
            percentile(&victim, 0.99).as_secs_f64() * 1e3,
            victim.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
            victim.len(),
            victim_busy,
            flood_done.load(Ordering::Relaxed),
            flood_busy.load(Ordering::Relaxed),
        );
    });
}
