//! Records: one customer's billing data.
//!
//! In: a JSON Lines or CSV file. Out: [`Record`]s (a `serde_json::Value` tree and its id),
//! streamed one at a time so a billing run of millions of lines is never held in memory.
//! CSV headers with dots (`customer.first_name`) build nested objects, and a cell holding a
//! JSON array or object (`[120, 98, 87]`) becomes that value.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use thiserror::Error;

mod csv;

use csv::{CsvRows, Row};

use crate::limits::{self, Limits};

/// Longest record id, in characters: an id names output files and manifest lines.
pub const MAX_ID_CHARS: usize = 200;

/// One billing record.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: String,
    pub data: Value,
    /// 1-based line (JSONL) or row (CSV, counting the header) in the input file.
    pub line: usize,
}

#[derive(Debug, Error)]
pub enum RecordError {
    #[error("cannot open the billing data {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{path}:{line}: {message}")]
    Malformed { path: PathBuf, line: usize, message: String },
    #[error("{path}:{line}: the record has no `{field}` to identify it")]
    NoId { path: PathBuf, line: usize, field: String },
    #[error("no record with {field} = `{id}` in {path}")]
    NotFound { path: PathBuf, field: String, id: String },
    /// A record over one of the [`Limits`] (or with an unusable id): refused while reading, its
    /// id kept when it could be read so the run reports the record by name.
    #[error("{path}:{line}: {}{message}", id.as_ref().map(|i| format!("record `{i}`: ")).unwrap_or_default())]
    Refused { path: PathBuf, line: usize, id: Option<String>, message: String },
}

/// A record whose id an earlier line (`first`) already has: refused with its file, line and id,
/// so a run's manifest and `check` name it (`batch` and `check` both use this).
pub fn duplicate_id(path: &Path, rec: Record, first: usize) -> RecordError {
    RecordError::Refused {
        path: path.to_path_buf(),
        line: rec.line,
        id: Some(rec.id),
        message: format!(
            "this id is already used on line {first}; each record needs its own id, so this one is not rendered"
        ),
    }
}

impl RecordError {
    /// The input line the error is about (0 when it is about the whole file).
    pub fn line(&self) -> usize {
        match self {
            RecordError::Malformed { line, .. }
            | RecordError::NoId { line, .. }
            | RecordError::Refused { line, .. } => *line,
            _ => 0,
        }
    }

    /// The id of the record the error is about, when it could be read.
    pub fn id(&self) -> Option<&str> {
        match self {
            RecordError::Refused { id, .. } => id.as_deref(),
            _ => None,
        }
    }
}

/// The input formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    pub fn for_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Format::Csv,
            _ => Format::JsonLines,
        }
    }
}

/// Streams the records of a file, in file order. Each item is one record or the reason one
/// line could not be read; a bad line does not end the stream.
///
/// Reading is bounded by [`Limits`]: a JSON line or CSV row longer than `record_bytes` is
/// skipped to its end without being held (it fails alone, named by its line and, when it comes
/// before the excess, its id); a value longer than `field_bytes` or a list longer than
/// `list_items` fails its record, naming the field.
pub struct Records {
    ctx: Ctx,
    inner: Inner,
}

/// What every record of a file is read with: its path, the id field and the limits.
struct Ctx {
    path: PathBuf,
    id_field: String,
    limits: Limits,
}

enum Inner {
    Json { input: BufReader<File>, buf: Vec<u8>, line: usize },
    Csv { rows: Box<CsvRows>, headers: Vec<Vec<String>>, row: usize },
}

impl Records {
    /// Opens `path` (CSV when it ends in `.csv`, else JSON Lines) under `limits`.
    /// The file the records come from, for messages.
    pub fn path(&self) -> &Path {
        &self.ctx.path
    }

    pub fn open(path: &Path, id_field: &str, limits: &Limits) -> Result<Records, RecordError> {
        let open_err =
            |e: &dyn std::fmt::Display| RecordError::Open { path: path.into(), reason: e.to_string() };
        let file = File::open(path).map_err(|e| open_err(&e))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(open_err(&"it is a folder"));
        }
        let input = BufReader::with_capacity(64 * 1024, file);
        let inner = match Format::for_path(path) {
            Format::JsonLines => Inner::Json { input, buf: Vec::new(), line: 0 },
            Format::Csv => {
                let mut rows = CsvRows::new(input, limits.record_bytes);
                let headers = match rows.next_row().map_err(|e| open_err(&e))? {
                    Row::Cells(cells) => {
                        cells.iter().map(|h| h.trim().split('.').map(str::to_string).collect()).collect()
                    }
                    Row::End => Vec::new(),
                    Row::TooLong { bytes, .. } => {
                        return Err(open_err(&format!(
                            "the header row is {bytes} bytes; the limit is {} (--limit record-bytes)",
                            limits::bytes(limits.record_bytes)
                        )))
                    }
                    Row::NotUtf8 { .. } => return Err(open_err(&"the header row is not UTF-8 text")),
                };
                Inner::Csv { rows: Box::new(rows), headers, row: 1 }
            }
        };
        Ok(Records { ctx: Ctx { path: path.into(), id_field: id_field.into(), limits: *limits }, inner })
    }
}

impl Ctx {
    fn malformed(&self, line: usize, message: String) -> RecordError {
        RecordError::Malformed { path: self.path.clone(), line, message }
    }

    fn refused(&self, line: usize, id: Option<String>, message: String) -> RecordError {
        RecordError::Refused { path: self.path.clone(), line, id, message }
    }

    /// The record's id, checked: a string or number, at most [`MAX_ID_CHARS`] characters and
    /// no control characters (an id names files and manifest lines, and is printed).
    fn id_of(&self, line: usize, id: Option<&Value>) -> Result<String, RecordError> {
        let field = &self.id_field;
        match id {
            Some(Value::String(s)) if !s.is_empty() => {
                let chars = s.chars().count();
                if chars > MAX_ID_CHARS {
                    return Err(self.refused(
                        line,
                        None,
                        format!(
                            "the id `{field}` is a string of {} characters; an id has at most {MAX_ID_CHARS}",
                            limits::grouped(chars as u64)
                        ),
                    ));
                }
                if s.chars().any(char::is_control) {
                    return Err(self.refused(
                        line,
                        None,
                        format!("the id `{field}` contains control characters (a line break, a tab, NUL, ...); an id names files and manifest lines, so it must be printable"),
                    ));
                }
                Ok(s.clone())
            }
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(RecordError::NoId { path: self.path.clone(), line, field: field.clone() }),
        }
    }

    fn finish(&self, line: usize, data: Value) -> Result<Record, RecordError> {
        if !data.is_object() {
            return Err(self.malformed(line, "a record must be a JSON object".into()));
        }
        let id = self.id_of(line, lookup(&data, &self.id_field))?;
        if let Err(message) = within_limits(&data, &mut String::new(), &self.limits) {
            return Err(self.refused(line, Some(id), message));
        }
        Ok(Record { id, data, line })
    }

    /// The id of a record that fails whole, when it could be read and is usable.
    fn probe_id(&self, line: usize, found: Option<Value>) -> Option<String> {
        self.id_of(line, Some(&found?)).ok()
    }
}

impl Records {
    fn next_json(&mut self) -> Option<Result<Record, RecordError>> {
        let Records { ctx, inner } = self;
        let max = ctx.limits.record_bytes;
        let Inner::Json { input, buf, line } = inner else { unreachable!("JSON reader") };
        loop {
            *line += 1;
            let n = *line;
            let read = match read_line_bounded(input, buf, max) {
                Ok(None) => return None,
                Ok(Some(total)) => total,
                Err(e) => return Some(Err(ctx.malformed(n, format!("unreadable line: {e}")))),
            };
            // Spreadsheet exports often start with a byte-order mark.
            let text: &[u8] = if n == 1 { buf.strip_prefix(b"\xef\xbb\xbf").unwrap_or(buf) } else { buf };
            if read > max {
                let found = probe_json_id(text, &ctx.id_field);
                let id = ctx.probe_id(n, found);
                return Some(Err(ctx.refused(
                    n,
                    id,
                    format!(
                        "the line is {} bytes; a record may have at most {} (raise it with --limit record-bytes=SIZE); the line was skipped unread",
                        limits::grouped(read),
                        limits::bytes(max)
                    ),
                )));
            }
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(match serde_json::from_slice::<Value>(text) {
                Ok(v) => ctx.finish(n, v),
                // When the id comes before the fault (a number out of range, a missing quote
                // further on), the record is named by it.
                Err(e) => match ctx.probe_id(n, probe_json_id(text, &ctx.id_field)) {
                    Some(id) => Err(ctx.refused(n, Some(id), format!("invalid JSON: {e}"))),
                    None => Err(ctx.malformed(n, format!("invalid JSON: {e}"))),
                },
            });
        }
    }

    fn next_csv(&mut self) -> Option<Result<Record, RecordError>> {
        let Records { ctx, inner } = self;
        let Inner::Csv { rows, headers, row } = inner else { unreachable!("CSV reader") };
        *row += 1;
        let n = *row;
        let columns = headers.len();
        let name = |i: usize| headers.get(i).map(|k| k.join(".")).unwrap_or_else(|| format!("#{}", i + 1));
        let id_column = headers.iter().position(|k| k.join(".") == ctx.id_field);
        let (cells, problem) = match rows.next_row() {
            Err(e) => return Some(Err(ctx.malformed(n, format!("unreadable row: {e}")))),
            Ok(Row::End) => return None,
            Ok(Row::Cells(cells)) => (cells, None),
            Ok(Row::TooLong { bytes, kept }) => {
                let field = name(kept.len());
                let id = id_column.and_then(|i| kept.get(i)).and_then(|c| ctx.probe_id(n, Some(csv_cell(c))));
                let message = format!(
                    "the row is {} bytes (column `{field}` is where it passed the limit); a record may have at most {} (raise it with --limit record-bytes=SIZE); the row was skipped unread",
                    limits::grouped(bytes),
                    limits::bytes(ctx.limits.record_bytes)
                );
                return Some(Err(ctx.refused(n, id, message)));
            }
            Ok(Row::NotUtf8 { column }) => {
                (Vec::new(), Some(format!("column `{}` is not UTF-8 text", name(column))))
            }
        };
        if let Some(m) = problem {
            return Some(Err(ctx.malformed(n, m)));
        }
        if cells.len() != columns {
            return Some(Err(ctx.malformed(
                n,
                format!("invalid CSV row: it has {} cells but the header has {columns} columns", cells.len()),
            )));
        }
        let id = id_column.and_then(|i| ctx.probe_id(n, Some(csv_cell(&cells[i]))));
        let mut obj = Value::Object(Map::new());
        for (i, (keys, cell)) in headers.iter().zip(&cells).enumerate() {
            if cell.is_empty() {
                continue; // an empty cell is an absent field, so bindings report it
            }
            if cell.len() as u64 > ctx.limits.field_bytes {
                let message = format!(
                    "column `{}` holds a value of {} bytes; a value may have at most {} (raise it with --limit field-bytes=SIZE)",
                    name(i),
                    limits::grouped(cell.len() as u64),
                    limits::bytes(ctx.limits.field_bytes)
                );
                return Some(Err(ctx.refused(n, id, message)));
            }
            if let Err(m) = insert_path(&mut obj, keys, csv_cell(cell)) {
                return Some(Err(ctx.malformed(n, m)));
            }
        }
        Some(ctx.finish(n, obj))
    }
}

impl Iterator for Records {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner {
            Inner::Json { .. } => self.next_json(),
            Inner::Csv { .. } => self.next_csv(),
        }
    }
}

/// Reads one line (without its `\n`) into `buf`, keeping at most `max + 1` bytes of it: the
/// rest of a longer line is read and dropped. Returns the line's whole length, or `None` at the
/// end of the input.
fn read_line_bounded(input: &mut impl BufRead, buf: &mut Vec<u8>, max: u64) -> std::io::Result<Option<u64>> {
    buf.clear();
    let keep = usize::try_from(max).unwrap_or(usize::MAX).saturating_add(1);
    let mut total: u64 = 0;
    let mut any = false;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (part, used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        let room = keep.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        total += part.len() as u64;
        input.consume(used);
        if done {
            return Ok(Some(total));
        }
    }
}

/// Checks a parsed record's values against the limits: every string within `field_bytes`,
/// every list within `list_items`. The error names the field (`usage.kwh[3]`), never the value.
fn within_limits(v: &Value, path: &mut String, limits: &Limits) -> Result<(), String> {
    let shown = |p: &str| if p.is_empty() { "the record".to_string() } else { format!("field `{p}`") };
    match v {
        Value::String(s) if s.len() as u64 > limits.field_bytes => Err(format!(
            "{} is a string of {} bytes; a value may have at most {} (raise it with --limit field-bytes=SIZE)",
            shown(path),
            limits::grouped(s.len() as u64),
            limits::bytes(limits.field_bytes)
        )),
        Value::Array(items) => {
            if items.len() > limits.list_items {
                return Err(format!(
                    "{} is a list of {} items; a list may have at most {} (raise it with --limit list-items=N)",
                    shown(path),
                    limits::grouped(items.len() as u64),
                    limits::grouped(limits.list_items as u64)
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                within_limits(item, path, limits)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                within_limits(item, path, limits)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Reads the id field out of the start of a JSON object cut short: the top-level entries are
/// visited in order until the text ends; the first part of a dotted `id_field` is kept when its
/// value was complete, and looked up further by the caller.
fn probe_json_id(text: &[u8], id_field: &str) -> Option<Value> {
    let (first, rest) = match id_field.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (id_field, None),
    };
    struct Probe<'a> {
        key: &'a str,
        found: &'a mut Option<Value>,
    }
    impl<'de> DeserializeSeed<'de> for Probe<'_> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Probe<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if k == self.key && self.found.is_none() {
                    *self.found = Some(map.next_value::<Value>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(text);
    let _ = Probe { key: first, found: &mut found }.deserialize(&mut de);
    let value = found?;
    match rest {
        None => Some(value),
        Some(r) => lookup(&value, r).cloned(),
    }
}

/// Finds the record whose id field equals `id`, reading no further than it, under the default
/// [`Limits`] (see [`find_with`]).
pub fn find(path: &Path, id: &str, id_field: &str) -> Result<Record, RecordError> {
    find_with(path, id, id_field, &Limits::default())
}

/// Finds the record whose id field equals `id` under `limits`, reading no further than it.
/// When that record is refused (over a limit), the refusal is the answer.
pub fn find_with(path: &Path, id: &str, id_field: &str, limits: &Limits) -> Result<Record, RecordError> {
    for item in Records::open(path, id_field, limits)? {
        match item {
            Ok(rec) if rec.id == id => return Ok(rec),
            Err(e) if e.id() == Some(id) => return Err(e),
            // Lines that cannot be read are skipped here: they are not the record asked for,
            // and `check` reports them.
            _ => {}
        }
    }
    Err(RecordError::NotFound { path: path.into(), field: id_field.into(), id: id.into() })
}

/// Follows a dotted path (`customer.id`) into a JSON tree.
pub fn lookup<'a>(v: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted.split('.').try_fold(v, |v, k| v.get(k))
}

/// A CSV cell's value. Typed only when the cell is exactly that value: a JSON array or object
/// (`[120, 98, 87]`), `true`, `false`, or a number in canonical form (`-12.5`, `3e2`; finite:
/// `1e999` does not fit a number). Everything else stays the string it is, untrimmed: ` 42 `,
/// `007` (which would lose its zeros), `NaN`, `inf`; a storyboard that compares one with a
/// number gets an error naming the field, not a guess.
fn csv_cell(cell: &str) -> Value {
    if cell.starts_with('[') || cell.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<Value>(cell) {
            if v.is_array() || v.is_object() {
                return v;
            }
        }
    }
    match cell {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    let canonical = digits.chars().next().is_some_and(|c| c.is_ascii_digit())
        && digits.chars().last().is_some_and(|c| c.is_ascii_digit());
    if !leading_zero && canonical {
        if let Ok(v) = serde_json::from_str::<serde_json::Number>(cell) {
            return Value::Number(v);
        }
    }
    Value::String(cell.to_string())
}

fn insert_path(obj: &mut Value, keys: &[String], value: Value) -> Result<(), String> {
    let mut cur = obj;
    for (i, k) in keys.iter().enumerate() {
        let map = cur.as_object_mut().ok_or_else(|| {
            format!("column `{}` nests under a field that already holds a value", keys.join("."))
        })?;
        if i + 1 == keys.len() {
            map.insert(k.clone(), value);
            return Ok(());
        }
        cur = map.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn temp(name: &str, text: &str) -> PathBuf {
        // Under target/, overwritten by the next run: a temporary folder per process left one
        // set of files behind in /tmp for every run of the tests.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-record");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_headers_nest_and_cells_are_typed() {
        let p = temp("a.csv", "id,customer.first_name,customer.zip,bill.total,usage.kwh,bill.overdue\nC1,Zoë,0123,12.5,\"[1, 2, 3]\",true\nC2,Ann,,7,[],false\n");
        let recs: Vec<Record> =
            Records::open(&p, "id", &Limits::default()).unwrap().map(Result::unwrap).collect();
        assert_eq!(recs[0].id, "C1");
        assert_eq!(
            recs[0].data,
            json!({"id": "C1", "customer": {"first_name": "Zoë", "zip": "0123"}, "bill": {"total": 12.5, "overdue": true}, "usage": {"kwh": [1, 2, 3]}})
        );
        assert!(lookup(&recs[1].data, "customer.zip").is_none(), "empty cells are absent");
        assert_eq!(recs[1].line, 3);
    }

    #[test]
    fn jsonl_bad_lines_fail_alone() {
        let p = temp("b.jsonl", "{\"id\":\"A\"}\n\n{oops\n{\"name\":\"no id\"}\n{\"id\":7}\n");
        let items: Vec<_> = Records::open(&p, "id", &Limits::default()).unwrap().collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_ref().unwrap().id, "A");
        assert!(items[1].as_ref().unwrap_err().to_string().contains(":3: invalid JSON"));
        assert!(items[2].as_ref().unwrap_err().to_string().contains(":4: the record has no `id`"));
        assert_eq!(items[3].as_ref().unwrap().id, "7");
        assert!(find(&p, "Z", "id").unwrap_err().to_string().contains("no record with id = `Z`"));
    }

    fn small() -> Limits {
        Limits { field_bytes: 16, record_bytes: 200, list_items: 3, ..Limits::default() }
    }

    #[test]
    fn a_jsonl_line_over_the_record_limit_fails_alone_with_its_id() {
        let big = "x".repeat(5000);
        let text =
            format!("{{\"id\":\"A\",\"n\":\"{big}\"}}\n{{\"n\":\"{big}\",\"id\":\"B\"}}\n{{\"id\":\"C\"}}\n");
        let p = temp("long.jsonl", &text);
        let items: Vec<_> = Records::open(&p, "id", &small()).unwrap().collect();
        assert_eq!(items.len(), 3);
        let e = items[0].as_ref().unwrap_err();
        assert_eq!(e.id(), Some("A"), "the id before the excess is kept");
        let m = e.to_string();
        assert!(m.contains(":1: record `A`: the line is 5,017 bytes") && m.contains("at most 200B"), "{m}");
        assert!(m.contains("--limit record-bytes") && !m.contains("xxx"), "{m}");
        let e = items[1].as_ref().unwrap_err();
        assert_eq!((e.id(), e.line()), (None, 2), "the id after the excess is unknown: {e}");
        assert_eq!(items[2].as_ref().unwrap().id, "C", "the next line is read");
    }

    #[test]
    fn a_csv_row_over_the_record_limit_fails_alone_with_its_id() {
        let big = "y".repeat(5000);
        let text = format!("id,note,total\nA,\"{big}\",1\nB,short,2\n");
        let p = temp("long.csv", &text);
        let items: Vec<_> = Records::open(&p, "id", &small()).unwrap().collect();
        assert_eq!(items.len(), 2);
        let e = items[0].as_ref().unwrap_err();
        let m = e.to_string();
        assert_eq!(e.id(), Some("A"));
        assert!(m.contains(":2: record `A`: the row is 5,007 bytes (column `note`"), "{m}");
        assert!(!m.contains("yyy"), "{m}");
        let b = items[1].as_ref().unwrap();
        assert_eq!((b.id.as_str(), b.line), ("B", 3));
        assert_eq!(b.data, json!({"id": "B", "note": "short", "total": 2}));
    }

    #[test]
    fn fields_and_lists_over_their_limits_are_named() {
        let p = temp("f.jsonl", "{\"id\":\"A\",\"bill\":{\"number\":\"0123456789abcdefXYZ\"}}\n{\"id\":\"B\",\"usage\":{\"kwh\":[1,2,3,4]}}\n{\"id\":\"C\",\"usage\":{\"kwh\":[1,2,3]}}\n");
        let items: Vec<_> = Records::open(&p, "id", &small()).unwrap().collect();
        let m = items[0].as_ref().unwrap_err().to_string();
        assert!(
            m.contains(
                "record `A`: field `bill.number` is a string of 19 bytes; a value may have at most 16B"
            ),
            "{m}"
        );
        assert!(!m.contains("0123"), "{m}");
        let m = items[1].as_ref().unwrap_err().to_string();
        assert!(
            m.contains("record `B`: field `usage.kwh` is a list of 4 items; a list may have at most 3"),
            "{m}"
        );
        assert!(items[2].is_ok());
        let p = temp("f.csv", "id,bill.number\nA,0123456789abcdefXYZ\nB,ok\n");
        let items: Vec<_> = Records::open(&p, "id", &small()).unwrap().collect();
        let m = items[0].as_ref().unwrap_err().to_string();
        assert!(m.contains("record `A`: column `bill.number` holds a value of 19 bytes"), "{m}");
        assert!(items[1].is_ok());
    }

    #[test]
    fn ids_must_be_short_and_printable() {
        let long = "i".repeat(MAX_ID_CHARS + 1);
        let p =
            temp("ids.jsonl", &format!("{{\"id\":\"{long}\"}}\n{{\"id\":\"a\\nb\"}}\n{{\"id\":\"ok\"}}\n"));
        let items: Vec<_> = Records::open(&p, "id", &Limits::default()).unwrap().collect();
        let m = items[0].as_ref().unwrap_err().to_string();
        assert!(m.contains("the id `id` is a string of 201 characters; an id has at most 200"), "{m}");
        let m = items[1].as_ref().unwrap_err().to_string();
        assert!(m.contains("the id `id` contains control characters"), "{m}");
        assert!(!m.contains("a\nb"), "{m}");
        assert_eq!(items[2].as_ref().unwrap().id, "ok");
    }

    #[test]
    fn csv_cells_are_numbers_only_when_exactly_numbers() {
        let p = temp(
            "strict.csv",
            "id,a,b,c,d,e,f,g\nK, 42 ,1e999,NaN,inf,-3.5,1e2,\" [1]\"\n\nL,1,2,3,4,5,6,7\n",
        );
        let recs: Vec<Record> =
            Records::open(&p, "id", &Limits::default()).unwrap().map(Result::unwrap).collect();
        assert_eq!(
            recs[0].data,
            json!({"id": "K", "a": " 42 ", "b": "1e999", "c": "NaN", "d": "inf", "e": -3.5, "f": 100.0, "g": " [1]"})
        );
        assert_eq!(recs.len(), 2, "a blank line is no record");
        assert_eq!(recs[1].id, "L");
    }

    #[test]
    fn json_numbers_are_finite() {
        let p = temp("inf.jsonl", "{\"id\":\"A\",\"n\":1e400}\n{\"id\":\"B\",\"n\":NaN}\n");
        let items: Vec<_> = Records::open(&p, "id", &Limits::default()).unwrap().collect();
        let e = items[0].as_ref().unwrap_err();
        assert!(e.to_string().contains(":1: record `A`: invalid JSON: number out of range"), "{e}");
        assert_eq!(e.id(), Some("A"));
        assert!(items[1].as_ref().unwrap_err().to_string().contains("invalid JSON"));
    }
}
