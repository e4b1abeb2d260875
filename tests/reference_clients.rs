//! The two reference clients rebuilt on sselink (examples/hub_observer.rs
//! and examples/worker_transport.rs) against loopback services that behave
//! like the real ones (tests/reference/*.py): every event once and in order
//! across drops and replays, the right error code at the end, every post
//! retried and none lost. `cargo test` builds the examples first; run
//! `cargo build --examples` before running this file alone.

mod support;

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use support::server::PATIENCE;

/// A reference service run with python3, stopped when dropped.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    fn start(script: &str) -> Service {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/reference")
            .join(script);
        let mut child = Command::new("python3")
            .arg(path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the reference services");
        let mut line = Vec::new();
        let mut byte = [0u8];
        let stdout = child.stdout.as_mut().unwrap();
        while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        let line = String::from_utf8(line).unwrap();
        let port = line
            .strip_prefix("PORT ")
            .expect("PORT line")
            .parse()
            .unwrap();
        Service { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an example program built by `cargo test`, bounded by PATIENCE.
fn example(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut path = std::env::current_exe().unwrap();
    path.pop();
    path.pop();
    path.push("examples");
    path.push(name);
    let mut child = Command::new(&path)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo test builds the examples)", path.display()));
    let deadline = std::time::Instant::now() + PATIENCE * 3;
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "{name} did not exit");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.wait_with_output().unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

#[test]
fn hub_observer_sees_every_subscribed_event_once_across_the_drop() {
    let hub = Service::start("hub_server.py");
    let base = hub.url("/");
    let output = example(
        "hub_observer",
        &[
            &base,
            "s1",
            "subscribe=task_*,agent_*",
            "api_key=hub-key",
            "org_id=org-1",
            "initial_ms=10",
        ],
        &[],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output);
    let ids: Vec<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    // 4 is a type R1 ignores, 5 a message the subscription filters out.
    assert_eq!(ids, ["1", "2", "3", "6", "7", "8", "9", "10", "11", "12"]);
    let kinds: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["event"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "snapshot",
            "hydration",
            "message",
            "presence",
            "broadcast",
            "message",
            "message",
            "presence",
            "snapshot"
        ]
    );
    assert_eq!(
        lines[2]["event"]["body"]["type"], "snapshot",
        "the type merged in"
    );
    let parse_error = lines
        .iter()
        .find(|l| l["error"] == "parse_error")
        .expect("parse_error");
    assert_eq!(
        (parse_error["id"].as_str(), parse_error["session"].as_str()),
        (Some("7"), Some("s1"))
    );
    let states: Vec<&str> = lines.iter().filter_map(|l| l["state"].as_str()).collect();
    assert_eq!(
        states,
        [
            "connecting",
            "connected",
            "reconnecting",
            "connected",
            "reconnecting",
            "closed"
        ]
    );
}

#[test]
fn hub_observer_reports_auth_failed_and_max_reconnects_exceeded() {
    let hub = Service::start("hub_server.py");
    let output = example(
        "hub_observer",
        &[&hub.url("/"), "s1", "api_key=wrong", "org_id=org-1"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let last = json_lines(&output).pop().unwrap();
    assert_eq!(
        (last["error"].as_str(), last["session"].as_str()),
        (Some("auth_failed"), Some("s1"))
    );

    // Nothing listens: ten failed attempts, then it gives up.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/");
    let output = example(
        "hub_observer",
        &[&base, "s1", "initial_ms=10", "max_ms=20"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let last = json_lines(&output).pop().unwrap();
    assert_eq!(last["error"], "max_reconnects_exceeded", "{last}");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("10 reconnect attempts"),
        "{last}"
    );
}

/// The payloads' sequence numbers printed, and the handover line.
fn payloads_and_handover(output: &Output) -> (Vec<u64>, u64) {
    let mut lines = json_lines(output);
    let handover = lines.pop().unwrap()["handover"]
        .as_u64()
        .expect("handover last");
    let numbers = lines.iter().map(|l| {
        assert_eq!(l["type"], "step", "{l}");
        l["n"].as_u64().unwrap()
    });
    (numbers.collect(), handover)
}

fn accepted(service: &Service, session: &str) -> Vec<u64> {
    let body = ureq::get(service.url(&format!("/accepted/{session}")))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    let mut acks: Vec<u64> = body
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["ack"]
                .as_u64()
                .unwrap()
        })
        .collect();
    acks.sort_unstable();
    acks
}

#[test]
fn worker_transport_reads_every_event_once_and_loses_no_post() {
    let ingress = Service::start("worker_server.py");
    let url = ingress.url("/v2/session_ingress/session/w1/events/stream");
    let output = example("worker_transport", &[&url, "fast=1"], &[]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (numbers, handover) = payloads_and_handover(&output);
    assert_eq!(
        numbers,
        (1..=20).collect::<Vec<_>>(),
        "once each, in order, across the drop and replays"
    );
    assert_eq!(handover, 20);
    assert_eq!(
        accepted(&ingress, "w1"),
        (1..=20).collect::<Vec<_>>(),
        "each post retried past 429 and 503"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a JSON envelope"), "{stderr}");
}

#[test]
fn worker_transport_hands_over_to_a_successor() {
    let ingress = Service::start("worker_server.py");
    let url = ingress.url("/v2/session_ingress/session/w2/events/stream");
    let first = example("worker_transport", &[&url, "fast=1", "max_payloads=6"], &[]);
    let (numbers, handover) = payloads_and_handover(&first);
    assert_eq!((numbers, handover), ((1..=6).collect::<Vec<_>>(), 6));
    let from = format!("from={handover}");
    let second = example("worker_transport", &[&url, "fast=1", &from], &[]);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let (numbers, handover) = payloads_and_handover(&second);
    assert_eq!(
        numbers,
        (7..=20).collect::<Vec<_>>(),
        "the replayed 5 and 6 are dropped"
    );
    assert_eq!(handover, 20);
    assert_eq!(accepted(&ingress, "w2"), (1..=20).collect::<Vec<_>>());
}

#[test]
fn worker_transport_stops_at_once_on_401() {
    // A Cookie displaces Authorization, which this ingress requires: 401 is
    // permanent for R2.
    let ingress = Service::start("worker_server.py");
    let url = ingress.url("/v2/session_ingress/session/w3/events/stream");
    let output = example(
        "worker_transport",
        &[&url, "fast=1"],
        &[("WORKER_COOKIE", "session=1")],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("HTTP 401") && !stderr.contains("retrying"),
        "{stderr}"
    );
}
