//! One connection to Redis that comes back: a command that fails because Redis went away
//! (restarted, failed over, still loading its append-only file) is retried on a new connection
//! with a growing pause, for as long as the caller's patience allows. Only idempotent commands
//! are retried by callers that give patience: the worker's (XACK, SADD, XCLAIM, …).

use std::time::{Duration, Instant};

use redis::{Connection, RedisError, RedisResult};

use super::QueueError;

pub struct Redis {
    client: redis::Client,
    /// The URL without its password, for messages.
    shown: String,
    conn: Option<Connection>,
    patience: Duration,
}

/// Longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_secs(2);

impl Redis {
    /// A client for `url` (`redis://HOST:PORT/` or `redis://HOST:PORT/DB`); connects on first
    /// use. `patience`: how long a command keeps retrying while Redis is away (zero: once).
    pub fn open(url: &str, patience: Duration) -> Result<Redis, QueueError> {
        let shown = shown(url);
        let bad = |reason: String| QueueError::Url { url: shown.clone(), reason };
        if !url.starts_with("redis://") {
            return Err(bad(match url.split_once("://") {
                Some((scheme, _)) => format!("`{scheme}://` is not a Redis URL"),
                None => "it has no `redis://` in front".into(),
            }));
        }
        let client = redis::Client::open(url).map_err(|e| bad(e.to_string()))?;
        Ok(Redis { client, shown, conn: None, patience })
    }

    /// The URL as messages show it (no password).
    pub fn url(&self) -> &str {
        &self.shown
    }

    /// Runs `f` on the connection; `what` names it in errors ("XACK on billreel:run:R:records").
    pub fn run<T>(
        &mut self,
        what: &str,
        mut f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, QueueError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(50);
        let mut warned = false;
        loop {
            let result = match self.connection() {
                Ok(conn) => f(conn),
                Err(e) => Err(e),
            };
            let e = match result {
                Ok(v) => {
                    if warned {
                        tracing::info!(url = %self.shown, "Redis is back");
                    }
                    return Ok(v);
                }
                Err(e) if !retryable(&e) => {
                    return Err(QueueError::Command {
                        url: self.shown.clone(),
                        what: what.into(),
                        reason: e.to_string(),
                    })
                }
                Err(e) => e,
            };
            self.conn = None;
            if started.elapsed() + pause > self.patience {
                return Err(QueueError::Unreachable { url: self.shown.clone(), reason: e.to_string() });
            }
            if !warned {
                tracing::warn!(url = %self.shown, error = %e, "lost Redis; reconnecting");
                warned = true;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    fn connection(&mut self) -> RedisResult<&mut Connection> {
        if self.conn.is_none() {
            let conn = self.client.get_connection_with_timeout(Duration::from_secs(2))?;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("connected above"))
    }
}

/// Whether Redis being away (or busy starting) explains the error, so a retry may succeed.
fn retryable(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || e.is_timeout()
        || matches!(e.code(), Some("LOADING" | "TRYAGAIN" | "MASTERDOWN"))
}

/// `redis://user:password@host:port/` -> `redis://user:***@host:port/`.
fn shown(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(at)) if at > scheme.len() + 3 => {
            let auth = &rest[..at - scheme.len() - 3];
            let user = auth.split_once(':').map_or("", |(u, _)| u);
            format!("{scheme}://{user}:***@{}", &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        assert_eq!(shown("redis://u:secret@h:1/"), "redis://u:***@h:1/");
        assert_eq!(shown("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        let e = Redis::open("http://h:1/", Duration::ZERO).err().unwrap().to_string();
        assert!(e.contains("`http://` is not a Redis URL") && e.contains("redis://HOST:PORT/"), "{e}");
        let e = Redis::open("localhost:6379", Duration::ZERO).err().unwrap().to_string();
        assert!(e.contains("no `redis://` in front"), "{e}");
    }

    #[test]
    fn an_unreachable_server_is_reported_with_its_address() {
        // Port 1 on the loopback: nothing listens there.
        let mut r = Redis::open("redis://127.0.0.1:1/", Duration::ZERO).unwrap();
        let e = r.run("PING", |c| redis::cmd("PING").query::<String>(c)).unwrap_err().to_string();
        assert!(e.starts_with("cannot reach Redis at redis://127.0.0.1:1/:"), "{e}");
        assert!(e.contains("is redis-server running there?"), "{e}");
    }
}
