//! The signalling server on loopback: it relays within a room and nowhere
//! else, and a client that sends malformed JSON, oversized frames, floods,
//! or tries to join many rooms is closed alone — the server stays up and
//! the other clients keep working. Native only (it is a native binary).
#![cfg(not(target_arch = "wasm32"))]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use trustfold::server::{Limits, spawn};

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn server(limits: Limits) -> SocketAddr {
    spawn(([127, 0, 0, 1], 0).into(), limits, None)
        .await
        .unwrap()
}

async fn client(addr: SocketAddr) -> Client {
    connect_async(format!("ws://{addr}/signal"))
        .await
        .unwrap()
        .0
}

async fn say(client: &mut Client, message: Value) {
    client
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON message, or `None` once the server closed the connection.
async fn hear(client: &mut Client) -> Option<Value> {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(5), client.next())
            .await
            .expect("the server answers within 5 s");
        match next {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn join(addr: SocketAddr, room: &str) -> (Client, u64) {
    let mut c = client(addr).await;
    say(&mut c, json!({ "type": "join", "room": room })).await;
    let joined = hear(&mut c).await.unwrap();
    assert_eq!(joined["type"], "joined");
    (c, joined["id"].as_u64().unwrap())
}

/// Whether two members of a room can still signal each other.
async fn still_relays(a: &mut Client, b: &mut Client, b_id: u64) {
    say(
        a,
        json!({ "type": "signal", "to": b_id, "data": { "sdp": "still here" } }),
    )
    .await;
    // Skip notices of members coming and going.
    let relayed = loop {
        let heard = hear(b).await.unwrap();
        if heard["type"] == "signal" {
            break heard;
        }
    };
    assert_eq!(relayed["data"]["sdp"], "still here");
}

#[tokio::test]
async fn members_of_a_room_signal_each_other_and_nobody_else() {
    let addr = server(Limits::default()).await;
    let (mut a, a_id) = join(addr, "net-1").await;
    let (mut b, b_id) = join(addr, "net-1").await;
    let (mut c, _) = join(addr, "net-2").await;
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

    // Another room's member cannot reach a: the server names no such peer.
    say(
        &mut c,
        json!({ "type": "signal", "to": a_id, "data": "hi" }),
    )
    .await;
    assert_eq!(hear(&mut c).await.unwrap()["code"], "NO_SUCH_PEER");

    drop(b);
    assert_eq!(
        hear(&mut a).await.unwrap(),
        json!({ "type": "peer-left", "id": b_id })
    );
}

#[tokio::test]
async fn a_misbehaving_client_is_closed_alone() {
    let addr = server(Limits::default()).await;
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
    assert_eq!(hear(&mut hopper).await.unwrap()["code"], "ONE_ROOM");

    // Through all of that, a and b kept talking.
    still_relays(&mut a, &mut b, b_id).await;
}

#[tokio::test]
async fn rooms_and_members_are_bounded_with_clear_errors() {
    let addr = server(Limits {
        max_members: 2,
        max_rooms: 2,
        ..Limits::default()
    })
    .await;
    let (_a, _) = join(addr, "one").await;
    let (_b, _) = join(addr, "one").await;
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
