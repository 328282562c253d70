//! Writes valid events of every kind to `corpus/decode_validate/`, so the
//! fuzzer starts from inputs that pass the signature check (random bytes
//! never do). Run from `fuzz/`: `cargo run --example seed_corpus`.

use std::fs;
use std::path::Path;
use trustfold::{Body, DocId, Identity, Policy, Replica, Statement, Transfer, TrustLevel};

/// An Automerge change by the first identity (see `tests/validation.rs`).
const ALICES_CHANGE: &str = "856f4a83a145306d014600208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c0101000000061506340142025602570570027f046e6f7465017f017f5668656c6c6f7f00";

fn main() -> std::io::Result<()> {
    let people: Vec<Identity> = (1..=4).map(|n| Identity::from_secret([n; 32])).collect();
    let key = |n: usize| people[n].public_key();
    let mut replica = Replica::new(Policy::new(key(0)).trusting(key(3)));
    let mut events = Vec::new();
    let mut publish = |replica: &mut Replica, who: usize, body: Body| {
        let time = 1_700_000_000_000 + events.len() as u64;
        let event = replica
            .publish(&people[who], time, body)
            .expect("seed events are valid");
        events.push(event.clone());
        event
    };
    let paid = publish(
        &mut replica,
        0,
        Body::Transfer(Transfer {
            to: key(1),
            amount: 100,
            unit: "EUR".into(),
            memo: "repairs".into(),
            reverses: None,
        }),
    );
    publish(
        &mut replica,
        1,
        Body::Transfer(Transfer {
            to: key(0),
            amount: 40,
            unit: "EUR".into(),
            memo: "partly back".into(),
            reverses: Some(paid.id()),
        }),
    );
    let excluded = publish(
        &mut replica,
        2,
        Body::Exclude(Statement {
            target: paid.id(),
            reason: "never done".into(),
        }),
    );
    publish(
        &mut replica,
        2,
        Body::Retract {
            target: excluded.id(),
        },
    );
    publish(
        &mut replica,
        0,
        Body::Dispute(Statement {
            target: paid.id(),
            reason: "not delivered".into(),
        }),
    );
    for (who, level) in [
        (1, TrustLevel::Trusted),
        (2, TrustLevel::Neutral),
        (0, TrustLevel::Banned),
    ] {
        publish(
            &mut replica,
            3,
            Body::Trust {
                subject: key(who),
                level,
            },
        );
    }
    let change = (0..ALICES_CHANGE.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&ALICES_CHANGE[i..i + 2], 16).expect("hex digits"))
        .collect();
    publish(
        &mut replica,
        0,
        Body::Doc {
            doc: DocId([7; 16]),
            change,
        },
    );

    let dir = Path::new("corpus/decode_validate");
    fs::create_dir_all(dir)?;
    for event in &events {
        fs::write(dir.join(event.id().to_hex()), event.bytes())?;
    }
    println!("{} seed events in {}", events.len(), dir.display());
    Ok(())
}
