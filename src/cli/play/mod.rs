//! `micrograd play`: a playground in the browser, on this engine. A local
//! web server (`server`) serves one page (`page.html`, built into the
//! binary): an expression stepped through forward and backward with the
//! HTML player, and a network trained live on a synthetic set or the
//! learner's CSV (`session`), its regions and every neuron's map redrawn as
//! it learns.

mod server;
pub mod session;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The port to listen on; 0 picks a free one
    #[arg(long, default_value_t = 8421)]
    pub port: u16,

    /// Listen on this address instead of 127.0.0.1: anyone who can reach it
    /// can use the playground (and make this machine train)
    #[arg(long, value_name = "ADDRESS")]
    pub host: Option<IpAddr>,

    /// Print the address; do not open a browser
    #[arg(long)]
    pub no_open: bool,

    /// A CSV to offer in the page as "your data" (its last column the label)
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let file = match &args.data {
        Some(path) => {
            let text = super::input::read_text(path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            if text.len() > server::MAX_BODY {
                anyhow::bail!(
                    "{}: {} bytes; the playground takes at most {} MB",
                    path.display(),
                    text.len(),
                    server::MAX_BODY / (1024 * 1024)
                );
            }
            micrograd::train::data::Dataset::from_csv(&text, &Default::default())
                .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?;
            Some(text)
        }
        None => None,
    };
    let address = args.host.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if !address.is_loopback() {
        eprintln!(
            "warning: listening on {address}: anyone who can reach it can use the playground"
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(serve(
        SocketAddr::new(address, args.port),
        file,
        !args.no_open,
    ))
}

async fn serve(address: SocketAddr, file: Option<String>, open: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| {
            format!("cannot listen on {address} (another server there? --port 0 picks a free port)")
        })?;
    let bound = listener.local_addr()?;
    let port = bound.port();
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if !bound.ip().is_loopback() {
        hosts.insert(0, bound.to_string());
    }
    let url = format!("http://{}/", hosts[0]);
    println!("micrograd play: {url}  (Ctrl-C stops it)");
    if open {
        open_browser(&url);
    }
    let shared = Arc::new(server::Shared::new(hosts, file));
    let app = server::router(Arc::clone(&shared));
    // Ctrl-C (or SIGTERM) ends the server at once: open event streams too
    tokio::select! {
        served = axum::serve(listener, app) => served.context("the server stopped")?,
        () = stopped() => {}
    }
    shared.stop_all();
    eprintln!("micrograd play: stopped");
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM can be heard");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Opens `url` in the desktop's browser; says so when it cannot.
fn open_browser(url: &str) {
    let command = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let opened = std::process::Command::new(command.0)
        .args(&command.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if opened.is_err() {
        eprintln!("micrograd play: open {url} in a browser");
    }
}
