//! What one signalling server allows: every bound, its default, and the
//! token buckets that enforce rates.

use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A sustained rate and the burst allowed above it (a token bucket).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Tokens held at most (what may be spent at once).
    pub burst: f64,
}

impl Rate {
    /// `per_second`, with bursts of `burst`.
    pub const fn new(per_second: f64, burst: f64) -> Rate {
        Rate { per_second, burst }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.per_second, self.burst)
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    /// `RATE/BURST`, e.g. `50/200` (or `RATE` alone: burst = rate).
    fn from_str(text: &str) -> Result<Rate, String> {
        let number = |s: &str| {
            s.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0)
                .ok_or_else(|| format!("{text:?} is not RATE/BURST with positive numbers"))
        };
        match text.split_once('/') {
            Some((rate, burst)) => Ok(Rate::new(number(rate)?, number(burst)?)),
            None => number(text).map(|n| Rate::new(n, n)),
        }
    }
}

/// What one server allows. Every field is a command-line flag of
/// `trustfold-server` (see [`super::usage`]); the defaults are below.
#[derive(Clone, Debug)]
pub struct Limits {
    /// TCP connections at once, server-wide (HTTP and WebSocket alike;
    /// `--max-connections`, 1,000). Keep it below the process's open-file
    /// limit: a connection over the limit is answered 503 `SERVER_FULL` and
    /// closed instead of exhausting file descriptors.
    pub max_connections: usize,
    /// Connections at once from one address (`--max-per-address`, 32; an
    /// IPv6 address counts by its /64). Over it: `TOO_MANY_FROM_ADDRESS`.
    pub max_per_address: usize,
    /// Rooms at once (`--max-rooms`, 1,000). Over it: `TOO_MANY_ROOMS`.
    pub max_rooms: usize,
    /// Members per room (`--room-capacity`, 1,024). Over it: `ROOM_FULL`.
    /// One address holds at most `max_per_address` of them.
    pub max_members: usize,
    /// How many members a newcomer is introduced to, and who hears of it
    /// (`--introductions`, 16): the newest half of the room plus a random
    /// sample of the rest. Bounds the cost of a join, and the room's
    /// newest (likeliest online) members are always among them.
    pub introductions: usize,
    /// Largest frame a client may send, in bytes (`--max-frame`, 64 KiB).
    pub max_frame: usize,
    /// Longest room name, in bytes (`--max-room-name`, 64).
    pub max_room_name: usize,
    /// How long a connection may take to send its request headers (from
    /// connecting, or from its previous request), and then a WebSocket
    /// its `join` message after the upgrade (`--handshake-timeout`, 10 s).
    /// Over it: the connection is closed (headers) or `HANDSHAKE_TIMEOUT`.
    pub handshake_timeout: Duration,
    /// A member from whom nothing arrives this long is closed
    /// (`--idle-timeout`, 60 s): `IDLE_TIMEOUT`. The server pings every
    /// third of it, and browsers answer pings by themselves.
    pub idle_timeout: Duration,
    /// Messages per connection (`--connection-rate`, 50/s, bursts of 200).
    /// Over it: `RATE_LIMITED`.
    pub connection_rate: Rate,
    /// Messages per address over all its connections, so reconnecting does
    /// not reset it (`--address-rate`, 200/s, bursts of 1,000).
    /// Over it: `ADDRESS_RATE_LIMITED`.
    pub address_rate: Rate,
    /// Signals relayed to one member, from all senders together
    /// (`--target-rate`, 100/s, bursts of 400). Over it the signal is
    /// dropped and its sender hears `TARGET_BUSY` (and stays connected).
    pub target_rate: Rate,
    /// Joins per address (`--address-joins`, 2/s, bursts of 20).
    /// Over it: `TOO_MANY_JOINS`.
    pub address_joins: Rate,
    /// Joins per room (`--room-joins`, 20/s, bursts of 100): with the
    /// bounded introductions, this bounds the notices churn fans out.
    /// Over it: `ROOM_BUSY`.
    pub room_joins: Rate,
    /// Bytes queued for one member (`--queue-bytes`, 256 KiB). A member
    /// that does not read fast enough to stay under it is dropped.
    pub queue_bytes: usize,
    /// Messages queued for one member (`--queue-messages`, 256), likewise.
    pub queue_messages: usize,
    /// The address of a reverse proxy in front of the server
    /// (`--trusted-proxy`, none). Only connections from it have their
    /// `X-Forwarded-For` read (its last entry, the address the proxy saw),
    /// and then per-address limits apply to that address.
    pub trusted_proxy: Option<IpAddr>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1_000,
            max_per_address: 32,
            max_rooms: 1_000,
            max_members: 1_024,
            introductions: 16,
            max_frame: 64 * 1024,
            max_room_name: 64,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            connection_rate: Rate::new(50.0, 200.0),
            address_rate: Rate::new(200.0, 1_000.0),
            target_rate: Rate::new(100.0, 400.0),
            address_joins: Rate::new(2.0, 20.0),
            room_joins: Rate::new(20.0, 100.0),
            queue_bytes: 256 * 1024,
            queue_messages: 256,
            trusted_proxy: None,
        }
    }
}

/// A token bucket, refilled lazily when used.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket.
    pub(crate) fn full(rate: Rate) -> Bucket {
        Bucket {
            tokens: rate.burst,
            at: Instant::now(),
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
    }

    /// Takes a token if there is one.
    pub(crate) fn take(&mut self, rate: Rate) -> bool {
        self.refill(rate, Instant::now());
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Spends `amount` tokens, going into debt if there are not that many:
    /// how long until the debt is paid (zero if there was none). For a
    /// rate that slows a sender down instead of refusing it.
    pub(crate) fn spend(&mut self, rate: Rate, amount: f64) -> Duration {
        self.refill(rate, Instant::now());
        self.tokens -= amount;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / rate.per_second)
        }
    }

    /// Whether it has refilled completely (then forgetting it loses nothing).
    pub(crate) fn is_full(&mut self, rate: Rate) -> bool {
        self.refill(rate, Instant::now());
        self.tokens >= rate.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        assert_eq!("50/200".parse(), Ok(Rate::new(50.0, 200.0)));
        assert_eq!("2.5".parse(), Ok(Rate::new(2.5, 2.5)));
        assert!("0/1".parse::<Rate>().is_err());
        assert!("x".parse::<Rate>().is_err());
        assert_eq!(Rate::new(50.0, 200.0).to_string(), "50/200");
    }

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let rate = Rate::new(1_000.0, 3.0);
        let mut bucket = Bucket::full(rate);
        assert!(bucket.take(rate) && bucket.take(rate) && bucket.take(rate));
        assert!(!bucket.take(rate));
        std::thread::sleep(Duration::from_millis(5));
        assert!(bucket.take(rate));
        std::thread::sleep(Duration::from_millis(10));
        assert!(bucket.is_full(rate));
    }
}
