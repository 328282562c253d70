//! Each author's events per minute at the relay: a token bucket per author
//! of a loaded network, refilled by the clock the caller passes in (the
//! core reads none).
//!
//! Only events that verified and were about to be stored take a token, so
//! nobody can spend an author's allowance with forged or replayed events;
//! an author whose bucket is empty when a batch comes is refused before
//! any signature of theirs is checked (tokens are only taken by valid
//! events, so an empty bucket is the author's own doing).

use crate::event::{EventId, PublicKey};
use rustc_hash::FxHashMap;

/// What one author may store per minute, and at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthorRate {
    /// Events per minute, sustained.
    pub per_minute: u32,
    /// Events at once (a page back online with a day of writing).
    pub burst: u32,
}

impl Default for AuthorRate {
    /// 1,200 a minute (20 a second: far above typing or paying), bursts of
    /// 10,000 (a busy week written offline, sent at once).
    fn default() -> Self {
        AuthorRate {
            per_minute: 1200,
            burst: 10_000,
        }
    }
}

/// Buckets kept at most per network: an author without one has a full
/// bucket, so forgetting the fullest one when this many are held only
/// forgives a little.
const MAX_BUCKETS: usize = 4096;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

/// Events refused for their author's rate remembered at most, per
/// network, so the relay does not ask for them again at once.
const MAX_DEFERRED: usize = 65_536;

/// The buckets of the authors who stored events lately, and the events
/// refused for a rate lately.
#[derive(Debug, Default)]
pub(crate) struct AuthorRates {
    buckets: FxHashMap<PublicKey, Bucket>,
    /// Event → when (ms) a token of its author's is due.
    deferred: FxHashMap<EventId, u64>,
}

impl AuthorRates {
    fn refilled(rate: AuthorRate, bucket: Bucket, now_ms: u64) -> f64 {
        let elapsed = now_ms.saturating_sub(bucket.at_ms) as f64;
        let per_ms = f64::from(rate.per_minute) / 60_000.0;
        (bucket.tokens + elapsed * per_ms).min(f64::from(rate.burst))
    }

    /// Tokens `author` has now.
    pub(crate) fn tokens(&self, rate: AuthorRate, author: &PublicKey, now_ms: u64) -> f64 {
        match self.buckets.get(author) {
            Some(bucket) => Self::refilled(rate, *bucket, now_ms),
            None => f64::from(rate.burst),
        }
    }

    /// Takes a token of `author`'s: false (nothing taken) if none is left.
    pub(crate) fn take(&mut self, rate: AuthorRate, author: &PublicKey, now_ms: u64) -> bool {
        let tokens = self.tokens(rate, author, now_ms);
        if tokens < 1.0 {
            return false;
        }
        if !self.buckets.contains_key(author) && self.buckets.len() >= MAX_BUCKETS {
            self.make_room(rate, now_ms);
        }
        self.buckets.insert(
            *author,
            Bucket {
                tokens: tokens - 1.0,
                at_ms: now_ms,
            },
        );
        true
    }

    /// Remembers that `id` was refused for its author's rate: not to be
    /// asked for before a token is due. Past the bound, it is not
    /// remembered (then it may be asked for again sooner, which costs its
    /// sender a resend, not the relay a signature check).
    pub(crate) fn defer(&mut self, rate: AuthorRate, id: EventId, now_ms: u64) {
        if self.deferred.len() >= MAX_DEFERRED {
            self.forget_deferred(now_ms);
        }
        if self.deferred.len() < MAX_DEFERRED {
            let wait = 60_000 / u64::from(rate.per_minute.max(1));
            self.deferred.insert(id, now_ms + wait.max(1));
        }
    }

    /// Whether `id` was refused for its author's rate and no token is due yet.
    pub(crate) fn deferred(&self, id: &EventId, now_ms: u64) -> bool {
        self.deferred.get(id).is_some_and(|&due| due > now_ms)
    }

    /// Forgets the refusals whose token is due.
    pub(crate) fn forget_deferred(&mut self, now_ms: u64) {
        self.deferred.retain(|_, due| *due > now_ms);
    }

    /// Forgets the buckets that are full again, or else the fullest.
    fn make_room(&mut self, rate: AuthorRate, now_ms: u64) {
        let burst = f64::from(rate.burst);
        self.buckets
            .retain(|_, bucket| Self::refilled(rate, *bucket, now_ms) < burst);
        if self.buckets.len() >= MAX_BUCKETS {
            let fullest = self
                .buckets
                .iter()
                .map(|(author, bucket)| (Self::refilled(rate, *bucket, now_ms), *author))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, author)| author);
            if let Some(author) = fullest {
                self.buckets.remove(&author);
            }
        }
    }

    /// Buckets held (bounded by 4,096).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::key;

    #[test]
    fn an_author_gets_the_burst_then_the_rate() {
        let rate = AuthorRate {
            per_minute: 60,
            burst: 3,
        };
        let mut rates = AuthorRates::default();
        let alice = key(1);
        assert!((0..3).all(|_| rates.take(rate, &alice, 0)));
        assert!(!rates.take(rate, &alice, 999), "one a second: not yet");
        assert!(rates.take(rate, &alice, 1000));
        assert!(!rates.take(rate, &alice, 1000));
        assert!(
            rates.take(rate, &key(2), 1000),
            "another author has their own"
        );
        assert!(
            (0..3).all(|_| rates.take(rate, &alice, 1_000_000)),
            "refills to the burst only"
        );
        assert!(!rates.take(rate, &alice, 1_000_000));
    }

    #[test]
    fn buckets_are_bounded() {
        let rate = AuthorRate {
            per_minute: 1,
            burst: 2,
        };
        let mut rates = AuthorRates::default();
        for n in 0..(MAX_BUCKETS as u32 + 100) {
            let mut seed = [0u8; 32];
            seed[..4].copy_from_slice(&n.to_le_bytes());
            let author = crate::event::Identity::from_secret(seed).public_key();
            assert!(rates.take(rate, &author, 0));
        }
        assert!(rates.len() <= MAX_BUCKETS);
    }
}
