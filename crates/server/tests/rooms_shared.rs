//! Signalling rooms spanning server instances through NATS (issue #16), on
//! loopback: a real 3-node cluster of Debian's `nats-server`
//! (tests/nats_support) and `trustfold-server` binaries started with
//! `--nats`, each connected to its own NATS node. Members on different
//! instances are introduced to each other, signal each other and hear each
//! other leave; the room's capacity, join rate and each member's inbound
//! signal rate hold across instances as on one; and an instance killed
//! with SIGKILL takes its members out of every room. Native only.

mod nats_support;
mod relay_support;
mod server_support;

use futures_util::StreamExt;
use nats_support::Cluster;
use relay_support::Server;
use serde_json::{Value, json};
use server_support::{Client, client_from, drain, hear, say};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("rooms-shared")
        .join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Instance `n` of the test in `dir`, on NATS node `url`, signalling only.
async fn instance(dir: &std::path::Path, n: u32, url: &str, flags: &[&str]) -> Server {
    let db = dir.join(format!("unused-{n}.sqlite"));
    let mut all = vec!["--no-relay", "--nats", url];
    all.extend_from_slice(flags);
    Server::start_with(dir, &db, n, &all).await
}

/// The next message of `client` that `pick` accepts, within `patience`
/// (`None` if the connection closes first).
async fn hear_within(
    client: &mut Client,
    patience: Duration,
    pick: impl Fn(&Value) -> bool,
) -> Option<Value> {
    use tokio_tungstenite::tungstenite::Message;
    let deadline = Instant::now() + patience;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let next = tokio::time::timeout(left, client.next())
            .await
            .unwrap_or_else(|_| panic!("nothing wanted heard within {patience:?}"));
        let heard: Value = match next {
            Some(Ok(Message::Text(text))) => serde_json::from_str(&text).unwrap(),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => continue,
        };
        if pick(&heard) {
            return Some(heard);
        }
    }
}

/// Joins `room` at `addr` (from 127.0.0.1): the client, its id, its peers.
async fn join(addr: SocketAddr, room: &str) -> (Client, u64, Vec<u64>) {
    server_support::join_from(addr, 1, room).await
}

/// Joins `room` at `addr` once the instance has heard of `other` (a member
/// on another instance): a join spreads through NATS, so one made at once
/// may not see it yet. Bounded.
async fn join_seeing(addr: SocketAddr, room: &str, other: u64) -> (Client, u64, Vec<u64>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (client, id, peers) = join(addr, room).await;
        if peers.contains(&other) {
            return (client, id, peers);
        }
        assert!(
            Instant::now() < deadline,
            "{addr} never introduced a member of {room} to {other}"
        );
        drop(client);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until the instance at `addr` hears `others` instances.
async fn spans(addr: SocketAddr, others: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let wanted = format!("trustfold_signalling_other_instances {others}\n");
    loop {
        let text = http_get(addr, "/metrics").await;
        if text.contains(&wanted) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{addr} never heard {others} other instances:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The body of `GET path` on `addr`.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    answer
}

fn signal(to: u64, sdp: &str) -> Value {
    json!({ "type": "signal", "to": to, "data": { "sdp": sdp } })
}

fn is(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == kind
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_on_different_instances_meet_signal_and_hear_each_other_leave() {
    let dir = scratch("meet");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let s0 = instance(&dir, 0, &cluster.url(0), &[]).await;
    let s1 = instance(&dir, 1, &cluster.url(1), &[]).await;
    spans(s0.addr, 1).await;
    spans(s1.addr, 1).await;

    let (mut alice, alice_id, _) = join(s0.addr, "garden").await;
    // Alice's join reaches s1 through NATS; Bob on s1 is introduced to her.
    let (mut bob, bob_id, peers) = join_seeing(s1.addr, "garden", alice_id).await;
    assert_eq!(peers, vec![alice_id]);
    assert_ne!(alice_id >> 32, bob_id >> 32, "ids carry their instance");
    assert!(
        alice_id < 1 << 53 && bob_id < 1 << 53,
        "ids are exact in JavaScript"
    );
    // Each instance answers claims of its number, so a third never takes it.
    let nats = async_nats::connect(cluster.url(2)).await.unwrap();
    for id in [alice_id, bob_id] {
        let answer = nats
            .request(format!("tf.sig.claim.{}", id >> 32), "".into())
            .await
            .unwrap();
        assert_eq!(&answer.payload[..], b"taken");
    }
    let free = (1..1 << 20)
        .find(|n| *n != alice_id >> 32 && *n != bob_id >> 32)
        .unwrap();
    let unclaimed = nats
        .request(format!("tf.sig.claim.{free}"), "".into())
        .await;
    assert!(unclaimed.is_err(), "nobody holds {free}");
    let joined = hear_within(&mut alice, Duration::from_secs(5), is("peer-joined"))
        .await
        .unwrap();
    assert_eq!(joined["id"], bob_id);

    // Signals cross instances both ways, from the sender's id.
    say(&mut bob, signal(alice_id, "offer from bob")).await;
    let heard = hear_within(&mut alice, Duration::from_secs(5), is("signal"))
        .await
        .unwrap();
    assert_eq!(
        (heard["from"].as_u64(), heard["data"]["sdp"].as_str()),
        (Some(bob_id), Some("offer from bob"))
    );
    say(&mut alice, signal(bob_id, "answer from alice")).await;
    let heard = hear_within(&mut bob, Duration::from_secs(5), is("signal"))
        .await
        .unwrap();
    assert_eq!(
        (heard["from"].as_u64(), heard["data"]["sdp"].as_str()),
        (Some(alice_id), Some("answer from alice"))
    );

    // Carol on s0 meets both; Bob on s1 hears of her.
    let (mut carol, carol_id, peers) = join(s0.addr, "garden").await;
    assert_eq!(peers, vec![alice_id, bob_id], "introduced in join order");
    let joined = hear_within(&mut bob, Duration::from_secs(5), is("peer-joined"))
        .await
        .unwrap();
    assert_eq!(joined["id"], carol_id);
    say(&mut carol, signal(bob_id, "hello bob")).await;
    let heard = hear_within(&mut bob, Duration::from_secs(5), is("signal"))
        .await
        .unwrap();
    assert_eq!(heard["from"].as_u64(), Some(carol_id));

    // Bob leaves: both hear it, and a signal to him is refused.
    drop(bob);
    for c in [&mut alice, &mut carol] {
        let left = hear_within(c, Duration::from_secs(5), is("peer-left"))
            .await
            .unwrap();
        assert_eq!(left["id"], bob_id);
    }
    say(&mut alice, signal(bob_id, "too late")).await;
    let refused = hear_within(&mut alice, Duration::from_secs(5), is("error"))
        .await
        .unwrap();
    assert_eq!(refused["code"], "NO_SUCH_PEER");
    // A member never introduced is refused too, wherever it is.
    let (_dave, dave_id, _) = join(s1.addr, "other-room").await;
    say(&mut alice, signal(dave_id, "stranger")).await;
    let refused = hear_within(&mut alice, Duration::from_secs(5), is("error"))
        .await
        .unwrap();
    assert_eq!(refused["code"], "NO_SUCH_PEER");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signalling_flood_and_a_full_room_are_limited_across_instances_as_on_one() {
    let dir = scratch("limits");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    // Loose per-connection rates, so the flood meets the target's rate.
    let flags = [
        "--connection-rate",
        "2000/2000",
        "--address-rate",
        "100000/100000",
        "--target-rate",
        "20/40",
        "--room-capacity",
        "3",
    ];
    let s0 = instance(&dir, 0, &cluster.url(0), &flags).await;
    let s1 = instance(&dir, 1, &cluster.url(2), &flags).await;
    spans(s0.addr, 1).await;
    spans(s1.addr, 1).await;

    // An honest pair across instances, in a room of its own.
    let (mut h0, h0_id, _) = join(s0.addr, "honest").await;
    let (mut h1, h1_id, peers) = join_seeing(s1.addr, "honest", h0_id).await;
    assert_eq!(peers, vec![h0_id]);

    // The target on s1, the flooder on s0.
    let (mut target, target_id, _) = join(s1.addr, "flood").await;
    let (mut flooder, _, peers) = join_seeing(s0.addr, "flood", target_id).await;
    assert_eq!(peers, vec![target_id]);
    let start = Instant::now();
    for n in 0..400 {
        say(&mut flooder, signal(target_id, &format!("flood {n}"))).await;
    }
    // A join during the flood crosses at once: signals never hold up
    // membership notes.
    let (_late, late_id, _) = join(s1.addr, "honest").await;
    hear_within(&mut h0, Duration::from_secs(2), |m| {
        m["type"] == "peer-joined" && m["id"] == late_id
    })
    .await
    .unwrap();
    let heard = drain(&mut target, Duration::from_secs(2)).await;
    let elapsed = start.elapsed().as_secs_f64();
    let got = heard.iter().filter(|m| m["type"] == "signal").count();
    // The burst, and the rate over the time it took, at most.
    let most = 40.0 + 20.0 * elapsed + 5.0;
    assert!(
        got >= 40 && (got as f64) <= most,
        "the target got {got} of 400 in {elapsed:.1} s (at most {most:.0})"
    );
    // The flooder hears why, on its own instance, and stays connected.
    let busy = drain(&mut flooder, Duration::from_millis(500)).await;
    assert!(busy.iter().any(|m| m["code"] == "TARGET_BUSY"), "{busy:?}");
    say(
        &mut flooder,
        json!({ "type": "signal", "to": target_id, "data": {} }),
    )
    .await;
    // The honest pair never noticed.
    say(&mut h0, signal(h1_id, "still here")).await;
    let heard = hear_within(&mut h1, Duration::from_secs(5), is("signal"))
        .await
        .unwrap();
    assert_eq!(heard["data"]["sdp"], "still here");
    say(&mut h1, signal(h0_id, "and here")).await;
    hear_within(&mut h0, Duration::from_secs(5), is("signal"))
        .await
        .unwrap();

    // The room of 3: two on s0, one on s1, and a fourth is refused on either.
    let _a = join(s0.addr, "small").await;
    let _b = join(s0.addr, "small").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let (_c, _, peers) = loop {
        let c = join(s1.addr, "small").await;
        if c.2.len() == 2 {
            break c;
        }
        assert!(Instant::now() < deadline, "s1 never learnt of s0's members");
        drop(c);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(peers.len(), 2);
    for addr in [s1.addr, s0.addr] {
        let mut d = client_from(addr, 1).await;
        say(&mut d, json!({ "type": "join", "room": "small" })).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        let code = loop {
            let heard = hear(&mut d).await;
            match heard {
                Some(m) if m["type"] == "error" => break m["code"].clone(),
                Some(m) if m["type"] == "joined" => {
                    // s0 may not have heard of s1's member yet: leave, retry.
                    assert!(Instant::now() < deadline, "a fourth member joined {addr}");
                    drop(d);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    d = client_from(addr, 1).await;
                    say(&mut d, json!({ "type": "join", "room": "small" })).await;
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(code, "ROOM_FULL", "at {addr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_or_stopped_takes_its_members_out_of_every_room() {
    let dir = scratch("kill");
    let cluster = Cluster::start(&dir.join("nats"), 3);
    let urls = cluster.urls();
    let s0 = instance(&dir, 0, &urls, &[]).await;
    let mut s1 = instance(&dir, 1, &urls, &[]).await;
    let mut s2 = instance(&dir, 2, &urls, &[]).await;
    for s in [&s0, &s1, &s2] {
        spans(s.addr, 2).await;
    }
    let (mut alice, alice_id, _) = join(s0.addr, "garden").await;
    let mut others = Vec::new();
    for s in [&s1, &s2] {
        // Alice's join spreads through NATS: a join made at once may not
        // see her yet (it failed so inside `make test`, under load).
        let (c, id, _) = join_seeing(s.addr, "garden", alice_id).await;
        let joined = hear_within(&mut alice, Duration::from_secs(5), is("peer-joined"))
            .await
            .unwrap();
        assert_eq!(joined["id"], id);
        others.push((c, id));
    }
    // SIGKILL: s1 says nothing; its silence tells.
    let killed = Instant::now();
    s1.kill();
    let left = hear_within(&mut alice, Duration::from_secs(15), is("peer-left"))
        .await
        .unwrap();
    assert_eq!(left["id"], others[0].1);
    let after = killed.elapsed();
    assert!(
        after >= Duration::from_secs(5),
        "gone after {after:?}: too soon to be the silence"
    );
    spans(s0.addr, 1).await;
    // SIGTERM: s2 closes its members and says so at once.
    let stopped = Instant::now();
    s2.terminate();
    let left = hear_within(&mut alice, Duration::from_secs(15), is("peer-left"))
        .await
        .unwrap();
    assert_eq!(left["id"], others[1].1);
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "gone after {:?}",
        stopped.elapsed()
    );
    spans(s0.addr, 0).await;
}

/// The notes of another instance, played by the test on NATS (which every
/// instance trusts): a beat adds its members without introductions; a beat
/// with a part missing is dropped, not read as members gone; a complete
/// one without a member makes it leave; a signal from a member whose join
/// note never came introduces it to its target first (so the target can
/// answer, and hears when it leaves); and an instance that sends signals
/// but no membership notes is silent: its members leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instances_notes_add_and_remove_members_and_only_whole_beats_count() {
    let dir = scratch("notes");
    let cluster = Cluster::start(&dir.join("nats"), 1);
    let s0 = instance(&dir, 0, &cluster.url(0), &[]).await;
    let nats = async_nats::connect(cluster.url(0)).await.unwrap();
    let (mut alice, alice_id, _) = join(s0.addr, "garden").await;
    let here = alice_id >> 32;
    let fake: u64 = if here == 77 { 78 } else { 77 };
    let (x, y) = (fake << 32 | 5, fake << 32 | 6);
    let mut to_fake = nats.subscribe(format!("tf.sig.to.{fake}")).await.unwrap();
    let beat = |beat: u64, part: u32, parts: u32, rooms: Value| {
        let note = json!({ "type": "beat", "from": fake, "run": 1, "beat": beat,
            "part": part, "parts": parts, "rooms": rooms });
        let nats = nats.clone();
        async move {
            nats.publish("tf.sig.members", note.to_string().into())
                .await
                .unwrap();
            nats.flush().await.unwrap();
        }
    };
    beat(0, 0, 1, json!([["garden", [x]]])).await;
    // Bob, on s0, is introduced to Alice and to the fake instance's member.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut bob = loop {
        let (bob, _, peers) = join(s0.addr, "garden").await;
        if peers.contains(&x) {
            assert_eq!(peers, vec![alice_id, x]);
            break bob;
        }
        assert!(Instant::now() < deadline, "the beat never added {x}");
        drop(bob);
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Parts 0 and 2 of 3, without x: incomplete, so x stays.
    beat(1, 0, 3, json!([["elsewhere", [y]]])).await;
    beat(1, 2, 3, json!([])).await;
    let quiet = drain(&mut bob, Duration::from_millis(700)).await;
    assert!(quiet.iter().all(|m| m["type"] != "peer-left"), "{quiet:?}");
    // A whole beat without x: x leaves, and Bob, who knew it, hears it.
    beat(2, 0, 1, json!([])).await;
    let left = hear_within(&mut bob, Duration::from_secs(5), is("peer-left"))
        .await
        .unwrap();
    assert_eq!(left["id"], x);

    // A signal from y, whose join note never came: Alice hears of y
    // before its signal (other members' comings and goings aside).
    let note = json!({ "type": "signal", "room": "garden", "from": y, "to": alice_id,
        "text": json!({ "type": "signal", "from": y, "data": { "sdp": "hi" } }).to_string() });
    nats.publish(format!("tf.sig.to.{here}"), note.to_string().into())
        .await
        .unwrap();
    let first = hear_within(&mut alice, Duration::from_secs(5), |m| {
        m["id"] == y || m["type"] == "signal"
    })
    .await
    .unwrap();
    assert_eq!(
        (first["type"].as_str(), first["id"].as_u64()),
        (Some("peer-joined"), Some(y))
    );
    let heard = hear_within(&mut alice, Duration::from_secs(5), is("signal"))
        .await
        .unwrap();
    assert_eq!(heard["data"]["sdp"], "hi");
    // Alice can answer: it goes to the fake instance.
    say(&mut alice, signal(y, "hello y")).await;
    let answer = tokio::time::timeout(Duration::from_secs(5), to_fake.next())
        .await
        .unwrap()
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer.payload).unwrap();
    assert_eq!(
        (answer["type"].as_str(), answer["to"].as_u64()),
        (Some("signal"), Some(y))
    );
    // Signals are no sign of life: the fake instance has been silent since
    // its last beat, and y leaves within the silence.
    let left = hear_within(&mut alice, Duration::from_secs(15), |m| {
        m["type"] == "peer-left" && m["id"] == y
    })
    .await;
    assert!(left.is_some());
}
