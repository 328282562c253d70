//! `trustfold-server [--addr 127.0.0.1:8080] [--site dist] [limits…]`: the
//! signalling server, also serving the built page (see the library's docs;
//! `--help` lists every limit with its default). SIGTERM or SIGINT stops it
//! gracefully (`trustfold_server::ops`).

fn main() -> std::io::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(native::main())
}

mod native {
    use trustfold_server::relay::Relay;
    use trustfold_server::{Command, Rooms, parse_args, serve_until, usage};

    /// The process's open-file limit, from /proc (Linux), if readable.
    fn open_file_limit() -> Option<usize> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    }

    pub async fn main() -> std::io::Result<()> {
        let config = match parse_args(std::env::args().skip(1)) {
            Ok(Command::Run(config)) => config,
            Ok(Command::Help) => {
                print!("{}", usage());
                return Ok(());
            }
            Err(e) => {
                eprintln!("trustfold-server: {e}");
                std::process::exit(2);
            }
        };
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info".into()),
            )
            .init();
        if let Some(files) = open_file_limit()
            && config.limits.max_connections + 16 > files
        {
            // Past the limit, accept fails for everyone; below it, the
            // server refuses extra connections with SERVER_FULL instead.
            tracing::warn!(
                "--max-connections {} is close to the open-file limit {files}: raise `ulimit -n` or lower it",
                config.limits.max_connections
            );
        }
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let relay = match config.relay {
            Some(relay) => {
                tracing::info!("relay at /relay, its database in {}", relay.path.display());
                if let Some(urls) = &relay.nats {
                    tracing::info!(
                        "relay: every network's events in the JetStream of {urls} ({} copies)",
                        relay.nats_replicas
                    );
                }
                Some(Relay::open_shared(relay).await?)
            }
            None => None,
        };
        // Scripts and tests started with `--addr 127.0.0.1:0` read the port
        // from this line (scripts/test-wasm.sh, tests/relay_crash.rs): keep
        // `trustfold at http://ADDR/` in it.
        tracing::info!(
            "trustfold at http://{}/ (signalling at /signal)",
            listener.local_addr()?
        );
        let rooms = match &config.nats {
            Some(urls) => Rooms::spanning(config.limits, urls)
                .await
                .map_err(std::io::Error::other)?,
            None => Rooms::new(config.limits),
        };
        serve_until(listener, rooms, config.site, relay, stop()?).await
    }

    /// Resolves at SIGTERM (a service manager, a container runtime) or
    /// SIGINT (Ctrl-C): the server then stops gracefully (`ops` module).
    fn stop() -> std::io::Result<impl std::future::Future<Output = ()>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            let which = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            tracing::info!("{which}: stopping");
        })
    }
}
