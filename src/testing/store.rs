//! The store conformance suite: every [`Store`] keeps events byte for
//! byte, whole batches, metadata and snapshots by name, and skips damaged
//! records. [`store_conformance_tests!`](crate::store_conformance_tests)
//! emits one test per function for a [`Backend`].

use super::Backend;
use crate::EventId;
use crate::store::{LoadedEvents, Store};

fn record(n: u32) -> (EventId, Vec<u8>) {
    let bytes = format!("event number {n}").into_bytes();
    (EventId::of_bytes(&bytes), bytes)
}

fn as_refs(records: &[(EventId, Vec<u8>)]) -> Vec<(EventId, &[u8])> {
    records.iter().map(|(id, b)| (*id, b.as_slice())).collect()
}

/// Stored events load back byte for byte.
pub async fn stored_events_load_back_byte_for_byte<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let records: Vec<_> = (0..3).map(record).collect();
    store.put_events(&as_refs(&records)).await.unwrap();
    let mut loaded = store.load_events().await.unwrap();
    loaded.events.sort();
    let mut expected = records.clone();
    expected.sort();
    assert_eq!(
        loaded,
        LoadedEvents {
            events: expected,
            ..LoadedEvents::default()
        }
    );
    assert_eq!(store.event_count().await.unwrap(), 3);
}

/// Storing an event twice keeps one copy.
pub async fn storing_an_event_twice_keeps_one_copy<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let records: Vec<_> = (0..2).map(record).collect();
    store.put_events(&as_refs(&records)).await.unwrap();
    store.put_events(&as_refs(&records[..1])).await.unwrap();
    assert_eq!(store.event_count().await.unwrap(), 2);
}

/// A batch of ten thousand events is stored whole.
pub async fn a_batch_of_ten_thousand_events_is_stored_whole<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let records: Vec<_> = (0..10_000).map(record).collect();
    store.put_events(&as_refs(&records)).await.unwrap();
    assert_eq!(store.event_count().await.unwrap(), 10_000);
    assert_eq!(store.load_events().await.unwrap().events.len(), 10_000);
}

/// A damaged record is skipped and reported.
pub async fn a_damaged_record_is_skipped_and_reported<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let good = record(1);
    let (damaged_id, _) = record(2);
    store
        .put_events(&[
            (good.0, good.1.as_slice()),
            (damaged_id, b"not the bytes".as_slice()),
        ])
        .await
        .unwrap();
    let loaded = store.load_events().await.unwrap();
    assert_eq!(loaded.events, vec![good]);
    assert_eq!(loaded.corrupt.len(), 1);
    assert!(loaded.corrupt[0].contains(&format!("{damaged_id:?}")));
}

/// Events and metadata written together read back.
pub async fn events_and_metadata_written_together_read_back<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let records: Vec<_> = (0..3).map(record).collect();
    store
        .write(&as_refs(&records), &[("head", &records[2].0.0[..])])
        .await
        .unwrap();
    assert_eq!(
        store.get_meta("head").await.unwrap(),
        Some(records[2].0.0.to_vec())
    );
    assert_eq!(
        store.get_event(&records[1].0).await.unwrap(),
        Some(records[1].1.clone())
    );
    assert_eq!(store.get_event(&record(9).0).await.unwrap(), None);
    assert_eq!(store.event_count().await.unwrap(), 3);
}

/// What one handle writes, another handle on the same store reads (two
/// tabs): by id, and in a load.
pub async fn what_one_handle_writes_the_other_reads<B: Backend>(backend: &B) {
    let (first, second) = backend.shared().await;
    let records: Vec<_> = (0..3).map(record).collect();
    first.put_events(&as_refs(&records[..2])).await.unwrap();
    assert_eq!(
        second.get_event(&records[1].0).await.unwrap(),
        Some(records[1].1.clone())
    );
    second.put_events(&as_refs(&records[2..])).await.unwrap();
    assert_eq!(
        first.get_event(&records[2].0).await.unwrap(),
        Some(records[2].1.clone())
    );
    let mut loaded = first.load_events().await.unwrap().events;
    loaded.sort();
    let mut expected = records;
    expected.sort();
    assert_eq!(loaded, expected);
}

/// Metadata and snapshots are kept by name.
pub async fn metadata_and_snapshots_are_kept_by_name<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    assert_eq!(store.get_meta("identity").await.unwrap(), None);
    store.put_meta("identity", b"one").await.unwrap();
    store.put_meta("policy", b"two").await.unwrap();
    store.put_meta("identity", b"three").await.unwrap();
    assert_eq!(
        store.get_meta("identity").await.unwrap(),
        Some(b"three".to_vec())
    );
    assert_eq!(
        store.get_meta("policy").await.unwrap(),
        Some(b"two".to_vec())
    );
    assert_eq!(store.get_snapshot("ledger").await.unwrap(), None);
    store.put_snapshot("ledger", b"state").await.unwrap();
    assert_eq!(
        store.get_snapshot("ledger").await.unwrap(),
        Some(b"state".to_vec())
    );
    assert_eq!(
        store.get_meta("ledger").await.unwrap(),
        None,
        "separate spaces"
    );
}
