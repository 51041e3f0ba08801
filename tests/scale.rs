//! Scale-out, run as an operator runs it: where outputs are stored, the work queue, metrics and
//! webhooks, and purge. One test binary for them all (one link, not one per part); each part is
//! a module of tests/scale/.

mod common;

#[path = "scale/purge.rs"]
mod purge;
