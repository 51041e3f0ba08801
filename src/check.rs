//! Check: a whole billing run against a storyboard, without rendering video.
//!
//! In: a prepared storyboard and a stream of records. Out: a [`CheckReport`]: how many records
//! would render, and for each one that would not, every one of its problems with its id, line,
//! kind and message (a missing or wrong field, chart lists of different lengths, text that
//! overflows its box even at its smallest size, characters no font has, an asset that does not
//! exist, a line that is not a record, an id used twice); and for records that render, layout
//! warnings (text or pictures leaving the canvas, texts that overlap) for their data; and the
//! messages of the storyboard's translations that a locale of the data lacks.
//! Records are bound in parallel on all cores; nothing is drawn or encoded.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};

use rayon::iter::{ParallelBridge, ParallelIterator};
use serde::Serialize;

use crate::bind::translations::Untranslated;
use crate::bind::{Binder, ProblemKind};
use crate::record::{Record, RecordError, Records};

/// At most this many problems (and as many warnings) are kept in detail; the rest are counted.
pub const MAX_DETAILED: usize = 100_000;

/// One problem of a record that would not render (a record may have several).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub id: Option<String>,
    pub line: usize,
    pub kind: ProblemKind,
    pub message: String,
}

/// A layout warning of a record that renders: text or a picture leaving the canvas, texts that
/// overlap, for that record's data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Warning {
    pub id: String,
    pub line: usize,
    /// The layer's storyboard path (`scenes[1].layers[2]`).
    pub layer: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub records: u64,
    pub ok: u64,
    pub failed: u64,
    /// Failed records by kind of problem (a record with two kinds counts under both).
    pub by_kind: BTreeMap<ProblemKind, u64>,
    /// Every problem of every failed record, in input order; at most [`MAX_DETAILED`].
    pub problems: Vec<Problem>,
    /// Problems beyond [`MAX_DETAILED`], counted only.
    pub not_detailed: u64,
    /// The GIF preview's window as `outputs::preview::describe` says it, with how many records
    /// take it.
    pub previews: BTreeMap<String, u64>,
    /// Layout warnings, in input order; at most [`MAX_DETAILED`].
    pub warnings: Vec<Warning>,
    pub warnings_not_detailed: u64,
    /// How many records are in each locale (their own, or the storyboard's).
    pub locales: BTreeMap<String, u64>,
    /// Every message the storyboard calls that a locale of the data has no translation of,
    /// once per (locale, message): those records get the storyboard's locale's text, or fail.
    pub untranslated: Vec<Untranslated>,
}

/// Checks every record (in parallel): every problem of each one, and its layout warnings. A
/// record whose id an earlier line has is refused, as `batch` refuses it.
pub fn check_records(binder: &Binder, records: Records) -> CheckReport {
    check_records_in(&[binder], records)
}

/// [`check_records`] in several formats of one storyboard (a binder per format, the default
/// first): each record is read once and bound in every format. It fails when it fails in any
/// (a problem found in several formats is listed once), and its layout warnings are every
/// format's, each naming its format.
pub fn check_records_in(binders: &[&Binder], records: Records) -> CheckReport {
    let path = records.path().to_path_buf();
    let mut first_seen: HashMap<String, usize> = HashMap::new();
    let records = records.map(move |item| match item {
        Ok(rec) => match first_seen.get(&rec.id) {
            Some(&first) => Err(crate::record::duplicate_id(&path, rec, first)),
            None => {
                first_seen.insert(rec.id.clone(), rec.line);
                Ok(rec)
            }
        },
        Err(e) => Err(e),
    });
    let report = Mutex::new(CheckReport::default());
    records.par_bridge().for_each(|item| {
        let (mut preview, mut locale) = (None, None);
        let (problems, warnings) = check_formats(binders, item, &mut preview, &mut locale);
        // Only counting happens under the lock; nothing there panics.
        let mut r = report.lock().unwrap_or_else(PoisonError::into_inner);
        r.records += 1;
        if let Some(l) = locale {
            *r.locales.entry(l).or_default() += 1;
        }
        if let Some(p) = preview {
            *r.previews.entry(p).or_default() += 1;
        }
        if problems.is_empty() {
            r.ok += 1;
        } else {
            r.failed += 1;
            let kinds: BTreeSet<ProblemKind> = problems.iter().map(|p| p.kind).collect();
            for k in kinds {
                *r.by_kind.entry(k).or_default() += 1;
            }
        }
        for p in problems {
            if r.problems.len() < MAX_DETAILED {
                r.problems.push(p);
            } else {
                r.not_detailed += 1;
            }
        }
        for w in warnings {
            if r.warnings.len() < MAX_DETAILED {
                r.warnings.push(w);
            } else {
                r.warnings_not_detailed += 1;
            }
        }
    });
    let mut report = report.into_inner().unwrap_or_else(PoisonError::into_inner);
    // Stable: a record's problems keep the order binding found them in.
    report.problems.sort_by_key(|p| p.line);
    report.warnings.sort_by_key(|w| w.line);
    report.untranslated = binders[0].untranslated(&report.locales);
    report
}

/// One record in every format: the first format's preview window; problems without repeats.
fn check_formats(
    binders: &[&Binder],
    item: Result<Record, RecordError>,
    preview: &mut Option<String>,
    locale: &mut Option<String>,
) -> (Vec<Problem>, Vec<Warning>) {
    // An unreadable line is the same in every format.
    let rec = match item {
        Ok(rec) => rec,
        Err(e) => return check_one(binders[0], Err(e), preview, locale),
    };
    let (mut problems, mut warnings) = (Vec::new(), Vec::new());
    for (k, binder) in binders.iter().enumerate() {
        let (mut window, mut read_in) = (None, None);
        let (p, w) = check_one(binder, Ok(rec.clone()), &mut window, &mut read_in);
        if k == 0 {
            *preview = window;
            *locale = read_in;
        }
        // A problem the default format has too is listed once; one only this format has says so.
        for mut p in p {
            if !problems.contains(&p) {
                if k > 0 {
                    p.message = format!("in format `{}`: {}", binder.storyboard().format.name, p.message);
                }
                problems.push(p);
            }
        }
        warnings.extend(w);
    }
    (problems, warnings)
}

fn check_one(
    binder: &Binder,
    item: Result<Record, RecordError>,
    preview: &mut Option<String>,
    locale: &mut Option<String>,
) -> (Vec<Problem>, Vec<Warning>) {
    let rec = match item {
        Ok(rec) => rec,
        Err(e) => {
            let p = Problem {
                id: e.id().map(str::to_string),
                line: e.line(),
                kind: ProblemKind::UnreadableLine,
                message: e.to_string(),
            };
            return (vec![p], Vec::new());
        }
    };
    // Text that overflows or that no font can draw fails the binding itself (unless the
    // storyboard says `missing_glyphs: replace`), in `batch` exactly as here.
    let (gathered, graph) = binder.check_record(&rec);
    *preview = graph.as_ref().and_then(crate::outputs::preview::describe);
    locale.clone_from(&gathered.locale);
    let problems = gathered
        .problems
        .into_iter()
        .map(|e| Problem { id: Some(rec.id.clone()), line: rec.line, kind: e.kind, message: e.to_string() })
        .collect();
    let warnings = gathered
        .warnings
        .into_iter()
        .map(|w| Warning {
            id: rec.id.clone(),
            line: rec.line,
            layer: w.path.clone(),
            message: w.to_string(),
        })
        .collect();
    (problems, warnings)
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
            ProblemKind::MissingMessage,
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
