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
    assert!(stdout.contains("already has data"), "{stdout}");
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
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("portico starts");
    wait_healthy(&mut child, port);

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
