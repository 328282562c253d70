//! Payments, disputes, exclusions and what the ledger says: balances, debts, explanations, transactions.

use super::{JsNode, count, event_id, key, optional_string, string};
use crate::errors::JsResult;
use crate::types;
use trustfold::{Body, Statement, Transfer};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// How to show `unit` to people: unchanged for a unit allowed since
    /// event version 2, otherwise with every character outside ASCII and
    /// the six currency signs written as `⟨U+061C⟩`, so a unit disguised
    /// as "EUR" (allowed in version-1 events) never shows as "EUR".
    #[wasm_bindgen(js_name = unitLabel)]
    pub fn unit_label(
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<String> {
        Ok(trustfold::event::validate::unit_label(&string(&unit, "unit")?).into_owned())
    }

    /// Pays `amount` minor units of `unit` to `to`; resolves to the event id.
    pub async fn pay(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] to: JsValue,
        #[wasm_bindgen(unchecked_param_type = "bigint | number")] amount: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] memo: JsValue,
    ) -> JsResult<String> {
        let body = Body::Transfer(Transfer {
            to: key(&to, "to")?,
            amount: count(&amount, "amount")?,
            unit: string(&unit, "unit")?,
            memo: optional_string(&memo, "memo")?,
            reverses: None,
        });
        Ok(self.node.publish(body).await?.id().to_hex())
    }

    /// Pays back a payment made to this node (a reversal: what is left of
    /// it after earlier reversals counted here, in its unit, to its payer,
    /// referencing it); resolves to the event id. A payment already paid
    /// back in full is refused.
    #[wasm_bindgen(js_name = payBack)]
    pub async fn pay_back(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] payment: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] memo: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&payment, "payment")?;
        let memo = optional_string(&memo, "memo")?;
        Ok(self.node.pay_back(&target, memo).await?.id().to_hex())
    }

    /// Disputes one of this node's own payments.
    pub async fn dispute(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] payment: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] reason: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&payment, "payment")?;
        let reason = string(&reason, "reason")?;
        Ok(self
            .node
            .publish(Body::Dispute(Statement { target, reason }))
            .await?
            .id()
            .to_hex())
    }

    /// Publishes an exclusion of any event.
    pub async fn exclude(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] reason: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&event, "event")?;
        let reason = string(&reason, "reason")?;
        Ok(self
            .node
            .publish(Body::Exclude(Statement { target, reason }))
            .await?
            .id()
            .to_hex())
    }

    /// Withdraws one of this node's exclusions or disputes.
    pub async fn retract(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] statement: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&statement, "statement")?;
        Ok(self
            .node
            .publish(Body::Retract { target })
            .await?
            .id()
            .to_hex())
    }

    /// An account's balance in a unit.
    pub fn balance(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<js_sys::BigInt> {
        let account = key(&account, "account")?;
        let unit = string(&unit, "unit")?;
        let replica = self.node.node().replica();
        Ok(types::bigint(replica.view().balance(
            replica.log(),
            &account,
            &unit,
        )))
    }

    /// Every non-zero balance.
    #[wasm_bindgen(unchecked_return_type = "Balance[]")]
    pub fn balances(&self) -> JsResult<JsValue> {
        types::to_js(&types::balances(&self.node.node().replica()))
    }

    /// Every negative balance with its explanation.
    #[wasm_bindgen(unchecked_return_type = "Debt[]")]
    pub fn debts(&self) -> JsResult<JsValue> {
        types::to_js(&types::debts(&self.node.node().replica()))
    }

    /// Why an account has its balance in a unit.
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<JsValue> {
        let account = key(&account, "account")?;
        let unit = string(&unit, "unit")?;
        let replica = self.node.node().replica();
        types::to_js(&types::explanation(&replica.view().explain(
            replica.log(),
            &account,
            &unit,
        )))
    }

    /// Transfers, of `account` or all, with their status here and why.
    #[wasm_bindgen(unchecked_return_type = "Transaction[]")]
    pub fn transactions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] account: JsValue,
    ) -> JsResult<JsValue> {
        let account = if account.is_undefined() || account.is_null() {
            None
        } else {
            Some(key(&account, "account")?)
        };
        types::to_js(&types::transactions(
            &self.node.node().replica(),
            account.as_ref(),
        ))
    }

    /// Authors caught signing two events with one sequence number (two
    /// histories), each with the proof: a sign of a stolen or misused key.
    #[wasm_bindgen(js_name = forkedAuthors, unchecked_return_type = "Fork[]")]
    pub fn forked_authors(&self) -> JsResult<JsValue> {
        let replica = self.node.node().replica();
        let forks: Vec<types::JsFork> = replica.log().forks().iter().map(types::fork).collect();
        types::to_js(&forks)
    }
}
