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
        let d = self.at(path, false, message.into(), hint);
        self.found.push(d);
    }

    /// A problem with the key at `path` (an unknown key, say).
    pub fn key_error(&mut self, path: &str, message: impl Into<String>, hint: Option<String>) {
        let d = self.at(path, true, message.into(), hint);
        self.found.push(d);
    }

    /// A problem located in the file that wrote `path`: the storyboard, or a part it includes
    /// (then the message says which file included the part, and where).
    fn at(&self, path: &str, key: bool, message: String, hint: Option<String>) -> Diagnostic {
        let located = self.spans.locate(path, key);
        let (file, message) = match located.and_then(|l| l.part) {
            Some(part) => (part.shown.clone(), format!("{message} ({})", part.included_by)),
            None => (self.file.to_path_buf(), message),
        };
        Diagnostic { file, pos: located.map(|l| l.pos), path: path.to_string(), message, hint }
    }

    /// Deserialises `value` (found at `base`) into `T`, reporting every failure at its precise
    /// field. serde stops at the first problem, so the key at fault is taken out and the rest
    /// read again, until it reads or nothing more can be taken out: one pass reports every
    /// unknown key and every wrong value of the part. Unknown keys get the list of the keys
    /// their mapping accepts and a "did you mean". The part read without its faulty keys comes
    /// back (None only when it cannot be read at all), so what it holds is checked too.
    pub fn deserialize<T: DeserializeOwned>(
        &mut self,
        base: &str,
        value: Value,
        what: &str,
        extra_keys: &[&str],
    ) -> Option<T> {
        let mut value = value;
        // Keys taken out because their value was wrong: a later "missing" about one of them is
        // the same problem, already reported.
        let mut taken: Vec<String> = Vec::new();
        // Each round takes one key out, so this ends; the bound keeps a hostile part cheap.
        for _ in 0..MAX_ROUNDS {
            let err = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
                // What is left once the keys at fault are out: the caller keeps it so that the
                // rest (its layers, their templates) is still checked in this pass; the problems
                // reported here keep the storyboard from ever being used.
                Ok(v) => return Some(v),
                Err(err) => err,
            };
            let mut path = base.to_string();
            let mut segs: Vec<Seg> = Vec::new();
            for seg in err.path().iter() {
                use serde_path_to_error::Segment;
                match seg {
                    Segment::Seq { index } => {
                        path = spans::join_index(&path, *index);
                        segs.push(Seg::Index(*index));
                    }
                    Segment::Map { key } | Segment::Enum { variant: key } => {
                        path = spans::join_key(&path, key);
                        segs.push(Seg::Key(key.clone()));
                    }
                    Segment::Unknown => {}
                }
            }
            let inner = err.into_inner().to_string();
            if let Some(field) = quoted_after(&inner, "missing field `") {
                if !taken.contains(&spans::join_key(&path, field)) {
                    self.error(
                        &path,
                        format!("{} is missing the required key `{field}`", section(base, &path, what)),
                        None,
                    );
                }
                // A nested mapping that lacks a key goes out whole, so the rest is read on.
                match take_out_key(&mut value, &segs) {
                    Some(key_path) => taken.push(spans::join_key(base, &key_path)),
                    None => return None,
                }
                continue;
            }
            if let Some(field) = quoted_after(&inner, "unknown field `") {
                // A typo of a required key (`colr` for `color`) is one problem, not two.
                if let Some(guess) = self.report_unknown(base, &path, field, &inner, what, extra_keys) {
                    taken.push(guess);
                }
                if !take_out_unknown(&mut value, &segs, field) {
                    return None;
                }
                continue;
            }
            self.report_serde(&path, &inner);
            match take_out_key(&mut value, &segs) {
                Some(key_path) => taken.push(spans::join_key(base, &key_path)),
                None => return None,
            }
        }
        None
    }

    /// Reports an unknown key; the path of the key it is likely a typo of, if any.
    fn report_unknown(
        &mut self,
        base: &str,
        path: &str,
        field: &str,
        message: &str,
        what: &str,
        extra_keys: &[&str],
    ) -> Option<String> {
        let key_path = if path.ends_with(&format!(".{field}")) || path == field {
            path.to_string()
        } else {
            spans::join_key(path, field)
        };
        let parent = key_path.strip_suffix(field).unwrap_or("").trim_end_matches('.');
        // The keys the part's own reader takes out before serde sees it (`scenes`, `layers`)
        // belong to the part itself, not to a mapping nested in it.
        let nested = parent != base;
        let mut expected: BTreeSet<String> = message
            .split("expected ")
            .nth(1)
            .map(|s| {
                s.split('`').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, k)| k.to_string()).collect()
            })
            .unwrap_or_default();
        if !nested {
            expected.extend(extra_keys.iter().map(|s| s.to_string()));
        }
        let guess = closest(field, expected.iter().map(String::as_str));
        let list = expected.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        let place = section(base, parent, what);
        let accepts = if list.is_empty() {
            format!("{place} takes no keys")
        } else {
            format!("{place} accepts: {list}")
        };
        let mut hint = match guess {
            Some(g) => format!("did you mean `{g}`? {accepts}"),
            None => accepts,
        };
        if key_path == field {
            hint.push_str("; a top-level key of your own (a home for anchors) starts with `x-`");
        }
        self.key_error(&key_path, format!("unknown key `{field}` in {place}"), Some(hint));
        guess.map(|g| spans::join_key(parent, g))
    }

    fn report_serde(&mut self, path: &str, message: &str) {
        if let Some(got) = quoted_after(message, "unknown variant `") {
            let expected = message.split("expected ").nth(1).unwrap_or("").to_string();
            self.error(path, format!("`{got}` is not allowed here"), Some(format!("expected {expected}")));
        } else if let Some((got, wants)) = plain_type_error(message) {
            let key = path.rsplit(['.', '[']).next().unwrap_or(path).trim_end_matches(']');
            let name = if key.chars().all(|c| c.is_ascii_digit()) {
                "this item".to_string()
            } else {
                format!("`{key}`")
            };
            self.error(path, format!("{name} must be {wants}, but is {got}"), None);
        } else {
            self.error(path, message.to_string(), None);
        }
    }
}

/// At most this many problems are reported for one part (a scene's keys, a layer's).
const MAX_ROUNDS: usize = 64;

/// One step of the path serde reported.
enum Seg {
    Key(String),
    Index(usize),
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix).map(|rest| rest.split('`').next().unwrap_or(""))
}

/// How a message names the mapping at `parent`: `what` for the part itself (`a text layer`),
/// else the mapping's own key (`` `outline` ``), or the list it is an item of.
fn section(base: &str, parent: &str, what: &str) -> String {
    if parent == base || parent.is_empty() {
        return what.to_string();
    }
    match parent.rsplit_once('.').map_or(parent, |(_, last)| last) {
        last if last.ends_with(']') => format!("an item of `{}`", last.split('[').next().unwrap_or(last)),
        last => format!("`{last}`"),
    }
}

/// The mapping `segs` leads to (as far as the value goes).
fn walk<'v>(value: &'v mut Value, segs: &[Seg]) -> Option<&'v mut Value> {
    let mut v = value;
    for seg in segs {
        v = match (seg, v) {
            (Seg::Key(k), Value::Mapping(m)) => m.get_mut(k.as_str())?,
            (Seg::Index(i), Value::Sequence(s)) => s.get_mut(*i)?,
            (_, Value::Tagged(t)) => return walk(&mut t.value, std::slice::from_ref(seg)),
            _ => return None,
        };
    }
    Some(v)
}

/// Takes the unknown key `field` out of the mapping `segs` leads to (or whose last step it is).
fn take_out_unknown(value: &mut Value, segs: &[Seg], field: &str) -> bool {
    let at = match segs.last() {
        Some(Seg::Key(k)) if k == field => &segs[..segs.len() - 1],
        _ => segs,
    };
    match walk(value, at) {
        Some(Value::Mapping(m)) => m.remove(field).is_some(),
        _ => false,
    }
}

/// Takes out the innermost mapping key on the path to a wrong value (a wrong item of a list
/// takes the list's key with it: removing the item would renumber the others); the key's path
/// relative to the part, or None when there is no key to take.
fn take_out_key(value: &mut Value, segs: &[Seg]) -> Option<String> {
    let last_key = segs.iter().rposition(|s| matches!(s, Seg::Key(_)))?;
    let Seg::Key(key) = &segs[last_key] else { return None };
    let Some(Value::Mapping(m)) = walk(value, &segs[..last_key]) else { return None };
    m.remove(key.as_str())?;
    let mut path = String::new();
    for s in &segs[..=last_key] {
        path = match s {
            Seg::Key(k) => spans::join_key(&path, k),
            Seg::Index(i) => spans::join_index(&path, *i),
        };
    }
    Some(path)
}

/// serde's `invalid type: string "big", expected f32` in words: what was found and what the
/// key wants (`a number like 12.5`).
fn plain_type_error(message: &str) -> Option<(String, String)> {
    let rest = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "))?;
    let (got, expected) = rest.split_once(", expected ")?;
    let got = match got {
        "map" => "a mapping".to_string(),
        "sequence" => "a list".to_string(),
        "unit value" => "nothing (null)".to_string(),
        g => {
            let (kind, v) = g.split_once(' ').unwrap_or((g, ""));
            let v = v.trim_matches('`');
            match kind {
                "string" => format!("the string {v}"),
                "integer" | "floating" => {
                    format!("the number {}", v.trim_start_matches("point ").trim_matches('`'))
                }
                "boolean" => format!("the boolean {v}"),
                _ => g.to_string(),
            }
        }
    };
    let wants = match expected.trim() {
        "f32" | "f64" => "a number like 12.5".to_string(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number of 0 or more, like 12".to_string(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number like 12 or -3".to_string(),
        "a boolean" => "`true` or `false`".to_string(),
        "a string" | "a borrowed string" => "text".to_string(),
        "a sequence" => "a list (`[a, b]` or lines starting with `- `)".to_string(),
        "a map" => "a mapping (`{ key: value }` or indented `key: value` lines)".to_string(),
        other => other.to_string(),
    };
    Some((got, wants))
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
