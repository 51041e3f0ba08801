//! Records: one customer's billing data.
//!
//! In: a JSON Lines or CSV file. Out: [`Record`]s (a `serde_json::Value` tree and its id),
//! streamed one at a time so a billing run of millions of lines is never held in memory.
//! CSV headers with dots (`customer.first_name`) build nested objects, and a cell holding a
//! JSON array or object (`[120, 98, 87]`) becomes that value.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use thiserror::Error;

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
}

impl RecordError {
    /// The input line the error is about (0 when it is about the whole file).
    pub fn line(&self) -> usize {
        match self {
            RecordError::Malformed { line, .. } | RecordError::NoId { line, .. } => *line,
            _ => 0,
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
pub struct Records {
    path: PathBuf,
    id_field: String,
    inner: Inner,
}

enum Inner {
    Json { lines: std::io::Lines<BufReader<File>>, line: usize },
    Csv { reader: csv::Reader<File>, headers: Vec<Vec<String>>, row: usize },
}

impl Records {
    pub fn open(path: &Path, id_field: &str) -> Result<Records, RecordError> {
        let open_err =
            |e: &dyn std::fmt::Display| RecordError::Open { path: path.into(), reason: e.to_string() };
        let file = File::open(path).map_err(|e| open_err(&e))?;
        let inner = match Format::for_path(path) {
            Format::JsonLines => Inner::Json { lines: BufReader::new(file).lines(), line: 0 },
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(file);
                let headers = reader
                    .headers()
                    .map_err(|e| open_err(&e))?
                    .iter()
                    .map(|h| h.trim().split('.').map(str::to_string).collect())
                    .collect();
                Inner::Csv { reader, headers, row: 1 }
            }
        };
        Ok(Records { path: path.into(), id_field: id_field.into(), inner })
    }

    fn malformed(&self, line: usize, message: String) -> RecordError {
        RecordError::Malformed { path: self.path.clone(), line, message }
    }

    fn finish(&self, line: usize, data: Value) -> Result<Record, RecordError> {
        if !data.is_object() {
            return Err(self.malformed(line, "a record must be a JSON object".into()));
        }
        let id = match lookup(&data, &self.id_field) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                return Err(RecordError::NoId { path: self.path.clone(), line, field: self.id_field.clone() })
            }
        };
        Ok(Record { id, data, line })
    }
}

impl Iterator for Records {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match &mut self.inner {
                Inner::Json { lines, line } => {
                    *line += 1;
                    let n = *line;
                    let text = match lines.next()? {
                        Ok(t) => t,
                        Err(e) => return Some(Err(self.malformed(n, format!("unreadable line: {e}")))),
                    };
                    // Spreadsheet exports often start with a byte-order mark.
                    let text = if n == 1 {
                        text.strip_prefix('\u{feff}').unwrap_or(&text).to_string()
                    } else {
                        text
                    };
                    if text.trim().is_empty() {
                        continue;
                    }
                    return Some(match serde_json::from_str::<Value>(&text) {
                        Ok(v) => self.finish(n, v),
                        Err(e) => Err(self.malformed(n, format!("invalid JSON: {e}"))),
                    });
                }
                Inner::Csv { reader, headers, row } => {
                    let mut rec = csv::StringRecord::new();
                    *row += 1;
                    let n = *row;
                    match reader.read_record(&mut rec) {
                        Ok(false) => return None,
                        Ok(true) => {}
                        Err(e) => return Some(Err(self.malformed(n, format!("invalid CSV row: {e}")))),
                    }
                    let mut obj = Value::Object(Map::new());
                    let mut problem = None;
                    for (keys, cell) in headers.iter().zip(rec.iter()) {
                        if cell.is_empty() {
                            continue; // an empty cell is an absent field, so bindings report it
                        }
                        if let Err(m) = insert_path(&mut obj, keys, csv_cell(cell)) {
                            problem = Some(m);
                        }
                    }
                    return Some(match problem {
                        Some(m) => Err(self.malformed(n, m)),
                        None => self.finish(n, obj),
                    });
                }
            }
        }
    }
}

/// Finds the record whose id field equals `id`, reading no further than it.
pub fn find(path: &Path, id: &str, id_field: &str) -> Result<Record, RecordError> {
    for item in Records::open(path, id_field)? {
        match item {
            Ok(rec) if rec.id == id => return Ok(rec),
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

/// A CSV cell's value: JSON arrays and objects, numbers in canonical form and booleans are
/// typed; everything else (including `007`, which would lose its zeros) stays a string.
fn csv_cell(cell: &str) -> Value {
    let t = cell.trim();
    if t.starts_with('[') || t.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            return v;
        }
    }
    match t {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if !leading_zero && digits.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        if let Ok(v) = serde_json::from_str::<serde_json::Number>(t) {
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
        let p = std::env::temp_dir().join(format!("billreel-rec-{}-{name}", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_headers_nest_and_cells_are_typed() {
        let p = temp("a.csv", "id,customer.first_name,customer.zip,bill.total,usage.kwh,bill.overdue\nC1,Zoë,0123,12.5,\"[1, 2, 3]\",true\nC2,Ann,,7,[],false\n");
        let recs: Vec<Record> = Records::open(&p, "id").unwrap().map(Result::unwrap).collect();
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
        let items: Vec<_> = Records::open(&p, "id").unwrap().collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_ref().unwrap().id, "A");
        assert!(items[1].as_ref().unwrap_err().to_string().contains(":3: invalid JSON"));
        assert!(items[2].as_ref().unwrap_err().to_string().contains(":4: the record has no `id`"));
        assert_eq!(items[3].as_ref().unwrap().id, "7");
        assert!(find(&p, "Z", "id").unwrap_err().to_string().contains("no record with id = `Z`"));
    }
}
