//! Events in blocks: one stored record per written batch.
//!
//! A store that pays a fixed cost per record (IndexedDB: a key, a
//! structured-clone value and a B-tree entry each) keeps each batch it is
//! given as one *block*: the batch's events back to back, each with its
//! id. Reading 100,000 events is then a few hundred records copied out,
//! not 100,000 keys and 100,000 values, and writing a catch-up chunk is
//! one `put`.
//!
//! The layout, version [`BLOCK_FORMAT`]:
//!
//! ```text
//! block  = format:u8 record*
//! record = id:[u8; 32] length:u32 (little endian) bytes:[u8; length]
//! ```
//!
//! The id is kept with its bytes, as a per-event key was: a record whose
//! bytes no longer hash to its id is damaged and is skipped and reported
//! (the store does not verify signatures again, so without the id a flipped
//! bit would be read as a different, unsigned event). A block cut short
//! keeps the records before the cut; after a damaged record, reading goes
//! on at the next record whose bytes hash to its id.

use super::{LoadedEvents, StoreError, check_record};
use crate::event::EventId;
use rustc_hash::FxHashSet;

/// The first byte of every block: the layout above.
pub const BLOCK_FORMAT: u8 = 1;

/// Bytes a record takes besides its event's: the id and the length.
const RECORD_HEADER: usize = 32 + 4;

/// A batch of events as one block.
///
/// Fails only for an event longer than 4 GiB, which no valid event is.
pub fn encode_block(events: &[(EventId, &[u8])]) -> Result<Vec<u8>, StoreError> {
    let size = 1 + events
        .iter()
        .map(|(_, bytes)| RECORD_HEADER + bytes.len())
        .sum::<usize>();
    let mut block = Vec::with_capacity(size);
    block.push(BLOCK_FORMAT);
    for (id, bytes) in events {
        let length = u32::try_from(bytes.len())
            .map_err(|_| StoreError::Backend("an event of over 4 GiB".to_owned()))?;
        block.extend_from_slice(&id.0);
        block.extend_from_slice(&length.to_le_bytes());
        block.extend_from_slice(bytes);
    }
    Ok(block)
}

/// A record as read, unchecked: its id, its event's bytes, and the bytes
/// after it.
type RawRecord<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// The record at the start of `bytes`, unchecked, or what is wrong if
/// `bytes` stops inside it.
fn record_at(bytes: &[u8]) -> Result<RawRecord<'_>, String> {
    let Some((header, after)) = bytes.split_at_checked(RECORD_HEADER) else {
        return Err("a block cut inside a record's header".to_owned());
    };
    let (id, length) = header.split_at(32);
    let length = u32::from_le_bytes(length.try_into().expect("4 bytes")) as usize;
    let Some((event, after)) = after.split_at_checked(length) else {
        return Err("a block cut inside an event".to_owned());
    };
    Ok((id, event, after))
}

/// Bytes a reader may hash, over one load, looking for intact records
/// after damage, before it gives the rest of a damaged block up (≈ 30 ms).
const RESYNC_HASHED: usize = 64 << 20;

/// Damaged records in a row a reader steps over by their lengths before it
/// searches for the next intact one instead.
const HOPS: usize = 4;

/// Reads blocks, in order, into the events they hold: intact records once
/// each (an id stored twice keeps its first place), damaged ones reported
/// with which block and what is wrong.
#[derive(Debug)]
pub struct BlockReader {
    seen: FxHashSet<EventId>,
    loaded: LoadedEvents,
    /// Bytes this reader may still hash looking for records after damage.
    resync_left: usize,
}

impl Default for BlockReader {
    fn default() -> BlockReader {
        BlockReader {
            seen: FxHashSet::default(),
            loaded: LoadedEvents::default(),
            resync_left: RESYNC_HASHED,
        }
    }
}

impl BlockReader {
    /// A reader that has read nothing.
    pub fn new() -> BlockReader {
        BlockReader::default()
    }

    /// Reads the next block; `label` names it in reports. Returns whether
    /// every record of it was intact.
    ///
    /// After a damaged record the reader goes on where its length says it
    /// ends, for up to [`HOPS`] damaged records in a row, as long as an
    /// intact record turns up. Else (a damaged length) it looks for the
    /// first place after the first of them where a record's bytes hash to
    /// its id, so one flipped bit in a length loses one record, not the
    /// rest of a block that merged thousands of events. What it finds so is
    /// only *probably* a record: an event a peer signed could carry such
    /// bytes inside it, so everything after that place in the block is
    /// listed in [`LoadedEvents::unverified`], to be checked with its
    /// signature before use.
    pub fn read(&mut self, block: &[u8], label: impl core::fmt::Display) -> bool {
        let mut rest = match block.split_first() {
            Some((&BLOCK_FORMAT, rest)) => rest,
            Some((format, _)) => {
                let why = format!("{label}: a block of unknown format {format}");
                self.loaded.corrupt.push(why);
                return false;
            }
            None => {
                self.loaded.corrupt.push(format!("{label}: an empty block"));
                return false;
            }
        };
        let mut intact = true;
        let mut suspect = false;
        // Where the run of damaged records began, and its length.
        let mut damaged: Option<(&[u8], usize)> = None;
        while !rest.is_empty() {
            let why: Option<String> = match record_at(rest) {
                Ok((id, bytes, after)) => match check_record(id, bytes.to_vec()) {
                    Ok((id, bytes)) => {
                        if let Some((_, hops)) = damaged.take()
                            && hops > 1
                        {
                            let more = hops - 1;
                            let why = format!("{label}: {more} more damaged records after it");
                            self.loaded.corrupt.push(why);
                        }
                        self.keep(id, bytes, suspect);
                        rest = after;
                        continue;
                    }
                    Err(why) => {
                        intact = false;
                        let (from, hops) = damaged.unwrap_or((rest, 0));
                        if damaged.is_none() {
                            self.loaded.corrupt.push(format!("{label}: {why}"));
                        }
                        if after.is_empty() && damaged.is_none() {
                            break; // the last record, damaged alone
                        }
                        if hops < HOPS && !after.is_empty() {
                            damaged = Some((from, hops + 1));
                            rest = after;
                            continue;
                        }
                        None
                    }
                },
                Err(why) => Some(why),
            };
            intact = false;
            // A record cut short, first of a run: say so (a run's later
            // records may be anything, and are not reported one by one).
            if let (Some(why), None) = (why, damaged) {
                self.loaded.corrupt.push(format!("{label}: {why}"));
            }
            let from = damaged.map_or(rest, |(from, _)| from);
            let offset = block.len() - from.len();
            match self.next_intact(from) {
                Some(at) => {
                    let to = offset + at;
                    self.loaded.corrupt.push(format!(
                        "{label}: bytes {offset}–{to} skipped to the next record whose bytes hash to its id"
                    ));
                    rest = &from[at..];
                    suspect = true;
                    damaged = None;
                }
                None => {
                    // A cut record said so already.
                    if damaged.is_some() {
                        let why = format!("{label}: no intact record after byte {offset}");
                        self.loaded.corrupt.push(why);
                    }
                    break;
                }
            }
        }
        intact
    }

    /// The first offset after the start of `bytes` where a record's bytes
    /// hash to its id, within what is left of this load's
    /// [`RESYNC_HASHED`] (each candidate costs its header and its bytes).
    fn next_intact(&mut self, bytes: &[u8]) -> Option<usize> {
        for at in 1..bytes.len() {
            let Ok((id, event, _)) = record_at(&bytes[at..]) else {
                continue;
            };
            let cost = RECORD_HEADER + event.len();
            if cost > self.resync_left {
                self.resync_left = 0;
                return None;
            }
            self.resync_left -= cost;
            if EventId::of_bytes(event).0 == *id {
                return Some(at);
            }
        }
        None
    }

    /// Keeps an intact record the first time its id is read; `suspect`:
    /// found after a search (see [`read`](Self::read)).
    fn keep(&mut self, id: EventId, bytes: Vec<u8>, suspect: bool) {
        if self.seen.insert(id) {
            self.loaded.events.push((id, bytes));
            if suspect {
                self.loaded.unverified.push(id);
            }
        }
    }

    /// Reads one record kept on its own (`key`, `bytes`), as stores kept
    /// every event before blocks.
    pub fn read_record(&mut self, key: &[u8], bytes: Vec<u8>) {
        match check_record(key, bytes) {
            Ok((id, bytes)) => self.keep(id, bytes, false),
            Err(why) => self.loaded.corrupt.push(why),
        }
    }

    /// Reports a record that could not be read at all.
    pub fn report(&mut self, why: String) {
        self.loaded.corrupt.push(why);
    }

    /// The events read, in the order they were written.
    pub fn finish(self) -> LoadedEvents {
        self.loaded
    }
}

/// The bytes of event `id` if `block` holds them intact.
///
/// It follows the records' lengths only (no search after damage, unlike
/// [`BlockReader::read`]): a lookup that misses is followed by a whole
/// read where it matters (`Node`'s own-chain catch-up).
pub fn find_in_block(block: &[u8], id: &EventId) -> Option<Vec<u8>> {
    let (&BLOCK_FORMAT, mut rest) = block.split_first()? else {
        return None;
    };
    while let Ok((key, bytes, after)) = record_at(rest) {
        if key == id.0 {
            return check_record(key, bytes.to_vec())
                .ok()
                .map(|(_, bytes)| bytes);
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: u32) -> (EventId, Vec<u8>) {
        let bytes = format!("event number {n}").into_bytes();
        (EventId::of_bytes(&bytes), bytes)
    }

    fn block_of(records: &[(EventId, Vec<u8>)]) -> Vec<u8> {
        let refs: Vec<_> = records.iter().map(|(i, b)| (*i, b.as_slice())).collect();
        encode_block(&refs).unwrap()
    }

    fn decode(blocks: &[&[u8]]) -> (LoadedEvents, Vec<bool>) {
        let mut reader = BlockReader::new();
        let intact = blocks
            .iter()
            .enumerate()
            .map(|(n, b)| reader.read(b, format!("block {n}")))
            .collect();
        (reader.finish(), intact)
    }

    #[test]
    fn blocks_read_back_in_the_order_written_and_each_id_once() {
        let records: Vec<_> = (0..5).map(record).collect();
        let first = block_of(&records[..3]);
        let second = block_of(&records[2..]);
        let (loaded, intact) = decode(&[&first, &second]);
        assert_eq!(loaded.events, records);
        assert!(loaded.corrupt.is_empty());
        assert_eq!(intact, [true, true]);
        assert_eq!(
            find_in_block(&second, &records[4].0),
            Some(records[4].1.clone())
        );
        assert_eq!(find_in_block(&first, &records[4].0), None);
    }

    #[test]
    fn a_damaged_record_is_reported_and_its_neighbours_kept() {
        let records: Vec<_> = (0..3).map(record).collect();
        let mut block = block_of(&records);
        // The last byte of the middle event's bytes.
        let middle_end = 1 + 2 * RECORD_HEADER + records[0].1.len() + records[1].1.len() - 1;
        block[middle_end] ^= 1;
        let (loaded, intact) = decode(&[&block]);
        assert_eq!(loaded.events, vec![records[0].clone(), records[2].clone()]);
        assert_eq!(loaded.corrupt.len(), 1);
        assert!(loaded.corrupt[0].starts_with("block 0: "));
        assert_eq!(intact, [false]);
        assert_eq!(find_in_block(&block, &records[1].0), None);
    }

    #[test]
    fn a_damaged_length_loses_its_record_not_the_rest_of_the_block() {
        let records: Vec<_> = (0..200).map(record).collect();
        let block = block_of(&records);
        let start = |n: usize| {
            1 + n * RECORD_HEADER + records[..n].iter().map(|r| r.1.len()).sum::<usize>()
        };
        // Record 50's length: longer, shorter, and past the block's end.
        for flip in [0x01u8, 0x08, 0x80] {
            for byte in [32, 33, 35] {
                let mut damaged = block.clone();
                damaged[start(50) + byte] ^= flip;
                let (loaded, intact) = decode(&[&damaged]);
                let mut expected = records.clone();
                expected.remove(50);
                assert_eq!(loaded.events, expected, "flip {flip:#x} at {byte}");
                assert_eq!(loaded.corrupt.len(), 2, "{:?}", loaded.corrupt);
                assert!(loaded.corrupt[1].contains("skipped"));
                assert_eq!(intact, [false]);
                // What follows the search is checked as a peer's events.
                let after: Vec<_> = records[51..].iter().map(|r| r.0).collect();
                assert_eq!(loaded.unverified, after);
            }
        }
        // Two damaged records far apart: each is lost alone.
        let mut damaged = block.clone();
        damaged[start(10) + 32] ^= 0x10;
        damaged[start(150) + 40] ^= 0x01;
        let (loaded, _) = decode(&[&damaged]);
        assert_eq!(loaded.events.len(), 198);
        assert!(loaded.corrupt.len() >= 2, "{:?}", loaded.corrupt);
    }

    #[test]
    fn the_search_after_damage_stops_at_its_budget() {
        // A damaged record whose bytes read, at every fourth offset, as a
        // length of 1 MiB: each candidate there costs 1 MiB of hashing.
        // Its own length is damaged, so the reader searches from there.
        let pattern: Vec<u8> = [0, 0, 0x10, 0].repeat(1 << 19); // 2 MiB
        let (id, _) = record(0);
        let honest: Vec<_> = (1..4).map(record).collect();
        let mut records = vec![(id, pattern)];
        records.extend(honest.iter().cloned());
        let mut damaged = block_of(&records);
        damaged[1 + 32..1 + RECORD_HEADER].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut reader = BlockReader::new();
        assert!(!reader.read(&damaged, "block 0"));
        assert_eq!(reader.resync_left, 0, "the whole budget went on it");
        // The next damaged block of the load is not searched: its records
        // after the damage are lost, reported, and the next block reads.
        let mut second = block_of(&honest);
        second[1 + 32] ^= 0x40; // its first record's length
        assert!(!reader.read(&second, "block 1"));
        assert!(reader.read(&block_of(&honest[..1]), "block 2"));
        let loaded = reader.finish();
        assert_eq!(loaded.events, honest[..1], "only block 2's");
        assert!(loaded.corrupt.iter().any(|c| c.starts_with("block 1: ")));
    }

    #[test]
    fn damaged_bytes_with_intact_lengths_are_stepped_over_and_trusted() {
        let records: Vec<_> = (0..10).map(record).collect();
        let mut block = block_of(&records);
        let start = |n: usize| {
            1 + n * RECORD_HEADER + records[..n].iter().map(|r| r.1.len()).sum::<usize>()
        };
        // Records 3 and 4: their bytes, not their lengths.
        for n in [3, 4] {
            block[start(n) + RECORD_HEADER] ^= 0x20;
        }
        let (loaded, _) = decode(&[&block]);
        assert_eq!(loaded.events.len(), 8);
        assert_eq!(loaded.corrupt.len(), 2, "the first, then how many more");
        assert!(loaded.unverified.is_empty(), "found by their lengths");
        // The last record damaged: reported, nothing searched.
        let mut last = block_of(&records);
        let end = last.len() - 1;
        last[end] ^= 1;
        let (loaded, _) = decode(&[&last]);
        assert_eq!(loaded.events.len(), 9);
        assert_eq!(loaded.corrupt.len(), 1);
    }

    #[test]
    fn a_block_cut_short_keeps_the_records_before_the_cut() {
        let records: Vec<_> = (0..3).map(record).collect();
        let block = block_of(&records);
        for cut in [block.len() - 1, block.len() - records[2].1.len() - 2] {
            let (loaded, intact) = decode(&[&block[..cut]]);
            assert_eq!(loaded.events, records[..2]);
            assert_eq!(loaded.corrupt.len(), 1, "cut at {cut}");
            assert_eq!(intact, [false]);
        }
    }

    #[test]
    fn an_empty_or_unknown_block_is_reported_not_read() {
        let mut other = block_of(&[record(1)]);
        other[0] = 9;
        let (loaded, intact) = decode(&[&[], &other]);
        assert!(loaded.events.is_empty());
        assert_eq!(loaded.corrupt.len(), 2);
        assert!(loaded.corrupt[1].contains("unknown format 9"));
        assert_eq!(intact, [false, false]);
        // An empty batch is a block with no records, intact.
        assert_eq!(decode(&[&block_of(&[])]).1, [true]);
    }
}
