//! Helpers for the signalling server's tests: clients bound to chosen
//! loopback addresses (127.0.0.x), joining, hearing, and checking that
//! honest members keep working.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{WebSocketStream, client_async};
use trustfold_server::{Limits, Rate, spawn};

pub type Client = WebSocketStream<TcpStream>;

/// A server on a free loopback port.
pub async fn server(limits: Limits) -> SocketAddr {
    spawn(([127, 0, 0, 1], 0).into(), limits, None)
        .await
        .unwrap()
}

/// The defaults, except that one address (the tests' 127.0.0.1) may join
/// and connect as often as the tests need.
pub fn generous() -> Limits {
    Limits {
        max_per_address: 1_000,
        address_joins: Rate::new(1_000.0, 1_000.0),
        ..Limits::default()
    }
}

/// A TCP connection from `127.0.0.<host>` (any port) to `addr`.
pub async fn tcp_from(addr: SocketAddr, host: u8) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, host], 0).into()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// A WebSocket from `127.0.0.<host>` with extra request headers.
pub async fn try_connect(
    addr: SocketAddr,
    host: u8,
    headers: &[(&'static str, &str)],
) -> Result<Client, Error> {
    let mut request = format!("ws://{addr}/signal").into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().append(*name, value.parse().unwrap());
    }
    let stream = tcp_from(addr, host).await;
    Ok(client_async(request, stream).await?.0)
}

pub async fn client_from(addr: SocketAddr, host: u8) -> Client {
    try_connect(addr, host, &[]).await.unwrap()
}

pub async fn client(addr: SocketAddr) -> Client {
    client_from(addr, 1).await
}

/// The code of a connection refused before the upgrade (503 + JSON).
pub fn refused_code(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["type"], "error");
            body["code"].as_str().unwrap().to_owned()
        }
        Err(e) => panic!("refused without a code: {e}"),
        Ok(_) => panic!("not refused"),
    }
}

pub async fn say(client: &mut Client, message: Value) {
    client
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON message, or `None` once the server closed the connection.
pub async fn hear(client: &mut Client) -> Option<Value> {
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

/// The next error code heard (skipping other messages), or `None` if the
/// connection closed first.
pub async fn hear_error(client: &mut Client) -> Option<String> {
    while let Some(message) = hear(client).await {
        if message["type"] == "error" {
            return Some(message["code"].as_str().unwrap().to_owned());
        }
    }
    None
}

/// Joins `room` from `127.0.0.<host>`; returns the client, its id and the
/// peers it was introduced to. `joined` must be the first thing heard.
pub async fn join_from(addr: SocketAddr, host: u8, room: &str) -> (Client, u64, Vec<u64>) {
    let mut c = client_from(addr, host).await;
    say(&mut c, json!({ "type": "join", "room": room })).await;
    let joined = hear(&mut c).await.unwrap();
    assert_eq!(joined["type"], "joined", "{joined}");
    let peers = joined["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap())
        .collect();
    (c, joined["id"].as_u64().unwrap(), peers)
}

pub async fn join(addr: SocketAddr, room: &str) -> (Client, u64) {
    let (c, id, _) = join_from(addr, 1, room).await;
    (c, id)
}

/// The error code answering a join of `room` from `127.0.0.<host>`.
pub async fn join_refused(addr: SocketAddr, host: u8, room: &str) -> Option<String> {
    let mut c = client_from(addr, host).await;
    say(&mut c, json!({ "type": "join", "room": room })).await;
    hear_error(&mut c).await
}

/// Everything heard until the client is quiet for `quiet` (or closed).
pub async fn drain(client: &mut Client, quiet: Duration) -> Vec<Value> {
    let mut heard = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout(quiet, client.next()).await {
        if let Message::Text(text) = message {
            heard.push(serde_json::from_str(&text).unwrap());
        }
    }
    heard
}

/// Whether `a` can still signal `b` (whose id is `b_id`) through the server.
pub async fn still_relays(a: &mut Client, b: &mut Client, b_id: u64) {
    say(
        a,
        json!({ "type": "signal", "to": b_id, "data": { "sdp": "still here" } }),
    )
    .await;
    // Skip notices of members coming and going.
    let relayed = loop {
        let heard = hear(b).await.expect("b is still connected");
        if heard["type"] == "signal" {
            break heard;
        }
    };
    assert_eq!(relayed["data"]["sdp"], "still here");
}

/// Two honest members of `room`, from `127.0.0.<host>`.
pub struct Pair {
    pub a: Client,
    pub a_id: u64,
    pub b: Client,
    pub b_id: u64,
}

impl Pair {
    pub async fn new(addr: SocketAddr, host: u8, room: &str) -> Pair {
        let (a, a_id, _) = join_from(addr, host, room).await;
        let (b, b_id, _) = join_from(addr, host, room).await;
        Pair { a, a_id, b, b_id }
    }

    /// Still signalling each other.
    pub async fn check(&mut self) {
        still_relays(&mut self.a, &mut self.b, self.b_id).await;
    }

    /// Keeps both alive (a ping each) for `duration`.
    pub async fn keep_alive(&mut self, duration: Duration) {
        let start = tokio::time::Instant::now();
        while start.elapsed() < duration {
            for c in [&mut self.a, &mut self.b] {
                c.send(Message::Ping(Default::default())).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
