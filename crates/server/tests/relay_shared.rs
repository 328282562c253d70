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
    let relay = Relay::open_shared(RelayConfig {
        path: db.to_owned(),
        nats: Some(urls.to_owned()),
        ..RelayConfig::default()
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
