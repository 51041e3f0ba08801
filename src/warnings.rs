//! Warnings repeated within one record: the first is logged, the rest are counted, and the
//! count is logged once when the record ends. A condition met on every frame (a library's
//! warning from inside the frame loop, an FFmpeg line per picture) then costs one line and a
//! count per record, not hundreds.
//!
//! Two parts: [`per_record`] marks the record the current thread works on (a guard; `batch`
//! and `render` hold one per record), and [`OncePerRecord`] is the `tracing` filter the binary
//! puts in front of its log output, which lets through the first sighting of each warning
//! (same target, same fields, same message) and counts the others. Events outside a record
//! (or below WARN) pass untouched; so do warnings logged by another thread than the record's.

use std::cell::RefCell;
use std::fmt::Write as _;

use indexmap::IndexMap;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Filter};

thread_local! {
    static RECORD: RefCell<Option<Record>> = const { RefCell::new(None) };
}

/// The warnings seen so far in the record the thread works on, in the order first seen.
struct Record {
    id: String,
    seen: IndexMap<String, Seen>,
}

struct Seen {
    target: String,
    message: String,
    /// The event's other fields, written out.
    fields: String,
    count: u64,
}

/// Marks the current thread as working on record `id` until the guard is dropped; then each
/// warning that was repeated is logged once more with how many times it was left out.
#[must_use = "the record's warnings are counted while the guard lives"]
pub fn per_record(id: &str) -> RecordWarnings {
    let outer = RECORD.with(|r| r.replace(Some(Record { id: id.to_owned(), seen: IndexMap::new() })));
    RecordWarnings { outer }
}

/// See [`per_record`].
pub struct RecordWarnings {
    /// A record this one is nested in (none in practice), restored at the end.
    outer: Option<Record>,
}

impl Drop for RecordWarnings {
    fn drop(&mut self) {
        let outer = self.outer.take();
        let Some(done) = RECORD.with(|r| r.replace(outer)) else { return };
        for seen in done.seen.values().filter(|s| s.count > 1) {
            tracing::warn!(
                record = %done.id,
                source = %seen.target,
                fields = %seen.fields,
                repeated = seen.count - 1,
                "{} (repeated {} more times in this record, not logged again)",
                seen.message,
                seen.count - 1
            );
        }
    }
}

/// The filter that logs a warning once per record (see the module's header).
#[derive(Debug, Clone, Copy, Default)]
pub struct OncePerRecord;

impl<S: Subscriber> Filter<S> for OncePerRecord {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        // Levels order by verbosity: WARN and ERROR are the ones at or below WARN.
        if *event.metadata().level() > Level::WARN {
            return true;
        }
        RECORD.with(|r| {
            let mut r = r.borrow_mut();
            let Some(record) = r.as_mut() else { return true };
            let mut fields = Fields::default();
            event.record(&mut fields);
            let target = event.metadata().target();
            let key = format!("{target}|{}|{}", fields.message, fields.others);
            let seen = record.seen.entry(key).or_insert_with(|| Seen {
                target: target.to_owned(),
                message: fields.message,
                fields: fields.others.trim_end().to_owned(),
                count: 0,
            });
            seen.count += 1;
            seen.count == 1
        })
    }
}

/// An event's message and its other fields, written out.
#[derive(Default)]
struct Fields {
    message: String,
    others: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.others, "{}={value:?} ", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::prelude::*;

    use super::*;

    /// Log lines written by a subscriber with the filter, while `f` runs.
    fn logged(f: impl FnOnce()) -> String {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        let layer = tracing_subscriber::fmt::layer()
            .without_time()
            .with_ansi(false)
            .with_writer(move || Writer(sink.clone()))
            .with_filter(OncePerRecord);
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_warning_repeated_in_a_record_is_logged_once_with_a_count() {
        let out = logged(|| {
            for record in ["A", "B"] {
                let _w = per_record(record);
                for frame in 0..50 {
                    tracing::warn!("a path covers no area");
                    if frame % 10 == 0 {
                        tracing::warn!(layer = "donut", "a slice is empty");
                    }
                    tracing::info!(frame, "not a warning: never counted");
                }
                tracing::warn!(layer = "bars", "a slice is empty");
            }
            // Outside a record: every line.
            tracing::warn!("outside");
            tracing::warn!("outside");
        });
        let lines: Vec<&str> = out.lines().collect();
        let count = |s: &str| lines.iter().filter(|l| l.contains(s)).count();
        // Each record: the first sighting of each warning, then one count for each repeated one.
        assert_eq!(count("a path covers no area"), 4, "{out}");
        assert_eq!(count("a path covers no area (repeated 49 more times in this record"), 2, "{out}");
        assert_eq!(count("record=A"), 2, "{out}");
        // Other fields make another warning (the count line repeats them); one seen once gets
        // no count line.
        assert_eq!(count("layer=\"donut\""), 4, "{out}");
        assert_eq!(count("a slice is empty (repeated 4 more times"), 2, "{out}");
        assert_eq!(count("layer=\"bars\""), 2, "{out}");
        assert_eq!(count("not a warning"), 100, "{out}");
        assert_eq!(count("outside"), 2, "{out}");
    }
}
