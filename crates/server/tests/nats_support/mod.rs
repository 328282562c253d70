//! A real NATS JetStream cluster on loopback for the tests: Debian's
//! `nats-server` (installed by scripts/setup.sh), three nodes routed to
//! each other, each with its own store directory, killed with SIGKILL and
//! restarted on the same directory when a test says so. Every wait is
//! bounded.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a node may take to start, or the cluster to elect its leader.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Ports the clusters take from: below Linux's ephemeral range (32768 and
/// up by default), from which the OS gives outgoing connections and `:0`
/// their ports. A port picked there and released for `nats-server` to
/// bind could be taken meanwhile by a parallel test's connection ("bind:
/// address already in use", seen once in `make test`); ports here are
/// taken only by these clusters, each process from its own place.
const PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A free loopback port (released for the server to take).
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = u32::from(PORTS.end - PORTS.start);
    let start = std::process::id().wrapping_mul(97) % span;
    for _ in 0..span {
        let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let port = PORTS.start + offset as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in {PORTS:?}");
}

struct Node {
    child: Option<Child>,
    client_port: u16,
    cluster_port: u16,
    dir: PathBuf,
    log: PathBuf,
}

/// A cluster of `nats-server` nodes with JetStream.
pub struct Cluster {
    nodes: Vec<Node>,
    routes: String,
}

impl Cluster {
    /// Starts `size` nodes (1 is a single server, no cluster) under `dir`.
    pub fn start(dir: &Path, size: usize) -> Cluster {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        let nodes: Vec<Node> = (0..size)
            .map(|n| Node {
                child: None,
                client_port: free_port(),
                cluster_port: free_port(),
                dir: dir.join(format!("n{n}")),
                log: dir.join(format!("n{n}.log")),
            })
            .collect();
        let routes = nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.cluster_port))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = Cluster { nodes, routes };
        for n in 0..size {
            cluster.start_node(n);
        }
        cluster.wait_for_leader();
        cluster
    }

    /// Waits (bounded) until every running node knows JetStream's
    /// metadata leader: before that, making a stream times out.
    pub fn wait_for_leader(&self) {
        if self.nodes.len() < 2 {
            return;
        }
        let deadline = Instant::now() + PATIENCE;
        for (n, node) in self.nodes.iter().enumerate() {
            if node.child.is_none() {
                continue;
            }
            while !self.log(n).contains("metadata leader") {
                assert!(
                    Instant::now() < deadline,
                    "no JetStream leader:\n{}",
                    self.log(n)
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn start_node(&mut self, n: usize) {
        let clustered = self.nodes.len() > 1;
        let node = &mut self.nodes[n];
        // The relay refuses servers that take messages smaller than an
        // event may be (1 MiB by default; events up to 2 MiB + 16 KiB).
        let config = node.dir.with_extension("conf");
        std::fs::write(&config, "max_payload: 4194304\n").unwrap();
        let mut command = Command::new("nats-server");
        command
            .arg("-c")
            .arg(&config)
            .args(["-a", "127.0.0.1", "-p", &node.client_port.to_string()])
            .args(["-n", &format!("n{n}"), "-js", "-sd"])
            .arg(&node.dir);
        if clustered {
            command
                .args(["--cluster_name", "trustfold-test"])
                .args([
                    "--cluster",
                    &format!("nats://127.0.0.1:{}", node.cluster_port),
                ])
                .args(["--routes", &self.routes]);
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        node.child = Some(
            command
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("nats-server (Debian's; scripts/setup.sh installs it)"),
        );
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", node.client_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "node {n} did not start:\n{}",
                self.log(n)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The client URLs of every node, comma-separated (`--nats`).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.client_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The client URL of node `n` alone.
    pub fn url(&self, n: usize) -> String {
        format!("nats://127.0.0.1:{}", self.nodes[n].client_port)
    }

    /// Kills node `n` with SIGKILL.
    pub fn kill(&mut self, n: usize) {
        let mut child = self.nodes[n].child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// Starts node `n` again on its store directory.
    pub fn restart(&mut self, n: usize) {
        self.start_node(n);
    }

    /// What node `n` printed.
    pub fn log(&self, n: usize) -> String {
        std::fs::read_to_string(&self.nodes[n].log).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}
