//! Running the server: liveness, readiness, metrics, and a graceful stop.
//!
//! * `GET /healthz` answers 200 `ok` while the process serves.
//! * `GET /readyz` answers 200 `{"ready":true}` while it takes new
//!   connections, 503 `{"ready":false,"reason":"SHUTTING_DOWN"}` to a
//!   request that arrives as it stops (after that its port refuses
//!   connections, which a load balancer reads the same way), 503 with
//!   `RELAY_FAILED` when the relay's database cannot be read, and
//!   `NATS_UNREACHABLE` when the relay shares its networks or the rooms
//!   span instances (`--nats`) and NATS is not connected.
//! * `GET /metrics` is the Prometheus text format, for a person as much as
//!   a scraper: connections, rooms, the relay's loaded networks, clients,
//!   events and bytes stored (summed at most every 5 s), and every limit
//!   hit by its stable code.
//! * A stop ([`crate::serve_until`]) refuses new connections, closes
//!   kept-alive HTTP connections once their request in hand is answered,
//!   tells every WebSocket `SHUTTING_DOWN` once the message it is handling
//!   is done — a relay batch being stored is finished and announced first
//!   — and waits for them to close, at most [`DRAIN`].

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// How long a stop waits for connections to close before the process ends.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The code said to every connection when the server stops.
pub const SHUTTING_DOWN: &str = "SHUTTING_DOWN";

/// How many times each limit was hit, by its stable code (the codes are a
/// fixed set of constants, so the map stays small).
#[derive(Default)]
pub(crate) struct Hits(Mutex<BTreeMap<String, u64>>);

impl Hits {
    /// Counts one hit of `code`.
    pub(crate) fn hit(&self, code: &str) {
        let mut hits = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match hits.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                hits.insert(code.to_owned(), 1);
            }
        }
    }

    /// Every code hit so far, with its count.
    pub(crate) fn counts(&self) -> Vec<(String, u64)> {
        let hits = self.0.lock().unwrap_or_else(|e| e.into_inner());
        hits.iter().map(|(code, n)| (code.clone(), *n)).collect()
    }
}

/// Whether the server is stopping, watched by every connection.
pub(crate) struct Stopping(watch::Sender<bool>);

impl Default for Stopping {
    fn default() -> Self {
        Stopping(watch::Sender::new(false))
    }
}

impl Stopping {
    /// Starts the stop.
    pub(crate) fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Whether the stop has started.
    pub(crate) fn is_stopping(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the stop has started (at once if it has).
    pub(crate) fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut watching = self.0.subscribe();
        async move {
            // The sender lives as long as the server's shared state, which
            // outlives every connection: an error here means it is gone,
            // and then so is the server.
            let _ = watching.wait_for(|stopping| *stopping).await;
        }
    }
}

/// One metric in the text format: its `# HELP` and `# TYPE` lines, then a
/// line per sample (`labels` may be empty).
pub(crate) fn metric(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: &[(String, u64)],
) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// What the operations routes read: the signalling state, and the relay if
/// this server runs one.
#[derive(Clone)]
struct Served {
    rooms: std::sync::Arc<crate::Rooms>,
    relay: Option<std::sync::Arc<crate::relay::hub::Hub>>,
}

/// `/healthz`, `/readyz` and `/metrics` (see the module docs).
pub(crate) fn routes(
    rooms: std::sync::Arc<crate::Rooms>,
    relay: Option<&crate::relay::Relay>,
) -> axum::Router {
    use axum::routing::get;
    axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(Served {
            rooms,
            relay: relay.map(|r| r.hub().clone()),
        })
}

async fn ready(
    axum::extract::State(served): axum::extract::State<Served>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    use axum::http::StatusCode;
    let not = |reason: &str| {
        let body = serde_json::json!({ "ready": false, "reason": reason });
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body))
    };
    if served.rooms.stopping.is_stopping() {
        return not(SHUTTING_DOWN);
    }
    // Rooms that span instances cannot meet the others' members now.
    if served.rooms.link().is_some_and(|link| !link.connected()) {
        return not("NATS_UNREACHABLE");
    }
    if let Some(hub) = &served.relay
        && let Err(reason) = tokio::task::block_in_place(|| hub.ready())
    {
        return not(reason);
    }
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "ready": true })),
    )
}

async fn metrics(
    axum::extract::State(served): axum::extract::State<Served>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let rooms = &served.rooms;
    let gauge = |value: usize| vec![(String::new(), value as u64)];
    let mut out = String::new();
    metric(
        &mut out,
        "trustfold_connections",
        "gauge",
        "TCP connections open (signalling, relay and page).",
        &gauge(rooms.connection_count()),
    );
    metric(
        &mut out,
        "trustfold_signalling_rooms",
        "gauge",
        "Signalling rooms with at least one member (on any instance, with --nats).",
        &gauge(rooms.room_count()),
    );
    if rooms.link().is_some() {
        metric(
            &mut out,
            "trustfold_signalling_other_instances",
            "gauge",
            "Other instances the signalling rooms span now (heard within the last seconds).",
            &gauge(rooms.instance_count()),
        );
    }
    let mut hits: Vec<(String, u64)> = rooms
        .hits
        .counts()
        .into_iter()
        .map(|(code, n)| (format!("{{service=\"signalling\",code=\"{code}\"}}"), n))
        .collect();
    if let Some(hub) = &served.relay {
        metric(
            &mut out,
            "trustfold_relay_networks_loaded",
            "gauge",
            "Networks the relay holds in memory now.",
            &gauge(hub.loaded()),
        );
        metric(
            &mut out,
            "trustfold_relay_clients",
            "gauge",
            "Clients linked to the relay now.",
            &gauge(hub.linked.load(std::sync::atomic::Ordering::Relaxed)),
        );
        match tokio::task::block_in_place(|| hub.stored_recently()) {
            Ok((events, bytes)) => {
                metric(
                    &mut out,
                    "trustfold_relay_events_stored",
                    "gauge",
                    "Events the relay's database holds.",
                    &[(String::new(), events)],
                );
                metric(
                    &mut out,
                    "trustfold_relay_bytes_stored",
                    "gauge",
                    "Bytes of events the relay's database holds.",
                    &[(String::new(), bytes)],
                );
            }
            Err(e) => tracing::error!("metrics: the relay's store failed: {e}"),
        }
        hits.extend(
            hub.hits
                .counts()
                .into_iter()
                .map(|(code, n)| (format!("{{service=\"relay\",code=\"{code}\"}}"), n)),
        );
    }
    metric(
        &mut out,
        "trustfold_limits_hit_total",
        "counter",
        "Times a limit was hit (a refusal, a notice or a drop), by its code.",
        &hits,
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}
