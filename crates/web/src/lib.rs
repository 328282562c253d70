//! # trustfold-web
//!
//! trustfold in a browser tab, over the platform-free core (`trustfold`):
//!
//! * [`IdbStore`] — the core's `Store` in IndexedDB (rexie);
//! * [`WebRtc`] — the core's `Transport` over WebRTC data channels, after
//!   signalling through the server (`trustfold::signal` messages);
//! * [`RelayLink`] — the core's `Transport` to the relay of the page's
//!   origin over a WebSocket (one peer, `"relay"`), reconnecting by itself;
//! * [`tabs`] — the tabs of one origin: a writer lock and a BroadcastChannel;
//! * [`NetworkRef`] — which network a node is for: open (a name) or
//!   private (an invite), and where it lives in this browser;
//! * [`Workers`] — the core's `OffThread`: events checked in Web Workers;
//! * [`BrowserNode`] — the runtime: one core `Node` over IndexedDB with the
//!   timers, subscribers, tab announcements and sync loop a page needs;
//! * the wasm-bindgen façade (`TrustfoldNode`, the npm package `pkg/`),
//!   one file per concept, each only translating between JS and the runtime.
//!
//! Everything here needs a browser: built for any other target the crate
//! is empty, so native workspace builds and tests pass over it.
#![cfg(target_arch = "wasm32")]

mod errors;
mod facade;
mod held;
mod idb;
mod idb_write;
mod network;
mod outbox;
mod random;
mod record_objects;
mod relay;
mod runtime;
pub mod tabs;
#[cfg(test)]
mod tests;
mod transaction_rows;
mod types;
mod unload;
mod webrtc;
mod workers;

pub use idb::IdbStore;
pub use network::NetworkRef;
pub use outbox::DEFAULT_SEND_BACKLOG;
pub use relay::{
    MAX_QUEUED, NO_RELAY, RELAY, RelayError, RelayLink, RelayNotice, RelayState, join_message,
    relay_url,
};
pub use runtime::BrowserNode;
pub use unload::MAX_KEPT_BYTES;
pub use webrtc::{HeldConnection, OFFER_TIMEOUT_MS, WebRtc, all_links_backlog};
pub use workers::Workers;
