//! Load client for live status (run by `bench/live.sh`, which starts the servers and signs the
//! demo people in): opens many `/live` streams, ramping up, spread over the instances and the
//! session cookies given; measures the server's memory per open stream and its CPU with all
//! of them idle; then has the crew and the office change job 1's status at a steady rate and
//! measures, for every stream, the time from the request that made each change to the event's
//! arrival. Plain HTTP/1.1 over tokio sockets, so the client itself stays small.
//!
//! Environment: `LIVE_ADDRS` (comma-separated `host:port`, streams go round-robin, changes go
//! to the first), `LIVE_COOKIES` (comma-separated `name=value`, streams go round-robin),
//! `LIVE_CREW_COOKIE`, `LIVE_OFFICE_COOKIE`, `LIVE_PIDS` (server processes, for RSS and CPU),
//! `LIVE_STREAMS` (10000), `LIVE_RATE` (changes per second, 2), `LIVE_CHANGES` (40),
//! `LIVE_IDLE_SECONDS` (20).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn list(name: &str) -> Vec<String> {
    var(name, "")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    let stime: u64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    utime + stime
}

/// What every stream records: when the k-th news event arrived.
type Arrivals = Arc<Mutex<Vec<Vec<Instant>>>>;

async fn open_stream(
    addr: String,
    cookie: String,
    index: usize,
    arrivals: Arrivals,
    opened: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
) {
    let Ok(mut socket) = TcpStream::connect(&addr).await else {
        failed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = socket.set_nodelay(true);
    let request = format!(
        "GET /live HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nSec-Fetch-Site: same-origin\r\nCookie: {cookie}\r\n\r\n"
    );
    if socket.write_all(request.as_bytes()).await.is_err() {
        failed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let mut buffer = vec![0u8; 2048];
    let mut carry = String::new();
    let mut started = false;
    loop {
        let n = match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let now = Instant::now();
        carry.push_str(&String::from_utf8_lossy(&buffer[..n]));
        if !started {
            if !carry.starts_with("HTTP/1.1 200") {
                failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
            if carry.contains("retry:") {
                started = true;
                opened.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Each news event has one `data:` line with a `kind`; control events say `{}`.
        while let Some(at) = carry.find('\n') {
            let line: String = carry.drain(..=at).collect();
            if line.starts_with("data: {\"id\"") {
                arrivals.lock().unwrap()[index].push(now);
            }
        }
    }
    if !started {
        failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// A server-function call (form-encoded POST from our own origin); returns the status line.
async fn call(addr: &str, cookie: &str, path: &str, form: &str) -> String {
    let mut socket = TcpStream::connect(addr)
        .await
        .expect("connect for a change");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nOrigin: {origin}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nCookie: {cookie}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{form}",
        origin = var("LIVE_ORIGIN", "http://localhost:3202"),
        len = form.len()
    );
    socket.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    let _ = socket.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let addrs = list("LIVE_ADDRS");
    let cookies = list("LIVE_COOKIES");
    let pids = list("LIVE_PIDS");
    let crew = var("LIVE_CREW_COOKIE", "");
    let office = var("LIVE_OFFICE_COOKIE", "");
    let streams: usize = var("LIVE_STREAMS", "10000").parse().unwrap();
    let rate: f64 = var("LIVE_RATE", "2").parse().unwrap();
    let changes: usize = var("LIVE_CHANGES", "40").parse().unwrap();
    let idle_seconds: u64 = var("LIVE_IDLE_SECONDS", "20").parse().unwrap();
    assert!(
        !addrs.is_empty() && !cookies.is_empty(),
        "LIVE_ADDRS and LIVE_COOKIES"
    );

    let before: Vec<u64> = pids.iter().map(|p| rss_kib(p)).collect();
    let arrivals: Arrivals = Arc::new(Mutex::new(vec![Vec::new(); streams]));
    let opened = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let ramp = Instant::now();
    // Ramp up: 250 streams at a time, the next batch once most of this one is open.
    for start in (0..streams).step_by(250) {
        for index in start..(start + 250).min(streams) {
            tokio::spawn(open_stream(
                addrs[index % addrs.len()].clone(),
                cookies[index % cookies.len()].clone(),
                index,
                arrivals.clone(),
                opened.clone(),
                failed.clone(),
            ));
        }
        let target = (start + 200).min(streams);
        let wait = Instant::now();
        while opened.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < target
            && wait.elapsed() < Duration::from_secs(10)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let wait = Instant::now();
    while opened.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < streams
        && wait.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let open_now = opened.load(Ordering::Relaxed);
    println!(
        "streams: {open_now} open, {} failed, ramp-up {:.1} s",
        failed.load(Ordering::Relaxed),
        ramp.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (pid, before) in pids.iter().zip(&before) {
        let after = rss_kib(pid);
        let share = open_now as f64 / pids.len() as f64;
        println!(
            "server {pid}: RSS {before} KiB before, {after} KiB with its {share:.0} streams: {:.2} KiB per stream",
            (after.saturating_sub(*before)) as f64 / share
        );
    }

    // Idle: heartbeats only.
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let start_ticks: Vec<u64> = pids.iter().map(|p| cpu_ticks(p)).collect();
    let idle = Instant::now();
    tokio::time::sleep(Duration::from_secs(idle_seconds)).await;
    for (pid, start) in pids.iter().zip(&start_ticks) {
        let used = (cpu_ticks(pid) - start) as f64 / ticks_per_second;
        println!(
            "server {pid}: idle CPU {:.2} % of one core over {:.0} s with all streams open",
            100.0 * used / idle.elapsed().as_secs_f64(),
            idle.elapsed().as_secs_f64()
        );
    }

    // Changes at a steady rate: "on our way" by the crew, "back to scheduled" by the office.
    let mut sent = Vec::new();
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut next = tokio::time::Instant::now();
    let zone: chrono_tz::Tz = "Europe/Amsterdam".parse().unwrap();
    let busy_ticks: Vec<u64> = pids.iter().map(|p| cpu_ticks(p)).collect();
    let busy = Instant::now();
    for k in 0..changes {
        tokio::time::sleep_until(next).await;
        next += interval;
        let (cookie, form) = if k % 2 == 0 {
            let eta = (chrono::Utc::now() + chrono::Duration::minutes(45))
                .with_timezone(&zone)
                .format("%H:%M")
                .to_string();
            (&crew, format!("job_id=1&status=en_route&eta={eta}"))
        } else {
            (&office, "job_id=1&status=scheduled".to_owned())
        };
        let at = Instant::now();
        let status = call(&addrs[0], cookie, "/api/jobs/change_status", &form).await;
        assert!(status.contains(" 200"), "change {k}: {status}");
        sent.push(at);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (pid, start) in pids.iter().zip(&busy_ticks) {
        let used = (cpu_ticks(pid) - start) as f64 / ticks_per_second;
        println!(
            "server {pid}: CPU {:.1} % of one core while {changes} changes at {rate}/s reached every stream",
            100.0 * used / busy.elapsed().as_secs_f64()
        );
    }

    let arrivals = arrivals.lock().unwrap();
    let mut latencies = Vec::new();
    let mut missing = 0usize;
    let mut extra = 0usize;
    for stream in arrivals.iter().take(streams) {
        if stream.is_empty() && open_now < streams {
            continue;
        }
        if stream.len() < changes {
            missing += changes - stream.len();
        }
        if stream.len() > changes {
            extra += stream.len() - changes;
        }
        for (k, arrived) in stream.iter().enumerate().take(changes) {
            latencies.push(arrived.saturating_duration_since(sent[k]).as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "delivery: {} events received ({} missing, {} extra) from the change request to arrival: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        missing,
        extra,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    std::process::exit(0);
}
