//! A writer's changes stay valid, and the documents writable, whatever
//! others did to them: values planted side by side on a key (replaced by
//! the edit's own op, or superseded first in deletions of the writer's
//! own), heads by the hundred (merged in changes of the writer's own), and
//! long names, values and actors (a local change closes before a reader
//! would refuse it). A change a reader refuses would stay unpublished, and
//! every later commit of the writer failed with it. Each test here is a
//! finding of the attacker reviews of this (ARCHITECTURE.md, "What the
//! four attacker reviews of this found"), and failed before its mend.
//!
//! Longer than 600 lines: each finding is a test, beside the helpers that
//! plant what it needs.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use automerge::legacy::{Key, ObjectId, OpId, OpType};
use automerge::{ActorId, Change, ExpandedChange, ObjType, ScalarValue};
use common::{id, key};
use std::rc::Rc;
use trustfold::event::Draft;
use trustfold::store::MemoryStore;
use trustfold::{Body, Event, Node, Policy, Replica, Scalar, Value};

const NOTES: &str = "notes";

/// Values side by side on one key can still be planted one change each,
/// here by 1,025 people: more than an edit could replace until 2026-12-06
/// (`too_many_versions`). The edit's own op replaces them all, and every
/// reader sees it alone.
#[test]
fn a_field_written_by_a_thousand_people_at_once_takes_the_edit() {
    use trustfold::Identity;
    let mut writer = Replica::new(Policy::new(key(1)));
    writer.create_record(NOTES, "r").unwrap();
    writer
        .set_field(NOTES, "r", "k", Scalar::Bool(true))
        .unwrap();
    let base = writer.commit(&id(1), 1).unwrap();
    let mut planted = Vec::new();
    for i in 0..1_025u32 {
        let mut secret = [7; 32];
        secret[..4].copy_from_slice(&i.to_le_bytes());
        let who = Identity::from_secret(secret);
        let mut other = Replica::new(Policy::new(who.public_key()));
        for e in &base {
            other.insert(e.clone()).unwrap();
        }
        other
            .set_field(NOTES, "r", "k", Scalar::Number(f64::from(i)))
            .unwrap();
        planted.extend(other.commit(&who, 2).unwrap());
    }
    for e in &planted {
        writer.ingest(e.bytes()).unwrap();
    }
    writer
        .set_field(NOTES, "r", "k", Scalar::Bool(false))
        .unwrap();
    let mine = writer.commit(&id(1), 3).unwrap();
    // 1,025 heads take 33 merges (32 heads each, `seventy_people_…`); then
    // the edit.
    assert_eq!(mine.len(), 34);
    let mut reader = Replica::new(Policy::new(key(2)));
    for e in base.iter().chain(&planted).chain(&mine) {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Bool(false))));
    assert_eq!(record.fields["k"].conflicts.len(), 0);
    assert_eq!(reader.document_errors(), vec![]);
}

/// The writer's record "r" (with field "k" set) in one event, that event's
/// change, and the record's object, for changes crafted on top of it.
fn planting_ground(writer: &mut Replica) -> (Event, Change, ObjectId) {
    writer.create_record(NOTES, "r").unwrap();
    writer
        .set_field(NOTES, "r", "k", Scalar::Bool(true))
        .unwrap();
    let base = writer.commit(&id(2), 1).unwrap();
    assert_eq!(base.len(), 1);
    let Body::Doc { change, .. } = base[0].body() else {
        panic!("a document event")
    };
    let first = Change::from_bytes(change.clone()).unwrap();
    let expanded = first.decode();
    let made = expanded
        .operations
        .iter()
        .position(|op| op.key == Key::Map("r".into()))
        .unwrap() as u64;
    let record = ObjectId::Id(OpId(
        expanded.start_op.get() + made,
        expanded.actor_id.clone(),
    ));
    (base[0].clone(), first, record)
}

/// A change of `operations` by `actor` at `seq`, its first op `start_op`,
/// depending on `after` (a change and its event, the event's parent), and
/// its event signed by `who` at `seq`.
fn signed_change(
    who: &trustfold::Identity,
    actor: ActorId,
    seq: u64,
    start_op: u64,
    after: (&Change, &Event),
    operations: Vec<automerge::legacy::Op>,
) -> (Change, Event) {
    let mut change = Change::from(ExpandedChange {
        operations,
        actor_id: actor,
        hash: None,
        seq,
        start_op: std::num::NonZeroU64::new(start_op).unwrap(),
        time: 0,
        message: None,
        deps: vec![after.0.hash()],
        extra_bytes: Vec::new(),
        author: None,
    });
    let event = who.sign(Draft {
        seq,
        parents: vec![after.1.id()],
        time: 0,
        body: Body::Doc {
            doc: trustfold::collection_id(NOTES),
            change: change.bytes().into_owned(),
        },
    });
    (change, event)
}

/// `n` changes by identity 1 chained after `ground`'s, each putting a value
/// on every one of `keys` (an object, a name, and whether the value is a
/// record) without naming the value before it: each is valid, as the rule
/// of one value per key holds within a change.
fn planted_chain(
    ground: &(Event, Change, ObjectId),
    keys: &[(ObjectId, String, bool)],
    n: u64,
) -> Vec<Event> {
    let planter = ActorId::from(key(1).0.to_vec());
    let (mut last, mut chain): (Option<(Change, Event)>, Vec<Event>) = (None, Vec::new());
    for seq in 1..=n {
        let operations = keys
            .iter()
            .map(|(obj, name, record)| automerge::legacy::Op {
                action: if *record {
                    OpType::Make(ObjType::Map)
                } else {
                    OpType::Put(ScalarValue::Uint(seq))
                },
                obj: obj.clone(),
                key: Key::Map(name.as_str().into()),
                pred: Vec::new().into(),
                insert: false,
            })
            .collect();
        let after = last
            .as_ref()
            .map_or((&ground.1, &ground.0), |(c, e)| (c, e));
        let made = signed_change(
            &id(1),
            planter.clone(),
            seq,
            after.0.max_op() + 1,
            after,
            operations,
        );
        chain.push(made.1.clone());
        last = Some(made);
    }
    chain
}

/// Whether `event`'s change holds deletions only.
fn only_deletions(event: &Event) -> bool {
    let Body::Doc { change, .. } = event.body() else {
        return false;
    };
    let ops = Change::from_bytes(change.clone())
        .unwrap()
        .decode()
        .operations;
    ops.iter().all(|op| op.action == OpType::Delete)
}

/// The review of 967e653 left this open: one identity chained changes,
/// each putting a value on a key without naming the one before, and after
/// 1,025 nobody could set or delete that field, or create a record of a
/// name it planted on — `too_many_versions`, even for those who ban it.
/// An edit's op now replaces MAX_VERSIONS_REPLACED versions, and
/// supersedes any past that first, in deletions of its own, each its own
/// event; readers who ban the planter or not see the edit alone.
#[test]
fn values_one_identity_planted_in_a_chain_are_superseded_in_parts() {
    use trustfold::MAX_VERSIONS_REPLACED;
    let planted = 2 * MAX_VERSIONS_REPLACED as u64 + 50;
    // The writer bans the planter, which masks its values but left them
    // counted.
    let mut writer = Replica::new(Policy::new(key(2)).banning(key(1)));
    let ground = planting_ground(&mut writer);
    let keys = [
        (ground.2.clone(), "k".to_owned(), false),
        (ObjectId::Root, "p".to_owned(), true),
    ];
    let chain = planted_chain(&ground, &keys, planted);
    for e in &chain {
        writer.ingest(e.bytes()).unwrap();
    }
    assert_eq!(
        writer.document_errors(),
        vec![],
        "each planted change is valid"
    );
    writer
        .set_field(NOTES, "r", "k", Scalar::Bool(false))
        .unwrap();
    writer.create_record(NOTES, "p").unwrap();
    writer
        .set_field(NOTES, "p", "mine", Scalar::Bool(true))
        .unwrap();
    let mine = writer.commit(&id(2), 3).unwrap();
    // 16,435 versions of k and 16,434 of p: two deletions each (8,192 and
    // the rest past 8,192), then each edit naming the last 8,192; the
    // field of the new record in a change of its own (the banning writer's
    // masked read closed the one before).
    let deletions = mine.iter().filter(|e| only_deletions(e)).count();
    assert_eq!((deletions, mine.len()), (4, 7));
    for ban in [false, true] {
        let policy = Policy::new(key(3));
        let mut reader = Replica::new(if ban { policy.banning(key(1)) } else { policy });
        for e in std::iter::once(&ground.0).chain(&chain).chain(&mine) {
            reader.ingest(e.bytes()).unwrap();
        }
        let record = reader.record(NOTES, "r").unwrap();
        assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Bool(false))));
        assert_eq!(record.fields["k"].conflicts.len(), 0, "banning: {ban}");
        let made = reader.record(NOTES, "p").unwrap();
        assert_eq!(made.get("mine"), Some(&Value::Scalar(Scalar::Bool(true))));
        assert_eq!(reader.document_errors(), vec![]);
        // And the reader writes there in turn.
        reader
            .set_field(NOTES, "r", "k", Scalar::Bool(true))
            .unwrap();
        reader.delete_record(NOTES, "p").unwrap();
        let replies = reader.commit(&id(3), 4).unwrap();
        assert!(!replies.is_empty());
        assert_eq!(reader.document_errors(), vec![]);
    }
}

/// The review of dcd35b1 (F1): one planted change may put a value on many
/// keys, and 1,025 of them gave each of 1,000 fields more versions than an
/// edit then replaced; emptying the record (`create_record_again`)
/// superseded each field in a deletion of its own, by an actor of its own
/// (a pass of Automerge over the whole document each): 79 s and 2,001
/// events. The edit's own ops replace them now, in a few changes.
#[test]
fn values_planted_on_many_fields_at_once_are_replaced_in_a_few_changes() {
    let mut writer = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut writer);
    let fields: Vec<String> = (0..200).map(|i| format!("f{i}")).collect();
    let keys: Vec<_> = fields
        .iter()
        .map(|f| (ground.2.clone(), f.clone(), false))
        .collect();
    let chain = planted_chain(&ground, &keys, 1_025);
    for e in &chain {
        writer.ingest(e.bytes()).unwrap();
    }
    writer.delete_record(NOTES, "r").unwrap();
    writer.create_record_again(NOTES, "r").unwrap();
    let mine = writer.commit(&id(2), 3).unwrap();
    // 200 × 1,025 versions named, at 56 bytes each, 768 KiB a change: 13
    // fields a change, after the deletion and the restore of the record.
    assert_eq!(mine.len(), 16);
    let mut reader = Replica::new(Policy::new(key(3)));
    for e in std::iter::once(&ground.0).chain(&chain).chain(&mine) {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.fields.len(), 0, "{:?}", record.fields.keys().next());
    assert_eq!(reader.document_errors(), vec![]);
}

/// Identity `i` of many, and an actor of its own (its key and a session
/// suffix of 16 bytes: an actor as long as an author's may be).
fn sybil(i: u32) -> (trustfold::Identity, ActorId) {
    let seed = blake3::hash(&i.to_le_bytes());
    let who = trustfold::Identity::from_secret(*seed.as_bytes());
    let mut actor = who.public_key().0.to_vec();
    actor.extend_from_slice(&blake3::hash(seed.as_bytes()).as_bytes()[..16]);
    (who, actor.into())
}

/// `n` changes side by side on `ground`'s, each by an identity of its own:
/// each puts a value on `key` of the record without naming the one before
/// (if `key` is given), or changes nothing (a head of its own).
fn planted_side_by_side(
    ground: &(Event, Change, ObjectId),
    key: Option<&str>,
    n: u32,
) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let (who, actor) = sybil(i);
            let operations = key
                .map(|key| automerge::legacy::Op {
                    action: OpType::Put(ScalarValue::Uint(u64::from(i))),
                    obj: ground.2.clone(),
                    key: Key::Map(key.into()),
                    pred: Vec::new().into(),
                    insert: false,
                })
                .into_iter()
                .collect();
            side_change(ground, &who, actor, operations).1
        })
        .collect()
}

/// The review of b812617 (F-C): each version an op replaces brings its
/// actor into the change, up to 48 bytes; a value of 1 MiB over 32,767
/// versions by as many actors made a change of 2.5 MB, which no commit
/// could publish, and every later commit failed with it. A change now
/// counts each op id it names; a long value supersedes the versions that
/// would not fit first.
#[test]
fn a_long_value_over_versions_by_many_actors_makes_changes_that_arrive() {
    use trustfold::MAX_VALUE_BYTES;
    let mut writer = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut writer);
    let planted = planted_side_by_side(&ground, Some("k"), 30_000);
    for e in &planted {
        writer.ingest(e.bytes()).unwrap();
    }
    let long = incompressible(MAX_VALUE_BYTES - 1);
    writer
        .set_field(NOTES, "r", "k", Scalar::Str(long.clone()))
        .unwrap();
    let mine = writer.commit(&id(2), 3).unwrap();
    writer
        .set_field(NOTES, "r", "later", Scalar::Bool(true))
        .unwrap();
    let later = writer.commit(&id(2), 4).unwrap();
    let mut reader = Replica::new(Policy::new(key(3)));
    for e in std::iter::once(&ground.0)
        .chain(&planted)
        .chain(&mine)
        .chain(&later)
    {
        assert!(e.bytes().len() < 2 << 20);
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Str(long))));
    assert_eq!(record.fields["k"].conflicts.len(), 0);
    assert_eq!(
        record.get("later"),
        Some(&Value::Scalar(Scalar::Bool(true)))
    );
    assert_eq!(reader.document_errors(), vec![]);
}

/// The review of b812617 (F-B): a replica rebuilt from its log (its
/// actor the bare key, with changes in the log already) counted its own
/// changes from none, so the deletions it built took a seq already used,
/// and every edit of a field with planted versions failed. The seq is read
/// from the document.
#[test]
fn a_replica_rebuilt_from_its_log_supersedes_in_its_own_chain() {
    use trustfold::MAX_VERSIONS_REPLACED;
    let mut writer = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut writer);
    for i in 0..2 {
        writer
            .set_field(NOTES, "r", "other", Scalar::Number(f64::from(i)))
            .unwrap();
        writer.commit(&id(2), 2).unwrap();
    }
    let keys = [(ground.2.clone(), "k".to_owned(), false)];
    let chain = planted_chain(&ground, &keys, MAX_VERSIONS_REPLACED as u64 + 10);
    let mut again = Replica::from_log(writer.log().clone(), Policy::new(key(2)));
    for e in &chain {
        again.ingest(e.bytes()).unwrap();
    }
    again
        .set_field(NOTES, "r", "k", Scalar::Bool(false))
        .unwrap();
    let mine = again.commit(&id(2), 3).unwrap();
    assert!(mine.iter().any(only_deletions));
    let mut reader = Replica::new(Policy::new(key(3)));
    for e in writer.log().topological().chain(&chain).chain(&mine) {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Bool(false))));
    assert_eq!(reader.document_errors(), vec![]);
}

/// The review of b812617 (F-D): each merge was made by an actor of its
/// own, and Automerge makes a pass over the whole document for each new
/// actor: 65,536 heads made one edit take 74 s and 3.1 GB. The merges are
/// now the writer's own changes, one chain of seqs, and a reader takes
/// them in.
#[test]
fn merges_of_many_heads_are_the_writers_own_changes() {
    let mut writer = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut writer);
    let heads = planted_side_by_side(&ground, None, 2_048);
    for e in &heads {
        writer.ingest(e.bytes()).unwrap();
    }
    writer
        .set_field(NOTES, "r", "k", Scalar::Bool(false))
        .unwrap();
    let mine = writer.commit(&id(2), 3).unwrap();
    // 2,048 heads, 31 beside the chain in each merge: 66 merges, then the
    // edit; every one the writer's actor, its seqs following on.
    assert_eq!(mine.len(), 67);
    let writer_actor = ground.1.actor_id().clone();
    let seqs: Vec<u64> = mine
        .iter()
        .map(|e| {
            let Body::Doc { change, .. } = e.body() else {
                panic!("a document event")
            };
            let change = Change::from_bytes(change.clone()).unwrap();
            assert_eq!(change.actor_id(), &writer_actor);
            change.seq()
        })
        .collect();
    assert_eq!(seqs, (2..=68).collect::<Vec<u64>>());
    let mut reader = Replica::new(Policy::new(key(3)));
    for e in std::iter::once(&ground.0).chain(&heads).chain(&mine) {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Bool(false))));
    assert_eq!(reader.document_errors(), vec![]);
}

/// A change by `actor` (seq 1) on `ground`'s, of `operations`, signed by `who`.
fn side_change(
    ground: &(Event, Change, ObjectId),
    who: &trustfold::Identity,
    actor: ActorId,
    operations: Vec<automerge::legacy::Op>,
) -> (Change, Event) {
    let (event, first, _) = ground;
    signed_change(
        who,
        actor,
        1,
        first.max_op() + 1,
        (first, event),
        operations,
    )
}

/// `n` records made at the root, one op each.
fn new_records(prefix: &str, n: u64) -> Vec<automerge::legacy::Op> {
    (0..n)
        .map(|j| automerge::legacy::Op {
            action: OpType::Make(ObjType::Map),
            obj: ObjectId::Root,
            key: Key::Map(format!("{prefix}{j}").into()),
            pred: Vec::new().into(),
            insert: false,
        })
        .collect()
}

/// The review of f47a73f (F1): merges took their first op from the
/// highest of every head, not of the heads each names; with heads of
/// unequal lengths, the first merge broke the counters' rule, every reader
/// refused it and every later change of the writer, and the writer saw
/// nothing wrong. Here the longest head sorts last, past the first merge.
#[test]
fn merges_of_heads_of_unequal_lengths_arrive() {
    let mut writer = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut writer);
    let mut heads: Vec<(Change, Event)> = (0..99)
        .map(|i| {
            let (who, actor) = sybil(i);
            side_change(&ground, &who, actor, new_records(&format!("s{i}-"), 1))
        })
        .collect();
    let highest_hash = heads.iter().map(|(c, _)| c.hash()).max().unwrap();
    let longest = (100..)
        .map(|i| {
            let (who, actor) = sybil(i);
            side_change(&ground, &who, actor, new_records("long-", 50))
        })
        .find(|(c, _)| c.hash() > highest_hash)
        .unwrap();
    heads.push(longest);
    for (_, e) in &heads {
        writer.ingest(e.bytes()).unwrap();
    }
    writer
        .set_field(NOTES, "r", "k", Scalar::Bool(false))
        .unwrap();
    let mine = writer.commit(&id(2), 3).unwrap();
    writer
        .set_field(NOTES, "r", "later", Scalar::Bool(true))
        .unwrap();
    let later = writer.commit(&id(2), 4).unwrap();
    let mut reader = Replica::new(Policy::new(key(3)));
    let all = std::iter::once(&ground.0)
        .chain(heads.iter().map(|(_, e)| e))
        .chain(&mine)
        .chain(&later);
    for e in all {
        reader.ingest(e.bytes()).unwrap();
    }
    assert_eq!(reader.document_errors(), vec![]);
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Bool(false))));
    assert_eq!(
        record.get("later"),
        Some(&Value::Scalar(Scalar::Bool(true)))
    );
}

/// The same in a document opened from its saved form, which builds no
/// guard while it lacks no change: the writer's merges were not checked at
/// all there, and went out broken without a word (the review of f47a73f).
#[test]
fn merges_made_in_a_document_opened_from_its_saved_form_arrive() {
    pollster::block_on(async {
        let store = Rc::new(MemoryStore::new());
        let open = |n: u8| Node::open_in(store.clone(), None, Some(id(2)), move || [n; 32]);
        let writer = open(2).await.unwrap().0;
        writer.replica_mut().create_record(NOTES, "r").unwrap();
        let base = writer.commit(1).await.unwrap();
        let Body::Doc { change, .. } = base[0].body() else {
            panic!("a document event")
        };
        let first = Change::from_bytes(change.clone()).unwrap();
        let ground = (base[0].clone(), first, ObjectId::Root);
        let mut heads: Vec<Event> = (0..60)
            .map(|i| {
                let (who, actor) = sybil(i);
                side_change(
                    &ground,
                    &who,
                    actor,
                    new_records(&format!("s{i}-"), 1 + u64::from(i)),
                )
                .1
            })
            .collect();
        heads.reverse();
        for e in &heads {
            writer.receive(e.bytes()).await.unwrap();
        }
        let _ = writer.replica_mut().record(NOTES, "r");
        writer.save_snapshots(2).await.unwrap();
        drop(writer);
        let writer = open(3).await.unwrap().0;
        writer
            .replica_mut()
            .set_field(NOTES, "r", "k", Scalar::Bool(false))
            .unwrap();
        let mine = writer.commit(3).await.unwrap();
        assert!(mine.len() > 1, "merges, then the edit");
        let mut reader = Replica::new(Policy::new(key(3)));
        for e in base.iter().chain(&heads).chain(&mine) {
            reader.ingest(e.bytes()).unwrap();
        }
        assert_eq!(reader.document_errors(), vec![]);
        let record = reader.record(NOTES, "r").unwrap();
        assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Bool(false))));
    });
}

/// The review of d6fe239: the writer's last change was kept as made here,
/// and a change under its actor made elsewhere (the same identity on two
/// machines taking turns, each writing under the bare key) left it stale:
/// the next merge took a seq already used, and every edit of the document
/// failed while it had more than 32 heads.
#[test]
fn the_writers_change_made_elsewhere_does_not_stop_its_merges() {
    let mut a = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut a);
    let heads = |from: u32| -> Vec<Event> {
        (from..from + 40)
            .map(|i| {
                let (who, actor) = sybil(i);
                side_change(&ground, &who, actor, new_records(&format!("s{i}-"), 1)).1
            })
            .collect()
    };
    for e in &heads(0) {
        a.ingest(e.bytes()).unwrap();
    }
    a.set_field(NOTES, "r", "k", Scalar::Number(1.0)).unwrap();
    a.commit(&id(2), 3).unwrap();
    // The same identity elsewhere takes its turn.
    let mut b = Replica::new(Policy::new(key(2)));
    for e in a.log().topological() {
        b.insert(e.clone()).unwrap();
    }
    b.set_field(NOTES, "r", "k", Scalar::Number(2.0)).unwrap();
    for e in b.commit(&id(2), 4).unwrap() {
        a.insert(e).unwrap();
    }
    for e in &heads(100) {
        a.ingest(e.bytes()).unwrap();
    }
    a.set_field(NOTES, "r", "k", Scalar::Number(3.0)).unwrap();
    let mine = a.commit(&id(2), 5).unwrap();
    let mut reader = Replica::new(Policy::new(key(3)));
    for e in a.log().topological().chain(&mine) {
        reader.ingest(e.bytes()).unwrap();
    }
    assert_eq!(reader.document_errors(), vec![]);
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.get("k"), Some(&Value::Scalar(Scalar::Number(3.0))));
}

/// The review of f47a73f (F2): the object an op is on names its maker, an
/// actor the change takes in, and was not counted (nor a number's bytes):
/// 24,577 records made by as many actors, 13,604 of them with a value
/// planted on a field, and a number set on that field of each made a
/// change over 2 MiB; every later commit failed with it.
#[test]
fn numbers_set_in_records_made_by_many_actors_make_changes_that_arrive() {
    let (records, planted) = (24_577u32, 13_604u32);
    let mut writer = Replica::new(Policy::new(key(2)));
    let ground = planting_ground(&mut writer);
    let mut events = Vec::new();
    for i in 0..records {
        let (who, actor) = sybil(i);
        let record = automerge::legacy::Op {
            action: OpType::Make(ObjType::Map),
            obj: ObjectId::Root,
            key: Key::Map(format!("s{i}").into()),
            pred: Vec::new().into(),
            insert: false,
        };
        let (made, event) = side_change(&ground, &who, actor.clone(), vec![record]);
        events.push(event.clone());
        if i < planted {
            let (other, other_actor) = sybil(records + i);
            let put = automerge::legacy::Op {
                action: OpType::Put(ScalarValue::Uint(1)),
                obj: ObjectId::Id(OpId(made.start_op().get(), actor)),
                key: Key::Map("n".into()),
                pred: Vec::new().into(),
                insert: false,
            };
            let start = made.max_op() + 1;
            events.push(signed_change(&other, other_actor, 1, start, (&made, &event), vec![put]).1);
        }
    }
    for e in &events {
        writer.ingest(e.bytes()).unwrap();
    }
    for i in 0..records {
        let bits = u64::from_le_bytes(
            blake3::hash(&i.to_le_bytes()).as_bytes()[..8]
                .try_into()
                .unwrap(),
        );
        let number = f64::from_bits(bits >> 2 | 0x3fe0_0000_0000_0000);
        writer
            .set_field(NOTES, &format!("s{i}"), "n", Scalar::Number(number))
            .unwrap();
    }
    let mine = writer.commit(&id(2), 3).unwrap();
    writer
        .set_field(NOTES, "r", "later", Scalar::Bool(true))
        .unwrap();
    let later = writer.commit(&id(2), 4).unwrap();
    let mut reader = Replica::new(Policy::new(key(3)));
    for e in std::iter::once(&ground.0)
        .chain(&events)
        .chain(&mine)
        .chain(&later)
    {
        reader.ingest(e.bytes()).unwrap();
    }
    assert_eq!(reader.document_errors(), vec![]);
    assert!(reader.record(NOTES, "r").unwrap().get("later").is_some());
}

/// A change's event carries every change it depends on as a direct
/// parent, at most 64: after 70 people edited one collection at once
/// (offline, say), nobody could write in it again — each new change
/// depended on 70 heads. The writer now merges the heads first, in changes
/// of no ops, each its own event, and the edit arrives with them.
#[test]
fn seventy_people_editing_at_once_leave_a_collection_everyone_can_write_in() {
    use trustfold::Identity;
    let mut writer = Replica::new(Policy::new(key(1)));
    writer.create_record(NOTES, "r").unwrap();
    let base = writer.commit(&id(1), 1).unwrap();
    let mut side_by_side = Vec::new();
    for i in 0..70u32 {
        let mut secret = [9; 32];
        secret[..4].copy_from_slice(&i.to_le_bytes());
        let who = Identity::from_secret(secret);
        let mut other = Replica::new(Policy::new(who.public_key()));
        for e in &base {
            other.insert(e.clone()).unwrap();
        }
        let field = format!("f{i}");
        other
            .set_field(NOTES, "r", &field, Scalar::Bool(true))
            .unwrap();
        side_by_side.extend(other.commit(&who, 2).unwrap());
    }
    for e in &side_by_side {
        writer.ingest(e.bytes()).unwrap();
    }
    // An edit refused after the merges were made: they are pending all the
    // same, and published (the review of 967e653: nothing committed them).
    let code = writer.delete_record(NOTES, "nope").map_err(|e| e.code());
    assert_eq!(code, Err("no_record"));
    assert!(writer.pending_edits() > 0);
    let merges = writer.commit(&id(1), 3).unwrap();
    assert_eq!(merges.len(), 2, "70 heads: 39, then 8");
    writer
        .set_field(NOTES, "r", "after", Scalar::Bool(true))
        .unwrap();
    let mine: Vec<Event> = merges
        .into_iter()
        .chain(writer.commit(&id(1), 3).unwrap())
        .collect();
    assert_eq!(mine.len(), 3);
    // A reader takes them in, in any order, and can write there too.
    let mut reader = Replica::new(Policy::new(key(2)));
    for e in mine
        .iter()
        .rev()
        .chain(side_by_side.iter().rev())
        .chain(&base)
    {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(record.fields.len(), 71);
    assert_eq!(reader.document_errors(), vec![]);
    reader
        .set_field(NOTES, "r", "reply", Scalar::Bool(true))
        .unwrap();
    let reply = reader.commit(&id(2), 4).unwrap();
    writer.ingest(reply[0].bytes()).unwrap();
    assert!(writer.record(NOTES, "r").unwrap().get("reply").is_some());
}

/// Many edits with long names are split into changes under the names
/// limit, each its own valid event, and arrive whole.
#[test]
fn many_long_names_become_several_changes_that_arrive_whole() {
    use trustfold::MAX_NAME_BYTES;
    use trustfold::event::validate::MAX_CHANGE_NAME_BYTES;
    let mut writer = Replica::new(Policy::new(key(1)));
    writer.create_record(NOTES, "wide").unwrap();
    let fields = (MAX_CHANGE_NAME_BYTES / MAX_NAME_BYTES as u64 + 100) as usize;
    let name = |i: usize| format!("{i:0>width$}", width = MAX_NAME_BYTES);
    for i in 0..fields {
        writer
            .set_field(NOTES, "wide", &name(i), Scalar::Bool(true))
            .unwrap();
    }
    let events = writer.commit(&id(1), 1).unwrap();
    assert!(events.len() >= 2, "{} events", events.len());
    let mut reader = Replica::new(Policy::new(key(2)));
    for e in &events {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "wide").unwrap();
    assert_eq!(record.fields.len(), fields);
    assert_eq!(reader.document_errors(), vec![]);
}

/// `len` bytes of text compression shortens by a fifth at most: printable
/// ASCII drawn by a xorshift.
fn incompressible(len: usize) -> String {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b' ' + (x % 95) as u8)
        })
        .collect()
}

/// A field set to 5 MB of text made a change no commit could publish
/// (it inflates past MAX_INFLATED_BYTES), and it stayed unpublished: every
/// later commit of the writer failed with it. A value longer than
/// MAX_VALUE_BYTES is refused with its code, nothing is written, and the
/// writer's other edits commit and arrive.
#[test]
fn a_value_longer_than_a_field_may_hold_is_refused_and_the_writer_goes_on() {
    use trustfold::MAX_VALUE_BYTES;
    let mut writer = Replica::new(Policy::new(key(1)));
    writer.create_record(NOTES, "r").unwrap();
    let base = writer.commit(&id(1), 1).unwrap();
    let code = writer
        .set_field(NOTES, "r", "big", Scalar::Str(incompressible(5 << 20)))
        .map_err(|e| e.code());
    assert_eq!(code, Err("value_too_long"));
    assert_eq!(writer.pending_edits(), 0);
    let longest = "a".repeat(MAX_VALUE_BYTES);
    writer
        .set_field(NOTES, "r", "longest", Scalar::Str(longest.clone()))
        .unwrap();
    writer
        .set_field(NOTES, "r", "small", Scalar::Bool(true))
        .unwrap();
    let mine = writer.commit(&id(1), 2).unwrap();
    let mut reader = Replica::new(Policy::new(key(2)));
    for e in base.iter().chain(&mine) {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    assert_eq!(
        record.get("longest"),
        Some(&Value::Scalar(Scalar::Str(longest)))
    );
    assert_eq!(
        record.get("small"),
        Some(&Value::Scalar(Scalar::Bool(true)))
    );
    assert_eq!(reader.document_errors(), vec![]);
}

/// Three long values set before a commit made one change of their sum:
/// 2.8 MB that compression shortens to 2.3, over MAX_CHANGE_BYTES, and the
/// writer's every later commit failed with it. The writer now closes a
/// change before it passes 768 KiB: each value arrives in a change of its
/// own, after the record's.
#[test]
fn long_values_set_together_become_several_changes_that_arrive_whole() {
    let mut writer = Replica::new(Policy::new(key(1)));
    writer.create_record(NOTES, "r").unwrap();
    let value = |i: usize| format!("{i}{}", incompressible(950 << 10));
    for i in 0..3 {
        writer
            .set_field(NOTES, "r", &format!("f{i}"), Scalar::Str(value(i)))
            .unwrap();
    }
    let events = writer.commit(&id(1), 1).unwrap();
    assert_eq!(events.len(), 4);
    let mut reader = Replica::new(Policy::new(key(2)));
    for e in &events {
        reader.ingest(e.bytes()).unwrap();
    }
    let record = reader.record(NOTES, "r").unwrap();
    for i in 0..3 {
        let field = format!("f{i}");
        assert_eq!(
            record.get(&field),
            Some(&Value::Scalar(Scalar::Str(value(i))))
        );
    }
    assert_eq!(reader.document_errors(), vec![]);
}
