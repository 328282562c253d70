//! Random but valid event histories for property tests.
//!
//! A history is generated from a list of raw "ops" (small integers) that are
//! interpreted against the events made so far, so every op yields a valid
//! event (or is skipped): payments in three units, exclusions, disputes by
//! the payer, retractions of one's own statements, trust statements,
//! forks (an author signing a second event with an old seq), and reversals
//! of payments received — often several of one payment, together more than
//! it (each one valid, the total capped by the fold). Parents are the
//! author's previous event, the referenced event and a few random earlier
//! events, so the DAG has concurrency.
//!
//! [`history_in`] makes the same history as a private network's sealed
//! events, some of them (by position) sealed under another network's key:
//! void for every member, their descendants still valid.

use super::{dispute, exclude, id, key, pay, retract, trust};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use trustfold::invite::{NONCE_LEN, NetworkKeys};
use trustfold::{
    Body, Draft, Event, EventId, ForkHandling, Identity, Log, Policy, PublicKey, Transfer,
    TrustLevel,
};

/// Authors are `id(1)..=id(AUTHORS)`.
pub const AUTHORS: u8 = 5;
/// Units transfers use.
pub const UNITS: [&str; 3] = ["EUR", "HOUR", "KWH"];

/// One raw op: (kind, author, other, number, extra).
pub type Op = (u8, u8, u8, u16, u8);

/// Ops for a history of up to `max` events.
pub fn ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(any::<Op>(), 1..max)
}

fn author(n: u8) -> Identity {
    id(1 + n % AUTHORS)
}

/// How [`history_in`] seals: the network's keys, and the positions of the
/// events to seal under `wrong` instead (void for members).
pub struct Sealing<'a> {
    pub keys: &'a NetworkKeys,
    pub wrong: &'a NetworkKeys,
    pub void_at: &'a [usize],
}

/// Builds the events the ops describe, in a valid (topological) order.
pub fn history(ops: &[Op]) -> Vec<Event> {
    history_in(ops, None)
}

/// [`history`] with every event sealed as `sealing` says (clear if `None`):
/// the same authors, sequence numbers, parents (by position) and bodies.
pub fn history_in(ops: &[Op], sealing: Option<&Sealing>) -> Vec<Event> {
    let mut log = Log::new();
    let mut events: Vec<Event> = Vec::new();
    for (step, &(kind, a, b, n, extra)) in ops.iter().enumerate() {
        let who = author(a);
        let me = who.public_key();
        let pick = |filter: &dyn Fn(&Event) -> bool| -> Option<Event> {
            let candidates: Vec<&Event> = events.iter().filter(|e| filter(e)).collect();
            (!candidates.is_empty()).then(|| candidates[n as usize % candidates.len()].clone())
        };
        let mut fork_of: Option<Event> = None;
        let body = match kind % 12 {
            0..=2 => {
                let to = author(b).public_key();
                if to == me {
                    continue;
                }
                pay(
                    to,
                    u64::from(n % 500) + 1,
                    UNITS[extra as usize % UNITS.len()],
                )
            }
            3 | 4 => match pick(&|e| !matches!(e.body(), Body::Trust { .. })) {
                Some(target) => exclude(target.id(), "x"),
                None => continue,
            },
            5 => match pick(&|e| e.author() == me && matches!(e.body(), Body::Transfer(_))) {
                Some(target) => dispute(target.id(), "d"),
                None => continue,
            },
            6 => match pick(&|e| {
                e.author() == me && matches!(e.body(), Body::Exclude(_) | Body::Dispute(_))
            }) {
                Some(target) => retract(target.id()),
                None => continue,
            },
            7 | 8 => {
                let subject = author(b).public_key();
                if subject == me {
                    continue;
                }
                let level = [TrustLevel::Trusted, TrustLevel::Neutral, TrustLevel::Banned]
                    [extra as usize % 3];
                trust(subject, level)
            }
            10 | 11 => match pick(&|e| matches!(e.body(), Body::Transfer(t) if t.to == me)) {
                // Most of the payment back: two reversals of one payment
                // usually exceed it together.
                Some(original) => match original.body() {
                    Body::Transfer(t) => Body::Transfer(Transfer {
                        to: original.author(),
                        amount: t.amount.saturating_sub(u64::from(extra % 4)).max(1),
                        unit: t.unit.clone(),
                        memo: "back".into(),
                        reverses: Some(original.id()),
                    }),
                    _ => continue,
                },
                None => continue,
            },
            _ => match pick(&|e| e.author() == me) {
                Some(old) => {
                    fork_of = Some(old);
                    pay(
                        author(b.wrapping_add(1)).public_key(),
                        u64::from(n % 7) + 1,
                        "EUR",
                    )
                }
                None => continue,
            },
        };
        let body = match (&fork_of, body) {
            (Some(_), Body::Transfer(t)) if t.to == me => continue,
            (_, body) => body,
        };
        let (seq, mut parents) = match &fork_of {
            // Same seq and parents as an existing event: a second branch.
            Some(old) => (old.seq(), old.parents().to_vec()),
            None => {
                let last = log.last_by(&me);
                let mut parents: Vec<EventId> = last.map(|e| e.id()).into_iter().collect();
                parents.extend(body.reference());
                for k in 0..(extra % 3) as usize {
                    if !events.is_empty() {
                        let i = (n as usize).wrapping_mul(31).wrapping_add(k * 7919) % events.len();
                        parents.push(events[i].id());
                    }
                }
                (last.map_or(1, |e| e.seq() + 1), parents)
            }
        };
        if fork_of.is_some() {
            parents.extend(body.reference());
        }
        let draft = Draft {
            seq,
            parents,
            time: step as u64,
            body,
        };
        let event = match sealing {
            None => who.sign(draft),
            Some(sealing) => {
                let tag = sealing.keys.admit(&me);
                let mut nonce = [0u8; NONCE_LEN];
                nonce[..8].copy_from_slice(&(step as u64).to_le_bytes());
                let keys = match sealing.void_at.contains(&events.len()) {
                    true => sealing.wrong,
                    false => sealing.keys,
                };
                who.seal(draft, keys, &tag, &nonce)
            }
        };
        log.insert(event.clone())
            .expect("generated events are valid by construction");
        events.push(event);
    }
    events
}

/// A random viewer policy over the generated authors.
pub fn policies() -> impl Strategy<Value = Policy> {
    (
        0u8..=AUTHORS + 1,
        any::<u8>(),
        any::<u8>(),
        1u32..=3,
        1u32..=2,
        any::<bool>(),
    )
        .prop_map(|(me, trusted, banned, quorum, depth, ban_forks)| {
            let mut policy = Policy::new(key(if me == 0 { 99 } else { me }))
                .with_quorum(quorum)
                .with_depth(depth);
            for i in 0..AUTHORS {
                if trusted & (1 << i) != 0 {
                    policy = policy.trusting(key(1 + i));
                }
                if banned & (1 << i) != 0 && (i + 1) % 2 == 0 {
                    policy = policy.banning(key(1 + i));
                }
            }
            if ban_forks {
                policy = policy.with_forks(ForkHandling::Ban);
            }
            policy
        })
}

/// The public keys of all generated authors.
pub fn all_authors() -> Vec<PublicKey> {
    (0..AUTHORS).map(|i| key(1 + i)).collect()
}

/// Runs a property with a reproducible seed — `TRUSTFOLD_SEED` (see
/// [`seed`](super::seed)), else proptest's own `PROPTEST_RNG_SEED`, else a
/// fixed one — and fewer cases in the browser, where the crate runs
/// unoptimised.
pub fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    check_cases(128, 24, strategy, test);
}

/// [`check`] with `native` cases natively and `browser` cases in the browser.
pub fn check_cases<S: Strategy>(
    native: u32,
    browser: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let mut config = Config {
        cases: if cfg!(target_arch = "wasm32") {
            browser
        } else {
            native
        },
        failure_persistence: None,
        ..Config::default()
    };
    let seed = super::seed().unwrap_or(match config.rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => 0x7472_7573_7466,
    });
    config.rng_seed = RngSeed::Fixed(seed);
    let mut runner = TestRunner::new(config);
    if let Err(failure) = runner.run(&strategy, test) {
        panic!("property failed (TRUSTFOLD_SEED={seed} reproduces it): {failure}");
    }
}

/// Shuffles `items` in place in an order `seed` fixes (a xorshift: the
/// same seed gives the same order on every platform), for deliveries in
/// any order.
pub fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}
