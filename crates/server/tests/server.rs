//! The signalling server on loopback: it relays within a room and nowhere
//! else, and a client that sends malformed JSON, oversized frames, floods,
//! or tries to join many rooms is closed alone — the server stays up and
//! the other clients keep working. The limits themselves (one test each,
//! from several 127.0.0.x addresses) are in `tests/server_limits.rs`.
//! Native only (it is a native binary).

mod server_support;

use futures_util::SinkExt;
use serde_json::json;
use server_support::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use trustfold_server::{Limits, spawn};

#[tokio::test]
async fn members_of_a_room_signal_each_other_and_nobody_else() {
    let addr = server(generous()).await;
    let (mut a, a_id) = join(addr, "net-1").await;
    let (mut b, b_id) = join(addr, "net-1").await;
    let (mut c, c_id) = join(addr, "net-2").await;
    assert_eq!(
        hear(&mut a).await.unwrap(),
        json!({ "type": "peer-joined", "id": b_id })
    );

    say(
        &mut a,
        json!({ "type": "signal", "to": b_id, "data": { "offer": "x" } }),
    )
    .await;
    let relayed = hear(&mut b).await.unwrap();
    assert_eq!(
        relayed,
        json!({ "type": "signal", "from": a_id, "data": { "offer": "x" } })
    );

    // Another room's member cannot reach a: the server names no such peer,
    // and c stays connected and can reach its own room.
    say(
        &mut c,
        json!({ "type": "signal", "to": a_id, "data": "hi" }),
    )
    .await;
    assert_eq!(hear(&mut c).await.unwrap()["code"], "NO_SUCH_PEER");
    let (mut d, _) = join(addr, "net-2").await;
    still_relays(&mut d, &mut c, c_id).await;

    drop(b);
    assert_eq!(
        hear(&mut a).await.unwrap(),
        json!({ "type": "peer-left", "id": b_id })
    );
}

#[tokio::test]
async fn a_misbehaving_client_is_closed_alone() {
    let addr = server(generous()).await;
    let (mut a, _) = join(addr, "room").await;
    let (mut b, b_id) = join(addr, "room").await;
    hear(&mut a).await; // b joined

    let mut malformed = client(addr).await;
    malformed
        .send(Message::Text("{not json".into()))
        .await
        .unwrap();
    assert_eq!(hear(&mut malformed).await.unwrap()["code"], "MALFORMED");
    assert_eq!(hear(&mut malformed).await, None, "closed");

    let mut unknown = client(addr).await;
    say(&mut unknown, json!({ "type": "take-over", "room": "room" })).await;
    assert_eq!(hear(&mut unknown).await.unwrap()["code"], "MALFORMED");

    let mut binary = client(addr).await;
    binary
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(hear(&mut binary).await.unwrap()["code"], "BINARY");

    let (mut oversized, _) = join(addr, "room").await;
    let huge = "x".repeat(100 * 1024);
    let _ = oversized
        .send(Message::Text(
            json!({ "type": "signal", "to": b_id, "data": huge })
                .to_string()
                .into(),
        ))
        .await;
    assert_eq!(
        hear(&mut oversized).await,
        None,
        "closed for a frame over 64 KiB"
    );

    let (mut flood, _) = join(addr, "room").await;
    let mut refused = None;
    for n in 0..2000 {
        let sent = flood
            .send(Message::Text(
                json!({ "type": "signal", "to": 999_999, "data": n })
                    .to_string()
                    .into(),
            ))
            .await;
        if sent.is_err() {
            break;
        }
    }
    while let Some(message) = hear(&mut flood).await {
        if message["code"] == "RATE_LIMITED" {
            refused = Some(message);
        }
    }
    assert!(refused.is_some(), "a flood is cut off");

    let (mut hopper, _) = join(addr, "room").await;
    say(&mut hopper, json!({ "type": "join", "room": "another" })).await;
    assert_eq!(hear_error(&mut hopper).await.unwrap(), "ONE_ROOM");

    // Through all of that, a and b kept talking.
    still_relays(&mut a, &mut b, b_id).await;
}

#[tokio::test]
async fn rooms_and_members_are_bounded_with_clear_errors() {
    let addr = server(Limits {
        max_members: 2,
        max_rooms: 2,
        ..generous()
    })
    .await;
    let (mut a, _) = join(addr, "one").await;
    let (mut b, b_id) = join(addr, "one").await;
    let mut third = client(addr).await;
    say(&mut third, json!({ "type": "join", "room": "one" })).await;
    assert_eq!(hear(&mut third).await.unwrap()["code"], "ROOM_FULL");

    let (_c, _) = join(addr, "two").await;
    let mut fourth = client(addr).await;
    say(&mut fourth, json!({ "type": "join", "room": "three" })).await;
    assert_eq!(hear(&mut fourth).await.unwrap()["code"], "TOO_MANY_ROOMS");

    let mut bad = client(addr).await;
    say(&mut bad, json!({ "type": "join", "room": "../../etc" })).await;
    assert_eq!(hear(&mut bad).await.unwrap()["code"], "BAD_ROOM");
    still_relays(&mut a, &mut b, b_id).await;
}

/// `joined` comes before any member event, even with members joining at
/// the same moment; `peers` is in join order; a newcomer to a big room is
/// introduced to a bounded sample that holds the newest members, and only
/// those hear of it.
#[tokio::test]
async fn joins_are_acknowledged_first_and_introductions_are_bounded() {
    let addr = server(Limits {
        introductions: 4,
        ..generous()
    })
    .await;
    // join_from asserts that `joined` is the first message each one hears.
    let joins = (0..12).map(|_| join_from(addr, 1, "crowd"));
    let mut members = futures_util::future::join_all(joins).await;
    members.sort_by_key(|(_, id, _)| *id);
    let ids: Vec<u64> = members.iter().map(|(_, id, _)| *id).collect();
    for (_, _, peers) in &members {
        assert!(peers.len() <= 4);
        assert!(peers.windows(2).all(|w| w[0] < w[1]), "join order");
    }
    let (mut newcomer, newcomer_id, peers) = join_from(addr, 1, "crowd").await;
    assert_eq!(peers.len(), 4, "a sample, not the whole room");
    assert!(peers.ends_with(&ids[10..]), "the two newest: {peers:?}");
    assert!(peers.iter().all(|p| ids.contains(p)));
    // Exactly the members it met heard of it.
    for (client, id, _) in members.iter_mut() {
        say(
            client,
            json!({ "type": "signal", "to": newcomer_id, "data": "hello" }),
        )
        .await;
        // The notice was queued before the answer to this signal could be.
        let heard_of_it = loop {
            let heard = hear(client).await.unwrap();
            if heard["type"] == "peer-joined" && heard["id"] == newcomer_id {
                break true;
            }
            if heard["type"] == "error" {
                assert_eq!(heard["code"], "NO_SUCH_PEER");
                break false;
            }
        };
        assert_eq!(heard_of_it, peers.contains(id), "member {id}");
    }
    // The newcomer hears the greetings of those it met, and nobody else's.
    let mut greeted = Vec::new();
    while greeted.len() < peers.len() {
        let heard = hear(&mut newcomer).await.unwrap();
        assert_eq!(heard["type"], "signal");
        greeted.push(heard["from"].as_u64().unwrap());
    }
    greeted.sort_unstable();
    assert_eq!(greeted, peers);
}

#[tokio::test]
async fn the_server_serves_the_built_page() {
    let site = std::env::temp_dir().join(format!("trustfold-site-{}", std::process::id()));
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("index.html"),
        "<!doctype html><title>trustfold</title>",
    )
    .unwrap();
    let addr = spawn(
        ([127, 0, 0, 1], 0).into(),
        Limits::default(),
        Some(site.clone()),
    )
    .await
    .unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("<title>trustfold</title>"));
    std::fs::remove_dir_all(site).unwrap();
}

/// One raw HTTP/1.1 GET of `path` with these extra header lines; the
/// response's head (as sent, and lowercased) and body.
async fn get(addr: std::net::SocketAddr, path: &str, headers: &str) -> (String, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    (head.to_lowercase(), head, response[split + 4..].to_vec())
}

/// The page's files go out as the build compressed them (brotli to a
/// browser that takes it, else gzip, else as they are), marked to be
/// checked before reuse; an unchanged file is answered 304 without a body
/// (issue #15: a first visit sent 2.78 MB uncompressed, with no cache
/// headers).
#[tokio::test]
async fn the_page_goes_out_precompressed_and_revalidated() {
    let site = std::env::temp_dir().join(format!("trustfold-site-z-{}", std::process::id()));
    std::fs::create_dir_all(&site).unwrap();
    let wasm: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(site.join("app.wasm"), &wasm).unwrap();
    std::fs::write(site.join("app.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(site.join("app.wasm.gz"), b"gzip bytes").unwrap();
    let addr = spawn(
        ([127, 0, 0, 1], 0).into(),
        Limits::default(),
        Some(site.clone()),
    )
    .await
    .unwrap();

    let (head, _, body) = get(addr, "/app.wasm", "Accept-Encoding: gzip, br\r\n").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: br"), "{head}");
    assert!(head.contains("content-type: application/wasm"), "{head}");
    assert!(head.contains("cache-control: no-cache"), "{head}");
    assert_eq!(body, b"brotli bytes");

    let (head, _, body) = get(addr, "/app.wasm", "Accept-Encoding: gzip\r\n").await;
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert_eq!(body, b"gzip bytes");

    let (head, sent, body) = get(addr, "/app.wasm", "").await;
    assert!(!head.contains("content-encoding"), "{head}");
    assert_eq!(body, wasm);

    let modified = sent
        .lines()
        .find_map(|l| {
            l.strip_prefix("last-modified: ")
                .or(l.strip_prefix("Last-Modified: "))
        })
        .expect("a last-modified date")
        .to_owned();
    let (head, _, body) = get(
        addr,
        "/app.wasm",
        &format!("If-Modified-Since: {modified}\r\n"),
    )
    .await;
    assert!(head.starts_with("http/1.1 304"), "{head}");
    assert!(body.is_empty());
    std::fs::remove_dir_all(site).unwrap();
}

#[test]
fn the_binary_lists_every_limit_with_its_default() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trustfold-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--max-connections",
        "--max-per-address",
        "--max-rooms",
        "--room-capacity",
        "--introductions",
        "--max-frame",
        "--handshake-timeout",
        "--idle-timeout",
        "--connection-rate",
        "--address-rate",
        "--target-rate",
        "--address-joins",
        "--room-joins",
        "--queue-bytes",
        "--queue-messages",
        "--trusted-proxy",
    ] {
        assert!(help.contains(flag), "{flag} is missing from --help");
    }
    assert!(
        help.contains("[1000]") && help.contains("[50/200]"),
        "{help}"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_trustfold-server"))
        .args(["--max-connections", "many"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
