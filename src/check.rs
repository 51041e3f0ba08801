//! Check: a whole billing run against a storyboard, without rendering video.
//!
//! In: a prepared storyboard and a stream of records. Out: a [`CheckReport`]: how many records
//! would render, and for each one that would not, its id, line, the kind of problem and the
//! message (a missing or wrong field, text that overflows its box even at its smallest size,
//! characters no font has, an asset that does not exist, a line that is not a record).
//! Records are bound in parallel on all cores; nothing is drawn or encoded.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use rayon::iter::{ParallelBridge, ParallelIterator};
use serde::Serialize;

use crate::bind::{Binder, ProblemKind};
use crate::record::{Record, RecordError};

/// At most this many problems are kept in detail; the rest are counted.
pub const MAX_DETAILED: usize = 100_000;

/// One record that would not render.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub id: Option<String>,
    pub line: usize,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub records: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failed records by kind of problem.
    pub by_kind: BTreeMap<ProblemKind, u64>,
    /// In input order; at most [`MAX_DETAILED`].
    pub problems: Vec<Problem>,
    /// Problems beyond [`MAX_DETAILED`], counted only.
    pub not_detailed: u64,
    /// The GIF preview's window as `outputs::preview::describe` says it, with how many records
    /// take it.
    pub previews: BTreeMap<String, u64>,
}

/// Checks every record (in parallel). A record's first problem is the one reported.
pub fn check_records<I>(binder: &Binder, records: I) -> CheckReport
where
    I: Iterator<Item = Result<Record, RecordError>> + Send,
{
    let report = Mutex::new(CheckReport::default());
    records.par_bridge().for_each(|item| {
        let mut preview = None;
        let problem = check_one(binder, item, &mut preview);
        // Only counting happens under the lock; nothing there panics.
        let mut r = report.lock().unwrap_or_else(PoisonError::into_inner);
        r.records += 1;
        if let Some(p) = preview {
            *r.previews.entry(p).or_default() += 1;
        }
        match problem {
            None => r.ok += 1,
            Some(p) => {
                r.failed += 1;
                *r.by_kind.entry(p.kind).or_default() += 1;
                if r.problems.len() < MAX_DETAILED {
                    r.problems.push(p);
                } else {
                    r.not_detailed += 1;
                }
            }
        }
    });
    let mut report = report.into_inner().unwrap_or_else(PoisonError::into_inner);
    report.problems.sort_by_key(|p| p.line);
    report
}

fn check_one(
    binder: &Binder,
    item: Result<Record, RecordError>,
    preview: &mut Option<String>,
) -> Option<Problem> {
    let rec = match item {
        Ok(rec) => rec,
        Err(e) => {
            return Some(Problem {
                id: e.id().map(str::to_string),
                line: e.line(),
                kind: ProblemKind::UnreadableLine,
                message: e.to_string(),
            });
        }
    };
    let problem = |kind, message| Some(Problem { id: Some(rec.id.clone()), line: rec.line, kind, message });
    let graph = match binder.bind_for_check(&rec) {
        Ok(g) => g,
        Err(e) => return problem(e.kind, e.to_string()),
    };
    *preview = crate::outputs::preview::describe(&graph);
    if let Some((scene, layer, shown)) = graph.overflowing_text().into_iter().next() {
        // What is shown is the customer's text: say how much of it fits, not what it is.
        let kept = shown.trim_end_matches('…').chars().count();
        return problem(
            ProblemKind::TextOverflow,
            format!(
                "record {}: scene `{scene}`, layer `{layer}`: the text does not fit its box even at its smallest size and is cut after {kept} characters; give it more room, `fit: shrink` with a smaller `min_size`, or more `max_lines`",
                rec.id
            ),
        );
    }
    // Text no font can draw fails the binding itself (unless the storyboard says
    // `missing_glyphs: replace`), in `batch` exactly as here.
    None
}

impl CheckReport {
    /// The summary table `billreel check --data` prints: every kind a record's problem can have,
    /// with the labels a batch's manifest uses (snake_case there); `check` binds and never
    /// encodes, so its `encode` row stays 0.
    pub fn table(&self) -> String {
        let mut out = format!("{:<18} {:>9}\n", "problem", "records");
        for kind in [
            ProblemKind::MissingField,
            ProblemKind::WrongValue,
            ProblemKind::MissingAsset,
            ProblemKind::TextOverflow,
            ProblemKind::MissingGlyph,
            ProblemKind::UnreadableLine,
            ProblemKind::Other,
            ProblemKind::Encode,
            ProblemKind::Internal,
        ] {
            out.push_str(&format!(
                "{:<18} {:>9}\n",
                kind.label(),
                self.by_kind.get(&kind).copied().unwrap_or(0)
            ));
        }
        out.push_str(&format!("{:<18} {:>9}\n{:<18} {:>9}", "ok", self.ok, "total", self.records));
        out
    }
}
