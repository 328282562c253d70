//! Every limit of the signalling server, one test each on loopback: a
//! client (from its own 127.0.0.x address where the limit is per address)
//! hits it and gets its error code, while honest members of the same room
//! and of other rooms keep signalling. Limits are set small so that the
//! whole file runs in seconds. Native only.

mod server_support;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use server_support::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio_tungstenite::client_async;
use tokio_tungstenite::tungstenite::Message;
use trustfold_server::{Limits, Rate};

const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn the_server_wide_connection_cap_refuses_with_server_full() {
    let addr = server(Limits {
        max_connections: 5,
        ..generous()
    })
    .await;
    let mut honest = Pair::new(addr, 2, "room").await;
    let (mut other, other_id, _) = join_from(addr, 3, "other").await;
    // Two connections that say nothing fill the server.
    let idle = tcp_from(addr, 4).await;
    let _idle = tcp_from(addr, 4).await;
    assert_eq!(refused_code(try_connect(addr, 5, &[]).await), "SERVER_FULL");
    honest.check().await;
    // A slot freed is a slot for the next comer.
    drop(idle);
    let started = Instant::now();
    let mut newcomer = loop {
        match try_connect(addr, 5, &[]).await {
            Ok(client) => break client,
            Err(_) if started.elapsed() < Duration::from_secs(3) => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(e) => panic!("no slot freed: {e}"),
        }
    };
    say(&mut newcomer, json!({ "type": "join", "room": "other" })).await;
    assert_eq!(hear(&mut newcomer).await.unwrap()["type"], "joined");
    still_relays(&mut newcomer, &mut other, other_id).await;
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    let addr = server(Limits {
        max_per_address: 3,
        ..Limits::default()
    })
    .await;
    let mut honest = Pair::new(addr, 3, "room").await;
    let mut hog = Vec::new();
    for _ in 0..3 {
        hog.push(join_from(addr, 2, "room").await);
    }
    assert_eq!(
        refused_code(try_connect(addr, 2, &[]).await),
        "TOO_MANY_FROM_ADDRESS"
    );
    let (_c, _, _) = join_from(addr, 4, "room").await;
    honest.check().await;
    Pair::new(addr, 5, "elsewhere").await.check().await;
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_the_trusted_proxy() {
    let xff = |v: &'static str| [("x-forwarded-for", v)];
    // Without --trusted-proxy the header is ignored: claiming other
    // addresses does not lift the per-address cap.
    let addr = server(Limits {
        max_per_address: 2,
        ..Limits::default()
    })
    .await;
    let _a = try_connect(addr, 9, &xff("10.0.0.1")).await.unwrap();
    let _b = try_connect(addr, 9, &xff("10.0.0.2")).await.unwrap();
    let third = try_connect(addr, 9, &xff("10.0.0.3")).await;
    assert_eq!(refused_code(third), "TOO_MANY_FROM_ADDRESS");

    // Behind the trusted proxy (127.0.0.9) the last forwarded entry, the
    // one the proxy appended, is the client.
    let addr = server(Limits {
        max_per_address: 2,
        trusted_proxy: Some("127.0.0.9".parse().unwrap()),
        ..Limits::default()
    })
    .await;
    let _a = try_connect(addr, 9, &xff("6.6.6.6, 10.0.0.1"))
        .await
        .unwrap();
    let _b = try_connect(addr, 9, &xff("10.0.0.1")).await.unwrap();
    let third = try_connect(addr, 9, &xff("10.0.0.2, 10.0.0.1")).await;
    assert_eq!(refused_code(third), "TOO_MANY_FROM_ADDRESS");
    // Other clients behind the same proxy are not affected.
    let mut c = try_connect(addr, 9, &xff("10.0.0.2")).await.unwrap();
    let mut d = try_connect(addr, 9, &xff("10.0.0.3")).await.unwrap();
    for client in [&mut c, &mut d] {
        say(client, json!({ "type": "join", "room": "room" })).await;
    }
    assert_eq!(hear(&mut c).await.unwrap()["type"], "joined");
    let d_id = hear(&mut d).await.unwrap()["id"].as_u64().unwrap();
    still_relays(&mut c, &mut d, d_id).await;
}

#[tokio::test]
async fn a_connection_that_does_not_join_in_time_is_closed() {
    let addr = server(Limits {
        handshake_timeout: SHORT,
        ..generous()
    })
    .await;
    let mut honest = Pair::new(addr, 1, "room").await;
    // TCP that sends nothing, and a request trickled a byte at a time.
    let started = Instant::now();
    let mut silent = tcp_from(addr, 2).await;
    let mut trickle = tcp_from(addr, 3).await;
    let mut byte = 0;
    let request = b"GET /signal HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut buf = [0u8; 512];
    let trickled = loop {
        if trickle.write_all(&request[byte..byte + 1]).await.is_err() {
            break true;
        }
        byte += 1;
        if byte == request.len() {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let cut = trickled || matches!(trickle.read(&mut buf).await, Ok(0) | Err(_));
    assert!(cut, "a trickled request is cut at the deadline");
    assert!(matches!(silent.read(&mut buf).await, Ok(0) | Err(_)));
    assert!(started.elapsed() < Duration::from_secs(3));
    // A WebSocket that never joins hears why.
    let mut lurker = client_from(addr, 2).await;
    assert_eq!(hear_error(&mut lurker).await.unwrap(), "HANDSHAKE_TIMEOUT");
    honest.check().await;
    Pair::new(addr, 4, "other").await.check().await;
}

#[tokio::test]
async fn a_member_that_goes_silent_is_dropped_and_one_that_answers_pings_stays() {
    let addr = server(Limits {
        idle_timeout: Duration::from_millis(600),
        ..generous()
    })
    .await;
    let mut honest = Pair::new(addr, 1, "room").await;
    let (mut sleeper, _, _) = join_from(addr, 2, "room").await;
    // A member that only reads: its client answers the server's pings.
    let (listener, listener_id, _) = join_from(addr, 3, "room").await;
    let reading = tokio::spawn(async move {
        let mut listener = listener;
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(1500) {
            let _ = tokio::time::timeout(Duration::from_millis(50), drain_one(&mut listener)).await;
        }
        listener
    });
    honest.keep_alive(Duration::from_millis(1500)).await;
    let mut listener = reading.await.unwrap();
    assert_eq!(hear_error(&mut sleeper).await.unwrap(), "IDLE_TIMEOUT");
    honest.check().await;
    still_relays(&mut honest.a, &mut listener, listener_id).await;
}

async fn drain_one(client: &mut Client) {
    let _ = client.next().await;
}

#[tokio::test]
async fn the_address_rate_holds_across_reconnections() {
    let addr = server(Limits {
        address_rate: Rate::new(5.0, 30.0),
        ..generous()
    })
    .await;
    let mut honest = Pair::new(addr, 3, "room").await;
    let (mut victim, victim_id, _) = join_from(addr, 4, "room").await;
    // Each connection stays far below the per-connection rate; together
    // they spend the address's budget, and reconnecting does not renew it.
    let mut codes = Vec::new();
    let started = Instant::now();
    for _ in 0..4 {
        let mut c = client_from(addr, 2).await;
        say(&mut c, json!({ "type": "join", "room": "room" })).await;
        for n in 0..15 {
            let signal = json!({ "type": "signal", "to": victim_id, "data": n });
            if c.send(Message::Text(signal.to_string().into()))
                .await
                .is_err()
            {
                break;
            }
        }
        for heard in drain(&mut c, Duration::from_millis(150)).await {
            if heard["type"] == "error" {
                codes.push(heard["code"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(
        codes.iter().any(|c| c == "ADDRESS_RATE_LIMITED"),
        "{codes:?}"
    );
    let relayed = drain(&mut victim, SHORT)
        .await
        .iter()
        .filter(|m| m["type"] == "signal")
        .count();
    // The address's budget: a burst of 30 messages (joins included) and
    // 5 a second since; without it all 60 would have come through.
    let budget = 30.0 + 5.0 * started.elapsed().as_secs_f64();
    assert!(
        relayed < 60 && relayed as f64 <= budget,
        "{relayed} of 60 reached the victim"
    );
    honest.check().await;
    still_relays(&mut honest.a, &mut victim, victim_id).await;
    Pair::new(addr, 5, "other").await.check().await;
}

#[tokio::test]
async fn signals_to_one_member_are_capped_whoever_sends_them() {
    let addr = server(Limits {
        target_rate: Rate::new(2.0, 10.0),
        ..generous()
    })
    .await;
    let (mut victim, victim_id, _) = join_from(addr, 2, "room").await;
    let mut honest = Pair::new(addr, 6, "room").await;
    let mut attackers = Vec::new();
    for host in 3..6 {
        attackers.push(join_from(addr, host, "room").await.0);
    }
    for attacker in attackers.iter_mut() {
        for n in 0..10 {
            say(
                attacker,
                json!({ "type": "signal", "to": victim_id, "data": n }),
            )
            .await;
        }
    }
    let mut busy = 0;
    for attacker in attackers.iter_mut() {
        busy += drain(attacker, SHORT)
            .await
            .iter()
            .filter(|m| m["code"] == "TARGET_BUSY")
            .count();
    }
    let relayed = drain(&mut victim, SHORT)
        .await
        .iter()
        .filter(|m| m["type"] == "signal")
        .count();
    assert!(relayed <= 12, "{relayed} of 30 reached the victim");
    assert_eq!(busy + relayed, 30, "every dropped signal was answered");
    // The senders stay connected and can reach others; the victim can
    // still signal; the honest pair never noticed.
    still_relays(&mut attackers[0], &mut honest.b, honest.b_id).await;
    still_relays(&mut victim, &mut honest.a, honest.a_id).await;
    honest.check().await;
}

#[tokio::test]
async fn a_member_that_does_not_read_is_dropped_at_its_queue_bound_in_bytes() {
    // 300 × 60 KB: far more than the socket buffers and 64 KiB hold.
    slow_reader_is_dropped(64 * 1024, 256, 60_000, 300).await;
}

#[tokio::test]
async fn a_member_that_does_not_read_is_dropped_at_its_queue_bound_in_messages() {
    // 60,000 small signals (9 MB): past the socket buffers, then 16 queued.
    slow_reader_is_dropped(16 << 20, 16, 100, 60_000).await;
}

/// A member with a tiny receive window that never reads is sent `count`
/// signals of `len` bytes: it is dropped, its acquaintances hear it
/// leave, and the others keep working.
async fn slow_reader_is_dropped(
    queue_bytes: usize,
    queue_messages: usize,
    len: usize,
    count: usize,
) {
    let fast = Rate::new(1e9, 1e9);
    let addr = server(Limits {
        queue_bytes,
        queue_messages,
        connection_rate: fast,
        address_rate: fast,
        target_rate: fast,
        ..generous()
    })
    .await;
    let mut honest = Pair::new(addr, 3, "room").await;
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind(([127, 0, 0, 2], 0).into()).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let (mut slow, _) = client_async(format!("ws://{addr}/signal"), stream)
        .await
        .unwrap();
    say(&mut slow, json!({ "type": "join", "room": "room" })).await;
    let slow_id = hear(&mut slow).await.unwrap()["id"].as_u64().unwrap();
    let (sender, _, _) = join_from(addr, 4, "room").await;
    // The sender reads what it is told (NO_SUCH_PEER once the slow one is
    // gone) as an honest client does; otherwise it would be dropped too.
    let (mut tx, mut rx) = sender.split();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let reader = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => return rx,
                next = rx.next() => assert!(next.is_some(), "the sender was dropped"),
            }
        }
    });
    let chunk = "x".repeat(len);
    for n in 0..count {
        let signal = json!({ "type": "signal", "to": slow_id, "data": chunk });
        tx.feed(Message::Text(signal.to_string().into()))
            .await
            .unwrap();
        if n % 64 == 63 {
            tx.flush().await.unwrap();
        }
    }
    tx.flush().await.unwrap();
    // Its acquaintances hear it leave.
    loop {
        let heard = hear(&mut honest.a).await.unwrap();
        if heard["type"] == "peer-left" && heard["id"] == slow_id {
            break;
        }
    }
    // Its connection is closed: after what was in flight, nothing more.
    let mut in_flight = 0;
    while hear(&mut slow).await.is_some() {
        in_flight += 1;
        assert!(in_flight < count, "the slow reader was never dropped");
    }
    stop.send(()).unwrap();
    let mut sender = tx.reunite(reader.await.unwrap()).unwrap();
    honest.check().await;
    still_relays(&mut sender, &mut honest.b, honest.b_id).await;
}

#[tokio::test]
async fn join_churn_is_limited_per_address_and_per_room() {
    let addr = server(Limits {
        address_joins: Rate::new(2.0, 5.0),
        room_joins: Rate::new(4.0, 12.0),
        introductions: 4,
        ..Limits::default()
    })
    .await;
    let mut honest = Pair::new(addr, 2, "room").await;
    let churn = |host: u8| async move {
        let mut c = client_from(addr, host).await;
        say(&mut c, json!({ "type": "join", "room": "room" })).await;
        let heard = hear(&mut c).await.unwrap();
        match heard["type"] == "joined" {
            true => None,
            false => Some(heard["code"].as_str().unwrap().to_owned()),
        }
    };
    // One address joining and leaving in a loop.
    let mut joins = 0;
    let mut total_joins = 0;
    let refused = loop {
        if let Some(code) = churn(3).await {
            break code;
        }
        joins += 1;
        total_joins += 1;
        assert!(joins < 20, "churn was never limited");
    };
    assert_eq!(refused, "TOO_MANY_JOINS");
    // Many addresses churning together spend the room's budget instead.
    let mut codes = Vec::new();
    for host in 4..24 {
        match churn(host).await {
            Some(code) => codes.push(code),
            None => total_joins += 1,
        }
    }
    assert!(
        codes.iter().all(|c| c == "ROOM_BUSY") && !codes.is_empty(),
        "{codes:?}"
    );
    // The members already in the room heard a bounded share of it, and
    // still signal each other; other rooms never noticed.
    let notices = drain(&mut honest.a, SHORT).await.len();
    assert!(total_joins <= 16, "{total_joins} joins got through");
    assert!(notices <= 1 + 2 * total_joins, "{notices} notices");
    honest.check().await;
    Pair::new(addr, 30, "other").await.check().await;
    // Once the room's budget refills, newcomers get in again.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(churn(31).await, None);
}

#[tokio::test]
async fn a_squatter_cannot_fill_a_room_or_hide_its_newest_members() {
    let addr = server(Limits {
        max_members: 8,
        max_per_address: 3,
        introductions: 4,
        ..Limits::default()
    })
    .await;
    let mut squat = Vec::new();
    for _ in 0..3 {
        squat.push(join_from(addr, 2, "net").await);
    }
    assert_eq!(
        refused_code(try_connect(addr, 2, &[]).await),
        "TOO_MANY_FROM_ADDRESS"
    );
    let (_h1, _, _) = join_from(addr, 3, "net").await;
    let (mut h2, h2_id, _) = join_from(addr, 4, "net").await;
    let (_h3, h3_id, _) = join_from(addr, 5, "net").await;
    let (mut h4, _, peers) = join_from(addr, 6, "net").await;
    // Introduced to 4 of the 6: the two newest always among them, however
    // many the squatter holds.
    assert_eq!(peers.len(), 4, "{peers:?}");
    assert!(peers.ends_with(&[h2_id, h3_id]), "{peers:?}");
    still_relays(&mut h4, &mut h2, h2_id).await;
    // A room can still fill up, with ROOM_FULL; other rooms are unaffected.
    let _h5 = join_from(addr, 7, "net").await;
    assert_eq!(join_refused(addr, 8, "net").await.unwrap(), "ROOM_FULL");
    Pair::new(addr, 10, "other").await.check().await;
}

/// The server process's resident memory, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Resident memory of `trustfold-server` (this build) before, during and
/// after 10,000 idle WebSocket members in 100 rooms, from 10 loopback
/// addresses. Heavy (20,000 sockets between two processes): `make
/// bench-server` runs it and writes the figures to `target/bench-server.txt`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "heavy: 10,000 sockets; run with `make bench-server`"]
async fn resident_memory_under_10000_sockets() {
    const SOCKETS: usize = 10_000;
    const BATCH: usize = 500;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trustfold-server"))
        .args(["--addr", &addr.to_string(), "--max-connections", "10100"])
        .args(["--max-per-address", "2000", "--room-capacity", "200"])
        .args([
            "--address-joins",
            "100000/100000",
            "--room-joins",
            "100000/100000",
        ])
        .args(["--address-rate", "100000/100000"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib(pid);
    let rooms: Vec<String> = (0..100).map(|r| format!("r{r}")).collect();
    let mut report = format!(
        "trustfold-server (debug build, dependencies optimised), {SOCKETS} idle joined \
         WebSocket members in 100 rooms from 10 loopback addresses, twice (a second round \
         shows whether memory is reused or leaked). RSS before: {before} KiB.\n"
    );
    for round in 1..=2 {
        let started = Instant::now();
        let mut members = Vec::with_capacity(SOCKETS);
        for batch in 0..SOCKETS / BATCH {
            let joins = (0..BATCH).map(|i| {
                let n = batch * BATCH + i;
                join_from(addr, 2 + (n % 10) as u8, &rooms[n % 100])
            });
            let joined = tokio::time::timeout(
                Duration::from_secs(60),
                futures_util::future::join_all(joins),
            )
            .await
            .expect("a batch joins within a minute");
            members.extend(joined.into_iter().map(|(c, _, _)| c));
        }
        let connect_time = started.elapsed();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let during = rss_kib(pid);
        // Honest members still get through.
        Pair::new(addr, 20, "honest").await.check().await;
        drop(members);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = rss_kib(pid);
        report += &format!(
            "round {round}: with them {during} KiB ({:.1} KiB per member over the start), \
             3 s after they closed {after} KiB; connecting and joining took {:.1} s.\n",
            during.saturating_sub(before) as f64 / SOCKETS as f64,
            connect_time.as_secs_f64()
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    println!("{report}");
    std::fs::write(
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-server.txt"),
        report,
    )
    .unwrap();
}
