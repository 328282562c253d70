//! A document as its owner's mask shows it, kept between reads.
//!
//! Reducing the op history under a mask reads the whole document, so the
//! result is kept: the records as seen, and for each text typed into, its
//! [`TextIndex`]. It stays good while the set of masked changes and what
//! the history holds stay the same. Events arriving change the view's
//! generation without changing what is masked (the owner's own published
//! typing among them), so the set is compared, not the generation; a
//! commit of what was typed ahead leaves the history's generation as it
//! was ([`History::extend`](super::history::History)). Masked typing
//! updates the index and the records as seen itself
//! ([`masked_typing`](super::masked_typing)).

use super::document::{Doc, all_left_out};
use super::history::{History, Reduction, TextIndex};
use super::{Collection, DocError, Viewer};
use automerge::ChangeHash;
use rustc_hash::FxHashSet;

/// The changes a viewer masks in one document.
#[derive(Debug)]
pub(super) struct Mask {
    /// (view generation, carriers known) it was computed for.
    key: (u64, usize),
    masked: FxHashSet<ChangeHash>,
    /// Changes only when `masked` does.
    version: u64,
}

/// The records as a mask shows them, and the texts typed into.
#[derive(Debug)]
pub(super) struct MaskedView {
    /// (mask version, history generation) it was read under.
    pub(super) key: (u64, u64),
    pub(super) collection: Collection,
    /// The records marked deleted in it, by name.
    pub(super) deleted: Vec<String>,
    /// (record, field, its index).
    pub(super) texts: Vec<(String, String, TextIndex)>,
    /// The reduction the records were read from, while the history holds
    /// what it held then: the first keystroke into a text indexes it from
    /// this one instead of reducing the history again.
    pub(super) seen: Option<Reduction>,
}

impl Doc {
    /// The changes `viewer` masks, computed again only when the view or
    /// the document's events changed.
    fn mask(&mut self, viewer: &Viewer<'_>) -> &Mask {
        let key = (viewer.generation, self.carriers);
        let old = match self.mask.take() {
            Some(mask) if mask.key == key => return self.mask.insert(mask),
            old => old,
        };
        let masked: FxHashSet<ChangeHash> = self
            .events
            .iter()
            .filter(|(_, carriers)| all_left_out(carriers, viewer))
            .map(|(hash, _)| *hash)
            .collect();
        let version = match old {
            Some(old) if old.masked == masked => old.version,
            Some(old) => old.version + 1,
            None => 0,
        };
        self.mask.insert(Mask {
            key,
            masked,
            version,
        })
    }

    /// The history's ops decided under the mask last computed.
    fn reduce_under_mask(&self) -> Reduction {
        let masked = self.mask.as_ref().map(|mask| &mask.masked);
        self.history
            .reduce(|hash| masked.is_some_and(|m| m.contains(hash)))
    }

    /// Is any change of this document masked? Typing does not rescan the
    /// document's events at every keystroke.
    pub(super) fn any_masked(&mut self, viewer: &Viewer<'_>) -> bool {
        !self.mask(viewer).masked.is_empty()
    }

    /// Reads the document as `viewer` sees it: straight from Automerge
    /// (`direct`) when nothing in it is masked for them, else from the
    /// masked view (`masked`; made again only when the mask or the history
    /// changed). Every reader of records goes through here, so the rule of
    /// which reading applies is in one place.
    pub(super) fn read_as<T>(
        &mut self,
        viewer: &Viewer<'_>,
        direct: impl FnOnce(&mut Doc) -> T,
        masked: impl FnOnce(&MaskedView) -> T,
    ) -> T {
        self.flush();
        if !self.any_masked(viewer) {
            return direct(self);
        }
        self.sync_history();
        masked(self.masked_view(viewer))
    }

    /// The view under `viewer`'s mask, read again if it is not current
    /// (the history brought up to date first, by the caller).
    pub(super) fn masked_view(&mut self, viewer: &Viewer<'_>) -> &mut MaskedView {
        let version = self.mask(viewer).version;
        let key = (version, self.history.generation());
        match self.masked_view.take() {
            Some(view) if view.key == key => self.masked_view.insert(view),
            _ => {
                let seen = self.reduce_under_mask();
                let (collection, deleted) = self.history.collection_reduced(&seen);
                self.masked_view.insert(MaskedView {
                    key,
                    collection,
                    deleted,
                    texts: Vec::new(),
                    seen: Some(seen),
                })
            }
        }
    }

    /// Reads the op history under `viewer`'s mask, with the reduction the
    /// masked view keeps (computed once per view, then lent out).
    pub(super) fn under_mask<T>(
        &mut self,
        viewer: &Viewer<'_>,
        read: impl FnOnce(&History, &Reduction) -> T,
    ) -> T {
        let kept = self.masked_view(viewer).seen.take();
        let seen = kept.unwrap_or_else(|| self.reduce_under_mask());
        let out = read(&self.history, &seen);
        self.masked_view(viewer).seen = Some(seen);
        out
    }

    /// Where the index of `record`'s text `field` sits in the current view
    /// (built when first typed into).
    pub(super) fn masked_text(
        &mut self,
        viewer: &Viewer<'_>,
        record: &str,
        field: &str,
    ) -> Result<usize, DocError> {
        if let Some(at) = self
            .masked_view(viewer)
            .texts
            .iter()
            .position(|(r, f, _)| r == record && f == field)
        {
            return Ok(at);
        }
        let index = self.under_mask(viewer, |history, seen| {
            history.text_index(seen, record, field)
        });
        let view = self.masked_view(viewer);
        let index = index.ok_or_else(|| DocError::NotText(field.to_owned()))?;
        view.texts
            .push((record.to_owned(), field.to_owned(), index));
        Ok(view.texts.len() - 1)
    }
}
