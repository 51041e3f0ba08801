//! Scaling out (issue 17): the Redis work queue, object storage, metrics, retention. One test
//! binary whose modules start the real servers they need (redis-server, an S3 server, …) on
//! 127.0.0.1, each part in its own file under tests/scale/ (a test crate's root looks for its
//! modules beside it, hence the paths).

mod common;

#[path = "scale/queue.rs"]
mod queue;
