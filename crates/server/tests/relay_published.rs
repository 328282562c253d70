//! What the relay publishes about itself, on loopback: its limits document
//! at `GET /relay/limits` and in the `joined` answer (the same numbers, the
//! flags' own), and, on a server that runs no relay, `NO_RELAY` at
//! `/relay`, so a page can say "no relay here" rather than "unreachable".
//! Native only.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use trustfold::relay::{AuthorRate, PublishedLimits};
use trustfold_server::relay::{Relay, RelayConfig};
use trustfold_server::{Limits, Rate, Rooms, serve, serve_with};

/// The body of `GET path` on `addr`, with its status line.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The next text message of `ws` (within 5 s), as JSON.
async fn hear<S>(ws: &mut S) -> Value
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).unwrap(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no text message: {other:?}"),
        }
    }
}

fn rooms() -> std::sync::Arc<Rooms> {
    Rooms::new(Limits {
        max_per_address: 1_000,
        address_joins: Rate::new(1_000.0, 1_000.0),
        ..Limits::default()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_limits_document_and_the_joined_answer_carry_the_configured_numbers() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("relay-published")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = RelayConfig {
        path: dir.join("relay.sqlite"),
        idle: Duration::from_secs(45),
        frame_rate: Rate::new(70.0, 90.0),
        ..RelayConfig::default()
    };
    config.limits.max_events = 1_234_567;
    config.limits.max_bytes = 5_000_000;
    config.limits.author_share = 20;
    config.limits.author_rate = AuthorRate {
        per_minute: 30,
        burst: 40,
    };
    let relay = Relay::open(config).unwrap();
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_with(listener, rooms(), None, Some(relay)));

    let (status, body) = get(addr, "/relay/limits").await;
    assert!(status.contains("200"), "{status}");
    let document: Value = serde_json::from_str(&body).unwrap();
    let limits: PublishedLimits = serde_json::from_value(document.clone()).unwrap();
    assert_eq!(
        limits,
        PublishedLimits {
            max_events_per_network: 1_234_567,
            max_bytes_per_network: 5_000_000,
            author_share_percent: 20,
            frames_per_second: 70.0,
            frames_burst: 90.0,
            bytes_per_second: 2.0 * 1024.0 * 1024.0,
            bytes_burst: 4.0 * 1024.0 * 1024.0,
            author_events_per_minute: 30,
            author_events_burst: 40,
            max_frame_bytes: trustfold::sync::MAX_FRAME as u64,
            window_bytes: trustfold::sync::Limits::default().window as u64,
            idle_release_seconds: 45,
            evicts_events: false,
        }
    );

    let (mut ws, _) = connect_async(format!("ws://{addr}/relay")).await.unwrap();
    let join = json!({ "type": "join", "room": "published", "private": false });
    ws.send(Message::Text(join.to_string().into()))
        .await
        .unwrap();
    let joined = hear(&mut ws).await;
    assert_eq!(joined["type"], "joined");
    assert_eq!(joined["limits"], document, "one document, two places");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_server_without_a_relay_says_so_at_its_address() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, rooms(), None));

    let (mut ws, _) = connect_async(format!("ws://{addr}/relay")).await.unwrap();
    let said = hear(&mut ws).await;
    assert_eq!(said["type"], "error");
    assert_eq!(said["code"], "NO_RELAY");
    let closed = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    assert!(
        matches!(
            closed,
            Ok(None | Some(Ok(Message::Close(_))) | Some(Err(_)))
        ),
        "closed after saying so: {closed:?}"
    );
    let (status, _) = get(addr, "/relay/limits").await;
    assert!(status.contains("404"), "{status}");
}
