//! A network's events in JetStream (issue #16), against a real 3-node
//! cluster of Debian's `nats-server` on loopback: stored once however old
//! (beyond JetStream's duplicate window), a full network refusing new
//! events with a typed error and losing none it had, every event kept on
//! three replicas through a node's SIGKILL, and one instance reading what
//! another stored. Native only.

mod nats_support;

use nats_support::{Cluster, PATIENCE};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use trustfold::event::Event;
use trustfold::testing::{id, key, pay};
use trustfold::{Policy, Replica};
use trustfold_server::relay::jetstream::{JetStream, JetStreamError, Stored, StreamSettings};

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("jetstream")
        .join(format!("{}-{name}", std::process::id()))
}

/// `n` signed payments by one author, each child of the last.
fn events(n: u64) -> Vec<Event> {
    let mut author = Replica::new(Policy::new(key(1)));
    (1..=n)
        .map(|i| author.publish(&id(1), i, pay(key(2), i, "EUR")).unwrap())
        .collect()
}

/// Connects and opens the network `key`, retrying while the cluster elects
/// its leader (bounded).
async fn open(
    urls: &str,
    settings: StreamSettings,
    key: &str,
) -> trustfold_server::relay::jetstream::NetworkStream {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let attempt = async {
            let js = JetStream::connect(urls, settings).await?;
            js.network(key).await
        };
        match attempt.await {
            Ok(stream) => return stream,
            Err(e @ JetStreamError::BadUrl(_)) => panic!("{e}"),
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for the cluster: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("the cluster never took the stream: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_is_stored_once_however_old_and_another_instance_reads_it() {
    let cluster = Cluster::start(&scratch("once"), 3);
    let settings = StreamSettings {
        duplicate_window: Duration::from_secs(1),
        ..StreamSettings::default()
    };
    let a = open(&cluster.url(0), settings, "open:once").await;
    let written = events(20);
    let refs: Vec<&Event> = written.iter().collect();
    let stored = a.append(&refs).await.unwrap();
    assert_eq!(
        stored.iter().map(|s| s.seq).collect::<Vec<_>>(),
        (1..=20).collect::<Vec<_>>()
    );
    assert!(stored.iter().all(|s| s.new));

    // Past JetStream's duplicate window, the same events again: held, not stored twice.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let again = a.append(&refs[..5]).await.unwrap();
    assert_eq!(
        again,
        (1..=5)
            .map(|seq| Stored { seq, new: false })
            .collect::<Vec<_>>()
    );
    assert_eq!(a.usage().await.unwrap().0, 20);

    // Another instance, through another node, reads them back in order, bytes intact.
    let b = open(&cluster.url(2), settings, "open:once").await;
    let read = b.read(0, 1_000).await.unwrap();
    let bytes: Vec<&[u8]> = read.iter().map(|(_, b)| b.as_slice()).collect();
    assert_eq!(bytes, written.iter().map(Event::bytes).collect::<Vec<_>>());
    // And from where it was: only what is new.
    let more = events(25);
    let new: Vec<&Event> = more[20..].iter().collect();
    a.append(&new).await.unwrap();
    let since = b.read(20, 1_000).await.unwrap();
    assert_eq!(
        since.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
        (21..=25).collect::<Vec<_>>()
    );
    // Two networks are two streams: nothing crosses.
    let other = open(&cluster.url(1), settings, "open:other").await;
    assert_ne!(other.name(), a.name());
    assert!(other.read(0, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_network_refuses_new_events_and_keeps_those_it_had() {
    let cluster = Cluster::start(&scratch("full"), 3);
    let settings = StreamSettings {
        max_events: 5,
        ..StreamSettings::default()
    };
    let stream = open(&cluster.urls(), settings, "open:full").await;
    let written = events(8);
    let refs: Vec<&Event> = written.iter().collect();
    let error = stream.append(&refs).await.unwrap_err();
    assert!(matches!(error, JetStreamError::Full), "{error:?}");
    assert_eq!(error.code(), "network_full");
    // The first five, in order; nothing after the refusal.
    let held = stream.read(0, 100).await.unwrap();
    assert_eq!(held.len(), 5);
    assert_eq!(
        held.iter().map(|(_, b)| b.as_slice()).collect::<Vec<_>>(),
        written[..5].iter().map(Event::bytes).collect::<Vec<_>>()
    );
    // An event it holds is still acknowledged as held when full.
    assert_eq!(
        stream.append(&refs[..1]).await.unwrap(),
        vec![Stored { seq: 1, new: false }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_on_three_replicas_survive_a_node_killed_and_writes_go_on() {
    let mut cluster = Cluster::start(&scratch("replicas"), 3);
    let settings = StreamSettings::default();
    let urls = cluster.urls();
    let stream = open(&urls, settings, "open:replicas").await;
    let written = events(60);
    let refs: Vec<&Event> = written.iter().collect();
    stream.append(&refs[..40]).await.unwrap();
    assert!(
        until(|| async { stream.current_copies().await.ok() == Some(3) }).await,
        "three up-to-date copies"
    );

    cluster.kill(1);
    // Writes go on with two of three (a quorum), once the stream has a
    // leader again if it was on the killed node (bounded).
    let deadline = Instant::now() + PATIENCE;
    let mut rest = 40;
    while rest < 60 {
        match stream.append(&refs[rest..rest + 1]).await {
            Ok(_) => rest += 1,
            Err(e) if Instant::now() < deadline => {
                eprintln!("while the cluster recovers: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("writes did not resume after a node died: {e}"),
        }
    }
    assert!(
        until(|| async { stream.current_copies().await.ok() == Some(2) }).await,
        "two copies while a node is dead"
    );
    cluster.restart(1);
    // The restarted node catches up from the others: three copies again.
    assert!(
        until(|| async { stream.current_copies().await.ok() == Some(3) }).await,
        "the restarted node did not catch up"
    );
    // Every event, read through the restarted node once it caught up.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let reader = open(&cluster.url(1), settings, "open:replicas").await;
        match reader.read(0, 1_000).await {
            Ok(read) if read.len() == 60 => {
                let bytes: Vec<&[u8]> = read.iter().map(|(_, b)| b.as_slice()).collect();
                assert_eq!(bytes, written.iter().map(Event::bytes).collect::<Vec<_>>());
                break;
            }
            other if Instant::now() < deadline => {
                eprintln!(
                    "the restarted node catches up: {:?}",
                    other.map(|r| r.len())
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => panic!(
                "not every event after the restart: {:?}",
                other.map(|r| r.len())
            ),
        }
    }
}

/// Polls `done` every 100 ms until it holds or [`PATIENCE`] passes; whether it held.
async fn until<F, Fut>(mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A NATS server left at its default 1 MiB message limit could never take
/// an event of 2 MiB: the relay refuses to start on it, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_taking_messages_smaller_than_an_event_is_refused() {
    let dir = scratch("payload");
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let refused = JetStream::connect(
        &format!("nats://127.0.0.1:{port}"),
        StreamSettings::default(),
    )
    .await;
    let _ = server.kill();
    let _ = server.wait();
    match refused {
        Err(e @ JetStreamError::MaxPayload { max_payload, .. }) => {
            assert_eq!(max_payload, 1024 * 1024);
            assert_eq!(e.code(), "nats_max_payload");
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a server taking 1 MiB messages was accepted"),
    }
}

/// How fast one network's stream takes appends, one acknowledged at a
/// time as the relay sends them, with 3 replicas and with 1: the bound on
/// a network's writes in `--nats` mode (BENCHMARKS.md, issue #16). A
/// measurement, not a check: `cargo test --release -p trustfold-server
/// --test jetstream -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by hand"]
async fn append_rate_one_at_a_time() {
    let cluster = Cluster::start(&scratch("rate"), 3);
    let written = events(1_000);
    let refs: Vec<&Event> = written.iter().collect();
    for replicas in [3, 1] {
        let settings = StreamSettings {
            replicas,
            ..StreamSettings::default()
        };
        let stream = open(&cluster.urls(), settings, &format!("open:rate-{replicas}")).await;
        let started = Instant::now();
        for chunk in refs.chunks(100) {
            stream.append(chunk).await.unwrap();
        }
        let took = started.elapsed().as_secs_f64();
        eprintln!(
            "{replicas} replica(s): 1,000 appends in {took:.2} s, {:.0} events/s, {:.2} ms each",
            1_000.0 / took,
            took
        );
    }
}
