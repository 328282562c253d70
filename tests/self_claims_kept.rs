//! The names a replica keeps between reads (`self_claims`) and the owner's
//! view digests it keeps (`view_digests`) against a fresh reading, after
//! random sequences of remote edits delivered out of order, exclusions,
//! disputes, retractions, bans, trust and quorum changes, and the owner's
//! own unpublished edits and masked typing (a reviewer's probe, kept).
//! Native only: the property test rebuilds replicas at many steps.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::history::check_cases;
use common::{dispute, exclude, id, key, retract};
use proptest::prelude::*;
use trustfold::{Event, Policy, Replica, Scalar};

const V: u8 = 4; // the owner, whose names are read
const T: u8 = 5; // someone V may trust, who excludes
const WRITERS: [u8; 3] = [1, 2, 3];

/// What `self_claims` says, and what it says afresh (a read of a
/// collection that does not exist drops what was kept).
fn kept_and_fresh(v: &mut Replica, collection: &str) -> (Vec<String>, Vec<String>) {
    let show = |claims: Vec<(trustfold::PublicKey, trustfold::Record)>| {
        claims
            .into_iter()
            .map(|(who, r)| format!("{}:{:?}", &who.to_hex()[..4], r))
            .collect::<Vec<_>>()
    };
    let kept = show(v.self_claims(collection));
    let _ = v.self_claims("no such collection");
    let fresh_claims = v.self_claims(collection);
    for (who, record) in &fresh_claims {
        assert_eq!(
            v.self_claim(collection, &who.to_hex(), who).as_ref(),
            Some(record),
            "each claim is the author's own"
        );
    }
    (kept, show(fresh_claims))
}

#[test]
fn the_names_kept_are_always_the_fresh_ones() {
    let step = (0u8..14, any::<u8>(), any::<u8>(), any::<u8>());
    check_cases(96, 8, prop::collection::vec(step, 1..60), |steps| {
        let mut writers: Vec<Replica> = WRITERS.iter().map(|&w| common::node(w)).collect();
        let mut t = common::node(T);
        let mut v = common::node(V);
        let mut pool: Vec<Event> = Vec::new();
        let mut statements: Vec<Event> = Vec::new();
        let mut time = 1;
        let collections = ["people", "tasks"];
        for (op, a, b, c) in steps {
            time += 1;
            let w = a as usize % WRITERS.len();
            let coll = collections[(c & 1) as usize];
            // Every writer and T hold every event made.
            let catch_up = |r: &mut Replica, pool: &[Event]| {
                for e in pool {
                    let _ = r.insert(e.clone());
                }
            };
            match op {
                // A writer names itself (or someone else's record).
                0..=2 => {
                    let r = &mut writers[w];
                    catch_up(r, &pool);
                    let whose = if op == 2 {
                        key(WRITERS[b as usize % 3]).to_hex()
                    } else {
                        key(WRITERS[w]).to_hex()
                    };
                    if r.record(coll, &whose).is_none() {
                        let _ = r.create_record(coll, &whose);
                        let _ = r.restore_record(coll, &whose);
                    }
                    let _ = r.set_field(coll, &whose, "name", Scalar::Str(format!("n{}", b % 4)));
                    if c & 2 != 0 {
                        let _ = r.set_text(coll, &whose, "bio", &format!("bio{b}"));
                    }
                    if let Ok(events) = r.commit(&id(WRITERS[w]), time) {
                        pool.extend(events);
                    }
                }
                // A writer deletes or restores its record.
                3 => {
                    let r = &mut writers[w];
                    catch_up(r, &pool);
                    let own = key(WRITERS[w]).to_hex();
                    if b & 1 == 0 {
                        let _ = r.delete_record(coll, &own);
                    } else {
                        let _ = r.restore_record(coll, &own);
                    }
                    if let Ok(events) = r.commit(&id(WRITERS[w]), time) {
                        pool.extend(events);
                    }
                }
                // T excludes or disputes an event made.
                4 if !pool.is_empty() => {
                    catch_up(&mut t, &pool);
                    let target = pool[b as usize % pool.len()].id();
                    let body = if c & 4 == 0 {
                        exclude(target, "no")
                    } else {
                        dispute(target, "no")
                    };
                    if let Ok(e) = t.publish(&id(T), time, body) {
                        pool.push(e.clone());
                        statements.push(e);
                    }
                }
                // T retracts one of its statements.
                5 if !statements.is_empty() => {
                    catch_up(&mut t, &pool);
                    let target = statements[b as usize % statements.len()].id();
                    if let Ok(e) = t.publish(&id(T), time, retract(target)) {
                        pool.push(e);
                    }
                }
                // V receives one event, perhaps before its parents.
                6 | 7 if !pool.is_empty() => {
                    let _ = v.insert(pool[b as usize % pool.len()].clone());
                }
                // V receives everything.
                8 => catch_up(&mut v, &pool),
                // V's policy changes.
                9 => {
                    let mut p = Policy::new(key(V));
                    if b & 1 != 0 {
                        p = p.trusting(key(T));
                    }
                    if b & 2 != 0 {
                        p = p.banning(key(WRITERS[w]));
                    }
                    if b & 4 != 0 {
                        p = p.with_quorum(2);
                    }
                    v.set_policy(p);
                }
                // V edits its own record, unpublished; or types in it.
                10 | 11 => {
                    let own = key(V).to_hex();
                    if v.record(coll, &own).is_none() {
                        let _ = v.create_record(coll, &own);
                        let _ = v.restore_record(coll, &own);
                    }
                    if op == 10 {
                        let _ = v.set_field(coll, &own, "name", Scalar::Str(format!("v{}", b % 4)));
                    } else {
                        let at = v
                            .record(coll, &own)
                            .and_then(|r| r.text("bio").map(|t| t.encode_utf16().count()));
                        match at {
                            Some(len) => {
                                let pos = b as usize % (len + 1);
                                let del = (c as usize % 3).min(len - pos);
                                let _ = v.splice_text(coll, &own, "bio", pos, del, "x");
                            }
                            None => {
                                let _ = v.set_text(coll, &own, "bio", "b");
                            }
                        }
                    }
                }
                // V publishes what it edited.
                12 => {
                    if let Ok(events) = v.commit(&id(V), time) {
                        pool.extend(events);
                    }
                }
                // V writes in someone else's record (or T pays V).
                13 => {
                    let whose = key(WRITERS[w]).to_hex();
                    if c & 8 != 0 {
                        catch_up(&mut t, &pool);
                        if let Ok(e) = t.publish(&id(T), time, common::pay(key(V), 1, "EUR")) {
                            pool.push(e);
                        }
                    } else if v.record(coll, &whose).is_some() {
                        let _ = v.set_field(coll, &whose, "name", Scalar::Str("by v".into()));
                    }
                }
                _ => {}
            }
            // Read one collection or the other, kept against fresh.
            for coll in if b & 8 != 0 {
                &collections[..]
            } else {
                &collections[..1]
            } {
                let (kept, fresh) = kept_and_fresh(&mut v, coll);
                prop_assert_eq!(kept, fresh, "{} after op {}", coll, op);
            }
            // With nothing unpublished, a replica built afresh from the
            // same events and policy names the same people.
            if v.pending_edits() == 0 && b & 16 != 0 {
                let mut w = Replica::new(v.view().policy().clone());
                for e in v.log().topological() {
                    w.insert(e.clone()).expect("valid event");
                }
                let (kept, _) = kept_and_fresh(&mut v, "people");
                let (_, rebuilt) = kept_and_fresh(&mut w, "people");
                prop_assert_eq!(kept, rebuilt, "a replica built afresh after op {}", op);
            }
            // The digests kept are the view's.
            let digests = (
                v.view().included_digest(v.log()),
                v.view().state_digest(v.log()),
            );
            prop_assert_eq!(v.view_digests(), digests);
        }
        Ok(())
    });
}

/// Masked typing (something in the collection is left out of V's view):
/// the history takes keystrokes ahead of a commit and sets its generation
/// back when the commit holds exactly them; the names kept follow.
#[test]
fn the_names_kept_follow_masked_typing_and_its_commit() {
    let (m, h) = (1, 2);
    let mut writer = common::node(m);
    let mut honest = common::node(h);
    let mut v = common::node(V);
    for (who, r) in [(m, &mut writer), (h, &mut honest)] {
        let own = key(who).to_hex();
        r.create_record("people", &own).unwrap();
        r.set_field("people", &own, "name", Scalar::Str(format!("p{who}")))
            .unwrap();
        r.commit(&id(who), 1).unwrap();
    }
    common::deliver(&writer, &mut v);
    common::deliver(&honest, &mut v);
    let own = key(V).to_hex();
    v.create_record("people", &own).unwrap();
    v.set_text("people", &own, "bio", "ab").unwrap();
    v.commit(&id(V), 2).unwrap();
    v.set_policy(Policy::new(key(V)).banning(key(m)).with_quorum(1));
    let check = |v: &mut Replica, what: &str| {
        let (kept, fresh) = kept_and_fresh(v, "people");
        assert_eq!(kept, fresh, "{what}");
        kept
    };
    let before = check(&mut v, "before typing");
    for (n, ch) in ["x", "y", "z"].into_iter().enumerate() {
        v.splice_text("people", &own, "bio", 1 + n, 0, ch).unwrap();
        let now = check(&mut v, "typing");
        assert_ne!(now, before, "the typing shows");
    }
    v.splice_text("people", &own, "bio", 0, 1, "").unwrap();
    check(&mut v, "deleting");
    v.commit(&id(V), 3).unwrap();
    check(&mut v, "committed");
    v.set_policy(Policy::new(key(V)));
    check(&mut v, "unbanned");
    v.splice_text("people", &own, "bio", 0, 0, "q").unwrap();
    check(&mut v, "typing unmasked");
    v.set_policy(Policy::new(key(V)).banning(key(m)));
    v.splice_text("people", &own, "bio", 0, 0, "r").unwrap();
    check(&mut v, "typing masked again");
}
