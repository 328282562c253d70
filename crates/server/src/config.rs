//! `trustfold-server`'s command line: every limit of [`Limits`] is a flag,
//! and `--help` prints them with their defaults.

use super::limits::{Limits, Rate};
use super::relay::RelayConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use trustfold::relay::AuthorRate;

/// What the command line asks for.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen (`--addr`, 127.0.0.1:8080).
    pub addr: SocketAddr,
    /// The built page to serve (`--site`, `dist`).
    pub site: Option<PathBuf>,
    /// The limits (see [`Limits`]).
    pub limits: Limits,
    /// The relay at `/relay` (on unless `--no-relay`).
    pub relay: Option<RelayConfig>,
    /// The NATS servers the rooms span, and the relay shares its networks
    /// through (`--nats`, none: this instance alone).
    pub nats: Option<String>,
}

/// The outcome of reading the command line.
#[derive(Clone, Debug)]
pub enum Command {
    /// Serve with this configuration (boxed: it is large, `Help` is not).
    Run(Box<Config>),
    /// Print [`usage`] and exit.
    Help,
}

fn seconds(d: Duration) -> String {
    format!("{}", d.as_secs_f64())
}

/// The `--help` text: every flag with its default.
pub fn usage() -> String {
    let d = Limits::default();
    let r = RelayConfig::default();
    format!(
        "usage: trustfold-server [FLAGS]

The signalling server (WebSocket rooms at /signal) and the built page.

  --addr ADDR                listen here [127.0.0.1:8080]
  --site DIR                 serve the built page from DIR [dist]
  --max-connections N        TCP connections at once, server-wide; keep below
                             the open-file limit (ulimit -n) [{}]
  --max-per-address N        connections at once per address (IPv6: per /64) [{}]
  --max-rooms N              rooms at once [{}]
  --room-capacity N          members per room [{}]
  --introductions N          members a newcomer is introduced to: the newest
                             half of the room and a random sample of the rest [{}]
  --max-frame BYTES          largest frame a client may send [{}]
  --max-room-name BYTES      longest room name [{}]
  --handshake-timeout SECS   for the request headers (from connecting or from the
                             previous request), then again from the WebSocket
                             upgrade to the join message [{}]
  --idle-timeout SECS        a member silent this long is dropped (pinged
                             every third of it) [{}]
  --connection-rate R/B      messages per second per connection / burst [{}]
  --address-rate R/B         messages per second per address, over all its
                             connections / burst [{}]
  --target-rate R/B          signals per second relayed to one member / burst [{}]
  --address-joins R/B        joins per second per address / burst [{}]
  --room-joins R/B           joins per second per room / burst [{}]
  --queue-bytes BYTES        bytes queued for one member; a slower reader is
                             dropped [{}]
  --queue-messages N         messages queued for one member, likewise [{}]
  --trusted-proxy IP         a reverse proxy whose X-Forwarded-For (last entry)
                             names the client; ignored from anyone else [none]

The relay (WebSocket at /relay, limits at /relay/limits): stores every valid
event of the networks it serves and syncs them with their pages.

  --no-relay                 serve no relay
  --relay-db PATH            its database file [{}]
  --relay-max-events N       events a network may hold [{}]
  --relay-max-bytes BYTES    bytes a network may hold [{}]
  --relay-author-share PCT   percent of those one author may take [{}]
  --relay-rate R/B           frames per second per client / burst [{}]
  --relay-bytes-rate R/B     bytes per second read from a client / burst;
                             a faster client is read more slowly [{}]
  --relay-author-rate N/B    events one author may store per minute / burst;
                             more wait for a later sync round [{}/{}]
  --relay-queue-total BYTES  bytes queued for all clients together; over it
                             a client with over 1 MiB queued is dropped [{}]
  --relay-networks N         networks loaded in memory at once [{}]
  --relay-idle SECS          a network nobody uses leaves memory after [{}]
                             (sooner when another must be loaded)
  --nats URL[,URL...]        span signalling rooms over every instance started
                             with these NATS servers, and keep every
                             network's events in their JetStream, shared
                             with every relay instance (the database is
                             then this instance's copy) [none]
  --nats-replicas N          copies JetStream keeps of each network [3]
  --help                     this text
",
        d.max_connections,
        d.max_per_address,
        d.max_rooms,
        d.max_members,
        d.introductions,
        d.max_frame,
        d.max_room_name,
        seconds(d.handshake_timeout),
        seconds(d.idle_timeout),
        d.connection_rate,
        d.address_rate,
        d.target_rate,
        d.address_joins,
        d.room_joins,
        d.queue_bytes,
        d.queue_messages,
        r.path.display(),
        r.limits.max_events,
        r.limits.max_bytes,
        r.limits.author_share,
        r.frame_rate,
        r.bytes_rate,
        r.limits.author_rate.per_minute,
        r.limits.author_rate.burst,
        r.queue_total,
        r.max_networks,
        seconds(r.idle),
    )
}

fn number(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag}: {value:?} is not a positive whole number"))
}

fn duration(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag}: {value:?} is not a positive number of seconds"))
}

fn rate(flag: &str, value: &str) -> Result<Rate, String> {
    value.parse().map_err(|e| format!("{flag}: {e}"))
}

/// Reads the arguments (without the program name).
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Command, String> {
    let mut config = Config {
        addr: ([127, 0, 0, 1], 8080).into(),
        site: Some(PathBuf::from("dist")),
        limits: Limits::default(),
        relay: Some(RelayConfig::default()),
        nats: None,
    };
    let mut relay = RelayConfig::default();
    let mut no_relay = false;
    let l = &mut config.limits;
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(Command::Help);
        }
        if flag == "--no-relay" {
            no_relay = true;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag}: a value is missing (see --help)"))?;
        let v = value.as_str();
        let f = flag.as_str();
        match f {
            "--addr" => config.addr = v.parse().map_err(|e| format!("--addr: {e}"))?,
            "--site" => config.site = Some(PathBuf::from(v)),
            "--max-connections" => l.max_connections = number(f, v)?,
            "--max-per-address" => l.max_per_address = number(f, v)?,
            "--max-rooms" => l.max_rooms = number(f, v)?,
            "--room-capacity" => l.max_members = number(f, v)?,
            "--introductions" => l.introductions = number(f, v)?,
            "--max-frame" => l.max_frame = number(f, v)?,
            "--max-room-name" => l.max_room_name = number(f, v)?,
            "--handshake-timeout" => l.handshake_timeout = duration(f, v)?,
            "--idle-timeout" => l.idle_timeout = duration(f, v)?,
            "--connection-rate" => l.connection_rate = rate(f, v)?,
            "--address-rate" => l.address_rate = rate(f, v)?,
            "--target-rate" => l.target_rate = rate(f, v)?,
            "--address-joins" => l.address_joins = rate(f, v)?,
            "--room-joins" => l.room_joins = rate(f, v)?,
            "--queue-bytes" => l.queue_bytes = number(f, v)?,
            "--queue-messages" => l.queue_messages = number(f, v)?,
            "--trusted-proxy" => {
                l.trusted_proxy = Some(v.parse().map_err(|e| format!("--trusted-proxy: {e}"))?)
            }
            "--relay-db" => relay.path = PathBuf::from(v),
            "--relay-max-events" => relay.limits.max_events = number(f, v)? as u64,
            "--relay-max-bytes" => relay.limits.max_bytes = number(f, v)? as u64,
            "--relay-author-share" => {
                relay.limits.author_share = number(f, v)?
                    .try_into()
                    .ok()
                    .filter(|p| *p <= 100)
                    .ok_or_else(|| format!("{f}: {v:?} is not a percentage"))?
            }
            "--relay-rate" => relay.frame_rate = rate(f, v)?,
            "--relay-bytes-rate" => relay.bytes_rate = rate(f, v)?,
            "--relay-queue-total" => relay.queue_total = number(f, v)?,
            "--relay-author-rate" => {
                let per_minute = rate(f, v)?;
                let whole = |n: f64| (n >= 1.0 && n <= f64::from(u32::MAX)).then_some(n as u32);
                relay.limits.author_rate =
                    match (whole(per_minute.per_second), whole(per_minute.burst)) {
                        (Some(per_minute), Some(burst)) => AuthorRate { per_minute, burst },
                        _ => {
                            return Err(format!(
                                "{f}: {v:?} is not PER_MINUTE/BURST in whole events"
                            ));
                        }
                    }
            }
            "--relay-networks" => relay.max_networks = number(f, v)?,
            "--relay-idle" => relay.idle = duration(f, v)?,
            "--nats" => {
                relay.nats = Some(v.to_owned());
                config.nats = Some(v.to_owned());
            }
            "--nats-replicas" => relay.nats_replicas = number(f, v)?,
            _ => return Err(format!("unknown flag {flag} (see --help)")),
        }
    }
    // The relay follows the server's own bounds on rooms and deadlines.
    relay.max_room_name = config.limits.max_room_name;
    relay.handshake_timeout = config.limits.handshake_timeout;
    relay.idle_timeout = config.limits.idle_timeout;
    config.relay = (!no_relay).then_some(relay);
    Ok(Command::Run(Box::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse_args(args.iter().map(|s| s.to_string()))? {
            Command::Run(config) => Ok(*config),
            Command::Help => Err("help".into()),
        }
    }

    #[test]
    fn every_flag_is_in_the_help_and_parses() {
        let text = usage();
        let flags = [
            ("--addr", "127.0.0.1:9"),
            ("--site", "x"),
            ("--max-connections", "5"),
            ("--max-per-address", "5"),
            ("--max-rooms", "5"),
            ("--room-capacity", "5"),
            ("--introductions", "5"),
            ("--max-frame", "5"),
            ("--max-room-name", "5"),
            ("--handshake-timeout", "0.5"),
            ("--idle-timeout", "5"),
            ("--connection-rate", "5/6"),
            ("--address-rate", "5/6"),
            ("--target-rate", "5/6"),
            ("--address-joins", "5/6"),
            ("--room-joins", "5/6"),
            ("--queue-bytes", "5"),
            ("--queue-messages", "5"),
            ("--trusted-proxy", "10.0.0.1"),
            ("--relay-db", "r.redb"),
            ("--relay-max-events", "7"),
            ("--relay-max-bytes", "8"),
            ("--relay-author-share", "9"),
            ("--relay-rate", "5/6"),
            ("--relay-bytes-rate", "7/8"),
            ("--relay-author-rate", "12/13"),
            ("--relay-queue-total", "14"),
            ("--relay-networks", "10"),
            ("--relay-idle", "11"),
        ];
        let mut args = Vec::new();
        for (flag, value) in flags {
            assert!(text.contains(flag), "{flag} is missing from --help");
            args.extend([flag, value]);
        }
        let config = run(&args).unwrap();
        let l = &config.limits;
        assert_eq!(config.addr, "127.0.0.1:9".parse().unwrap());
        assert_eq!(
            (
                l.max_connections,
                l.max_per_address,
                l.max_rooms,
                l.max_members
            ),
            (5, 5, 5, 5)
        );
        assert_eq!((l.introductions, l.max_frame, l.max_room_name), (5, 5, 5));
        assert_eq!(l.handshake_timeout, Duration::from_millis(500));
        assert_eq!(l.idle_timeout, Duration::from_secs(5));
        for r in [
            l.connection_rate,
            l.address_rate,
            l.target_rate,
            l.address_joins,
            l.room_joins,
        ] {
            assert_eq!(r, Rate::new(5.0, 6.0));
        }
        assert_eq!((l.queue_bytes, l.queue_messages), (5, 5));
        assert_eq!(l.trusted_proxy, Some("10.0.0.1".parse().unwrap()));
        let r = config.relay.unwrap();
        assert_eq!(r.path, PathBuf::from("r.redb"));
        assert_eq!(
            (
                r.limits.max_events,
                r.limits.max_bytes,
                r.limits.author_share
            ),
            (7, 8, 9)
        );
        assert_eq!((r.frame_rate, r.max_networks), (Rate::new(5.0, 6.0), 10));
        assert_eq!((r.bytes_rate, r.queue_total), (Rate::new(7.0, 8.0), 14));
        assert_eq!(
            r.limits.author_rate,
            AuthorRate {
                per_minute: 12,
                burst: 13
            }
        );
        assert!(run(&["--relay-author-rate", "0.5/10"]).is_err());
        assert_eq!(r.idle, Duration::from_secs(11));
        assert!(text.contains("--no-relay"));
        assert!(run(&["--no-relay"]).unwrap().relay.is_none());
        assert!(run(&["--relay-author-share", "101"]).is_err());
        // The defaults are printed.
        assert!(text.contains("[1000]") && text.contains("[50/200]"));
    }

    #[test]
    fn bad_flags_are_refused_clearly() {
        assert!(run(&["--max-connections", "0"]).is_err());
        assert!(run(&["--idle-timeout", "-1"]).is_err());
        assert!(run(&["--room-joins", "fast"]).is_err());
        assert!(run(&["--trusted-proxy", "proxy.example"]).is_err());
        assert!(
            run(&["--nonsense", "1"])
                .unwrap_err()
                .contains("unknown flag")
        );
        assert!(run(&["--addr"]).unwrap_err().contains("missing"));
        assert!(matches!(
            parse_args(["--help".to_string()]),
            Ok(Command::Help)
        ));
    }
}
