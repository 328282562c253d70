//! The `trustfold-server` binary as a test runs it: started on a free
//! port with the tests' loosened per-address limits, killed with SIGKILL
//! or stopped with SIGTERM, its output kept in files.

use super::PATIENCE;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One run of the `trustfold-server` binary, its output in two files.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    out: PathBuf,
    err: PathBuf,
}

impl Server {
    /// Starts the binary on `db` and waits (bounded) for the address it
    /// listens on, which its startup log line `trustfold at http://ADDR/`
    /// gives (port 0: a free one).
    pub async fn start(dir: &Path, db: &Path, run: u32) -> Server {
        Server::start_with(dir, db, run, &[]).await
    }

    /// [`start`](Self::start) with more flags (`--nats …`).
    pub async fn start_with(dir: &Path, db: &Path, run: u32, flags: &[&str]) -> Server {
        let out = dir.join(format!("server-{run}.out"));
        let err = dir.join(format!("server-{run}.err"));
        let child = Command::new(env!("CARGO_BIN_EXE_trustfold-server"))
            .args(["--addr", "127.0.0.1:0"])
            .arg("--relay-db")
            .arg(db)
            // Every client comes from 127.0.0.1, and reconnects after
            // each kill: lift the per-address limits, as
            // scripts/test-wasm.sh does.
            .args(["--max-per-address", "1000"])
            .args(["--address-joins", "100/1000"])
            .args(["--address-rate", "10000/10000"])
            // A client here writes up to 50 events/s, above the default
            // sustained 20 per author: this test is about crashes, not rates.
            .args(["--relay-author-rate", "100000/100000"])
            .args(flags)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let mut server = Server {
            child: Some(child),
            addr: ([0, 0, 0, 0], 0).into(),
            out,
            err,
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = std::fs::read_to_string(&server.out).unwrap_or_default();
            if let Some(addr) = listening(&log) {
                server.addr = addr;
                return server;
            }
            let exited = server.child.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "run {run}: the server did not start ({exited:?}):\n{}",
                server.output()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Kills it with SIGKILL; it must not have exited before.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("killed once");
        let exited = child.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "the server exited by itself ({exited:?}):\n{}",
            self.output()
        );
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
    }

    /// Stops it with SIGTERM and waits (bounded) for it to exit, which it
    /// must do by itself and successfully.
    pub fn terminate(&mut self) {
        let mut child = self.child.take().expect("stopped once");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + PATIENCE;
        let exited = loop {
            if let Some(exited) = child.try_wait().unwrap() {
                break exited;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not stop after SIGTERM:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        assert!(
            exited.success(),
            "after SIGTERM: {exited:?}\n{}",
            self.output()
        );
    }

    /// What it printed, stdout then stderr.
    pub fn output(&self) -> String {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        format!("{}{}", read(&self.out), read(&self.err))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A test that fails leaves no server behind.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The address in the line `trustfold at http://ADDR/ …` of a log.
fn listening(log: &str) -> Option<SocketAddr> {
    let line = log.lines().find(|l| l.contains("trustfold at http://"))?;
    let rest = &line[line.find("http://")? + "http://".len()..];
    rest[..rest.find('/')?].parse().ok()
}
