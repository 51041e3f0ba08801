//! Scaling out (issue 17): object storage, the work queue, metrics and webhooks, deletion. One
//! test binary; each part is a module in tests/scale/ that starts the real servers it needs on
//! 127.0.0.1 (a test crate's root looks for its modules beside it, hence the paths).

mod common;

#[path = "scale/observe.rs"]
mod observe;

#[path = "scale/purge.rs"]
mod purge;

#[path = "scale/queue.rs"]
mod queue;

#[path = "scale/remote.rs"]
mod remote;

#[path = "scale/store.rs"]
mod store;
