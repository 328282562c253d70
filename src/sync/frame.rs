//! Frames on the wire: a version byte, then a message or one part of one.
//!
//! A message longer than [`MAX_FRAME`] (a big document change) is split into
//! parts and reassembled by the receiver, within bounds: at most
//! [`MAX_MESSAGE`] bytes and [`MAX_PARTIAL`] messages in progress per peer.
//! An unknown version, bytes that do not decode, or a part no honest sender
//! makes is a [`FrameError`], and the peer is dropped.

use super::Message;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The protocol version, first byte of every frame. 2: numbered `Events`,
/// `Ack` and the receive window, `Answered { more }` (issue #11). 3: `Have`
/// `Pull` and `Prune`, lazy push (issue #18). A peer speaking another version is
/// refused as an unknown version.
pub const PROTOCOL: u8 = 3;
/// Largest frame sent or accepted, in bytes (Chromium closes a data channel
/// on a message over 256 KiB).
pub const MAX_FRAME: usize = 64 * 1024;
/// Largest message reassembled from parts.
pub const MAX_MESSAGE: usize = 4 * 1024 * 1024;
/// Messages in progress at once per peer: a page's tasks (its sync loop,
/// its periodic rounds, a publish) may each be sending one, their parts
/// interleaved. Together they hold at most [`MAX_MESSAGE`] (and the part
/// being added): past it the oldest other message in progress is dropped,
/// as if it were lost — else a peer could hold four times that of the
/// receiver's memory with messages it never finishes (a relay has a
/// thousand peers).
pub const MAX_PARTIAL: usize = 4;
/// Room for a frame's header around a part's bytes.
const PART_HEADER: usize = 32;
// The largest event, with its message's header, fits in one message.
const _: () = assert!(crate::event::encoding::MAX_EVENT_BYTES + 1024 <= MAX_MESSAGE);

/// Why a frame from a peer was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// Empty, or another protocol version.
    /// Code `unknown_protocol_version`.
    #[error("unknown protocol version {0:?}")]
    UnknownVersion(Option<u8>),
    /// Over [`MAX_FRAME`] bytes.
    /// Code `frame_too_large`.
    #[error("frame of {0} bytes is over the limit")]
    TooLarge(usize),
    /// The bytes do not decode as a frame or a message.
    /// Code `malformed_frame`.
    #[error("malformed frame")]
    Malformed,
    /// A part no honest sender makes (a count of 1, an index past the count,
    /// a message over [`MAX_MESSAGE`]).
    /// Code `bad_frame_part`.
    #[error("impossible message part")]
    BadPart,
    /// A message no honest peer sends: more heads, ids or events in flight
    /// than the protocol allows (see [`crate::sync::Limits`]).
    /// Code: the [`Violation`]'s.
    #[error("protocol violation: {0}")]
    Violation(Violation),
}

/// Which bound of the protocol a peer's message broke (see
/// [`crate::sync::Limits`]). Each variant's doc names its stable
/// [`code`](Violation::code).
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// A `Hello` with more heads than the protocol allows. Code
    /// `too_many_heads`.
    #[error("too many heads")]
    TooManyHeads,
    /// An `Events` message without events, or numbered 0. Code
    /// `unnumbered_events`.
    #[error("empty or unnumbered events")]
    UnnumberedEvents,
    /// More unacknowledged event bytes than the receive window allows. Code
    /// `receive_window_exceeded`.
    #[error("receive window exceeded")]
    WindowExceeded,
    /// A `Want`, `Have` or `Pull` with more ids than the protocol allows. Code
    /// `too_many_wanted`.
    #[error("too many ids wanted")]
    TooManyWanted,
    /// An `Ack` with more ids than the protocol allows. Code
    /// `too_many_acknowledged`.
    #[error("too many ids acknowledged")]
    TooManyAcknowledged,
}

impl Violation {
    /// The stable code of this violation (snake_case; see each variant).
    pub fn code(&self) -> &'static str {
        match self {
            Violation::TooManyHeads => "too_many_heads",
            Violation::UnnumberedEvents => "unnumbered_events",
            Violation::WindowExceeded => "receive_window_exceeded",
            Violation::TooManyWanted => "too_many_wanted",
            Violation::TooManyAcknowledged => "too_many_acknowledged",
        }
    }
}

impl FrameError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            FrameError::UnknownVersion(..) => "unknown_protocol_version",
            FrameError::TooLarge(..) => "frame_too_large",
            FrameError::Malformed => "malformed_frame",
            FrameError::BadPart => "bad_frame_part",
            FrameError::Violation(e) => e.code(),
        }
    }
}

#[derive(Serialize, Deserialize)]
enum Frame {
    Whole(#[serde(with = "serde_bytes")] Vec<u8>),
    Part {
        message: u32,
        index: u16,
        count: u16,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
}

fn frame_bytes(frame: &Frame) -> Vec<u8> {
    let mut out = vec![PROTOCOL];
    out.extend(crate::encode::to_bytes(frame));
    out
}

/// Splits messages into frames and reassembles them. One per peer.
#[derive(Debug, Default)]
pub struct Framer {
    next_message: u32,
    /// message id → (parts expected, its parts so far). The parts are kept
    /// apart and joined once the last arrives: a buffer grown part by part
    /// would hold up to twice what arrived.
    partial: Vec<(u32, u16, Parts)>,
}

/// The parts of a message received so far.
#[derive(Debug, Default)]
struct Parts {
    parts: Vec<Vec<u8>>,
    bytes: usize,
}

impl Framer {
    /// The frames carrying `message`. A message over [`MAX_MESSAGE`] bytes
    /// makes parts every receiver refuses ([`FrameError::BadPart`]); a
    /// session never builds one (one event is at most
    /// [`MAX_EVENT_BYTES`](crate::event::encoding::MAX_EVENT_BYTES), and
    /// batches of events stop below [`MAX_FRAME`]).
    pub fn encode(&mut self, message: &Message) -> Vec<Vec<u8>> {
        let bytes = crate::encode::to_bytes(message);
        if bytes.len() + PART_HEADER <= MAX_FRAME {
            return vec![frame_bytes(&Frame::Whole(bytes))];
        }
        let id = self.next_message;
        self.next_message = self.next_message.wrapping_add(1);
        let chunk = MAX_FRAME - PART_HEADER;
        // At most 129 parts for any message a receiver accepts, far within
        // u16 (only a message over 2 GiB would wrap, and it is refused
        // whatever its count says).
        let count = bytes.len().div_ceil(chunk) as u16;
        bytes
            .chunks(chunk)
            .enumerate()
            .map(|(index, part)| {
                frame_bytes(&Frame::Part {
                    message: id,
                    index: index as u16,
                    count,
                    bytes: part.to_vec(),
                })
            })
            .collect()
    }

    /// Takes in a frame; returns a message once it is whole.
    pub fn decode(&mut self, frame: &[u8]) -> Result<Option<Message>, FrameError> {
        if frame.len() > MAX_FRAME {
            return Err(FrameError::TooLarge(frame.len()));
        }
        match frame.split_first() {
            Some((&PROTOCOL, rest)) => {
                match postcard::from_bytes::<Frame>(rest).map_err(|_| FrameError::Malformed)? {
                    Frame::Whole(bytes) => decode_message(&bytes).map(Some),
                    Frame::Part {
                        message,
                        index,
                        count,
                        bytes,
                    } => self.part(message, index, count, bytes),
                }
            }
            other => Err(FrameError::UnknownVersion(other.map(|(v, _)| *v))),
        }
    }

    fn part(
        &mut self,
        message: u32,
        index: u16,
        count: u16,
        bytes: Vec<u8>,
    ) -> Result<Option<Message>, FrameError> {
        if count < 2 || index >= count || count as usize * MAX_FRAME > MAX_MESSAGE + MAX_FRAME {
            return Err(FrameError::BadPart);
        }
        // A lost, repeated or reordered part (the in-memory network does
        // that; a data channel does not) drops the message in progress, as
        // if it were lost: the next sync round sends it again. `at` comes
        // from the branch that finds or makes the message's buffer, so it is
        // this message's by construction.
        let at = match self.partial.iter().position(|(id, ..)| *id == message) {
            Some(at) => {
                let (_, expected, so_far) = &self.partial[at];
                let next = so_far.parts.len() as u16;
                if *expected != count || index != next || so_far.bytes + bytes.len() > MAX_MESSAGE {
                    self.partial.remove(at);
                    return Ok(None);
                }
                at
            }
            None => {
                if index != 0 {
                    return Ok(None);
                }
                if self.partial.len() >= MAX_PARTIAL {
                    self.partial.remove(0);
                }
                self.partial.push((message, count, Parts::default()));
                self.partial.len() - 1
            }
        };
        let mut at = at;
        let held: usize = self.partial.iter().map(|(_, _, p)| p.bytes).sum();
        let mut over = (held + bytes.len()).saturating_sub(MAX_MESSAGE);
        while over > 0 {
            // The oldest other message in progress goes first.
            let Some(oldest) = (0..self.partial.len()).find(|&i| i != at) else {
                break;
            };
            let (_, _, dropped) = self.partial.remove(oldest);
            over = over.saturating_sub(dropped.bytes);
            if oldest < at {
                at -= 1;
            }
        }
        let (_, _, so_far) = &mut self.partial[at];
        so_far.bytes += bytes.len();
        so_far.parts.push(bytes);
        if index + 1 < count {
            return Ok(None);
        }
        let (_, _, parts) = self.partial.remove(at);
        decode_message(&parts.parts.concat()).map(Some)
    }
}

fn decode_message(bytes: &[u8]) -> Result<Message, FrameError> {
    postcard::from_bytes(bytes).map_err(|_| FrameError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Body, DocId};
    use serde::Serialize;

    /// The encodings as they were before byte strings went through
    /// `serde_bytes`: every peer, relay and stored snapshot must read the
    /// same bytes as before.
    #[derive(Serialize)]
    enum OldFrame {
        Whole(Vec<u8>),
        Part {
            message: u32,
            index: u16,
            count: u16,
            bytes: Vec<u8>,
        },
    }
    /// Only the variant's place matters: the ones before it stand in.
    #[derive(Serialize)]
    #[allow(dead_code)]
    enum OldMessage {
        Hello(()),
        Events { seq: u32, events: Vec<u8> },
    }
    #[derive(Serialize)]
    #[allow(dead_code)]
    enum OldBody {
        Transfer(()),
        Exclude(()),
        Dispute(()),
        Retract(()),
        Trust(()),
        Doc { doc: DocId, change: Vec<u8> },
    }

    #[test]
    fn byte_strings_encode_as_the_vec_u8_they_were() {
        let to_bytes = crate::encode::to_bytes::<OldFrame>;
        for len in [0, 1, 127, 128, 300, 70_000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let new = crate::encode::to_bytes(&Frame::Whole(bytes.clone()));
            assert_eq!(new, to_bytes(&OldFrame::Whole(bytes.clone())));
            let new = crate::encode::to_bytes(&Frame::Part {
                message: 9,
                index: 1,
                count: 3,
                bytes: bytes.clone(),
            });
            let old = to_bytes(&OldFrame::Part {
                message: 9,
                index: 1,
                count: 3,
                bytes: bytes.clone(),
            });
            assert_eq!(new, old);
            let new = crate::encode::to_bytes(&Message::Events {
                seq: 4,
                events: bytes.clone(),
            });
            let old = crate::encode::to_bytes(&OldMessage::Events {
                seq: 4,
                events: bytes.clone(),
            });
            assert_eq!(new, old);
            let decoded: Message = postcard::from_bytes(&old).unwrap();
            assert!(matches!(decoded, Message::Events { seq: 4, events } if events == bytes));
            let doc = DocId([3; 16]);
            let body = Body::Doc {
                doc,
                change: bytes.clone(),
            };
            let old = crate::encode::to_bytes(&OldBody::Doc {
                doc,
                change: bytes.clone(),
            });
            assert_eq!(crate::encode::to_bytes(&body), old);
            assert_eq!(postcard::from_bytes::<Body>(&old).unwrap(), body);
            let saved: crate::snapshot::SavedDocs =
                vec![(doc, serde_bytes::ByteBuf::from(bytes.clone()))];
            let old = crate::encode::to_bytes(&vec![(doc, bytes.clone())]);
            assert_eq!(crate::encode::to_bytes(&saved), old);
            let docs = [(doc, serde_bytes::Bytes::new(&bytes))];
            assert_eq!(crate::encode::to_bytes(&docs[..]), old);
        }
    }
}
