//! Writes a year of a community's history for the page benchmark
//! (`scripts/bench-page.sh`, BENCHMARKS.md "A year of history in the
//! page"): `people` members, one of them the page's own identity (read from
//! the backup the page exported), each named in the `people` collection,
//! and `payments` signed transfers spread over a year (each member's a
//! hash-linked chain; about 2.5 % from and 2.5 % to the page's identity,
//! one in ten in HOURS, the rest in EUR, with short memos), in time order,
//! parents first.
//!
//! With `records`, also that many records in the collection `inventory`
//! (listed in the network's index of collections), each made by one
//! member with a name, a count and a place, spread over the year.
//!
//! Usage: `gen-history <backup> <passphrase> <payments> <people> <out> [records]`.
//! Each event is written as `[u32 LE length][32-byte id][bytes]`, the
//! layout of the other fixtures. Deterministic for given arguments and
//! backup.

use trustfold::backup::import_backup;
use trustfold::{Body, Identity, Policy, Replica, Scalar, Transfer};

const MEMOS: [&str; 12] = [
    "bread",
    "vegetables",
    "invoice",
    "rent share",
    "bike repair",
    "childcare",
    "eggs",
    "lesson",
    "tools",
    "coffee",
    "garden help",
    "transport",
];
const NAMES: [&str; 20] = [
    "Ada", "Bea", "Cai", "Dev", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lou", "Max",
    "Ned", "Oli", "Pia", "Quin", "Rae", "Sam", "Tia",
];

/// An event as written out: (its time, its order within the time, its
/// bytes, its id).
type Written = (u64, u8, Vec<u8>, [u8; 32]);

/// `committed` (a commit's events) into `events`, each at its own time.
fn push_all(events: &mut Vec<Written>, committed: &[trustfold::Event], order: u8) {
    for e in committed {
        events.push((e.content().time, order, e.bytes().to_vec(), e.id().0));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (backup, passphrase, payments, people, out, records) = match &args[..] {
        [_, b, pass, pay, people, out] => (b, pass, pay, people, out, 0),
        [_, b, pass, pay, people, out, records] => (
            b,
            pass,
            pay,
            people,
            out,
            records.parse().expect("records: a number"),
        ),
        _ => {
            eprintln!(
                "usage: gen-history <backup> <passphrase> <payments> <people> <out> [records]"
            );
            std::process::exit(2);
        }
    };
    let payments: u64 = payments.parse().expect("payments: a number");
    let records: u64 = records;
    let people: usize = people.parse().expect("people: a number");
    assert!(people >= 3, "at least 3 people");
    let backup = std::fs::read(backup).expect("the backup file");
    let me = import_backup(&backup, passphrase).expect("the backup opens with the passphrase");
    let mut ids: Vec<Identity> = vec![me];
    for i in 1..people {
        let mut secret = [42u8; 32];
        secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
        ids.push(Identity::from_secret(secret));
    }
    let keys: Vec<_> = ids.iter().map(|i| i.public_key()).collect();
    let mut replicas: Vec<Replica> = keys.iter().map(|k| Replica::new(Policy::new(*k))).collect();
    let start: u64 = 1_733_000_000_000;
    let year: u64 = 365 * 24 * 3600 * 1000;
    let mut events: Vec<Written> = Vec::new();
    for (i, replica) in replicas.iter_mut().enumerate() {
        let name = if i == 0 {
            "Perf Me".to_string()
        } else {
            format!("{} {i}", NAMES[i % NAMES.len()])
        };
        let record = keys[i].to_hex();
        replica
            .create_record("people", &record)
            .expect("a new record");
        replica
            .set_field("people", &record, "name", Scalar::Str(name))
            .expect("a field of a new record");
        let committed = replica.commit(&ids[i], start + i as u64).expect("a commit");
        push_all(&mut events, &committed, 0);
    }
    // xorshift: the same history for the same arguments.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut random = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let (mut mine_out, mut mine_in) = (0, 0);
    for p in 0..payments {
        let time = start + 1000 + p * (year / payments);
        let from = if random() % 1000 < 25 {
            0
        } else {
            1 + (random() as usize) % (people - 1)
        };
        let to = if from != 0 && random() % 1000 < 25 {
            0
        } else {
            let mut to = (random() as usize) % people;
            while to == from || to == 0 {
                to = (random() as usize) % people;
            }
            to
        };
        mine_out += usize::from(from == 0);
        mine_in += usize::from(to == 0);
        let unit = if random() % 10 == 0 { "HOURS" } else { "EUR" };
        let memo = format!("{} {p}", MEMOS[(random() as usize) % MEMOS.len()]);
        let transfer = Transfer {
            to: keys[to],
            amount: 100 + random() % 5000,
            unit: unit.into(),
            memo,
            reverses: None,
        };
        let e = replicas[from]
            .publish(&ids[from], time, Body::Transfer(transfer))
            .expect("a valid transfer");
        events.push((time, 1, e.bytes().to_vec(), e.id().0));
    }
    if records > 0 {
        replicas[1]
            .create_record("trustfold-collections", "inventory")
            .expect("a new record");
        let committed = replicas[1].commit(&ids[1], start + 500).expect("a commit");
        push_all(&mut events, &committed, 0);
    }
    for r in 0..records {
        let time = start + 2000 + r * (year / records.max(1));
        let by = 1 + (random() as usize) % (people - 1);
        let id = format!("item {r:05}");
        let replica = &mut replicas[by];
        replica
            .create_record("inventory", &id)
            .expect("a new record");
        let fields = [
            (
                "name",
                Scalar::Str(format!("{} {r}", MEMOS[(random() as usize) % MEMOS.len()])),
            ),
            ("count", Scalar::Number((random() % 100) as f64)),
            ("place", Scalar::Str(format!("shelf {}", random() % 40))),
        ];
        for (name, value) in fields {
            replica
                .set_field("inventory", &id, name, value)
                .expect("a field of a new record");
        }
        let committed = replica.commit(&ids[by], time).expect("a commit");
        push_all(&mut events, &committed, 1);
    }
    events.sort_by_key(|e| (e.0, e.1));
    let mut bytes = Vec::new();
    for (_, _, event, id) in &events {
        bytes.extend_from_slice(&(event.len() as u32).to_le_bytes());
        bytes.extend_from_slice(id);
        bytes.extend_from_slice(event);
    }
    std::fs::write(out, &bytes).expect("the output file");
    eprintln!(
        "{} events ({payments} payments, {records} records; the page's identity paid {mine_out} and was paid {mine_in})",
        events.len()
    );
}
