//! A text as a mask shows it, kept in step with its owner's typing.
//!
//! Reducing the op history under a mask reads the whole document, so a
//! masked keystroke that reduced it again cost time in proportion to the
//! document (14.6 ms a keystroke at 10,000 changes; issue #17, item 4).
//! A keystroke changes only the elements it deletes and the ones it
//! inserts, and how it changes them is known without a reduction: a
//! delete by the owner hides its element in both views, and an insert
//! (the highest op id there is) lands right after its reference element
//! in tree order and shows in both. So the index is built once from a
//! reduction, then each keystroke is mapped and applied to it directly.
//!
//! The index holds every element of the text in tree order, visible or
//! not (hidden elements still anchor what was typed after them), in
//! chunks that total what each view shows: finding a position walks the
//! chunks' totals and then one chunk, ≈ √n steps at most for a text of n
//! elements instead of a reduction of the whole document.

use super::{Action, History, OpId, ROOT, Reduction};
use automerge::ScalarValue;
use rustc_hash::FxHashMap;

/// Elements a chunk holds before it is split in two.
const CHUNK_MAX: usize = 512;

/// What one view shows of an element: its text's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Glyph {
    /// UTF-16 code units (positions count these).
    units: u32,
    /// UTF-8 bytes (where it sits in the seen text).
    bytes: u32,
}

impl Glyph {
    fn of(text: &str) -> Glyph {
        Glyph {
            units: text.encode_utf16().count() as u32,
            bytes: text.len() as u32,
        }
    }
}

/// One element of the text, with what each view shows of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Element {
    id: OpId,
    /// Under the mask (`None`: hidden).
    seen: Option<Glyph>,
    /// In the shared document, nothing masked.
    shared: Option<Glyph>,
}

/// What a run of elements shows, in each view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    seen_units: usize,
    seen_bytes: usize,
    shared: usize,
    shared_units: usize,
}

impl Totals {
    fn add(&mut self, e: &Element, sign: isize) {
        let add = |x: &mut usize, n: u32| *x = x.wrapping_add_signed(sign * n as isize);
        if let Some(g) = e.seen {
            add(&mut self.seen_units, g.units);
            add(&mut self.seen_bytes, g.bytes);
        }
        if let Some(g) = e.shared {
            add(&mut self.shared, 1);
            add(&mut self.shared_units, g.units);
        }
    }

    fn add_totals(&mut self, other: &Totals, sign: isize) {
        let add = |x: &mut usize, n: usize| *x = x.wrapping_add_signed(sign * n as isize);
        add(&mut self.seen_units, other.seen_units);
        add(&mut self.seen_bytes, other.seen_bytes);
        add(&mut self.shared, other.shared);
        add(&mut self.shared_units, other.shared_units);
    }
}

#[derive(Clone, Debug, Default)]
struct Chunk {
    elements: Vec<Element>,
    totals: Totals,
}

/// Where an element sits: (chunk, index in it).
type At = (usize, usize);

/// A splice in the masked view mapped onto the shared document
/// ([`TextIndex::plan`]).
#[derive(Debug)]
pub(crate) struct SplicePlan {
    /// The text object spliced.
    pub(crate) obj: OpId,
    /// Where the shared text gets the insert, in UTF-16 code units.
    pub(crate) at: usize,
    /// The shared spans to delete (start, end) in UTF-16 code units,
    /// descending.
    pub(crate) deletes: Vec<(usize, usize)>,
    /// The element the insert hangs after (the sequence's head at the start).
    pub(super) reference: OpId,
    /// Each element deleted, with the ops a delete supersedes (the same
    /// order as `deletes`).
    pub(super) targets: Vec<(OpId, Vec<OpId>)>,
    /// Where the reference and the deleted elements sit in the index.
    reference_at: Option<At>,
    targets_at: Vec<At>,
}

impl SplicePlan {
    /// How many ops Automerge makes for this splice inserting `insert`.
    pub(crate) fn ops(&self, insert: &str) -> usize {
        self.targets.len() + insert.chars().count()
    }
}

/// Why a splice cannot be mapped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// Past the end of the text as seen (its length in UTF-16 code units).
    OutOfRange(usize),
    /// A position inside a character.
    SplitsCharacter,
}

/// One text field as a mask shows it. See the [module docs](self).
#[derive(Clone, Debug)]
pub(crate) struct TextIndex {
    /// The text object.
    pub(crate) obj: OpId,
    chunks: Vec<Chunk>,
    totals: Totals,
    /// The shared values of an element when they are other ops than its
    /// insert (what a delete of it supersedes).
    values: FxHashMap<OpId, Vec<OpId>>,
}

impl History {
    /// The index of a record field's text under a mask, given the
    /// reduction under it (`seen`); one more reduction, without the mask.
    /// `None` if the field is not a text as seen.
    pub(crate) fn text_index(
        &self,
        seen: &Reduction,
        record: &str,
        field: &str,
    ) -> Option<TextIndex> {
        let obj = self.text_object(seen, record, field)?;
        let shared = self.reduce(|_| false);
        let mut seen_values = self.element_values(seen, obj);
        let mut shared_values = self.element_values(&shared, obj);
        let glyph = |history: &History, ops: &[u32]| match &history.ops[ops[0] as usize].action {
            Action::Put(ScalarValue::Str(s)) => Glyph::of(s),
            _ => Glyph { units: 0, bytes: 0 },
        };
        let mut index = TextIndex {
            obj,
            chunks: Vec::new(),
            totals: Totals::default(),
            values: FxHashMap::default(),
        };
        let mut chunk = Chunk::default();
        for id in self.tree_order(obj) {
            let seen = seen_values.remove(&id).map(|ops| glyph(self, &ops));
            let shared = shared_values.remove(&id).map(|ops| {
                if ops.len() != 1 || self.ops[ops[0] as usize].id != id {
                    let ids = ops.iter().map(|&ix| self.ops[ix as usize].id).collect();
                    index.values.insert(id, ids);
                }
                glyph(self, &ops)
            });
            let element = Element { id, seen, shared };
            chunk.totals.add(&element, 1);
            chunk.elements.push(element);
            if chunk.elements.len() == CHUNK_MAX / 2 {
                index.push_chunk(std::mem::take(&mut chunk));
            }
        }
        if !chunk.elements.is_empty() {
            index.push_chunk(chunk);
        }
        Some(index)
    }

    /// Every element of a sequence (visible or not) in tree order.
    pub(super) fn tree_order(&self, obj: OpId) -> Vec<OpId> {
        let mut order = Vec::new();
        let Some(object) = self.objects.get(&obj) else {
            return order;
        };
        let mut stack: Vec<OpId> = object.children.get(&ROOT).cloned().unwrap_or_default();
        stack.reverse();
        while let Some(element) = stack.pop() {
            order.push(element);
            if let Some(children) = object.children.get(&element) {
                stack.extend(children.iter().rev());
            }
        }
        order
    }

    /// The text object a record field holds under a reduction.
    fn text_object(&self, r: &Reduction, record: &str, field: &str) -> Option<OpId> {
        use super::Visible;
        use automerge::ObjType;
        let records = self.map_entries(r, ROOT);
        let Visible::Object(record, ObjType::Map) = records.get(record)?.first()? else {
            return None;
        };
        let fields = self.map_entries(r, *record);
        let Visible::Object(obj, ObjType::Text) = fields.get(field)?.first()? else {
            return None;
        };
        Some(*obj)
    }
}

impl TextIndex {
    fn push_chunk(&mut self, chunk: Chunk) {
        self.totals.add_totals(&chunk.totals, 1);
        self.chunks.push(chunk);
    }

    /// The seen element that ends at `unit` (> 0).
    fn seen_ending_at(&self, unit: usize) -> Result<At, PlanError> {
        let mut before = 0;
        for (c, chunk) in self.chunks.iter().enumerate() {
            if before + chunk.totals.seen_units < unit {
                before += chunk.totals.seen_units;
                continue;
            }
            for (i, e) in chunk.elements.iter().enumerate() {
                let Some(g) = e.seen else { continue };
                before += g.units as usize;
                if before == unit && g.units > 0 {
                    return Ok((c, i));
                }
                if before > unit {
                    return Err(PlanError::SplitsCharacter);
                }
            }
        }
        Err(PlanError::OutOfRange(self.totals.seen_units))
    }

    /// The last element at or before `at` that the shared text shows.
    fn shared_at_or_before(&self, (c, i): At) -> Option<At> {
        if let Some(i) = self.chunks[c].elements[..=i]
            .iter()
            .rposition(|e| e.shared.is_some())
        {
            return Some((c, i));
        }
        let c = self.chunks[..c].iter().rposition(|k| k.totals.shared > 0)?;
        let i = self.chunks[c]
            .elements
            .iter()
            .rposition(|e| e.shared.is_some())?;
        Some((c, i))
    }

    /// What the elements before `at` show.
    fn before(&self, (c, i): At) -> Totals {
        let mut totals = Totals::default();
        for chunk in self.chunks.iter().take(c) {
            totals.add_totals(&chunk.totals, 1);
        }
        for e in self
            .chunks
            .get(c)
            .into_iter()
            .flat_map(|k| k.elements.iter().take(i))
        {
            totals.add(e, 1);
        }
        totals
    }

    /// The place right after `at` (`None`: the start).
    fn after(at: Option<At>) -> At {
        match at {
            None => (0, 0),
            Some((c, i)) => (c, i + 1),
        }
    }

    /// Maps a splice of the seen text (`delete` UTF-16 code units at `pos`)
    /// onto the shared document: an insert goes right after the element
    /// the shared text shows at or before the seen one before the cursor;
    /// the seen elements in the span that the shared text shows are
    /// deleted. Elements seen but deleted in the shared text (restored by
    /// the mask) cannot be deleted again and are skipped; text inserted
    /// right after one lands before it (the known limits of masking).
    pub(crate) fn plan(&self, pos: usize, delete: usize) -> Result<SplicePlan, PlanError> {
        let len = self.totals.seen_units;
        let end = pos
            .checked_add(delete)
            .filter(|end| *end <= len)
            .ok_or(PlanError::OutOfRange(len))?;
        let previous = match pos {
            0 => None,
            _ => Some(self.seen_ending_at(pos)?),
        };
        if end > pos {
            self.seen_ending_at(end)?;
        }
        let reference_at = previous.and_then(|at| self.shared_at_or_before(at));
        let (reference, at) = match reference_at {
            None => (ROOT, 0),
            Some((c, i)) => {
                let e = &self.chunks[c].elements[i];
                let width = e.shared.map_or(0, |g| g.units as usize);
                (e.id, self.before((c, i)).shared_units + width)
            }
        };
        // The span: seen elements after `previous` until `delete` units.
        let (mut c, mut i) = Self::after(previous);
        let mut shared_before = self.before((c, i)).shared_units;
        let mut left = delete;
        let (mut deletes, mut targets, mut targets_at) = (Vec::new(), Vec::new(), Vec::new());
        while left > 0 && c < self.chunks.len() {
            let chunk = &self.chunks[c];
            if i == 0 && chunk.totals.seen_units == 0 {
                shared_before += chunk.totals.shared_units;
                c += 1;
                continue;
            }
            let Some(e) = chunk.elements.get(i) else {
                (c, i) = (c + 1, 0);
                continue;
            };
            if let Some(seen) = e.seen {
                left = left.saturating_sub(seen.units as usize);
                if let Some(shared) = e.shared {
                    let width = shared.units as usize;
                    deletes.push((shared_before, shared_before + width));
                    let values = self.values.get(&e.id).cloned();
                    targets.push((e.id, values.unwrap_or_else(|| vec![e.id])));
                    targets_at.push((c, i));
                }
            }
            shared_before += e.shared.map_or(0, |g| g.units as usize);
            i += 1;
        }
        deletes.reverse();
        targets.reverse();
        targets_at.reverse();
        Ok(SplicePlan {
            obj: self.obj,
            at,
            deletes,
            reference,
            targets,
            reference_at,
            targets_at,
        })
    }

    /// Applies a mapped splice once the history typed it: its targets are
    /// hidden in both views, and the characters of `insert` (ids from
    /// `first` on, one counter apart) shown in both right after its
    /// reference. `seen` (the text as seen) is edited to match.
    pub(crate) fn apply(
        &mut self,
        plan: &SplicePlan,
        first: OpId,
        insert: &str,
        seen: &mut String,
    ) {
        // The seen bytes deleted, as runs (one unless restored characters
        // sit in the span), found walking the span once, ascending.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        if let Some(&lowest) = plan.targets_at.last() {
            let (mut at, mut offset) = (lowest, self.before(lowest).seen_bytes);
            for &target in plan.targets_at.iter().rev() {
                offset += self.seen_bytes_between(at, target);
                at = target;
                let Some(g) = self.element(target).seen else {
                    continue;
                };
                let width = g.bytes as usize;
                match runs.last_mut() {
                    Some((_, end)) if *end == offset => *end += width,
                    _ => runs.push((offset, offset + width)),
                }
            }
        }
        for &(start, end) in runs.iter().rev() {
            seen.replace_range(start..end, "");
        }
        for &(c, i) in &plan.targets_at {
            let e = self.chunks[c].elements[i];
            self.chunks[c].totals.add(&e, -1);
            self.totals.add(&e, -1);
            self.chunks[c].elements[i] = Element {
                seen: None,
                shared: None,
                ..e
            };
            self.values.remove(&e.id);
        }
        if insert.is_empty() {
            return;
        }
        let (c, i) = Self::after(plan.reference_at);
        if self.chunks.is_empty() {
            self.chunks.push(Chunk::default());
        }
        seen.insert_str(self.before((c, i)).seen_bytes, insert);
        let added: Vec<Element> = insert
            .chars()
            .zip(first.counter..)
            .map(|(ch, counter)| {
                let glyph = Glyph::of(ch.encode_utf8(&mut [0; 4]));
                Element {
                    id: OpId {
                        counter,
                        actor: first.actor,
                    },
                    seen: Some(glyph),
                    shared: Some(glyph),
                }
            })
            .collect();
        for e in &added {
            self.chunks[c].totals.add(e, 1);
            self.totals.add(e, 1);
        }
        self.chunks[c].elements.splice(i..i, added);
        self.split(c);
    }

    fn element(&self, (c, i): At) -> Element {
        self.chunks[c].elements[i]
    }

    /// The seen bytes of the elements from `from` (included) to `to`
    /// (excluded), `from` not after `to`.
    fn seen_bytes_between(&self, from: At, to: At) -> usize {
        let bytes = |es: &[Element]| -> usize {
            es.iter()
                .filter_map(|e| e.seen.map(|g| g.bytes as usize))
                .sum()
        };
        if from.0 == to.0 {
            return bytes(&self.chunks[from.0].elements[from.1..to.1]);
        }
        bytes(&self.chunks[from.0].elements[from.1..])
            + self.chunks[from.0 + 1..to.0]
                .iter()
                .map(|k| k.totals.seen_bytes)
                .sum::<usize>()
            + bytes(&self.chunks[to.0].elements[..to.1])
    }

    /// Splits chunk `c` into chunks of half the most a chunk holds, if it
    /// holds more than that most (a long insert).
    fn split(&mut self, c: usize) {
        if self.chunks[c].elements.len() <= CHUNK_MAX {
            return;
        }
        let elements = std::mem::take(&mut self.chunks[c].elements);
        let pieces: Vec<Chunk> = elements
            .chunks(CHUNK_MAX / 2)
            .map(|part| {
                let mut totals = Totals::default();
                for e in part {
                    totals.add(e, 1);
                }
                Chunk {
                    elements: part.to_vec(),
                    totals,
                }
            })
            .collect();
        self.chunks.splice(c..=c, pieces);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Value;
    use automerge::{AutoCommit, ChangeHash, ObjType, TextEncoding, transaction::Transactable};

    /// Every element in order, with what each view shows: chunk
    /// boundaries left out (an index built afresh cuts them elsewhere).
    fn flat(index: &TextIndex) -> (Vec<Element>, Totals) {
        let elements: Vec<Element> = index
            .chunks
            .iter()
            .flat_map(|c| c.elements.clone())
            .collect();
        let mut totals = Totals::default();
        for e in &elements {
            totals.add(e, 1);
        }
        for chunk in &index.chunks {
            let mut sum = Totals::default();
            for e in &chunk.elements {
                sum.add(e, 1);
            }
            assert_eq!(sum, chunk.totals, "a chunk's totals are its elements'");
            assert!(chunk.elements.len() <= CHUNK_MAX);
        }
        assert_eq!(totals, index.totals, "the index's totals are its chunks'");
        (elements, totals)
    }

    fn seen_text(history: &History, masked: &impl Fn(&ChangeHash) -> bool) -> String {
        match &history.collection(masked).records["r"].fields["t"].value {
            Value::Text(text) => text.clone(),
            other => panic!("not a text: {other:?}"),
        }
    }

    /// Keystrokes applied to the index, one after another (with commits
    /// between), leave it equal to an index built afresh from the history
    /// each time, and the seen text equal to the history's reduction —
    /// across chunk splits, restored text and text the mask hides.
    #[test]
    fn an_index_kept_by_keystrokes_equals_one_built_afresh() {
        let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            (rng % n.max(1) as u64) as usize
        };
        let mut doc = AutoCommit::new_with_encoding(TextEncoding::Utf16CodeUnit);
        let record = doc
            .put_object(automerge::ROOT, "r", ObjType::Map)
            .expect("record");
        let text = doc.put_object(&record, "t", ObjType::Text).expect("text");
        let start: String = (0..1_500)
            .map(|i| if i % 37 == 0 { '😀' } else { 'a' })
            .collect();
        doc.splice_text(&text, 0, 0, &start).expect("text");
        doc.commit();
        // Another author inserts and deletes; the mask hides what they did.
        let mut other = doc
            .fork()
            .with_actor(automerge::ActorId::from(&[7u8; 16][..]));
        let before = other.get_heads();
        for (at, delete, insert) in [
            (10, 0, "XYZ"),
            (400, 30, ""),
            (900, 2, "Q"),
            (1_200, 0, "RR"),
        ] {
            other.splice_text(&text, at, delete, insert).expect("other");
        }
        other.commit();
        let masked_hashes: Vec<ChangeHash> = other
            .get_changes(&before)
            .iter()
            .map(|c| c.hash())
            .collect();
        doc.merge(&mut other).expect("merge");
        let masked = |hash: &ChangeHash| masked_hashes.contains(hash);
        let mut history = History::default();
        history.extend(&doc.get_changes(&[]));
        let mut heads = doc.get_heads();
        let mut index = history
            .text_index(&history.reduce(masked), "r", "t")
            .expect("index");
        let mut seen = seen_text(&history, &masked);
        let inserts = ["", "b", "cd", "😀", "é", "efghijklmnopqrstuvwxyz0123456789"];
        for step in 0..250 {
            let chars: Vec<usize> = std::iter::once(0)
                .chain(seen.chars().scan(0, |at, c| {
                    *at += c.len_utf16();
                    Some(*at)
                }))
                .collect();
            let first = next(chars.len());
            let last = (first + next(4)).min(chars.len() - 1);
            let (pos, delete) = (chars[first], chars[last] - chars[first]);
            let insert = inserts[next(inserts.len())];
            let plan = index.plan(pos, delete).expect("plan");
            for &(s, e) in &plan.deletes {
                doc.splice_text(&text, s, (e - s) as isize, "")
                    .expect("delete");
            }
            doc.splice_text(&text, plan.at, 0, insert).expect("insert");
            if plan.ops(insert) == 0 {
                continue;
            }
            let first_id = history.type_tentatively(doc.get_actor(), &plan, insert);
            index.apply(&plan, first_id, insert, &mut seen);
            assert_eq!(seen, seen_text(&history, &masked), "step {step}");
            let fresh = history
                .text_index(&history.reduce(masked), "r", "t")
                .expect("index");
            assert_eq!(flat(&index), flat(&fresh), "step {step}");
            if step % 50 == 49 {
                doc.commit();
                history.extend(&doc.get_changes(&heads));
                heads = doc.get_heads();
            }
        }
        assert!(
            index.chunks.len() > 6,
            "the chunks split: {}",
            index.chunks.len()
        );
        // Positions inside a character, or past the end, are refused.
        let emoji = seen.find('😀').expect("an emoji");
        let unit = seen[..emoji].encode_utf16().count() + 1;
        assert_eq!(index.plan(unit, 0).err(), Some(PlanError::SplitsCharacter));
        let len = seen.encode_utf16().count();
        assert_eq!(index.plan(len, 1).err(), Some(PlanError::OutOfRange(len)));
    }
}
