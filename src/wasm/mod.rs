//! The JavaScript façade: translation only.
//!
//! Every method converts its arguments, calls the [`Node`](crate::Node) or
//! its [`Replica`](crate::Replica), and converts the result: keys and ids as
//! hex strings, amounts and balances as `bigint`, I/O as promises, errors as
//! JS `Error`s carrying a stable `code` ([`errors`]). Plain data goes out
//! through `serde-wasm-bindgen` as the shapes in [`types`], which the
//! TypeScript definitions below describe.

mod errors;
#[cfg(test)]
mod tests;
mod types;

use crate::event::{Body, EventId, PublicKey, Statement, Transfer, TrustLevel};
use crate::node::Node;
use crate::store::IdbStore;
use errors::{JsResult, invalid};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A balance of one account in one unit. */
export interface Balance { account: string; unit: string; balance: bigint }
/** Why a statement about an event counts or not in this view. */
export type Verdict = "counted" | "untrusted" | "authorBanned" | "retracted" | "excluded";
/** An exclusion or dispute naming an event, with its verdict here. */
export interface Contest { statement: string; author: string; dispute: boolean; reason: string; verdict: Verdict }
/** A transfer touching an account. */
export interface Movement { event: string; counterparty: string; delta: bigint; counted: boolean; status: string; contests: Contest[] }
/** Why an account has its balance. */
export interface Explanation { account: string; unit: string; balance: bigint; counted: Movement[]; notCounted: Movement[] }
/** A negative balance and why. */
export interface Debt { account: string; unit: string; amount: bigint; explanation: Explanation }
/** Digests of the view, to compare with a peer's. */
export interface ViewDigest { included: string; state: string }
/** Errors thrown by trustfold carry a stable code. */
export interface TrustfoldError extends Error { code: string }
"#;

/// A trustfold node in this browser tab. See the [module docs](self).
#[wasm_bindgen(js_name = TrustfoldNode)]
pub struct JsNode {
    node: Node<IdbStore>,
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

fn fresh_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    // Without secure randomness there is no safe identity: fail loudly.
    getrandom::fill(&mut secret).expect("the browser's crypto.getRandomValues");
    secret
}

fn key(hex: &str, what: &str) -> JsResult<PublicKey> {
    PublicKey::from_hex(hex).ok_or_else(|| invalid(&format!("{what} is not a 64-hex-digit key")))
}

fn event_id(hex: &str, what: &str) -> JsResult<EventId> {
    EventId::from_hex(hex).ok_or_else(|| invalid(&format!("{what} is not a 64-hex-digit event id")))
}

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// Opens (or creates) the node of `network`, kept in this origin's IndexedDB.
    pub async fn open(network: String) -> JsResult<JsNode> {
        let store = IdbStore::open(&format!("trustfold-{network}"))
            .await
            .map_err(errors::store)?;
        let (node, _report) = Node::open(store, fresh_secret)
            .await
            .map_err(errors::node)?;
        Ok(JsNode { node })
    }

    /// This node's public key (hex).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        self.node.identity().public_key().to_hex()
    }

    async fn publish(&mut self, body: Body) -> JsResult<String> {
        let event = self.node.publish(now(), body).await.map_err(errors::node)?;
        Ok(event.id().to_hex())
    }

    /// Pays `amount` minor units of `unit` to `to`; resolves to the event id.
    pub async fn pay(
        &mut self,
        to: String,
        amount: u64,
        unit: String,
        memo: Option<String>,
    ) -> JsResult<String> {
        let to = key(&to, "to")?;
        self.publish(Body::Transfer(Transfer {
            to,
            amount,
            unit,
            memo: memo.unwrap_or_default(),
            reverses: None,
        }))
        .await
    }

    /// Disputes one of this node's own payments.
    pub async fn dispute(&mut self, payment: String, reason: String) -> JsResult<String> {
        let target = event_id(&payment, "payment")?;
        self.publish(Body::Dispute(Statement { target, reason }))
            .await
    }

    /// Publishes an exclusion of any event.
    pub async fn exclude(&mut self, event: String, reason: String) -> JsResult<String> {
        let target = event_id(&event, "event")?;
        self.publish(Body::Exclude(Statement { target, reason }))
            .await
    }

    /// Withdraws one of this node's exclusions or disputes.
    pub async fn retract(&mut self, statement: String) -> JsResult<String> {
        let target = event_id(&statement, "statement")?;
        self.publish(Body::Retract { target }).await
    }

    /// Publishes a trust statement (`"trusted"`, `"neutral"` or `"banned"`).
    #[wasm_bindgen(js_name = publishTrust)]
    pub async fn publish_trust(&mut self, subject: String, level: String) -> JsResult<String> {
        let subject = key(&subject, "subject")?;
        let level = match level.as_str() {
            "trusted" => TrustLevel::Trusted,
            "neutral" => TrustLevel::Neutral,
            "banned" => TrustLevel::Banned,
            _ => return Err(invalid("level must be trusted, neutral or banned")),
        };
        self.publish(Body::Trust { subject, level }).await
    }

    async fn change_policy(&mut self, change: impl FnOnce(&mut crate::Policy)) -> JsResult<()> {
        let mut policy = self.node.replica().view().policy().clone();
        change(&mut policy);
        self.node.set_policy(policy).await.map_err(errors::node)
    }

    /// Follows `who`'s exclusions, disputes and bans (local policy).
    pub async fn trust(&mut self, who: String) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.change_policy(|p| {
            p.trusted.insert(who);
        })
        .await
    }

    /// Stops following `who` (local policy).
    pub async fn untrust(&mut self, who: String) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.change_policy(|p| {
            p.trusted.remove(&who);
        })
        .await
    }

    /// Ignores `who`'s events, past and future (local policy).
    pub async fn ban(&mut self, who: String) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.change_policy(|p| {
            p.banned.insert(who);
        })
        .await
    }

    /// Lifts a local ban.
    pub async fn unban(&mut self, who: String) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.change_policy(|p| {
            p.banned.remove(&who);
        })
        .await
    }

    /// Sets how many trusted authors must back an exclusion or a ban.
    #[wasm_bindgen(js_name = setQuorum)]
    pub async fn set_quorum(&mut self, quorum: u32) -> JsResult<()> {
        if quorum == 0 {
            return Err(invalid("quorum must be at least 1"));
        }
        self.change_policy(|p| *p = p.clone().with_quorum(quorum))
            .await
    }

    /// An account's balance in a unit.
    pub fn balance(&self, account: String, unit: String) -> JsResult<js_sys::BigInt> {
        let account = key(&account, "account")?;
        let replica = self.node.replica();
        Ok(types::bigint(replica.view().balance(
            replica.log(),
            &account,
            &unit,
        )))
    }

    /// Every non-zero balance.
    #[wasm_bindgen(unchecked_return_type = "Balance[]")]
    pub fn balances(&self) -> JsResult<JsValue> {
        let replica = self.node.replica();
        types::to_js(&types::balances(replica))
    }

    /// Every negative balance with its explanation.
    #[wasm_bindgen(unchecked_return_type = "Debt[]")]
    pub fn debts(&self) -> JsResult<JsValue> {
        let replica = self.node.replica();
        types::to_js(&types::debts(replica))
    }

    /// Why an account has its balance in a unit.
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(&self, account: String, unit: String) -> JsResult<JsValue> {
        let account = key(&account, "account")?;
        let replica = self.node.replica();
        types::to_js(&types::explanation(&replica.view().explain(
            replica.log(),
            &account,
            &unit,
        )))
    }

    /// Digests of the included events and of the state.
    #[wasm_bindgen(js_name = viewDigest, unchecked_return_type = "ViewDigest")]
    pub fn view_digest(&self) -> JsResult<JsValue> {
        let replica = self.node.replica();
        let log = replica.log();
        types::to_js(&types::ViewDigest {
            included: replica.view().included_digest(log).to_hex(),
            state: replica.view().state_digest(log).to_hex(),
        })
    }

    /// This node's identity, encrypted under `passphrase`.
    #[wasm_bindgen(js_name = exportBackup)]
    pub fn export_backup(&self, passphrase: String) -> Vec<u8> {
        let mut random = [0u8; 40];
        getrandom::fill(&mut random).expect("the browser's crypto.getRandomValues");
        crate::backup::export_backup(self.node.identity(), &passphrase, random)
    }
}
