//! Paying back a payment received: the reversal a payee may sign.

use super::Replica;
use crate::event::{Body, EventId, PublicKey, Transfer};
use thiserror::Error;

/// Why a payment cannot be paid back.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReversalError {
    /// This replica holds no event with that id.
    #[error("payment {0:?} is unknown")]
    UnknownPayment(EventId),
    /// The event is not a transfer, or it pays someone else: only its payee
    /// may pay it back.
    #[error("event {0:?} is not a payment made to you")]
    NotAPaymentToYou(EventId),
    /// Reversals counted in this view already pay back all of it.
    #[error("payment {0:?} was already paid back in full")]
    AlreadyPaidBack(EventId),
}

impl ReversalError {
    /// A stable snake_case code for each case, for callers that map errors
    /// to their own words (the JS façade, a page).
    pub fn code(&self) -> &'static str {
        match self {
            ReversalError::UnknownPayment(_) => "unknown_payment",
            ReversalError::NotAPaymentToYou(_) => "not_a_payment_to_you",
            ReversalError::AlreadyPaidBack(_) => "already_paid_back",
        }
    }
}

impl Replica {
    /// The transfer by which `me` pays back what is left of the payment
    /// `target` made to them: the payment's amount minus what reversals
    /// counted in this replica's view already pay back
    /// ([`View::reversed_amount`](crate::View::reversed_amount)), in its
    /// unit, to its payer, with `reverses: Some(target)` and an empty memo
    /// (the caller sets it). Publishing it is the caller's step.
    pub fn reversal_of(&self, target: &EventId, me: &PublicKey) -> Result<Transfer, ReversalError> {
        let log = self.log();
        let ix = log
            .ix(target)
            .ok_or(ReversalError::UnknownPayment(*target))?;
        let event = log.entry(ix).event();
        let payment = match event.body() {
            Body::Transfer(t) if t.to == *me => t,
            _ => return Err(ReversalError::NotAPaymentToYou(*target)),
        };
        // reversed_amount is capped at the payment's amount, so this never
        // underflows.
        let left = payment.amount - self.view().reversed_amount(log, ix);
        if left == 0 {
            return Err(ReversalError::AlreadyPaidBack(*target));
        }
        Ok(Transfer {
            to: event.author(),
            amount: left,
            unit: payment.unit.clone(),
            memo: String::new(),
            reverses: Some(*target),
        })
    }
}
