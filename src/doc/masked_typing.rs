//! Typing into a masked view: positions are the viewer's, so they are
//! mapped through the op history onto the shared text, and the splice is
//! made there.
//!
//! Typing batches as it does unmasked: the op history takes in each
//! splice's ops while Automerge's transaction stays open
//! ([`type_tentatively`](super::history::History::type_tentatively)), so
//! a burst of keystrokes is one change and, at publication, one signed
//! event. (Reading the history used to close the transaction: one event
//! per keystroke.)

use super::document::{Doc, TypedAhead};
use super::error::am;
use super::history::{OpId, PlanError, SplicePlan};
use super::{DocError, Splice, Value, Viewer};
use automerge::transaction::Transactable;

impl Doc {
    /// Replaces `delete` UTF-16 code units at `pos` of a text field with
    /// `insert`, positions as `viewer` sees the text (something in the
    /// document is masked). Every position is resolved before anything
    /// changes: a failure leaves the text as it was.
    pub(super) fn splice_masked(
        &mut self,
        viewer: &Viewer<'_>,
        record: &str,
        field: &str,
        splice: Splice<'_>,
    ) -> Result<(), DocError> {
        let Splice {
            pos,
            delete,
            insert,
        } = splice;
        self.sync_history();
        let at = self.masked_text(viewer, record, field)?;
        let (_, _, index) = self
            .masked_view(viewer)
            .texts
            .get(at)
            .ok_or_else(|| DocError::NotText(field.to_owned()))?;
        let plan = index.plan(pos, delete).map_err(|error| match error {
            PlanError::OutOfRange(len) => DocError::OutOfRange { pos, delete, len },
            PlanError::SplitsCharacter => DocError::SplitsCharacter { pos, delete },
        })?;
        let (text, _) = self
            .doc
            .import(&self.history.object_name(plan.obj))
            .map_err(am)?;
        let base = self.doc.base_heads();
        let before = self.doc.pending_ops();
        for &(start, end) in &plan.deletes {
            // In parts, as any deletion: a selection of 100,000 characters
            // is more ops than a change may hold.
            self.splice_in_parts(&text, start, end - start, "")?;
        }
        self.splice_in_parts(&text, plan.at, 0, insert)?;
        let typed = plan.ops(insert);
        let pending_ops = before + typed;
        // (No op written, e.g. only characters the shared text had deleted
        // already: the history holds what it held.)
        if typed > 0 {
            if self.doc.base_heads() == base && self.doc.pending_ops() == pending_ops {
                let typed_on = self.history.generation();
                let first = self
                    .history
                    .type_tentatively(self.doc.get_actor(), &plan, insert);
                self.typed_ahead = Some(TypedAhead { base, pending_ops });
                self.keep_masked_view(typed_on, (at, record, field), &plan, first, insert);
            } else {
                // A long splice committed part of itself (or Automerge made
                // other ops than expected): the next read commits the rest
                // and decodes the changes.
                self.typed_ahead = None;
                self.history.drop_tentative();
            }
        }
        Ok(())
    }

    /// Brings the kept view along with a keystroke the history typed
    /// ahead (the view was current at `typed_on`): the text's index and
    /// the record's text as seen are edited in place of a reduction.
    fn keep_masked_view(
        &mut self,
        typed_on: u64,
        (at, record, field): (usize, &str, &str),
        plan: &SplicePlan,
        first: OpId,
        insert: &str,
    ) {
        let Some(view) = self.masked_view.as_mut().filter(|v| v.key.1 == typed_on) else {
            return;
        };
        let text = view
            .collection
            .records
            .get_mut(record)
            .and_then(|r| r.fields.get_mut(field))
            .and_then(|f| match &mut f.value {
                Value::Text(text) => Some(text),
                _ => None,
            });
        let (Some(text), Some((_, _, index))) = (text, view.texts.get_mut(at)) else {
            self.masked_view = None;
            return;
        };
        index.apply(plan, first, insert, text);
        view.key.1 = self.history.generation();
        // The history holds ops the reduction did not decide.
        view.seen = None;
    }
}
