//! The `portico` binary as an operator meets it: clear messages for bad settings, migrations
//! from the command line, a demo start that prints the URL, and a graceful stop on SIGTERM.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

fn portico(dir: &std::path::Path, vars: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORTICO_LOG", "warn")
        .stdin(Stdio::null());
    for (k, v) in vars {
        command.env(k, v);
    }
    command
}

fn run(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temporary folder");
    portico(dir.path(), vars, args)
        .output()
        .expect("portico runs")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn a_bad_database_url_is_named_and_fails() {
    let out = run(
        &[("DATABASE_URL", "mysql://localhost/portico")],
        &["migrate"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        stderr.contains("sqlite:") && stderr.contains("postgres://"),
        "says what works: {stderr}"
    );

    // Well-formed, but nothing answers there.
    let out = run(
        &[("DATABASE_URL", "postgres://portico@127.0.0.1:1/portico")],
        &["migrate"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("DATABASE_URL: cannot open the PostgreSQL database"),
        "{stderr}"
    );
}

#[test]
fn a_bad_listen_address_is_named_and_fails() {
    let out = run(&[("PORTICO_ADDR", "localhost")], &["serve"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("PORTICO_ADDR"), "{stderr}");
    assert!(
        stderr.contains("127.0.0.1:3000"),
        "gives an example: {stderr}"
    );

    // Well-formed, but taken.
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = run(&[("PORTICO_ADDR", &addr)], &["serve"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("PORTICO_ADDR: cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn a_misspelt_setting_is_refused() {
    let out = run(&[("PORTICO_DATADIR", "/tmp/x")], &["migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("PORTICO_DATADIR"), "{stderr}");
}

#[test]
fn migrate_and_seed_demo_work_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = portico(dir.path(), &[], &["migrate"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.path().join("data/portico.db").is_file(),
        "SQLite file under ./data"
    );

    let out = portico(dir.path(), &[], &["seed-demo"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("Van Dijk Verhuizingen"), "{stdout}");
    assert!(stdout.contains("anna@vandijk.example (admin)"), "{stdout}");

    let out = portico(dir.path(), &[], &["seed-demo"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("already holds the demo"), "{stdout}");

    // The demo's sign-ins are published: outside demo mode this database is not served.
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = portico(dir.path(), &[("PORTICO_ADDR", &addr)], &["serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("portico starts");
    let out = exited_within(child, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("demo company") && stderr.contains("PORTICO_DEMO=true"),
        "{stderr}"
    );
    assert!(http_get(port, "/healthz").is_none(), "nothing listens");

    // Nor is an admin invited into it from the console.
    let out = portico(
        dir.path(),
        &[],
        &[
            "create-admin",
            "--email",
            "ilse@kramer.nl",
            "--name",
            "Ilse Kramer",
        ],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("demo company"));
}

/// Waits for a process that should stop by itself; kills it (and fails) if it does not.
fn exited_within(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("portico did not stop by itself within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn a_company_is_installed_from_the_console_and_the_demo_is_kept_out() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let public = format!("http://localhost:{port}");

    // A new database served without the demo says how to get the first admin.
    let mut child = portico(
        dir.path(),
        &[("PORTICO_ADDR", &addr), ("PORTICO_PUBLIC_URL", &public)],
        &["serve"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("portico starts");
    wait_healthy(&mut child, port);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = exited_within(child, Duration::from_secs(15));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Nobody can sign in yet") && stdout.contains("portico create-admin"),
        "{stdout}"
    );

    let create = |args: &[&str]| {
        let mut all = vec!["create-admin"];
        all.extend_from_slice(args);
        portico(dir.path(), &[("PORTICO_PUBLIC_URL", &public)], &all)
            .output()
            .expect("runs")
    };
    let out = create(&["--email", "ilse@kramer.nl", "--name", "Ilse Kramer"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--company"), "{stderr}");

    let out = create(&[
        "--email",
        "ilse@kramer.nl",
        "--name",
        "Ilse Kramer",
        "--company",
        "Kramer Verhuizingen",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{public}/invitation/")) && stdout.contains("72 hours"),
        "{stdout}"
    );

    // The demo is never added to a real company's database.
    let out = portico(dir.path(), &[], &["seed-demo"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("Kramer Verhuizingen"), "{stderr}");
}

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn wait_healthy(child: &mut Child, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(response) = http_get(port, "/healthz") {
            if response.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("portico exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("portico did not become healthy on port {port}");
}

#[test]
fn a_demo_start_prints_the_url_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let public = format!("http://localhost:{port}");
    let mut child = portico(
        dir.path(),
        &[
            ("PORTICO_ADDR", &addr),
            ("PORTICO_PUBLIC_URL", &public),
            ("PORTICO_DEMO", "true"),
            ("PORTICO_HEADER_TIMEOUT_SECONDS", "1"),
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("portico starts");
    wait_healthy(&mut child, port);

    // A client that trickles its request head ("slowloris") is cut off at the deadline,
    // while everyone else is served.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = Instant::now();
    let mut cut_off = false;
    for piece in [
        "GET / HTTP/1.1\r\n",
        "Host: local",
        "host\r\n",
        "X-Slow: 1\r\n",
        "X-Slow: 2\r\n",
    ] {
        if slow.write_all(piece.as_bytes()).is_err() {
            cut_off = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(400));
    }
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        cut_off || answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "the slow client got: {answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed after {:?}, not at the 1 s deadline",
        started.elapsed()
    );

    let page = http_get(port, "/").expect("home page");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("Van Dijk Verhuizingen"));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "portico did not stop within 15 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "a graceful stop exits 0, got {exit}");

    let stdout: Vec<String> = BufReader::new(child.stdout.take().expect("stdout"))
        .lines()
        .map_while(Result::ok)
        .collect();
    let stdout = stdout.join("\n");
    assert!(
        stdout.contains(&format!("Portico is running at {public}/")),
        "{stdout}"
    );
    assert!(
        stdout.contains("Demo data: Van Dijk Verhuizingen"),
        "{stdout}"
    );
    assert!(stdout.contains("Portico stopped."), "{stdout}");
}
