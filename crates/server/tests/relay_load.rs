//! The relay under load, small enough for `make test`: 100 honest clients
//! (real nodes over WebSocket links) in 10 networks, from 4 loopback
//! addresses, against the real `trustfold-server` binary (this build's),
//! each writing one payment a second for 5 s. Every payment reaches every
//! other client of its network, no client is dropped, nothing is refused.
//! The full run (1,000 clients in 50 networks for 60 s, release build,
//! latency and memory figures) is `make bench-relay`
//! (`benches/relay_load.rs`). Native only; bounded in time.

mod relay_support;

use relay_support::load::{Plan, run};
use std::path::PathBuf;
use std::time::Duration;

#[test]
fn a_hundred_clients_in_ten_networks_get_every_payment() {
    let plan = Plan {
        clients: 100,
        networks: 10,
        seconds: 5,
        addresses: 4,
        threads: 1,
        server: PathBuf::from(env!("CARGO_BIN_EXE_trustfold-server")),
        server_args: Vec::new(),
        dir: PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("relay-load")
            .join(std::process::id().to_string()),
        join_within: Duration::from_secs(30),
        drain_within: Duration::from_secs(30),
        instances: 1,
        nats: None,
    };
    let report = run(plan.clone());
    eprintln!("{}", report.summary(&plan));
    assert_eq!(report.written, 500);
    assert_eq!(report.expected, 500 * 9);
    assert_eq!(report.delivered, report.expected, "every payment delivered");
    assert_eq!(report.latencies.len() as u64, report.expected);
    // Each arrived once, and none went back to its writer.
    assert_eq!(report.arrivals.len() as u64, report.expected);
    assert_eq!(report.dropped, 0, "no honest client dropped");
    assert_eq!(report.notices, 0);
}
