//! One client of the relay, from upgrade to close (`GET /relay`; the
//! contract is in the [module docs](super)): the join, then sync frames
//! both ways through the network's [`RelayNetwork`](trustfold::relay::RelayNetwork),
//! with the connection's frame rate and the join deadline bounded.

use super::Said;
use super::hub::{Client, Hub, JoinError, Loaded};
use crate::connection::Accepted;
use crate::limits::Bucket;
use crate::outbox::{Out, Outbox};
use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{FutureExt, StreamExt};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Instant;
use trustfold::event::PublicKey;
use trustfold::relay::RelayError;
use trustfold::sync::FrameError;

/// Bytes of frames taken together from one client, ingested as one batch
/// (one durable write), like a page does with its peers' frames: enough
/// for a thousand small events per write, and little enough that the
/// network's lock, held for a turn, is never held long — a client
/// sending fast holds up the others of its network by one such turn.
const BYTES_PER_TURN: usize = 256 * 1024;

/// Messages taken in one turn at most, whatever their size: empty frames
/// or pings would otherwise keep a turn going (and its worker thread
/// busy) for as long as the client keeps them coming.
const MESSAGES_PER_TURN: usize = 64;

/// The first message: which network.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Join {
    Join {
        room: String,
        #[serde(default)]
        private: bool,
    },
}

/// `/relay`: upgrades to the relay's WebSocket protocol.
pub(crate) async fn upgrade(
    ws: WebSocketUpgrade,
    State(hub): State<Arc<Hub>>,
    Extension(accepted): Extension<Accepted>,
) -> Response {
    let max = trustfold::sync::MAX_FRAME + 1024;
    let upgraded = Instant::now();
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| client(socket, hub, accepted, upgraded))
}

/// The network a join names, checked: a private network's room is its
/// identity, 64 hex digits.
fn network_of(text: &str, hub: &Hub) -> Result<(String, Option<PublicKey>), Said> {
    let Ok(Join::Join { room, private }) = serde_json::from_str::<Join>(text) else {
        return Err(Said::error(
            "MALFORMED",
            "the first message joins a network",
        ));
    };
    let max = hub.config().max_room_name;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if room.is_empty() || room.len() > max || !room.chars().all(plain) {
        return Err(Said::error("BAD_ROOM", "not a room name this relay serves"));
    }
    if !private {
        return Ok((room, None));
    }
    match PublicKey::from_hex(&room) {
        Some(key) if room == key.to_hex() => Ok((room, Some(key))),
        _ => Err(Said::error(
            "BAD_ROOM",
            "a private network's room is its identity: 64 lowercase hex digits",
        )),
    }
}

/// Runs the core's relay over `frames` from `client`, in a blocking
/// section (the store writes and fsyncs), and delivers what it says.
/// False once the client is to go: it sent something invalid now, or was
/// dropped earlier for an orphan of its that another client's events
/// released (its frames since are not read).
fn take_frames(loaded: &mut Loaded, client: Client, frames: &[Vec<u8>]) -> bool {
    if !loaded.clients.contains_key(&client) {
        return false;
    }
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let now_ms = u64::try_from(loaded.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let Loaded {
        network,
        store,
        shared,
        ..
    } = loaded;
    let out = tokio::task::block_in_place(|| match shared {
        Some(shared) => {
            let mut both = super::shared::Shared {
                copy: store,
                shared,
            };
            network.receive(&client, &refs, &mut both, now_ms)
        }
        None => network.receive(&client, &refs, store, now_ms),
    });
    if let Some(error) = &out.store_error {
        tracing::error!("relay: the store failed: {error}");
    }
    let failed = out.ends_session();
    let dropped = loaded.deliver(out);
    !(failed || dropped.contains(&client))
}

/// One client's connection.
async fn client(socket: WebSocket, hub: Arc<Hub>, accepted: Accepted, upgraded: Instant) {
    let config = hub.config().clone();
    let outbox =
        Arc::new(Outbox::new(config.queue_bytes, config.queue_messages).within(hub.queues.clone()));
    let (sink, mut stream) = socket.split();
    let mut writer = crate::outbox::spawn_writer(sink, outbox.clone());
    // The join, within the deadline.
    let deadline = upgraded + config.handshake_timeout;
    let first = tokio::time::timeout_at(deadline.into(), stream.next()).await;
    let text = match first {
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(Some(Ok(_))) => {
            outbox.push_control(Out::Text(
                Said::error("NOT_JOINED", "join a network first").into(),
            ));
            outbox.close();
            let _ = tokio::time::timeout(super::CLOSE_GRACE, &mut writer).await;
            return;
        }
        Err(_) => {
            hub.hits.hit("HANDSHAKE_TIMEOUT");
            outbox.push_control(Out::Text(
                Said::error("HANDSHAKE_TIMEOUT", "no join in time").into(),
            ));
            outbox.close();
            let _ = tokio::time::timeout(super::CLOSE_GRACE, &mut writer).await;
            return;
        }
        _ => return,
    };
    let (room, private) = match network_of(&text, &hub) {
        Ok(network) => network,
        Err(said) => {
            outbox.push_control(Out::Text(said.into()));
            outbox.close();
            let _ = tokio::time::timeout(super::CLOSE_GRACE, &mut writer).await;
            return;
        }
    };
    let network = match hub.network(&room, private) {
        Ok(network) => network,
        Err(e) => {
            let said = match e {
                JoinError::TooManyNetworks => {
                    hub.hits.hit("RELAY_FULL");
                    Said::error(
                        "RELAY_FULL",
                        "the relay has all the networks loaded it allows",
                    )
                }
                JoinError::Store(e) => {
                    tracing::error!("relay: loading {room}: {e}");
                    Said::error("RELAY_FAILED", "the relay's store failed")
                }
            };
            outbox.push_control(Out::Text(said.into()));
            outbox.close();
            let _ = tokio::time::timeout(super::CLOSE_GRACE, &mut writer).await;
            return;
        }
    };
    let me = hub.client();
    {
        let mut loaded = network.lock().await;
        let salt = hub.salt(me);
        outbox.push_control(Out::Text(Said::joined(&config).into()));
        loaded.clients.insert(me, outbox.clone());
        loaded.idle_since = None;
        let Loaded {
            network: net,
            store,
            clients,
            ..
        } = &mut *loaded;
        match tokio::task::block_in_place(|| net.connect(me, store, salt)) {
            Ok(frames) => {
                hub.linked
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                for (to, frame) in frames {
                    if let Some(outbox) = clients.get(&to) {
                        outbox.push_binary(frame.into());
                    }
                }
            }
            Err(e) => {
                tracing::error!("relay: {room}: {e}");
                loaded.clients.remove(&me);
                outbox.close();
                return;
            }
        }
    }
    tracing::debug!("relay: client {me} from {} joined {room}", accepted.peer);
    let mut bucket = Bucket::full(config.frame_rate);
    let mut bytes_bucket = Bucket::full(config.bytes_rate);
    let mut heard = Instant::now();
    let every = config.idle_timeout / 3;
    let mut ping = tokio::time::interval_at((Instant::now() + every).into(), every);
    let mut said: Option<Said> = None;
    let stopped = hub.stopping.stopped();
    tokio::pin!(stopped);
    loop {
        let next = tokio::select! {
            () = outbox.kicked() => {
                hub.hits.hit("SLOW_READER");
                break;
            }
            // The server stops: looked at only between turns, so a batch
            // being stored is finished and announced first.
            () = &mut stopped => {
                said = Some(Said::error(crate::ops::SHUTTING_DOWN, crate::Refusal::SHUTTING_DOWN.message));
                break;
            }
            () = tokio::time::sleep_until((heard + config.idle_timeout).into()) => {
                hub.hits.hit("IDLE_TIMEOUT");
                said = Some(Said::error("IDLE_TIMEOUT", "nothing heard for too long"));
                break;
            }
            _ = ping.tick() => {
                // Nothing may be pushed to a client that holds the shared
                // budget by never reading: it is checked here.
                if outbox.stalled_over_budget() {
                    outbox.kick();
                    break;
                }
                outbox.push_control(Out::Ping);
                continue;
            }
            next = stream.next() => next,
        };
        let Some(next) = next else { break };
        heard = Instant::now();
        let mut frames = Vec::new();
        let mut end = take(next, &mut frames);
        let mut messages = 1;
        let mut turn_bytes = frames.iter().map(Vec::len).sum::<usize>();
        while end.is_none() && turn_bytes < BYTES_PER_TURN && messages < MESSAGES_PER_TURN {
            match stream.next().now_or_never() {
                Some(Some(next)) => {
                    messages += 1;
                    let before = frames.len();
                    end = take(next, &mut frames);
                    turn_bytes += frames[before..].iter().map(Vec::len).sum::<usize>();
                }
                Some(None) => end = Some(None),
                None => break,
            }
        }
        // Every message counts against the frame rate, pings and empty
        // frames too.
        if messages > bucket_room(&mut bucket, &config, messages) {
            hub.hits.hit("RATE_LIMITED");
            said = Some(Said::error("RATE_LIMITED", "too many frames per second"));
            break;
        }
        let debt = bytes_bucket.spend(config.bytes_rate, turn_bytes as f64);
        if !frames.is_empty() {
            let mut loaded = network.lock().await;
            if !take_frames(&mut loaded, me, &frames) {
                break;
            }
        }
        if let Some(last) = end {
            said = last;
            break;
        }
        // Over its byte rate: nothing more is read from it until the debt
        // is paid (its socket's buffers fill, and it waits).
        if !debt.is_zero() {
            tokio::select! {
                () = outbox.kicked() => break,
                () = tokio::time::sleep(debt) => {}
            }
            heard = Instant::now();
        }
    }
    hub.linked
        .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    {
        let mut loaded = network.lock().await;
        loaded.network.disconnect(&me);
        loaded.clients.remove(&me);
        if loaded.clients.is_empty() {
            loaded.idle_since = Some(Instant::now());
        }
    }
    if let Some(said) = said {
        outbox.push_control(Out::Text(said.into()));
    }
    outbox.close();
    if tokio::time::timeout(super::CLOSE_GRACE, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Takes one message from a joined client: a sync frame into `frames`
/// (`None`: go on), or the end of the link (`Some`), with what to say
/// last if anything — TEXT is not a sync frame, and a message over the
/// socket's limit is the protocol's `frame_too_large`; a close or a link
/// that failed gets no word.
fn take(message: Result<Message, axum::Error>, frames: &mut Vec<Vec<u8>>) -> Option<Option<Said>> {
    match message {
        Ok(Message::Binary(bytes)) => {
            frames.push(bytes.to_vec());
            None
        }
        Ok(Message::Ping(_) | Message::Pong(_)) => None,
        Ok(Message::Text(_)) => Some(Some(Said::error(
            "MALFORMED",
            "after the join, every message is a BINARY sync frame",
        ))),
        Ok(Message::Close(_)) => Some(None),
        Err(error) => Some(
            too_large(&error)
                .map(|size| Said::dropped(&RelayError::Frame(FrameError::TooLarge(size)))),
        ),
    }
}

/// The size of a message the socket refused as over its limit, if that is
/// why the read failed.
fn too_large(error: &axum::Error) -> Option<usize> {
    use tungstenite::error::{CapacityError, Error};
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(Error::Capacity(CapacityError::MessageTooLong { size, .. })) = e.downcast_ref()
        {
            return Some(*size);
        }
        source = e.source();
    }
    None
}

/// Takes `frames` tokens from the connection's bucket; how many it had.
fn bucket_room(bucket: &mut Bucket, config: &super::RelayConfig, frames: usize) -> usize {
    let mut taken = 0;
    while taken < frames && bucket.take(config.frame_rate) {
        taken += 1;
    }
    taken
}
