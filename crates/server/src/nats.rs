//! Reaching the NATS servers `--nats` names (comma-separated URLs), for
//! the relay's JetStream and the spanning signalling rooms alike.

use std::time::Duration;

/// Why the NATS servers could not be reached.
#[derive(Debug)]
pub(crate) enum Unreached {
    /// `--nats` is not a list of NATS URLs.
    BadUrl(String),
    /// No server answered within 5 s.
    Unreachable(String),
}

/// A client connected to one of `urls`; it reconnects to any of them.
pub(crate) async fn connect(urls: &str) -> Result<async_nats::Client, Unreached> {
    let servers = urls
        .split(',')
        .map(|url| url.trim().parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Unreached::BadUrl(e.to_string()))?;
    async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(servers)
        .await
        .map_err(|e| Unreached::Unreachable(e.to_string()))
}
