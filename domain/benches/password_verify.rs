//! How long one password verification takes (argon2id, m = 19456 KiB, t = 2, p = 1), the cost
//! every password sign-in pays. Run with `cargo bench -p portico-domain --bench password_verify`
//! (release profile); prints the median and the 99th percentile.

// Benchmarks state what they expect with expect/panic, like tests (see [workspace.lints]).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use portico_domain::accounts::password::PasswordHasher;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let hasher = PasswordHasher::new(1).expect("hasher");
        let password = "lantern quarry mosaic velvet";
        let hash = hasher.hash(password).await.expect("hash");
        let runs = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(200usize);
        // Warm up.
        for _ in 0..5 {
            assert!(hasher.verify(password, &hash).await.expect("verify"));
        }
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let ok = hasher.verify(password, &hash).await.expect("verify");
            times.push(started.elapsed());
            assert!(ok);
        }
        times.sort();
        println!(
            "password verification ({runs} runs, {}): median {:.1} ms, p99 {:.1} ms, min {:.1} ms, max {:.1} ms",
            &hash[..hash.find("$v=").map_or(0, |i| i)].trim_start_matches('$'),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    });
}
