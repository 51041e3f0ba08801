//! Where each value of a storyboard sits in its YAML file.
//!
//! serde_yaml gives a location only for the first error it meets, and none at all once a
//! document has become a `serde_yaml::Value`. To point every diagnostic at a line and a column
//! we walk the parser events of yaml-rust2 once and record, for each path
//! (`scenes[1].layers[0].duration`), where its value and its key start.

use std::collections::HashMap;
use std::sync::Arc;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::include::{PartFile, Parts};

/// A 1-based line and column in a storyboard file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Path -> position of the value (and of its key, for mapping entries).
#[derive(Debug, Default, Clone)]
pub struct SpanMap {
    values: HashMap<String, Pos>,
    keys: HashMap<String, Pos>,
    /// Set when the storyboard includes parts: its paths are then found through the parts
    /// (which file, which line), and `values`/`keys` are empty.
    parts: Option<Arc<Parts>>,
}

/// Where a path of the storyboard is written: a position, in the storyboard's own file or in a
/// part it includes.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    pub pos: Pos,
    /// None: the storyboard's own file.
    pub part: Option<&'a PartFile>,
}

impl SpanMap {
    /// Builds the map; a document the parser rejects yields an empty map (the syntax error
    /// itself is reported by serde_yaml, with its own location).
    pub fn build(text: &str) -> SpanMap {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        let _ = parser.load(&mut builder, false);
        builder.map
    }

    /// A map whose paths are found through the parts a storyboard includes.
    pub(super) fn through_parts(parts: Parts) -> SpanMap {
        SpanMap { parts: Some(Arc::new(parts)), ..SpanMap::default() }
    }

    /// The position of the value at `path`, or of the nearest enclosing value that has one.
    /// With parts, the position may be in a part: [`SpanMap::locate`] says which file.
    pub fn value(&self, path: &str) -> Option<Pos> {
        self.locate(path, false).map(|l| l.pos)
    }

    /// The position of the key at `path` (falls back to the value, then to parents).
    pub fn key(&self, path: &str) -> Option<Pos> {
        self.locate(path, true).map(|l| l.pos)
    }

    /// Where the value (`key: false`) or the key at `path` is written, and in which file.
    pub fn locate(&self, path: &str, key: bool) -> Option<Located<'_>> {
        match &self.parts {
            Some(parts) => parts.locate(path, key),
            None => self.own(path, key).map(|pos| Located { pos, part: None }),
        }
    }

    /// The files of the parts the storyboard includes, as read (canonical paths).
    pub fn part_files(&self) -> impl Iterator<Item = &std::path::Path> {
        self.parts.iter().flat_map(|p| p.files())
    }

    /// The position at `path` in the text this map was built from.
    pub(super) fn own(&self, path: &str, key: bool) -> Option<Pos> {
        if key {
            if let Some(pos) = self.keys.get(path) {
                return Some(*pos);
            }
        }
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.values.get(&p) {
                return Some(*pos);
            }
            p = parent(&p)?;
        }
    }
}

impl SpanMap {
    /// Makes the value at `to` (and everything under it) point where the value at `from` was
    /// written: a per-format override (`formats: { portrait: { x: 10 } }`) replaces a key, and
    /// its problems belong on the override's own line.
    pub fn overlay(&mut self, from: &str, to: &str) {
        let under = |p: &str, base: &str| {
            p.strip_prefix(base).map(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
                == Some(true)
        };
        for table in [&mut self.values, &mut self.keys] {
            table.retain(|p, _| !under(p, to));
            let copied: Vec<(String, Pos)> = table
                .iter()
                .filter(|(p, _)| under(p, from))
                .map(|(p, pos)| (format!("{to}{}", &p[from.len()..]), *pos))
                .collect();
            table.extend(copied);
        }
    }

    /// Points the value at `path` at `pos` (a key made by the storyboard's loader, such as a
    /// format's `video.width`, located where the author wrote what it came from).
    pub fn set_value(&mut self, path: &str, pos: Pos) {
        self.values.insert(path.to_string(), pos);
        self.keys.insert(path.to_string(), pos);
    }
}

/// `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> `` -> None.
pub(super) fn parent(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(path[..cut].to_string())
}

/// Joins a mapping key onto a path.
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Joins a sequence index onto a path.
pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

enum Frame {
    /// `merges`: the anchors a YAML merge key (`<<: *base`) brings into this mapping.
    Map {
        path: String,
        key: Option<String>,
        merges: Vec<usize>,
    },
    Seq {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    map: SpanMap,
    /// Anchor id -> the path of the mapping or list it names (`&base`).
    anchors: HashMap<usize, String>,
}

fn pos(mark: Marker) -> Pos {
    // yaml-rust2 counts lines from 1 and columns from 0.
    Pos { line: mark.line(), column: mark.col() + 1 }
}

impl Builder {
    /// The path of the value that starts now (in a mapping, the key has been seen already).
    fn value_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { path, key, .. }) => join_key(path, key.as_deref().unwrap_or("")),
            Some(Frame::Seq { path, index }) => join_index(path, *index),
        }
    }

    /// Called after a complete value: the enclosing container moves on.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { index, .. }) => *index += 1,
            None => {}
        }
    }

    fn start_value(&mut self, mark: Marker) -> String {
        let path = self.value_path();
        self.map.values.entry(path.clone()).or_insert(pos(mark));
        path
    }

    /// The mapping a merge key's alias is merged into: the current one when the alias is the
    /// value of `<<`, the one above when the alias is an item of `<<: [*a, *b]`.
    fn merge_target(&mut self) -> Option<&mut Vec<usize>> {
        let n = self.stack.len();
        let in_list = matches!(self.stack.last(), Some(Frame::Seq { path, .. }) if path.ends_with(".<<") || path == "<<");
        let at = if in_list { n.checked_sub(2)? } else { n.checked_sub(1)? };
        match self.stack.get_mut(at) {
            Some(Frame::Map { key: Some(k), merges, .. }) if k == "<<" => Some(merges),
            _ => None,
        }
    }

    /// A mapping ends: the keys its merge keys brought in are found where the anchor wrote
    /// them (keys written in the mapping itself win, as they do in the merged value).
    fn apply_merges(&mut self, path: &str, merges: &[usize]) {
        for id in merges {
            let Some(from) = self.anchors.get(id).cloned() else { continue };
            for table in [&mut self.map.values, &mut self.map.keys] {
                let copied: Vec<(String, Pos)> = table
                    .iter()
                    .filter_map(|(p, pos)| {
                        let rest = p.strip_prefix(from.as_str())?;
                        (rest.starts_with('.') || rest.starts_with('['))
                            .then(|| (format!("{path}{rest}"), *pos))
                    })
                    .collect();
                for (p, pos) in copied {
                    table.entry(p).or_insert(pos);
                }
            }
        }
    }

    /// True when the next scalar in the current mapping is a key.
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::MappingStart(anchor, _) => {
                if self.expecting_key() {
                    // A complex key: rare in storyboards; treat it as an unnamed key.
                    self.stack.push(Frame::Map { path: "?".into(), key: None, merges: Vec::new() });
                    return;
                }
                let path = self.start_value(mark);
                if anchor > 0 {
                    self.anchors.insert(anchor, path.clone());
                }
                self.stack.push(Frame::Map { path, key: None, merges: Vec::new() });
            }
            Event::SequenceStart(anchor, _) => {
                let path = self.start_value(mark);
                if anchor > 0 {
                    self.anchors.insert(anchor, path.clone());
                }
                self.stack.push(Frame::Seq { path, index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Frame::Map { path, merges, .. }) = self.stack.pop() {
                    self.apply_merges(&path, &merges);
                }
                self.value_done();
            }
            Event::Scalar(text, ..) => {
                if self.expecting_key() {
                    if let Some(Frame::Map { path, key, .. }) = self.stack.last_mut() {
                        let key_path = join_key(path, &text);
                        self.map.keys.entry(key_path).or_insert(pos(mark));
                        // yaml-rust2 marks a block mapping where its first value starts; point
                        // at its first key instead, where the reader's eye goes.
                        if let Some(p) = self.map.values.get_mut(path.as_str()) {
                            let k = pos(mark);
                            if (k.line, k.column) < (p.line, p.column) {
                                *p = k;
                            }
                        }
                        *key = Some(text);
                    }
                } else {
                    self.start_value(mark);
                    self.value_done();
                }
            }
            Event::Alias(id) if !self.expecting_key() => {
                if let Some(merges) = self.merge_target() {
                    merges.push(id);
                }
                self.start_value(mark);
                self.value_done();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_keys() {
        let text = "video:\n  width: 1280\nscenes:\n  - id: intro\n    layers:\n      - type: text\n        colr: red\n";
        let map = SpanMap::build(text);
        assert_eq!(map.value("video.width"), Some(Pos { line: 2, column: 10 }));
        assert_eq!(map.value("scenes[0].id"), Some(Pos { line: 4, column: 9 }));
        assert_eq!(map.key("scenes[0].layers[0].colr"), Some(Pos { line: 7, column: 9 }));
        // Unknown paths fall back to their nearest parent.
        assert_eq!(map.value("scenes[0].layers[0].nope"), Some(Pos { line: 6, column: 9 }));
    }

    #[test]
    fn keys_a_merge_key_brings_in_are_found_where_the_anchor_wrote_them() {
        let text = "base: &b\n  width: 10\n  size: 3\nscenes:\n  - <<: *b\n    size: 4\n  - <<: [*b]\n";
        let map = SpanMap::build(text);
        assert_eq!(map.value("scenes[0].width"), Some(Pos { line: 2, column: 10 }));
        assert_eq!(map.key("scenes[0].width"), Some(Pos { line: 2, column: 3 }));
        // A key written next to the merge key wins, as it does in the merged value.
        assert_eq!(map.value("scenes[0].size"), Some(Pos { line: 6, column: 11 }));
        assert_eq!(map.value("scenes[1].width"), Some(Pos { line: 2, column: 10 }));
    }
}
