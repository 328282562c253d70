//! Plain data handed to JS: the shapes the TypeScript definitions describe.

use super::errors::JsResult;
use crate::explain::{Contest, Explanation, Movement, Status, Verdict};
use crate::replica::Replica;
use serde::Serialize;
use wasm_bindgen::JsValue;

/// Serialises with `bigint` for 64- and 128-bit numbers.
pub fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    value
        .serialize(&serializer)
        .map_err(|e| super::errors::invalid(&e.to_string()))
}

/// An i128 balance as a JS `bigint`.
pub fn bigint(value: i128) -> js_sys::BigInt {
    js_sys::BigInt::from(value)
}

#[derive(Serialize)]
pub struct Balance {
    account: String,
    unit: String,
    balance: i128,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsContest {
    statement: String,
    author: String,
    dispute: bool,
    reason: String,
    verdict: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsMovement {
    event: String,
    counterparty: String,
    delta: i128,
    counted: bool,
    status: String,
    contests: Vec<JsContest>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsExplanation {
    account: String,
    unit: String,
    balance: i128,
    counted: Vec<JsMovement>,
    not_counted: Vec<JsMovement>,
}

#[derive(Serialize)]
pub struct Debt {
    account: String,
    unit: String,
    amount: u128,
    explanation: JsExplanation,
}

#[derive(Serialize)]
pub struct ViewDigest {
    pub included: String,
    pub state: String,
}

pub fn balances(replica: &Replica) -> Vec<Balance> {
    replica
        .view()
        .ledger()
        .balances(replica.log())
        .into_iter()
        .map(|(account, unit, balance)| Balance {
            account: account.to_hex(),
            unit: unit.to_owned(),
            balance,
        })
        .collect()
}

fn verdict(v: &Verdict) -> &'static str {
    match v {
        Verdict::Counted => "counted",
        Verdict::Untrusted => "untrusted",
        Verdict::AuthorBanned => "authorBanned",
        Verdict::Retracted { .. } => "retracted",
        Verdict::Excluded => "excluded",
    }
}

fn status(s: &Status) -> String {
    match s {
        Status::Included => "included".into(),
        Status::Excluded { .. } => "excluded".into(),
        Status::AuthorBanned { .. } => "authorBanned".into(),
    }
}

fn contest(c: &Contest) -> JsContest {
    JsContest {
        statement: c.statement.id.to_hex(),
        author: c.statement.author.to_hex(),
        dispute: c.statement.dispute,
        reason: c.statement.reason.clone(),
        verdict: verdict(&c.verdict),
    }
}

fn movement(m: &Movement, counted: bool) -> JsMovement {
    JsMovement {
        event: m.event.to_hex(),
        counterparty: m.counterparty.to_hex(),
        delta: m.delta,
        counted,
        status: status(&m.status),
        contests: m.contests.iter().map(contest).collect(),
    }
}

pub fn explanation(e: &Explanation) -> JsExplanation {
    JsExplanation {
        account: e.account.to_hex(),
        unit: e.unit.clone(),
        balance: e.balance,
        counted: e.counted.iter().map(|m| movement(m, true)).collect(),
        not_counted: e.not_counted.iter().map(|m| movement(m, false)).collect(),
    }
}

pub fn debts(replica: &Replica) -> Vec<Debt> {
    replica
        .view()
        .debts(replica.log())
        .iter()
        .map(|d| Debt {
            account: d.account.to_hex(),
            unit: d.unit.clone(),
            amount: d.amount,
            explanation: explanation(&d.explanation),
        })
        .collect()
}
