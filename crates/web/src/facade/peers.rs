//! Peers: the signalling room, WebRTC links, the relay link, sync progress, and events received from elsewhere.

use super::{JsNode, string};
use crate::errors::{JsResult, invalid};
use crate::types;
use wasm_bindgen::prelude::*;

/// Unsent changes [`unsent_changes`](JsNode::unsent_changes) lists at most.
const MAX_UNSENT_LISTED: usize = 1_000;

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// Joins this network's room at the signalling server `url` (e.g.
    /// `ws://127.0.0.1:8080/signal`) and syncs with the browsers found
    /// there over WebRTC data channels, and with the relay of the same
    /// server (`ws://127.0.0.1:8080/relay`; see `relay`). Events they send
    /// are verified, stored and applied (subscribers hear
    /// `{ source: "peer" }`); events made here reach them at once.
    pub fn connect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
    ) -> JsResult<()> {
        Ok(self.node.connect(&string(&url, "url")?)?)
    }

    /// Sync progress: events known here (applied), events received but
    /// waiting for parents not received yet, parents asked for, peers linked.
    #[wasm_bindgen(js_name = syncStatus, unchecked_return_type = "SyncStatus")]
    pub fn sync_status(&self) -> JsResult<JsValue> {
        types::to_js(&types::sync_status(&self.node.sync_status()))
    }

    /// The changes made with this identity that no peer or relay is known
    /// to hold (`syncStatus().unconfirmed` counts them), as event ids,
    /// latest first, at most 1,000: which a page marks as waiting to be
    /// sent.
    #[wasm_bindgen(js_name = unsentChanges)]
    pub fn unsent_changes(&self) -> Vec<String> {
        let ids = self.node.node().unconfirmed_ids(MAX_UNSENT_LISTED);
        ids.iter().map(|id| id.to_hex()).collect()
    }

    /// The signalling connection: `"none"` (not connected), `"connecting"`,
    /// `"open"`, or `"closed"` (lost: `disconnect()` and `connect()` again
    /// to find new peers; links already open keep working).
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "\"none\" | \"connecting\" | \"open\" | \"closed\""
    )]
    pub fn signalling(&self) -> String {
        self.node.signalling().to_owned()
    }

    /// The relay link: `{ state, error, unsent, reconnects, notice, limits }` (see
    /// `RelayStatus`). `state` is `"none"` until `connect`.
    #[wasm_bindgen(getter, unchecked_return_type = "RelayStatus")]
    pub fn relay(&self) -> JsResult<JsValue> {
        types::to_js(&types::relay_status(&self.node.relay()))
    }

    /// Checks large batches of events (a catch-up's) in `count` Web Workers
    /// from now on, off the page's thread; 0 checks them on the page's
    /// thread. A node opens with one worker per core (at most 8), started
    /// at its first large batch; at most 16 can be set. Verdicts are the
    /// same either way.
    #[wasm_bindgen(js_name = setVerifyWorkers)]
    pub fn set_verify_workers(&self, count: u32) {
        self.node.set_verify_workers(count);
    }

    /// The verifying workers: `{ size, running, checked, failed, retries }`, or
    /// null when the page's thread checks (see `setVerifyWorkers`).
    #[wasm_bindgen(getter, js_name = verifyWorkers, unchecked_return_type = "VerifyWorkers | null")]
    pub fn verify_workers(&self) -> JsValue {
        self.node.verify_workers().unwrap_or(JsValue::NULL)
    }

    /// Keeps at most `links` links to other browsers (1 to 32; 6 by
    /// default) from the next `connect`. A page offers links until it holds
    /// half of them and accepts others' offers up to the limit; every
    /// event still reaches it (new events travel in full along a few links
    /// and by id along the others).
    #[wasm_bindgen(js_name = setLinkLimit)]
    pub fn set_link_limit(&self, links: u32) -> Result<(), JsValue> {
        self.node.set_link_limit(links).map_err(Into::into)
    }

    /// Holds at most `bytes` (8 to 256 MiB; 16 MiB by default) of what one
    /// browser, or the relay, sent and this page has not taken in yet,
    /// from now on. An honest peer stays within 4 MiB (the sync protocol's
    /// window); a browser that sends more is dropped and not linked again,
    /// the relay's socket is closed and opened again after 30 s
    /// (`syncStatus().dropped`, code `link_backlog_exceeded`). All links
    /// to browsers together hold 4 times it, and at least 8 MiB a link of
    /// the link limit: a link whose frame would go over is given up (code
    /// `links_backlog_exceeded`; it may be honest, so it is not banned).
    #[wasm_bindgen(js_name = setPeerBacklog)]
    pub fn set_peer_backlog(&self, bytes: u32) -> Result<(), JsValue> {
        self.node
            .set_peer_backlog(bytes as usize)
            .map_err(Into::into)
    }

    /// Holds at most `bytes` (1 to 256 MiB; 8 MiB by default) of frames
    /// waiting to go on one link, to a browser or to the relay, from now
    /// on. Frames wait only while the browser buffers over 8 MiB for the
    /// link, which an honest peer's acknowledgements never let happen; a
    /// link whose peer takes in nothing past the bound is given up and
    /// linked again later (`syncStatus().dropped`, code
    /// `send_backlog_exceeded`). Page memory for sending is at most this
    /// times the link limit, plus this for the relay.
    #[wasm_bindgen(js_name = setSendBacklog)]
    pub fn set_send_backlog(&self, bytes: u32) -> Result<(), JsValue> {
        self.node
            .set_send_backlog(bytes as usize)
            .map_err(Into::into)
    }

    /// Queues at most `bytes` (1 to 256 MiB; 4 MiB by default) of events
    /// that other tabs of this origin stored and announced. A tab that
    /// falls further behind (in the background, or busy) drops the queue
    /// and reads the shared store once instead: nothing is lost
    /// (`syncStatus().tabBacklog`).
    #[wasm_bindgen(js_name = setTabBacklog)]
    pub fn set_tab_backlog(&self, bytes: u32) -> Result<(), JsValue> {
        self.node
            .set_tab_backlog(bytes as usize)
            .map_err(Into::into)
    }

    /// Lets the next `connect` create at most `budget` peer connections (1
    /// to 500; 400 by default: Chromium allows a page 500 in its lifetime).
    /// Past it the page offers and answers no more links
    /// (`syncStatus().connectionsLeft` is 0); one member is offered a link
    /// at most 6 times an hour. Others' offers may spend three quarters of
    /// it: the last quarter is for this page's own offers, so members that
    /// keep offering links cannot spend all of it.
    #[wasm_bindgen(js_name = setConnectionBudget)]
    pub fn set_connection_budget(&self, budget: u32) -> Result<(), JsValue> {
        self.node.set_connection_budget(budget).map_err(Into::into)
    }

    /// Leaves the signalling room and closes every peer link and the relay link.
    pub fn disconnect(&self) {
        self.node.disconnect();
    }

    /// The peers linked now: their connection id, the identity key that
    /// signed their offer or answer, and what this link carried so far.
    #[wasm_bindgen(unchecked_return_type = "Peer[]")]
    pub fn peers(&self) -> JsResult<JsValue> {
        let peers: Vec<types::JsPeer> = self.node.peers().iter().map(types::peer).collect();
        types::to_js(&peers)
    }

    /// Takes in events from elsewhere (their exact bytes, as a peer sends
    /// them): each is verified; the valid new ones are stored in one write,
    /// applied, and announced to the other tabs. Invalid ones are refused
    /// one by one in the report, never stored.
    #[wasm_bindgen(unchecked_return_type = "ReceiveReport")]
    pub async fn receive(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] events: JsValue,
    ) -> JsResult<JsValue> {
        let list: js_sys::Array = events
            .dyn_into()
            .map_err(|_| invalid("events must be an array of Uint8Array"))?;
        let mut batch = Vec::with_capacity(list.length() as usize);
        for item in list.iter() {
            let bytes: js_sys::Uint8Array = item
                .dyn_into()
                .map_err(|_| invalid("events must be an array of Uint8Array"))?;
            batch.push(bytes.to_vec());
        }
        let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        let received = self.node.receive(&refs).await?;
        types::to_js(&types::received(&received))
    }
}
