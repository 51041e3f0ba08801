//! Diagnostics: every problem of a storyboard, located by file, line and column.
//!
//! A [`Reporter`] collects the problems of one pass (parse, validate, compile) and locates
//! each by its document path (`scenes[2].layers[0].duration`) through the [`SpanMap`], so one
//! run reports every problem, each with what was expected and a hint.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::spans::{self, Pos, SpanMap};

/// One problem in a storyboard, located in its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Option<Pos>,
    /// Where in the document: `scenes[2].layers[0].duration`.
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.pos {
            Some(p) => write!(f, "{}:{}:{}: {}", self.file.display(), p.line, p.column, self.message)?,
            None => write!(f, "{}: {}", self.file.display(), self.message)?,
        }
        if !self.path.is_empty() {
            write!(f, "\n    at {}", self.path)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n    hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found in one pass over a storyboard.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {d}")?;
        }
        let n = self.0.len();
        write!(f, "\n{n} problem{} found", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}

/// Collects diagnostics for one file, locating each by its path.
pub struct Reporter<'a> {
    pub file: &'a Path,
    pub spans: &'a SpanMap,
    pub found: Vec<Diagnostic>,
}

impl<'a> Reporter<'a> {
    pub fn new(file: &'a Path, spans: &'a SpanMap) -> Self {
        Reporter { file, spans, found: Vec::new() }
    }

    /// A problem with the value at `path`.
    pub fn error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.found.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos: self.spans.value(path),
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// A problem with the key at `path` (an unknown key, say).
    pub fn key_error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        self.found.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos: self.spans.key(path),
            path: path.to_string(),
            message: message.into(),
            hint,
        });
    }

    /// Deserialises `value` (found at `base`) into `T`, reporting a failure at the precise
    /// field. Unknown keys get the list of allowed keys and a "did you mean".
    pub fn deserialize<T: DeserializeOwned>(
        &mut self,
        base: &str,
        value: Value,
        what: &str,
        extra_keys: &[&str],
    ) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(err) => {
                let mut path = base.to_string();
                for seg in err.path().iter() {
                    use serde_path_to_error::Segment;
                    match seg {
                        Segment::Seq { index } => path = spans::join_index(&path, *index),
                        Segment::Map { key } => path = spans::join_key(&path, key),
                        Segment::Enum { variant } => path = spans::join_key(&path, variant),
                        Segment::Unknown => {}
                    }
                }
                let inner = err.into_inner().to_string();
                self.report_serde(&path, &inner, what, extra_keys);
                None
            }
        }
    }

    fn report_serde(&mut self, path: &str, message: &str, what: &str, extra_keys: &[&str]) {
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let field = rest.split('`').next().unwrap_or("");
            let mut expected: Vec<String> = message
                .split("expected ")
                .nth(1)
                .map(|s| {
                    s.split('`').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, k)| k.to_string()).collect()
                })
                .unwrap_or_default();
            expected.extend(extra_keys.iter().map(|s| s.to_string()));
            let expected: BTreeSet<String> = expected.into_iter().collect();
            let guess = closest(field, expected.iter().map(String::as_str));
            let list = expected.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            let hint = match guess {
                Some(g) => format!("did you mean `{g}`? {what} accepts: {list}"),
                None => format!("{what} accepts: {list}"),
            };
            let key_path = if path.ends_with(&format!(".{field}")) || path == field {
                path.to_string()
            } else {
                spans::join_key(path, field)
            };
            // Name the mapping the key is in when it is nested inside the part being read.
            let parent = key_path.strip_suffix(field).unwrap_or("").trim_end_matches('.');
            let place = if parent.is_empty() || parent.ends_with(']') {
                what.to_string()
            } else {
                format!("`{parent}`")
            };
            self.key_error(&key_path, format!("unknown key `{field}` in {place}"), Some(hint));
        } else if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.split('`').next().unwrap_or("");
            self.error(path, format!("{what} is missing the required key `{field}`"), None);
        } else if let Some(rest) = message.strip_prefix("unknown variant `") {
            let got = rest.split('`').next().unwrap_or("");
            let expected = message.split("expected ").nth(1).unwrap_or("").to_string();
            self.error(path, format!("`{got}` is not allowed here"), Some(format!("expected {expected}")));
        } else {
            self.error(path, message.to_string(), None);
        }
    }
}

/// The candidate nearest to `word` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A YAML value in words, for messages: "the string \"4\"", "a list".
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(_) => "a tagged value".into(),
    }
}
