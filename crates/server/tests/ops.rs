//! Running the server (issue #16, operations), on loopback: `/healthz`,
//! `/readyz` and `/metrics` answer what a person or a load balancer needs,
//! and a stop tells every WebSocket `SHUTTING_DOWN`, closes kept-alive HTTP
//! connections, takes no new connection, and ends once the connections
//! are closed. The relay's stop under writes (nothing it
//! stored left unannounced) is in `tests/relay_crash.rs`. Native only.

mod nats_support;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use trustfold_server::relay::{Relay, RelayConfig};
use trustfold_server::{Limits, Rate, Rooms, serve_until};

/// A server with a relay on a free port, stopped when `stop` is sent;
/// the task returns when the stop is complete.
async fn server(
    name: &str,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ops")
        .join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let relay = Relay::open(RelayConfig {
        path: dir.join("relay.sqlite"),
        ..RelayConfig::default()
    })
    .unwrap();
    let rooms = Rooms::new(Limits {
        max_per_address: 1_000,
        address_joins: Rate::new(1_000.0, 1_000.0),
        ..Limits::default()
    });
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(async move {
        serve_until(listener, rooms, None, Some(relay), async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop, served)
}

/// One HTTP/1.1 connection kept open between requests.
struct KeptAlive(BufReader<TcpStream>);

impl KeptAlive {
    async fn open(addr: SocketAddr) -> KeptAlive {
        KeptAlive(BufReader::new(TcpStream::connect(addr).await.unwrap()))
    }

    /// `GET path`: the status code and the body.
    async fn get(&mut self, path: &str) -> (u16, String) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        self.0
            .get_mut()
            .write_all(request.as_bytes())
            .await
            .unwrap();
        let mut status = String::new();
        self.0.read_line(&mut status).await.unwrap();
        let code: u16 = status.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            self.0.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(n) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = n.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        self.0.read_exact(&mut body).await.unwrap();
        (code, String::from_utf8(body).unwrap())
    }
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

/// The value of the metric line starting with `name` (labels included).
fn sample(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_say_what_the_server_holds_and_which_limits_were_hit() {
    let (addr, _stop, _served) = server("metrics").await;
    let mut http = KeptAlive::open(addr).await;
    assert_eq!(http.get("/healthz").await, (200, "ok\n".to_owned()));
    let (code, body) = http.get("/readyz").await;
    assert_eq!(
        (code, serde_json::from_str::<Value>(&body).unwrap()),
        (200, json!({ "ready": true }))
    );

    // A signalling client breaks a rule (a bad room name); a relay client joins.
    let (mut bad, _) = connect_async(format!("ws://{addr}/signal")).await.unwrap();
    let join = json!({ "type": "join", "room": "no spaces allowed" });
    bad.send(Message::Text(join.to_string().into()))
        .await
        .unwrap();
    assert_eq!(hear(&mut bad).await["code"], "BAD_ROOM");
    let (mut relay, _) = connect_async(format!("ws://{addr}/relay")).await.unwrap();
    let join = json!({ "type": "join", "room": "metrics", "private": false });
    relay
        .send(Message::Text(join.to_string().into()))
        .await
        .unwrap();
    assert_eq!(hear(&mut relay).await["type"], "joined");

    // The relay counts a client once its session is set up, just after `joined`.
    let mut metrics = String::new();
    for _ in 0..100 {
        let (code, body) = http.get("/metrics").await;
        assert_eq!(code, 200);
        metrics = body;
        if sample(&metrics, "trustfold_relay_clients") == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        sample(
            &metrics,
            r#"trustfold_limits_hit_total{service="signalling",code="BAD_ROOM"}"#
        ),
        Some(1),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "trustfold_relay_networks_loaded"),
        Some(1),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "trustfold_relay_clients"),
        Some(1),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "trustfold_relay_events_stored"),
        Some(0),
        "{metrics}"
    );
    // This HTTP connection and the relay client at least (the refused
    // signalling client may still be closing).
    assert!(
        sample(&metrics, "trustfold_connections").unwrap() >= 2,
        "{metrics}"
    );
    assert!(
        metrics.contains("# HELP trustfold_limits_hit_total "),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_tells_every_connection_closes_kept_ones_takes_no_one_new_and_ends_when_they_are_closed()
 {
    let (addr, stop, served) = server("stop").await;
    let mut http = KeptAlive::open(addr).await;
    assert_eq!(http.get("/readyz").await.0, 200);
    let (mut member, _) = connect_async(format!("ws://{addr}/signal")).await.unwrap();
    member
        .send(Message::Text(
            json!({ "type": "join", "room": "stop" }).to_string().into(),
        ))
        .await
        .unwrap();
    assert_eq!(hear(&mut member).await["type"], "joined");
    let (mut relay, _) = connect_async(format!("ws://{addr}/relay")).await.unwrap();
    let join = json!({ "type": "join", "room": "stop", "private": false });
    relay
        .send(Message::Text(join.to_string().into()))
        .await
        .unwrap();
    assert_eq!(hear(&mut relay).await["type"], "joined");

    stop.send(()).unwrap();
    let said = hear(&mut member).await;
    assert_eq!(
        (said["type"].as_str(), said["code"].as_str()),
        (Some("error"), Some("SHUTTING_DOWN"))
    );
    let said = hear(&mut relay).await;
    assert_eq!(
        (said["type"].as_str(), said["code"].as_str()),
        (Some("error"), Some("SHUTTING_DOWN"))
    );
    // A kept-alive HTTP connection with nothing in hand is closed.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), http.0.read_to_end(&mut rest)).await;
    assert!(
        matches!(closed, Ok(Ok(0))),
        "the kept connection stayed open: {closed:?}"
    );
    // Nobody new gets in.
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if TcpStream::connect(addr).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "the server still accepts connections");
    // Once the last connection closes, the stop is complete, well within its drain time.
    let ended = tokio::time::timeout(Duration::from_secs(5), served).await;
    assert!(
        ended.is_ok(),
        "the stop did not end after every connection closed"
    );
}

/// `/readyz` with `--nats`: ready while NATS is connected, 503
/// `NATS_UNREACHABLE` while the only NATS server is down (a load balancer
/// then sends pages elsewhere), ready again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_connection_to_nats() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("ops")
        .join(format!("{}-nats", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cluster = nats_support::Cluster::start(&dir.join("nats"), 1);
    let url = cluster.url(0);
    let relay = Relay::open_shared(RelayConfig {
        path: dir.join("relay.sqlite"),
        nats: Some(url.clone()),
        ..RelayConfig::default()
    })
    .await
    .unwrap();
    let rooms = Rooms::spanning(Limits::default(), &url).await.unwrap();
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(trustfold_server::serve_with(
        listener,
        rooms,
        None,
        Some(relay),
    ));
    let readiness = || async move {
        let mut http = KeptAlive::open(addr).await;
        http.get("/readyz").await
    };
    let until = |want: u16, reason: &'static str| async move {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = readiness().await;
            if status == want && body.contains(reason) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never {want} {reason}: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    until(200, "\"ready\":true").await;
    cluster.kill(0);
    until(503, "NATS_UNREACHABLE").await;
    cluster.restart(0);
    until(200, "\"ready\":true").await;
}
