//! `billreel studio`: a local web app where an author picks a storyboard, a customer (and,
//! once storyboards declare them, a format), scrubs a timeline of frames drawn on demand by the
//! renderer `preview --at` uses, plays a preview video, sees the landing page and `check`'s
//! problems with their YAML lines, and sees every save reflected within a second.
//!
//! In: a storyboard (its folder's other storyboards can be chosen) and a billing data file.
//! Out: HTTP on 127.0.0.1 (by default): the page, a read-only JSON API, frames, a preview
//! video, the landing page, and server-sent events on every reload. It writes nothing an author
//! owns: its only files are its preview videos, in a temporary folder of its own.
//!
//! - `customers`: the data file's ids and names, indexed by one streamed read.
//! - `workspace`: the storyboards, the bound records and the drawn frames, cached per version.
//! - `problems`: `check`'s problems located, with their YAML line.
//! - `playback`: the preview video, encoded in the background.
//! - `watch`: reload on save.
//! - `http`: the routes; `ui/`: the page (HTML, JS and CSS embedded in the binary).

pub mod customers;
pub mod http;
pub mod playback;
pub mod problems;
pub mod watch;
pub mod workspace;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use thiserror::Error;

pub use workspace::Options;

/// The port `billreel studio` listens on unless told.
pub const DEFAULT_PORT: u16 = 4750;

#[derive(Debug, Error)]
pub enum StudioError {
    #[error("cannot listen on {addr}: {source} (choose another with --port, or 0 for any free port)")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the studio: {0}")]
    Runtime(std::io::Error),
    #[error("cannot watch the storyboard's files: {0}")]
    Watch(#[from] notify_debouncer_full::notify::Error),
    #[error("cannot make the folder for preview videos: {0}")]
    Playback(std::io::Error),
}

/// Serves the studio on `addr` until the process ends; `ready` is told the address actually
/// bound (port 0 picks a free one) once requests are accepted.
pub fn run(opts: Options, addr: SocketAddr, ready: impl FnOnce(SocketAddr)) -> Result<(), StudioError> {
    // Two runtime threads answer requests; frames are drawn on the blocking pool.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("studio-http")
        .enable_all()
        .build()
        .map_err(StudioError::Runtime)?;
    let playback = Arc::new(playback::Playback::new(&std::env::temp_dir()).map_err(StudioError::Playback)?);
    let ws = Arc::new(workspace::Workspace::new(opts));
    let (reloads, _) = tokio::sync::broadcast::channel(16);
    // Kept until the server stops: dropping it stops the watching.
    let _watcher = watch::start(ws.clone(), reloads.clone())?;
    let loopback = addr.ip().is_loopback();
    let studio = http::Studio { ws, playback, reloads };
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StudioError::Listen { addr, source })?;
        let bound = listener.local_addr().map_err(|source| StudioError::Listen { addr, source })?;
        let mut app = http::router(studio);
        if loopback {
            app = app.layer(axum::middleware::from_fn(loopback_hosts_only));
        }
        ready(bound);
        axum::serve(listener, app).await.map_err(StudioError::Runtime)
    })
}

/// On loopback, answers only requests addressed to a loopback name: a web page elsewhere that
/// points a name of its own at 127.0.0.1 (DNS rebinding) cannot read customers' data.
async fn loopback_hosts_only(req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if is_loopback_host(host) {
        next.run(req).await
    } else {
        (StatusCode::MISDIRECTED_REQUEST, "the studio answers only requests to 127.0.0.1 or localhost")
            .into_response()
    }
}

/// `127.0.0.1:4750`, `localhost`, `[::1]:80`: a loopback host, with or without its port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(n, _)| n),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in ["127.0.0.1:4750", "localhost", "LOCALHOST:1", "[::1]:80", "127.0.0.1"] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for no in ["evil.example:4750", "10.0.0.1", "", "127.0.0.1.evil.example"] {
            assert!(!is_loopback_host(no), "{no}");
        }
    }
}
