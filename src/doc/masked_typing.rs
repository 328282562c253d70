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
use super::{DocError, Splice, Viewer, splice_end, utf16_offsets};
use automerge::{ReadDoc, transaction::Transactable};

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
        let (name, plan) = {
            let masked = self.masked(viewer);
            // One reduction under the mask (the text as seen and its
            // elements) and one without (in `map_splice`).
            let seen = self
                .history
                .masked_text(&masked, record, field)
                .ok_or_else(|| DocError::NotText(field.to_owned()))?;
            // The history counts elements, one a character: the text as
            // seen converts the positions (the masked path reads it all).
            let units = utf16_offsets(&seen.text);
            let len = seen.text.encode_utf16().count();
            let end = splice_end(pos, delete, len)?;
            let character = |unit: usize| units.binary_search(&unit).ok();
            let (Some(first), Some(end)) = (character(pos), character(end)) else {
                return Err(DocError::SplitsCharacter { pos, delete });
            };
            let plan = self
                .history
                .map_splice(&seen, first, end - first)
                .ok_or(DocError::OutOfRange { pos, delete, len })?;
            (self.history.object_name(seen.obj), plan)
        };
        let (text, _) = self.doc.import(&name).map_err(am)?;
        // The plan is in characters of the shared text; Automerge counts
        // UTF-16 units.
        let shared = self.doc.text(&text).map_err(am)?;
        let units = utf16_offsets(&shared);
        let len = shared.encode_utf16().count();
        let unit = |character: usize| {
            units
                .get(character)
                .copied()
                .ok_or(DocError::OutOfRange { pos, delete, len })
        };
        let insert_at = unit(plan.at)?;
        let spans = plan
            .deletes
            .iter()
            .map(|&d| Ok((unit(d)?, unit(d + 1)?)))
            .collect::<Result<Vec<_>, DocError>>()?;
        let base = self.doc.base_heads();
        let before = self.doc.pending_ops();
        for (start, end) in spans {
            self.doc
                .splice_text(&text, start, (end - start) as isize, "")
                .map_err(am)?;
            self.make_room();
        }
        self.splice_in_parts(&text, insert_at, 0, insert)?;
        let typed = plan.ops(insert);
        let pending_ops = before + typed;
        // (No op written, e.g. only characters the shared text had deleted
        // already: the history holds what it held.)
        if typed > 0 {
            if self.doc.base_heads() == base && self.doc.pending_ops() == pending_ops {
                self.history
                    .type_tentatively(self.doc.get_actor(), &plan, insert);
                self.typed_ahead = Some(TypedAhead { base, pending_ops });
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
}
