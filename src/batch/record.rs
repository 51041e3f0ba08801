//! One record's step on its own, for the ways work arrives other than a billing file: the
//! queue's worker takes records one by one from a stream and renders each with the same code as
//! [`super::run`] (bind → encode → poster, captions, preview, page → manifest line).
//!
//! In: a prepared storyboard per format, the batch's options and one record. Out: the record's
//! files in `opts.out` (under their final names, each written atomically) and its manifest line.
//! A step never skips a record: the caller decides what is done (the queue acknowledges a record
//! only after publishing it), so the folder is a scratch folder, not a run's output folder.

use std::sync::Arc;

use super::{manifest, process, unreadable, BatchOptions, Job, ManifestLine};
use crate::bind::Binder;
use crate::encode;
use crate::record::{Record, RecordError};
use crate::timings::Timings;

/// The per-record step of a batch, bound to its storyboard and options.
pub struct RecordStep {
    job: Job,
}

/// What one record's step produced.
#[derive(Debug)]
pub struct StepOutcome {
    /// Its manifest line (`ok` with its files' names, or `failed` with the reason).
    pub line: ManifestLine,
    /// Where the time went, when it was rendered.
    pub timings: Option<Timings>,
}

impl RecordStep {
    /// A step writing into `opts.out` (which must exist), temporary files marked with `tag`.
    /// `opts.data`, `opts.jobs`, `opts.shard` and `opts.max_failures` are not used: one record
    /// comes at a time. Shared segments are kept per step (one per thread of a worker).
    pub fn new(binders: Vec<Arc<Binder>>, opts: BatchOptions, tag: &str) -> RecordStep {
        assert!(!binders.is_empty(), "a record step renders at least one format");
        let cache = opts.segment_cache_mb.map(encode::SegmentCache::new);
        let opts = BatchOptions { force: true, ..opts };
        RecordStep {
            job: Job { binders, opts, done: manifest::Done::default(), tag: tag.to_string(), cache },
        }
    }

    /// Renders `rec` in every format: its files in the step's folder and its line.
    pub fn render(&self, rec: Record) -> StepOutcome {
        let outcome = process(&self.job, rec);
        StepOutcome { line: outcome.line, timings: outcome.timings }
    }

    /// The failed line of input that could not be read as a record.
    pub fn unreadable(e: &RecordError) -> ManifestLine {
        unreadable(e)
    }
}
