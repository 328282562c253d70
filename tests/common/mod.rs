//! Shared test fixtures: named identities and body builders.
#![allow(dead_code)]

pub mod history;
pub mod roof;
pub mod varint;

use trustfold::{Body, EventId, PublicKey, Statement, TrustLevel};

/// A replica owned by `who` (its policy's viewer).
pub fn node(who: u8) -> trustfold::Replica {
    trustfold::Replica::new(trustfold::Policy::new(key(who)))
}

/// Delivers every event `from` has to `to`, parents first (those `to`
/// holds already are ignored).
pub fn deliver(from: &trustfold::Replica, to: &mut trustfold::Replica) {
    for e in from.log().topological() {
        to.insert(e.clone()).expect("valid event");
    }
}

/// A valid Automerge change whose actor is `key(1)` (one `put` on the root,
/// no dependencies): what a `Doc` event by `id(1)` may carry. Made with
/// automerge 0.12: `AutoCommit::new().with_actor(ActorId::from(&key(1).0[..]))`,
/// `put(ROOT, "note", "hello")`, `commit_with(CommitOptions::default().with_time(0))`,
/// then `get_last_local_change()` and its `bytes()`.
pub const ALICES_CHANGE: &str = "856f4a83a145306d014600208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801\
    b40f6f5c0101000000061506340142025602570570027f046e6f7465017f017f5668656c6c6f7f00";

/// [`ALICES_CHANGE`] as bytes.
pub fn alices_change() -> Vec<u8> {
    (0..ALICES_CHANGE.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&ALICES_CHANGE[i..i + 2], 16).expect("hex digits"))
        .collect()
}

/// The seed a seeded test was asked to run with, if any: `TRUSTFOLD_SEED`
/// (decimal or `0x…` hex) from the environment at run time, else as it was
/// at compile time — the only way to set it in the browser, which has no
/// environment. Tests fall back to their own default seeds and print the
/// seed they use, so a failure names the value that reproduces it.
///
/// # Panics
///
/// When `TRUSTFOLD_SEED` is set but is not a u64: a typo must not silently
/// run the default seeds instead.
pub fn seed() -> Option<u64> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(text) = std::env::var("TRUSTFOLD_SEED") {
        return Some(parse_seed(&text));
    }
    option_env!("TRUSTFOLD_SEED").map(parse_seed)
}

fn parse_seed(text: &str) -> u64 {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|error| panic!("TRUSTFOLD_SEED={text:?} is not a u64: {error}"))
}

/// Deterministic identities and a transfer body: the ones the
/// conformance suites use.
pub use trustfold::testing::{id, key, pay};

/// An exclusion body.
pub fn exclude(target: EventId, reason: &str) -> Body {
    Body::Exclude(Statement {
        target,
        reason: reason.into(),
    })
}

/// A dispute body.
pub fn dispute(target: EventId, reason: &str) -> Body {
    Body::Dispute(Statement {
        target,
        reason: reason.into(),
    })
}

/// A retraction body.
pub fn retract(target: EventId) -> Body {
    Body::Retract { target }
}

/// A trust statement body.
pub fn trust(subject: PublicKey, level: TrustLevel) -> Body {
    Body::Trust { subject, level }
}

/// Every order of `n` items.
pub fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}

/// Hands the browser page back to its event loop for a moment (a
/// `setTimeout` of 0), so a long test does not look hung to the test
/// driver, which gives up on a page that answers nothing for 30 s.
/// Natively it does nothing.
#[allow(dead_code)] // only the long tests use it
pub async fn breathe() {
    #[cfg(target_arch = "wasm32")]
    {
        let set_timeout: js_sys::Function =
            js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
                .expect("a browser page has setTimeout")
                .into();
        let promise = js_sys::Promise::new(&mut |wake, _| {
            let _ = set_timeout.call2(&js_sys::wasm_bindgen::JsValue::NULL, &wake, &0.into());
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// Milliseconds on a clock that only moves forward, for timings a test
/// prints (the browser's `performance.now()`, natively since first asked).
#[allow(dead_code)] // only the timed tests use it
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        let performance = js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .expect("a browser page has performance");
        let now: js_sys::Function = js_sys::Reflect::get(&performance, &"now".into())
            .expect("performance.now")
            .into();
        now.call0(&performance)
            .ok()
            .and_then(|v| v.as_f64())
            .expect("performance.now() is a number")
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_secs_f64()
            * 1000.0
    }
}

/// One `Events` frame carrying a valid payment (by `key(5)`'s secret) and
/// then one whose signature is forged: the valid event, and the frame.
pub fn valid_then_forged() -> (trustfold::Event, Vec<u8>) {
    use trustfold::sync::{Framer, Message};
    use trustfold::{Draft, Identity};
    let sign = |n: u8| {
        Identity::from_secret([n; 32]).sign(Draft {
            seq: 1,
            parents: vec![],
            time: 0,
            body: pay(key(9), 7, "EUR"),
        })
    };
    let valid = sign(5);
    let mut events = valid.bytes().to_vec();
    let mut forged = sign(6).bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    events.extend(forged);
    let mut frames = Framer::default().encode(&Message::Events { seq: 1, events });
    assert_eq!(frames.len(), 1, "two events fit one frame");
    (valid, frames.remove(0))
}
