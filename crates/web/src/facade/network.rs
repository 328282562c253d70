//! Networks and invites: making an invite, reading one, and which network
//! a node is for; the events of a private network that count for nothing.

use super::{JsNode, string};
use crate::errors::{JsResult, WebError, invalid};
use crate::network::NetworkRef;
use crate::random::random;
use crate::types;
use js_sys::Reflect;
use trustfold::invite::{Invite, InviteError};
use wasm_bindgen::prelude::*;

/// The network a JS value names: a string is an open network's name; an
/// object `{ invite, name, check? }` a private network's invite (the secret
/// in hex, as a link's fragment carries it), the name people see, and the
/// link's check of both (`MALFORMED_INVITE` if it does not match).
pub(super) fn network_ref(value: &JsValue) -> JsResult<NetworkRef> {
    if let Some(name) = value.as_string() {
        // An empty name names no network (a link `#net=` cut short): refused
        // as a private network's empty name is, not opened as one.
        if name.is_empty() {
            return Err(WebError::from(InviteError::BadName).into());
        }
        return Ok(NetworkRef::Open(name));
    }
    if !value.is_object() {
        return Err(invalid(
            "network must be a name or an object { invite, name }",
        ));
    }
    let field = |name: &str| Reflect::get(value, &name.into()).unwrap_or(JsValue::UNDEFINED);
    let secret = string(&field("invite"), "network.invite")?;
    let name = string(&field("name"), "network.name")?;
    let check = match field("check") {
        v if v.is_undefined() || v.is_null() => None,
        v => Some(string(&v, "network.check")?),
    };
    Ok(NetworkRef::Private(
        Invite::from_link(&secret, &name, check.as_deref()).map_err(WebError::from)?,
    ))
}

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// A new private network named `name`: a fresh random secret. Its
    /// `invite` (with `name`) is what a link's fragment carries and what
    /// `open` takes; whoever holds it can read and join the network, so
    /// share it only with its members.
    #[wasm_bindgen(js_name = createInvite, unchecked_return_type = "NetworkInfo")]
    pub fn create_invite(
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> JsResult<JsValue> {
        let invite =
            Invite::new(random::<32>()?, &string(&name, "name")?).map_err(WebError::from)?;
        types::to_js(&types::network_info(&NetworkRef::Private(invite)))
    }

    /// What a network reference names, checked: `{ kind, name, room,
    /// invite, check }` (see `NetworkInfo`); fails with `MALFORMED_INVITE`
    /// or `BAD_NETWORK_NAME` for an invite that cannot be read (or whose
    /// check does not match: `detail` `damaged_invite`).
    #[wasm_bindgen(js_name = describeNetwork, unchecked_return_type = "NetworkInfo")]
    pub fn describe_network(
        #[wasm_bindgen(unchecked_param_type = "NetworkSpec")] network: JsValue,
    ) -> JsResult<JsValue> {
        types::to_js(&types::network_info(&network_ref(&network)?))
    }

    /// The private networks a backup holds the invites of (made by
    /// `exportBackup` in a private network), opened with `passphrase`:
    /// what a restore on a new device joins. Empty for a backup of an open
    /// network's identity.
    #[wasm_bindgen(js_name = backupNetworks, unchecked_return_type = "NetworkInfo[]")]
    pub fn backup_networks(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] backup: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<JsValue> {
        let restored = super::restored_from(&backup, &passphrase)?;
        let networks: Vec<_> = restored
            .invites
            .into_iter()
            .map(|invite| types::network_info(&NetworkRef::Private(invite)))
            .collect();
        types::to_js(&networks)
    }

    /// The network this node is for.
    #[wasm_bindgen(getter, unchecked_return_type = "NetworkInfo")]
    pub fn network(&self) -> JsResult<JsValue> {
        types::to_js(&types::network_info(self.node.network()))
    }

    /// The events of this private network that count for nothing (their
    /// body could not be read, or broke a rule), oldest first, with their
    /// authors: every member sees the same list. Empty in an open network.
    #[wasm_bindgen(js_name = voidEvents, unchecked_return_type = "VoidEvent[]")]
    pub fn void_events(&self) -> JsResult<JsValue> {
        let replica = self.node.node().replica();
        let log = replica.log();
        let voids: Vec<_> = log
            .voids()
            .iter()
            .map(|&ix| types::void_event(log.entry(ix).event()))
            .collect();
        types::to_js(&voids)
    }
}
