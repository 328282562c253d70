//! Where the varints, the text and the sealed parts of one event are in its
//! encoding: what the structured mutations aim at.

use crate::common::varint::varint;
use std::ops::Range;
use trustfold::Body;
use trustfold::event::Content;
use trustfold::event::sealed::ADMISSION_LEN;
use trustfold::invite::NONCE_LEN;

/// What a varint holds, which bounds its length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    /// A `u64` field: at most 10 bytes.
    Integer,
    /// A `usize` length prefix: at most 10 bytes (5 on 32-bit targets).
    Length,
    /// An enum variant index (`u32`): at most 5 bytes.
    Tag,
}

impl Role {
    pub fn max_len(self) -> usize {
        match self {
            Role::Integer => 10,
            Role::Length if usize::BITS == 64 => 10,
            Role::Length | Role::Tag => 5,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Varint {
    pub at: usize,
    pub len: usize,
    pub value: u64,
    pub role: Role,
}

/// The parts only a sealed event (format version 3) has.
#[derive(Clone, Debug)]
pub struct SealedParts {
    pub admission: Range<usize>,
    pub nonce: Range<usize>,
    /// The ciphertext, after its length prefix (`varints` holds the prefix).
    pub ciphertext: Range<usize>,
}

/// Where the varints and the text of one content are in its encoding.
#[derive(Debug, Default)]
pub struct Layout {
    pub varints: Vec<Varint>,
    /// Text in clear (none in a sealed event).
    pub texts: Vec<Range<usize>>,
    pub sealed: Option<SealedParts>,
    pub end: usize,
}

impl Layout {
    /// A clear event's (format versions 1 and 2):
    /// `version, author, seq, parents, time, body`.
    pub fn of(content: &Content) -> Layout {
        let mut layout = Layout::header(content);
        layout.varint(content.time, Role::Integer);
        match &content.body {
            Body::Transfer(t) => {
                layout.varint(0, Role::Tag);
                layout.end += 32;
                layout.varint(t.amount, Role::Integer);
                layout.text(&t.unit);
                layout.text(&t.memo);
                layout.end += if t.reverses.is_some() { 33 } else { 1 };
            }
            Body::Exclude(s) | Body::Dispute(s) => {
                let tag = if matches!(content.body, Body::Exclude(_)) {
                    1
                } else {
                    2
                };
                layout.varint(tag, Role::Tag);
                layout.end += 32;
                layout.text(&s.reason);
            }
            Body::Retract { .. } => {
                layout.varint(3, Role::Tag);
                layout.end += 32;
            }
            Body::Trust { level, .. } => {
                layout.varint(4, Role::Tag);
                layout.end += 32;
                layout.varint(*level as u64, Role::Tag);
            }
            Body::Doc { change, .. } => {
                layout.varint(5, Role::Tag);
                layout.end += 16;
                layout.varint(change.len() as u64, Role::Length);
                layout.end += change.len();
            }
            other => unreachable!("the clear corpus holds no {other:?}"),
        }
        layout
    }

    /// A sealed event's, whose signed part is `signed_len` bytes:
    /// `version, author, seq, parents, admission (64), nonce (24),
    /// ciphertext length, ciphertext`. Nothing of the body is in clear, so
    /// the ciphertext's length is what the header leaves of the signed part.
    pub fn sealed(content: &Content, signed_len: usize) -> Layout {
        let mut layout = Layout::header(content);
        let admission = layout.end..layout.end + ADMISSION_LEN;
        let nonce = admission.end..admission.end + NONCE_LEN;
        layout.end = nonce.end;
        let left = signed_len - layout.end;
        let ciphertext_len = (1..=10)
            .map(|prefix| (left - prefix) as u64)
            .find(|&len| varint(len).len() + len as usize == left)
            .expect("the signed part ends with a length-prefixed ciphertext");
        layout.varint(ciphertext_len, Role::Length);
        let ciphertext = layout.end..layout.end + ciphertext_len as usize;
        layout.end = ciphertext.end;
        layout.sealed = Some(SealedParts {
            admission,
            nonce,
            ciphertext,
        });
        layout
    }

    /// `version, author, seq, parents`: what both forms begin with.
    fn header(content: &Content) -> Layout {
        let mut layout = Layout {
            end: 1 + 32, // version, author
            ..Layout::default()
        };
        layout.varint(content.seq, Role::Integer);
        layout.varint(content.parents.len() as u64, Role::Length);
        layout.end += 32 * content.parents.len();
        layout
    }

    fn varint(&mut self, value: u64, role: Role) {
        let len = varint(value).len();
        self.varints.push(Varint {
            at: self.end,
            len,
            value,
            role,
        });
        self.end += len;
    }

    fn text(&mut self, text: &str) {
        self.varint(text.len() as u64, Role::Length);
        self.texts.push(self.end..self.end + text.len());
        self.end += text.len();
    }
}
