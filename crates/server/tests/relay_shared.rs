//! Relay instances sharing their networks through NATS JetStream (issue
//! #16), on loopback: a real 3-node cluster of Debian's `nats-server`
//! (tests/nats_support) and server instances, each with its own database
//! (its copy of the streams it loaded). Clients are real core nodes over
//! the relay's WebSocket (tests/relay_support). What one instance's client
//! writes reaches a client of another instance as it is written; a client
//! who comes later to another instance, or to an instance started after
//! the writes with an empty database, gets everything; and every event a
//! relay acknowledged is in JetStream. Native only.

mod nats_support;
mod relay_support;

use nats_support::Cluster;
use relay_support::*;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::TcpListener;
use trustfold_server::relay::jetstream::{JetStream, StreamSettings};
use trustfold_server::relay::{Relay, RelayConfig};
use trustfold_server::{Limits, Rate, Rooms, serve_with};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("relay-shared")
        .join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A server instance with its relay on JetStream at `urls`, its copy in `db`.
async fn instance(urls: &str, db: &Path) -> SocketAddr {
    instance_with(urls, db, RelayConfig::default()).await
}

/// [`instance`] with `config`'s limits.
async fn instance_with(urls: &str, db: &Path, config: RelayConfig) -> SocketAddr {
    let relay = Relay::open_shared(RelayConfig {
        path: db.to_owned(),
        nats: Some(urls.to_owned()),
        ..config
    })
    .await
    .unwrap();
    let rooms = Rooms::new(Limits {
        max_per_address: 1_000,
        address_joins: Rate::new(1_000.0, 1_000.0),
        ..Limits::default()
    });
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_with(listener, rooms, None, Some(relay)));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_instances_client_writes_reaches_every_instances_clients_through_jetstream() {
    let dir = scratch("reach");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let urls = cluster.urls();
    let a = instance(&urls, &dir.join("a.sqlite")).await;
    let b = instance(&urls, &dir.join("b.sqlite")).await;

    // Alice on instance A, Bob on instance B, online together.
    let alice = Honest::open(a, "shared", 1).await;
    let bob = Honest::open(b, "shared", 2).await;
    let mut written = alice.write(20).await;
    written.extend(bob.write(5).await);
    let both = [&alice, &bob];
    assert!(
        settle(&both, Duration::from_secs(30), || both
            .iter()
            .all(|c| c.holds(&written)))
        .await,
        "not converged across instances: Alice {}, Bob {} of {}",
        alice.len(),
        bob.len(),
        written.len()
    );
    alice.assert_unharmed();
    bob.assert_unharmed();

    // Carol comes later to instance B: everything, from B's copy.
    let carol = Honest::open(b, "shared", 3).await;
    assert!(
        settle(&[&carol], Duration::from_secs(30), || carol.holds(&written)).await,
        "Carol on B has {} of {}",
        carol.len(),
        written.len()
    );

    // An instance started now, with an empty database, loads the network
    // from the stream for Dave.
    let c = instance(&urls, &dir.join("c.sqlite")).await;
    let dave = Honest::open(c, "shared", 4).await;
    assert!(
        settle(&[&dave], Duration::from_secs(30), || dave.holds(&written)).await,
        "Dave on a new instance has {} of {}",
        dave.len(),
        written.len()
    );

    // Joining makes nothing in NATS: a room nobody wrote to has no stream
    // (else every join of a new name would make a replicated stream that
    // is never deleted).
    let idle = Honest::open(a, "nobody-writes-here", 5).await;
    let js = JetStream::connect(&urls, StreamSettings::default())
        .await
        .unwrap();
    assert!(
        js.existing(&open_key("nobody-writes-here"))
            .await
            .unwrap()
            .is_none()
    );
    idle.assert_unharmed();

    // Every event is in JetStream, once.
    let js = JetStream::connect(&urls, StreamSettings::default())
        .await
        .unwrap();
    let stream = js.network(&open_key("shared")).await.unwrap();
    let held = stream.read(0, 1_000).await.unwrap();
    let ids: std::collections::HashSet<_> = held
        .iter()
        .map(|(_, bytes)| trustfold::event::EventId::of_bytes(bytes))
        .collect();
    assert_eq!(held.len(), written.len(), "each event once");
    assert!(written.iter().all(|id| ids.contains(id)));
}

/// A network at its quota, written to through two instances: the one
/// whose client goes past it refuses with the relay's typed notice
/// (`network_full`), the client stays linked, and the network keeps every
/// event it had — exactly the quota, in JetStream too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_network_refuses_with_its_notice_on_any_instance_and_keeps_what_it_had() {
    let dir = scratch("full");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let urls = cluster.urls();
    let mut config = RelayConfig::default();
    config.limits.max_events = 10;
    config.limits.author_share = 100;
    let a = instance_with(&urls, &dir.join("a.sqlite"), config.clone()).await;
    let b = instance_with(&urls, &dir.join("b.sqlite"), config).await;
    let alice = Honest::open(a, "full", 1).await;
    let bob = Honest::open(b, "full", 2).await;
    let first = alice.write(8).await;
    let both = [&alice, &bob];
    assert!(settle(&both, Duration::from_secs(30), || bob.holds(&first)).await);
    // Bob, on the other instance, writes past the quota.
    let his = bob.write(5).await;
    let told = settle(&both, Duration::from_secs(30), || {
        bob.link
            .heard
            .codes("notice")
            .iter()
            .any(|c| c == "network_full")
    })
    .await;
    assert!(told, "Bob heard {:?}", bob.link.heard.texts());
    assert!(bob.holds(&his), "his own log keeps what he wrote");
    bob.assert_unharmed();
    let held = in_stream(&cluster.url(0), "full").await.unwrap();
    assert_eq!(held.len(), 10, "exactly the quota");
    assert!(
        first.iter().all(|id| held.contains(id)),
        "nothing it had is lost"
    );
    assert!(his[..2].iter().all(|id| held.contains(id)));
}

/// Instance A and one NATS node SIGKILLed while Alice writes through A:
/// every event any relay announced to her is in JetStream; she goes on
/// through instance B (as a load balancer would send her) and everything
/// she wrote, announced or not, reaches Bob there; after both come back, a
/// client of the restarted A gets everything. `TRUSTFOLD_SEED` sets the
/// kill's delay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_and_a_nats_node_killed_mid_writes_lose_nothing_announced() {
    let dir = scratch("kill");
    let mut cluster = Cluster::start(&dir.join("nats"), 3);
    let urls = cluster.urls();
    let flags = ["--nats", urls.as_str()];
    let mut a = Server::start_with(&dir, &dir.join("a.sqlite"), 1, &flags).await;
    let b = Server::start_with(&dir, &dir.join("b.sqlite"), 2, &flags).await;
    let mut rng = Rng(seed(0x16_c4a5));

    let alice = Honest::open(a.addr, "kill", 1).await;
    let bob = Honest::open(b.addr, "kill", 2).await;
    let mut written = alice.write(10).await;
    written.extend(bob.write(5).await);
    let both = [&alice, &bob];
    assert!(
        settle(&both, Duration::from_secs(30), || both
            .iter()
            .all(|c| c.holds(&written)))
        .await
    );

    // Alice writes on while A and NATS node 1 die under her.
    let delay = rng.between((5, 60));
    let writing = async {
        let mut ids = Vec::new();
        for _ in 0..40 {
            ids.extend(alice.write(1).await);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        ids
    };
    let only_alice = [&alice];
    let syncing = settle(&only_alice, Duration::from_millis(400), || false);
    let killing = async {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        a.kill();
        cluster.kill(1);
    };
    let (ids, _, ()) = tokio::join!(writing, syncing, killing);
    written.extend(ids);
    let announced = alice.link.announced.ids();
    eprintln!(
        "killed after {delay} ms: {} events announced to Alice of {} written",
        announced.len(),
        written.len()
    );

    // Everything announced to her is in JetStream (read through a live node).
    let held = in_stream(&cluster.url(0), "kill")
        .await
        .unwrap_or_else(|e| {
            panic!(
                "{e}\n{}\n{}",
                last_lines(&cluster.log(0)),
                last_lines(&cluster.log(2))
            )
        });
    let lost: Vec<_> = announced.iter().filter(|id| !held.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} announced events not in JetStream",
        lost.len()
    );

    // Alice goes on through B: all she wrote reaches Bob.
    let alice = Honest {
        link: Link::open(b.addr, "kill", false).await,
        ..alice
    };
    let both = [&alice, &bob];
    assert!(
        settle(&both, Duration::from_secs(30), || both
            .iter()
            .all(|c| c.holds(&written)))
        .await,
        "after the kill: Alice {}, Bob {} of {}",
        alice.len(),
        bob.len(),
        written.len()
    );
    // Both come back; a client of the restarted A gets everything.
    cluster.restart(1);
    let a = Server::start_with(&dir, &dir.join("a.sqlite"), 3, &flags).await;
    let carol = Honest::open(a.addr, "kill", 3).await;
    assert!(
        settle(&[&carol], Duration::from_secs(30), || carol.holds(&written)).await,
        "Carol on the restarted A has {} of {}",
        carol.len(),
        written.len()
    );
    // What Carol writes on A reaches Bob on B: B's follower outlived the
    // node's death and return.
    let more = carol.write(5).await;
    written.extend(more.iter().copied());
    let pair = [&carol, &bob];
    assert!(
        settle(&pair, Duration::from_secs(30), || bob.holds(&more)).await,
        "Bob on B did not get Carol's writes on the restarted A"
    );
    let held = in_stream(&cluster.url(1), "kill")
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", last_lines(&cluster.log(1))));
    assert_eq!(held.len(), written.len(), "each event once");
    alice.assert_unharmed();
    bob.assert_unharmed();
    assert!(!a.output().contains("panicked") && !b.output().contains("panicked"));
}

/// The ids in the stream of open network `room`, read through `url`
/// (retrying while the cluster recovers, bounded).
async fn in_stream(
    url: &str,
    room: &str,
) -> Result<std::collections::HashSet<trustfold::event::EventId>, String> {
    let deadline = std::time::Instant::now() + nats_support::PATIENCE;
    loop {
        let read = async {
            let js = JetStream::connect(url, StreamSettings::default()).await?;
            js.network(&open_key(room)).await?.read(0, 100_000).await
        };
        match read.await {
            Ok(held) => {
                return Ok(held
                    .iter()
                    .map(|(_, bytes)| trustfold::event::EventId::of_bytes(bytes))
                    .collect());
            }
            Err(e) if std::time::Instant::now() < deadline => {
                eprintln!("reading the stream: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Err(format!("the stream cannot be read through {url}: {e}")),
        }
    }
}

/// The last 40 lines of a log, for a failure's message.
fn last_lines(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// An instance that kept a network alone (started without `--nats`) and
/// is then started with it: its copy holds events the stream never had.
/// Its first append puts them in the stream first, so what was written
/// before and the new children over it reach a client of another
/// instance (which would otherwise never see the old events, and would
/// skip the children for their missing parents).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_kept_alone_before_nats_reaches_the_stream_with_its_next_write() {
    let dir = scratch("alone-first");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let urls = cluster.urls();
    let db = dir.join("a.sqlite");
    let mut alone = Server::start(&dir, &db, 0).await;
    let alice = Honest::open(alone.addr, "kept", 1).await;
    let witness = Honest::open(alone.addr, "kept", 2).await;
    let mut before = alice.write(10).await;
    before.extend(witness.write(1).await);
    let both = [&alice, &witness];
    assert!(
        settle(&both, Duration::from_secs(30), || both
            .iter()
            .all(|c| c.holds(&before)))
        .await,
        "the relay alone: Alice {}, the witness {} of {}",
        alice.len(),
        witness.len(),
        before.len()
    );
    drop((alice, witness));
    alone.terminate();

    let mut shared = Server::start_with(&dir, &db, 1, &["--nats", &urls]).await;
    let other = instance(&urls, &dir.join("b.sqlite")).await;
    let bob = Honest::open(shared.addr, "kept", 3).await;
    assert!(
        settle(&[&bob], Duration::from_secs(30), || bob.holds(&before)).await,
        "Bob has {} of {} from the copy",
        bob.len(),
        before.len()
    );
    let mut all = before.clone();
    all.extend(bob.write(3).await);
    let carol = Honest::open(other, "kept", 4).await;
    assert!(
        settle(&[&bob, &carol], Duration::from_secs(30), || carol
            .holds(&all))
        .await,
        "Carol on the other instance has {} of {}",
        carol.len(),
        all.len()
    );
    bob.assert_unharmed();
    carol.assert_unharmed();
    shared.terminate();
}

/// A network released and loaded again follows its stream from where its
/// copy was complete (kept in the copy), not from the stream's start, and
/// its clients still get everything, including what other instances wrote
/// while it was released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_loaded_again_follows_its_stream_from_where_its_copy_was() {
    let dir = scratch("position");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let urls = cluster.urls();
    let flags = ["--nats", urls.as_str(), "--relay-idle", "1"];
    let a = Server::start_with(&dir, &dir.join("a.sqlite"), 1, &flags).await;
    let b = Server::start_with(&dir, &dir.join("b.sqlite"), 2, &flags).await;
    let alice = Honest::open(a.addr, "again", 1).await;
    let bob = Honest::open(b.addr, "again", 2).await;
    let mut written = alice.write(20).await;
    assert!(
        settle(&[&alice, &bob], Duration::from_secs(30), || bob
            .holds(&written))
        .await,
        "Bob on B has {} of {}",
        bob.len(),
        written.len()
    );
    bob.leave().await;
    // B releases the network (idle for 1 s; looked at every 5 s).
    let released = std::time::Instant::now() + Duration::from_secs(8);
    written.extend(alice.write(5).await);
    let alice_alone = [&alice];
    settle(&alice_alone, Duration::from_secs(2), || false).await;
    tokio::time::sleep(released.saturating_duration_since(std::time::Instant::now())).await;
    let carol = Honest::open(b.addr, "again", 3).await;
    assert!(
        settle(&[&carol], Duration::from_secs(30), || carol.holds(&written)).await,
        "Carol on B has {} of {}",
        carol.len(),
        written.len()
    );
    let log = b.output();
    let starts: Vec<u64> = log
        .lines()
        .filter_map(|l| l.split_once("relay: following open:again from sequence "))
        .filter_map(|(_, n)| n.trim().parse().ok())
        .collect();
    assert_eq!(starts.len(), 2, "loaded twice on B:\n{log}");
    assert_eq!(starts[0], 0, "first from the start");
    assert!(starts[1] >= 20, "then from where the copy was: {starts:?}");
    carol.assert_unharmed();
}
