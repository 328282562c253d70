//! `trustfold-server [--addr 127.0.0.1:8080] [--site dist]`: the signalling
//! server, also serving the built page (see `trustfold::server`).

// The server is native: built for wasm32 (the crate's other target) this
// binary is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::io::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(native::main())
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use trustfold::server::{Limits, Rooms, app, serve};

    pub async fn main() -> std::io::Result<()> {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info".into()),
            )
            .init();
        let mut addr: SocketAddr = ([127, 0, 0, 1], 8080).into();
        let mut site = Some(PathBuf::from("dist"));
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match (arg.as_str(), args.next()) {
                ("--addr", Some(value)) => {
                    addr = value.parse().map_err(|e| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            format!("--addr: {e}"),
                        )
                    })?
                }
                ("--site", Some(value)) => site = Some(PathBuf::from(value)),
                _ => {
                    eprintln!("usage: trustfold-server [--addr 127.0.0.1:8080] [--site dist]");
                    std::process::exit(2);
                }
            }
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(
            "trustfold at http://{}/ (signalling at /signal)",
            listener.local_addr()?
        );
        serve(listener, app(Rooms::new(Limits::default()), site)).await
    }
}
