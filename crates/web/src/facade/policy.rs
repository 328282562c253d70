//! The trust policy: whom this node trusts and bans, published trust, and views under other policies.

use super::{JsNode, count, key, string};
use crate::errors::{JsResult, invalid};
use crate::types;
use trustfold::{Body, Policy, PublicKey, TrustLevel};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// Publishes a trust statement about `subject`.
    #[wasm_bindgen(js_name = publishTrust)]
    pub async fn publish_trust(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] subject: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"trusted\" | \"neutral\" | \"banned\"")]
        level: JsValue,
    ) -> JsResult<String> {
        let subject = key(&subject, "subject")?;
        let level = match string(&level, "level")?.as_str() {
            "trusted" => TrustLevel::Trusted,
            "neutral" => TrustLevel::Neutral,
            "banned" => TrustLevel::Banned,
            _ => return Err(invalid("level must be trusted, neutral or banned")),
        };
        Ok(self
            .node
            .publish(Body::Trust { subject, level })
            .await?
            .id()
            .to_hex())
    }

    /// Whether bans published by people I trust ban in my view (local
    /// policy; my own ban list always does).
    #[wasm_bindgen(js_name = followBans)]
    pub async fn follow_bans(
        &self,
        #[wasm_bindgen(unchecked_param_type = "boolean")] follow: JsValue,
    ) -> JsResult<()> {
        let follow = follow
            .as_bool()
            .ok_or_else(|| invalid("follow must be a boolean"))?;
        Ok(self.node.change_policy(|p| p.follow_bans = follow).await?)
    }

    /// Follows `who`'s exclusions, disputes and bans (local policy).
    pub async fn trust(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        self.change_list(who, |p, who| p.trusted.insert(who)).await
    }

    /// Stops following `who` (local policy).
    pub async fn untrust(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        self.change_list(who, |p, who| p.trusted.remove(&who)).await
    }

    /// Ignores `who`'s events, past and future (local policy).
    pub async fn ban(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        self.change_list(who, |p, who| p.banned.insert(who)).await
    }

    /// Lifts a local ban.
    pub async fn unban(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        self.change_list(who, |p, who| p.banned.remove(&who)).await
    }

    /// Sets how many trusted authors must back an exclusion or a ban (≥ 1).
    #[wasm_bindgen(js_name = setQuorum)]
    pub async fn set_quorum(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] quorum: JsValue,
    ) -> JsResult<()> {
        let quorum = count(&quorum, "quorum")?;
        let quorum = u32::try_from(quorum)
            .ok()
            .filter(|q| *q >= 1)
            .ok_or_else(|| invalid("quorum must be a whole number from 1"))?;
        Ok(self
            .node
            .change_policy(|p| *p = p.clone().with_quorum(quorum))
            .await?)
    }

    /// This node's policy: who it trusts and bans, and the quorum.
    #[wasm_bindgen(unchecked_return_type = "PolicyView")]
    pub fn policy(&self) -> JsResult<JsValue> {
        types::to_js(&types::policy(self.node.node().replica().view().policy()))
    }

    /// Digests of the included events and of the state.
    #[wasm_bindgen(js_name = viewDigest, unchecked_return_type = "ViewDigest")]
    pub fn view_digest(&self) -> JsResult<JsValue> {
        let (included, state) = self.node.node().replica_mut().view_digests();
        types::to_js(&types::ViewDigest {
            included: included.to_hex(),
            state: state.to_hex(),
        })
    }

    /// The policy a [`types::PolicyInput`] describes (viewer: this node's
    /// owner unless `me` is given).
    fn policy_from(&self, other: JsValue) -> JsResult<Policy> {
        let input: types::PolicyInput =
            serde_wasm_bindgen::from_value(other).map_err(|e| invalid(&format!("policy: {e}")))?;
        let viewer = match &input.me {
            Some(me) => key(&JsValue::from_str(me), "me")?,
            None => self.node.node().replica().view().policy().me,
        };
        let mut policy = Policy::new(viewer);
        for who in &input.trusted {
            policy
                .trusted
                .insert(key(&JsValue::from_str(who), "trusted")?);
        }
        for who in &input.banned {
            policy
                .banned
                .insert(key(&JsValue::from_str(who), "banned")?);
        }
        for who in &input.withdrawn {
            policy
                .withdrawn
                .insert(key(&JsValue::from_str(who), "withdrawn")?);
        }
        Ok(policy
            .with_quorum(input.quorum.unwrap_or(1))
            .following_bans(input.follow_bans.unwrap_or(true)))
    }

    /// What my view counts and a view under `other` does not, and the reverse.
    #[wasm_bindgen(js_name = compareViews, unchecked_return_type = "Comparison")]
    pub fn compare_views(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let policy = self.policy_from(other)?;
        let mut replica = self.node.node().replica_mut();
        types::to_js(&types::comparison(&replica.compare_with(policy)))
    }

    /// Every balance as a view under `other` would have it (to show what a
    /// policy change would do before making it).
    #[wasm_bindgen(js_name = balancesUnder, unchecked_return_type = "Balance[]")]
    pub fn balances_under(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let policy = self.policy_from(other)?;
        let mut replica = self.node.node().replica_mut();
        let (log, view) = replica.kept_view_under(policy);
        types::to_js(&types::balances_of(view, log))
    }

    /// Every record of `collection` as a view under `other` would show it
    /// (what a policy change would do to the records, before making it).
    #[wasm_bindgen(js_name = recordsUnder, unchecked_return_type = "DocRecord[]")]
    pub fn records_under(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let policy = self.policy_from(other)?;
        let mut replica = self.node.node().replica_mut();
        let view = replica.view_under(policy);
        let collection = replica.collection_under(&collection, &view);
        let records: Vec<_> = collection
            .records
            .iter()
            .map(|(id, r)| (&id[..], r))
            .collect();
        crate::record_objects::records(&records)
    }

    /// The digests a view under `other` would have (someone else's view,
    /// from the trust list they published).
    #[wasm_bindgen(js_name = viewDigestUnder, unchecked_return_type = "ViewDigest")]
    pub fn view_digest_under(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let policy = self.policy_from(other)?;
        let mut replica = self.node.node().replica_mut();
        let (log, view) = replica.kept_view_under(policy);
        types::to_js(&types::ViewDigest {
            included: view.included_digest(log).to_hex(),
            state: view.state_digest(log).to_hex(),
        })
    }

    /// Every trust statement published, in log order: who said what about whom.
    #[wasm_bindgen(js_name = publishedTrust, unchecked_return_type = "TrustStatement[]")]
    pub fn published_trust(&self) -> JsResult<JsValue> {
        let replica = self.node.node().replica();
        types::to_js(&types::trust_statements(replica.log()))
    }

    /// The trust list `author` published — whom they trust and whom they
    /// ban, by the same latest-statement rule the core follows (causal
    /// order, not the clocks people claim) — or `null` if they published none.
    #[wasm_bindgen(js_name = publishedPolicy, unchecked_return_type = "PublishedPolicy | null")]
    pub fn published_policy(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] author: JsValue,
    ) -> JsResult<JsValue> {
        let author = key(&author, "author")?;
        let replica = self.node.node().replica();
        let published = replica.log().published_policy(&author);
        types::to_js(&published.as_ref().map(types::published_policy))
    }

    /// Every author whose events this node's view leaves out, with why:
    /// on its own ban list (`local`), caught forking (`forked`), or banned
    /// by people it follows (`published`, with who). Sorted by key.
    #[wasm_bindgen(js_name = bannedAuthors, unchecked_return_type = "BannedAuthor[]")]
    pub fn banned_authors(&self) -> JsResult<JsValue> {
        let replica = self.node.node().replica();
        let mut banned: Vec<types::BannedAuthor> = replica
            .view()
            .authorities()
            .banned
            .iter()
            .map(|(author, reason)| types::banned_author(author, reason))
            .collect();
        banned.sort_by(|a, b| a.author.cmp(&b.author));
        types::to_js(&banned)
    }

    /// Everyone who published a trust statement, by key.
    #[wasm_bindgen(unchecked_return_type = "string[]")]
    pub fn publishers(&self) -> JsResult<JsValue> {
        let replica = self.node.node().replica();
        let keys: Vec<String> = replica
            .log()
            .publishers()
            .iter()
            .map(|k| k.to_hex())
            .collect();
        types::to_js(&keys)
    }
}

impl JsNode {
    /// Changes the trusted or banned list by the key `who`.
    async fn change_list(
        &self,
        who: JsValue,
        change: impl FnOnce(&mut Policy, PublicKey) -> bool,
    ) -> JsResult<()> {
        let who = key(&who, "who")?;
        Ok(self
            .node
            .change_policy(|p| {
                change(p, who);
            })
            .await?)
    }
}
