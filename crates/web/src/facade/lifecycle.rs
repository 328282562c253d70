//! Opening, restoring, forgetting and closing a node; its identity, backup and subscribers.

use super::network::network_ref;
use super::{JsCachedState, JsNode, identity_in, string};
use crate::errors::{JsResult, invalid};
use crate::runtime::{BrowserNode, Change, Source};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// Opens (or creates) the node of `network` — an open network's name,
    /// or a private network's `{ invite, name }` — kept in this origin's
    /// IndexedDB and shared with this origin's other tabs.
    pub async fn open(
        #[wasm_bindgen(unchecked_param_type = "NetworkSpec")] network: JsValue,
    ) -> JsResult<JsNode> {
        Ok(JsNode::new(
            BrowserNode::open(&network_ref(&network)?, None).await?,
        ))
    }

    /// Opens the node of `network` as the identity in `backup` (made by
    /// `exportBackup`). Fails with `WRONG_PASSPHRASE`, `MALFORMED_BACKUP`,
    /// or `OTHER_IDENTITY` when this browser already holds another identity
    /// for `network`.
    pub async fn restore(
        #[wasm_bindgen(unchecked_param_type = "NetworkSpec")] network: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] backup: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<JsNode> {
        let identity = identity_in(&backup, &passphrase)?;
        Ok(JsNode::new(
            BrowserNode::open(&network_ref(&network)?, Some(identity)).await?,
        ))
    }

    /// The public key a backup holds, if `passphrase` opens it (to check a
    /// backup before replacing anything with it).
    #[wasm_bindgen(js_name = backupKey)]
    pub fn backup_key(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] backup: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<String> {
        let identity = identity_in(&backup, &passphrase)?;
        Ok(identity.public_key().to_hex())
    }

    /// Deletes everything this browser holds for `network`: identity,
    /// events, policy, snapshots. Every node of it must be closed first
    /// (other tabs too), else this waits for them. For a person who wants to
    /// start again, or to restore a backup in place of a fresh identity.
    pub async fn forget(
        #[wasm_bindgen(unchecked_param_type = "NetworkSpec")] network: JsValue,
    ) -> JsResult<()> {
        Ok(BrowserNode::forget(&network_ref(&network)?).await?)
    }

    /// The state as this browser last saved it for `network` — balances and
    /// records, readable in milliseconds, before (and without) opening the
    /// node; `null` if there is none. Show it while `open` loads the log.
    #[wasm_bindgen(js_name = cachedState)]
    pub async fn cached_state(
        #[wasm_bindgen(unchecked_param_type = "NetworkSpec")] network: JsValue,
    ) -> JsResult<Option<JsCachedState>> {
        let state = BrowserNode::cached_state(&network_ref(&network)?).await?;
        Ok(state.map(|state| JsCachedState { state }))
    }

    /// Saves the snapshots now (they are also saved shortly after changes).
    #[wasm_bindgen(js_name = saveSnapshots)]
    pub async fn save_snapshots(&self) -> JsResult<()> {
        Ok(self.node.save_snapshots().await?)
    }

    /// Closes the node: leaves the tab channel and the signalling room,
    /// closes peer links and the database.
    pub fn close(&self) {
        self.node.close();
    }

    /// What opening found: events loaded, damaged records skipped.
    #[wasm_bindgen(getter, js_name = openReport, unchecked_return_type = "OpenReport")]
    pub fn open_report(&self) -> JsResult<JsValue> {
        let report = self.node.report();
        let out = Object::new();
        let _ = Reflect::set(&out, &"events".into(), &(report.events as f64).into());
        let skipped: js_sys::Array = report
            .skipped
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect();
        let _ = Reflect::set(&out, &"skipped".into(), &skipped);
        let _ = Reflect::set(&out, &"newIdentity".into(), &report.new_identity.into());
        Ok(out.into())
    }

    /// This node's public key (hex).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        self.node.node().identity().public_key().to_hex()
    }

    /// Calls `callback` after every change of state, local or from another
    /// tab; returns the function that unsubscribes it.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(change: Change) => void")] callback: JsValue,
    ) -> JsResult<JsValue> {
        let callback: js_sys::Function = callback
            .dyn_into()
            .map_err(|_| invalid("callback must be a function"))?;
        let unsubscribe = self.node.subscribe(move |change: &Change| {
            let source = match change.source {
                Source::Local => "local",
                Source::Tab => "tab",
                Source::Peer => "peer",
            };
            let value = Object::new();
            let _ = Reflect::set(&value, &"source".into(), &source.into());
            let _ = Reflect::set(&value, &"events".into(), &(change.events as f64).into());
            // A subscriber that throws must not stop the others.
            let _ = callback.call1(&JsValue::NULL, &value);
        });
        Ok(Closure::once_into_js(unsubscribe))
    }

    /// This node's identity, encrypted under `passphrase` (Argon2id and
    /// XChaCha20-Poly1305); open it elsewhere with `TrustfoldNode.restore`.
    #[wasm_bindgen(js_name = exportBackup)]
    pub fn export_backup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<Vec<u8>> {
        Ok(self
            .node
            .export_backup(&string(&passphrase, "passphrase")?)?)
    }
}
