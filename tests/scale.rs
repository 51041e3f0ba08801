//! Scaling out (issue 17): object storage, the work queue, metrics and webhooks, deletion. Each
//! module starts the real servers it needs on 127.0.0.1 (see its header).

mod common;

#[path = "scale/store.rs"]
mod store;
