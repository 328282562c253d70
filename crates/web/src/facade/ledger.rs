//! Payments, disputes, exclusions and what the ledger says: balances, debts, explanations, transactions.

use super::{JsNode, count, event_id, key, optional_string, string};
use crate::errors::{JsResult, WebError, invalid};
use crate::types;
use trustfold::{Body, Statement, Transfer};
use wasm_bindgen::prelude::*;

/// A signed whole number from JS: a bigint, or a safe integer.
fn signed(value: &JsValue, what: &str) -> JsResult<i128> {
    if value.is_bigint() {
        return i128::try_from(js_sys::BigInt::unchecked_from_js_ref(value).clone())
            .map_err(|_| invalid(&format!("{what} must fit in 128 bits")));
    }
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Ok(n as i128),
        _ => Err(invalid(&format!(
            "{what} must be a whole number (a bigint or a safe integer)"
        ))),
    }
}

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

    /// `amount` minor units of `unit` as people write it ("-12.50" for
    /// -1250 EUR): the unit's decimals are the same on every node
    /// (`trustfold::amount`). The unit itself is not included.
    #[wasm_bindgen(js_name = formatAmount)]
    pub fn format_amount(
        #[wasm_bindgen(unchecked_param_type = "bigint | number")] amount: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<String> {
        Ok(trustfold::amount::format(
            signed(&amount, "amount")?,
            &string(&unit, "unit")?,
        ))
    }

    /// Reads an amount typed by a person ("12.50", "12,5") into minor units
    /// of `unit`. Throws `INVALID_ARGUMENT` with `detail` `amount_empty`,
    /// `amount_not_a_number`, `amount_too_precise` (more decimals than the
    /// unit has), `amount_grouped` ("1,000" in a unit of fewer than three
    /// decimals: a thousand or one?), `amount_zero` or `amount_too_large`.
    #[wasm_bindgen(js_name = parseAmount)]
    pub fn parse_amount(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<js_sys::BigInt> {
        let amount = trustfold::amount::parse(&string(&text, "text")?, &string(&unit, "unit")?)
            .map_err(WebError::from)?;
        Ok(js_sys::BigInt::from(amount))
    }

    /// How many decimals `unit` is written with (2 for EUR, 0 for JPY and
    /// for units that are not currencies, such as HOUR).
    #[wasm_bindgen(js_name = unitDecimals)]
    pub fn unit_decimals(
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<u8> {
        Ok(trustfold::amount::decimals(&string(&unit, "unit")?))
    }

    /// Whether `unit` is a currency trustfold knows (an ISO 4217 code or a
    /// currency sign).
    #[wasm_bindgen(js_name = isKnownCurrency)]
    pub fn is_known_currency(
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<bool> {
        Ok(trustfold::amount::is_known_currency(&string(
            &unit, "unit",
        )?))
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

    /// Every negative balance with what the counted transfers come to per
    /// person (at most `most` people each, 3 by default; the one paid most
    /// first) and the first transfers to the debtor that do not count, but
    /// not every transfer: with a year of history `debts()` hands over a
    /// thousand per debt. `explain(account, unit)` lists them.
    #[wasm_bindgen(js_name = debtSummaries, unchecked_return_type = "DebtSummary[]")]
    pub fn debt_summaries(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] most: JsValue,
    ) -> JsResult<JsValue> {
        let most = people_named(&most)?;
        types::to_js(&types::debt_summaries(&self.node.node().replica(), most))
    }

    /// One debt's summary, as `debtSummaries` gives it, or `null` when
    /// `account` is not below zero in `unit`: it costs that account's
    /// transfers only, so a page can show debts a page at a time.
    #[wasm_bindgen(js_name = debtSummary, unchecked_return_type = "DebtSummary | null")]
    pub fn debt_summary(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] most: JsValue,
    ) -> JsResult<JsValue> {
        let account = key(&account, "account")?;
        let unit = string(&unit, "unit")?;
        let most = people_named(&most)?;
        let replica = self.node.node().replica();
        let Some(summary) = replica
            .view()
            .debt_summary(replica.log(), &account, &unit, most)
        else {
            return Ok(JsValue::NULL);
        };
        types::to_js(&types::debt_summary(
            &summary,
            &mut types::SharedStrings::default(),
        ))
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
        types::to_js(&types::explanation(
            &replica.view().explain(replica.log(), &account, &unit),
            &mut types::SharedStrings::default(),
        ))
    }

    /// Transfers, of `account` or all, with their status here and why.
    /// All of them (no `account`) are frozen objects, the same ones from
    /// one call to the next while a row is unchanged.
    #[wasm_bindgen(unchecked_return_type = "Transaction[]")]
    pub fn transactions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] account: JsValue,
    ) -> JsResult<JsValue> {
        if account.is_undefined() || account.is_null() {
            // All of them: read again whenever the log changes, so each
            // row's object is reused while it is unchanged.
            let replica = self.node.node().replica();
            let mut kept = self.kept_transactions.borrow_mut();
            return Ok(kept.read(replica.log(), replica.view())?.into());
        }
        let account = key(&account, "account")?;
        let replica = self.node.node().replica();
        let of_account = replica
            .view()
            .transaction_refs(replica.log(), Some(&account));
        let rows: Vec<&trustfold::TransactionRef> = of_account.iter().collect();
        Ok(crate::transaction_rows::transaction_objects(&rows)?.into())
    }

    /// Makes the objects of up to `count` more transfers ahead of
    /// `transactions()` (of them all), which then hands them out: a page
    /// spreads the first read of a long history over several tasks
    /// (100,000 transfers are ≈ 60 ms of the page's thread at once). A
    /// call costs the transfers it makes and a walk over the log's events.
    /// Returns how many are left to make; 0 makes none and says how many.
    #[wasm_bindgen(js_name = prepareTransactions)]
    pub fn prepare_transactions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] count: JsValue,
    ) -> JsResult<u32> {
        let count = super::count(&count, "count")?;
        let replica = self.node.node().replica();
        // More than a usize counts every transfer: all are made.
        let left = self.kept_transactions.borrow_mut().prepare(
            replica.log(),
            replica.view(),
            usize::try_from(count).unwrap_or(usize::MAX),
        )?;
        Ok(u32::try_from(left).unwrap_or(u32::MAX))
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

/// How many people a debt's summary names at most: 3 when not given.
fn people_named(most: &JsValue) -> JsResult<usize> {
    match most.as_f64() {
        None if most.is_undefined() || most.is_null() => Ok(3),
        Some(n) if n.fract() == 0.0 && (0.0..=1000.0).contains(&n) => Ok(n as usize),
        _ => Err(invalid("most must be a whole number from 0 to 1000")),
    }
}
