//! Include: the shared parts a storyboard names under `include:` (fonts, palette, a pay scene),
//! read from their files and merged under it.
//!
//! In: the storyboard's text and file. Out: an [`Assembled`] YAML text; once serde_yaml has
//! read that, one mapping (the storyboard with its parts merged in, see [`merge`]) and a
//! [`SpanMap`] that finds every path of it in the file, line and column that wrote it.
//!
//! Anchors are a feature of one YAML text: an alias (`*brand`, `<<: *brand`) can only name an
//! anchor written before it in the same text. So the parts are not parsed apart: each part's
//! text is written, indented, under a hidden top-level key placed before the keys of the file
//! that includes it, and serde_yaml reads the whole as one document. A line map takes every
//! position of that text back to its own file (`Segment`).

mod merge;

use std::borrow::Cow;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde_yaml::{Mapping, Value};
use yaml_rust2::parser::{Event, Parser};

use super::diagnostics::{describe, Diagnostic};
use super::spans::{self, Located, Pos, SpanMap};
use crate::limits::Limits;
use merge::{Origins, Piece};

/// The hidden top-level key a part's text sits under (followed by the part's number).
const HIDDEN: &str = "x-billreel-part-";

/// The key that names the parts.
const KEY: &str = "include";

/// One file of a storyboard that includes parts: the storyboard itself (first) or a part.
#[derive(Debug)]
pub struct PartFile {
    /// The file as messages name it: the including file's folder joined with the path written.
    pub shown: PathBuf,
    /// The file as read (canonical).
    real: PathBuf,
    /// `included by scenes/bill-explainer.yaml:17:10` (and by what that file is included).
    pub included_by: String,
    /// The parts this file includes, in the order written (indices into the file list).
    includes: Vec<usize>,
}

/// Where one file's lines sit in the assembled text.
#[derive(Debug)]
struct Segment {
    /// The line of the assembled text that holds the file's first line.
    first: usize,
    lines: usize,
    /// Index into the file list.
    file: usize,
    /// Columns added in front of each line (the indentation under the hidden key).
    shift: usize,
}

/// The files and the line map of a storyboard that includes parts.
#[derive(Debug)]
struct Layout {
    files: Vec<PartFile>,
    segments: Vec<Segment>,
    /// Each file after the parts it includes: the order the texts are written in, and merged.
    order: Vec<usize>,
    /// Where the storyboard's own mapping starts (its first key), in its file.
    main_start: Pos,
}

/// The storyboard's text with its parts written in (or the text alone, when it has no
/// `include:`).
pub struct Assembled<'t> {
    text: Cow<'t, str>,
    layout: Option<Layout>,
}

/// A storyboard with parts, once merged: finds each path of the merged storyboard in the file
/// that wrote it (see [`SpanMap::locate`]).
#[derive(Debug)]
pub struct Parts {
    layout: Layout,
    /// Positions in the assembled text.
    assembled: SpanMap,
    /// Path in the merged storyboard -> path in the assembled text (see [`merge`]).
    origins: Origins,
}

/// Reads every part `text` (the storyboard in `file`) includes, and their parts, into one
/// YAML text. Problems that stop it (a part missing, outside the storyboard's folders, in a
/// cycle, too deep, over the size limit) are reported at the `include:` entry that names it.
pub fn assemble<'t>(text: &'t str, file: &Path, limits: &Limits) -> Result<Assembled<'t>, Vec<Diagnostic>> {
    let head = scan(text);
    if !head.present {
        return Ok(Assembled { text: Cow::Borrowed(text), layout: None });
    }
    let folder = folder_of(file);
    let assets = crate::assets::Assets::for_storyboard(file, head.assets.as_deref());
    let roots: Vec<PathBuf> =
        [folder.clone(), assets.root().to_path_buf()].iter().filter_map(|d| d.canonicalize().ok()).collect();
    let real =
        file.canonicalize().unwrap_or_else(|_| std::path::absolute(file).unwrap_or(file.to_path_buf()));
    let main = PartFile { shown: file.to_path_buf(), real, included_by: String::new(), includes: Vec::new() };
    let mut reader = Reader {
        limits,
        roots,
        shown_roots: format!("{} or the assets folder {}", shown_dir(&folder), shown_dir(assets.root())),
        files: vec![main],
        texts: vec![String::new()],
        total: text.len() as u64,
        order: Vec::new(),
        problems: Vec::new(),
    };
    for (pos, message) in head.problems {
        reader.problem(0, pos, message, KEY_HINT);
    }
    reader.read_includes(0, head.includes, &mut vec![0]);
    if !reader.problems.is_empty() {
        return Err(reader.problems);
    }
    reader.write(text)
}

const KEY_HINT: &str = "write `include: parts/brand.yaml` or `include: [parts/brand.yaml, parts/pay.yaml]`";

impl Assembled<'_> {
    /// The YAML text to parse.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parts written in (not the storyboard itself), each as its including file's folder
    /// joined with the path written: what must travel with the storyboard (a queued run's bundle).
    pub fn parts(&self) -> Vec<&Path> {
        self.layout.iter().flat_map(|l| l.files.iter().skip(1).map(|f| f.shown.as_path())).collect()
    }

    /// A problem found in the assembled text (a syntax error, say), put back in its own file.
    pub fn relocate(&self, mut d: Diagnostic) -> Diagnostic {
        let (Some(layout), Some(pos)) = (&self.layout, d.pos) else { return d };
        let (file, pos) = layout.translate(pos);
        d.pos = Some(pos);
        if file > 0 {
            let part = &layout.files[file];
            d.file = part.shown.clone();
            d.message = format!("{} ({})", d.message, part.included_by);
        }
        d
    }

    /// Merges the parts into the storyboard: `root` is the assembled text as serde_yaml read it.
    /// Out: the storyboard's mapping, the map that finds its paths in their files, and the
    /// problems of parts that are not mappings of storyboard keys.
    pub fn merge(self, root: Value) -> (Value, SpanMap, Vec<Diagnostic>) {
        let spans = SpanMap::build(&self.text);
        let Some(layout) = self.layout else { return (root, spans, Vec::new()) };
        let Value::Mapping(mut top) = root else {
            // Not a mapping: the parser says so, at the storyboard's first line.
            let parts = Parts { layout, assembled: spans, origins: Origins::new() };
            return (root, SpanMap::through_parts(parts), Vec::new());
        };
        let mut problems = Vec::new();
        let own = own_pieces(&layout, &mut top, &mut problems);
        let Piece { value, origins } = merge_in_order(&layout, own);
        let parts = Parts { layout, assembled: spans, origins };
        let found = problems.into_iter().map(|(path, message)| parts.problem(&path, message)).collect();
        (value, SpanMap::through_parts(parts), found)
    }
}

/// Each file's own keys, taken out of the assembled mapping `top` (a part from under its hidden
/// key, the storyboard from what is left), without `include`. A part that is not a mapping, or
/// whose `scenes` is not a list, is a problem: (path in the assembled text, message).
fn own_pieces(
    layout: &Layout,
    top: &mut Mapping,
    problems: &mut Vec<(String, String)>,
) -> Vec<Option<Piece>> {
    let mut own: Vec<Option<Piece>> = (0..layout.files.len()).map(|_| None).collect();
    for (i, slot) in own.iter_mut().enumerate().skip(1) {
        let key = format!("{HIDDEN}{i}");
        let mut map = match top.remove(key.as_str()).unwrap_or(Value::Null) {
            Value::Mapping(m) => m,
            Value::Null => Mapping::new(),
            other => {
                let message = format!(
                    "an included part must be a mapping of storyboard keys (`fonts:`, `scenes:`, …), but this one is {}",
                    describe(&other)
                );
                problems.push((key.clone(), message));
                Mapping::new()
            }
        };
        map.remove(KEY);
        if let Some(scenes) = map.get("scenes").filter(|s| !matches!(s, Value::Sequence(_) | Value::Null)) {
            let message = format!("`scenes` must be a list, but got {}", describe(scenes));
            problems.push((spans::join_key(&key, "scenes"), message));
            map.remove("scenes");
        }
        *slot = Some(Piece::whole(Value::Mapping(map), key));
    }
    top.remove(KEY);
    own[0] = Some(Piece::whole(Value::Mapping(std::mem::take(top)), String::new()));
    own
}

/// Merges each file over the parts it includes, parts first: the storyboard, merged.
fn merge_in_order(layout: &Layout, mut own: Vec<Option<Piece>>) -> Piece {
    let mut merged: Vec<Option<Piece>> = (0..own.len()).map(|_| None).collect();
    for &i in &layout.order {
        let mine = own[i].take().expect("each file is merged once, in order");
        let includes = &layout.files[i].includes;
        merged[i] = Some(if includes.is_empty() {
            mine
        } else {
            // A part two files include is cloned: each merge takes its own copy.
            let mut piece = Piece::combine(includes.iter().map(|&j| merged[j].clone().expect("parts first")));
            piece.merge_over(mine);
            piece
        });
    }
    merged[0].take().expect("the storyboard is merged last")
}

impl Parts {
    /// Where the value (or key) at `path` of the merged storyboard is written.
    pub(super) fn locate(&self, path: &str, key: bool) -> Option<Located<'_>> {
        let origin = merge::resolve(&self.origins, path);
        if origin.is_empty() {
            return Some(Located { pos: self.layout.main_start, part: None });
        }
        self.locate_assembled(&origin, key)
    }

    /// A problem of a part's own keys at `path` of the assembled text.
    fn problem(&self, path: &str, message: String) -> Diagnostic {
        let located = self.locate_assembled(path, true);
        let part = located.and_then(|l| l.part);
        Diagnostic {
            file: part.map_or_else(|| self.layout.files[0].shown.clone(), |p| p.shown.clone()),
            pos: located.map(|l| l.pos),
            path: String::new(),
            message: match part {
                Some(p) => format!("{message} ({})", p.included_by),
                None => message,
            },
            hint: Some("a part holds top-level storyboard keys, like the storyboard itself".into()),
        }
    }

    /// Where the value (or key) at `path` of the assembled text is written.
    fn locate_assembled(&self, path: &str, key: bool) -> Option<Located<'_>> {
        let (file, pos) = self.layout.translate(self.assembled.own(path, key)?);
        Some(Located { pos, part: (file > 0).then(|| &self.layout.files[file]) })
    }

    /// The parts' files, as read.
    pub(super) fn files(&self) -> impl Iterator<Item = &Path> {
        self.layout.files.iter().skip(1).map(|f| f.real.as_path())
    }
}

impl Layout {
    /// A position in the assembled text -> (file index, position in that file).
    fn translate(&self, pos: Pos) -> (usize, Pos) {
        for s in &self.segments {
            if pos.line < s.first {
                // The hidden key's own line: the part's start.
                return (s.file, Pos { line: 1, column: 1 });
            }
            if pos.line < s.first + s.lines.max(1) {
                let column = pos.column.saturating_sub(s.shift).max(1);
                return (s.file, Pos { line: pos.line + 1 - s.first, column });
            }
        }
        // Past the end (serde_yaml's "end of stream"): the storyboard's own last lines.
        let last = self.segments.last().expect("the storyboard is a segment");
        (last.file, Pos { line: (pos.line + 1).saturating_sub(last.first).max(1), column: pos.column })
    }
}

/// What a file says at its top level about its parts.
#[derive(Default)]
struct Head {
    /// The file has an `include:` key (even an empty one).
    present: bool,
    /// Each path written, with its position.
    includes: Vec<(String, Pos)>,
    /// The `assets:` folder it names (the storyboard's own says where parts may also live).
    assets: Option<String>,
    /// `include:` written wrong.
    problems: Vec<(Pos, String)>,
}

/// Reads the top-level `include:` and `assets:` of a file from the parser's events, before
/// anything else: an alias to an anchor of a part cannot be parsed before the part is there.
/// The scan ends quietly at a syntax error (or at such an alias): the parse reports it.
fn scan(text: &str) -> Head {
    let mut head = Head::default();
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut key: Option<String> = None;
    let mut list = false;
    while let Ok((event, mark)) = parser.next_token() {
        let pos = Pos { line: mark.line(), column: mark.col() + 1 };
        match event {
            Event::StreamEnd => break,
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let seq = matches!(event, Event::SequenceStart(..));
                if depth == 1 && key.as_deref() == Some(KEY) {
                    if seq {
                        list = true;
                    } else {
                        head.problems.push((pos, "`include` takes a path or a list of paths".into()));
                    }
                } else if depth == 2 && list {
                    head.problems.push((pos, "each item of `include` must be a path".into()));
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    key = None;
                    list = false;
                }
            }
            Event::Scalar(value, style, ..) if depth == 1 => match key.take() {
                None => {
                    head.present |= value == KEY;
                    key = Some(value);
                }
                Some(k) if k == KEY => {
                    let null = style == yaml_rust2::scanner::TScalarStyle::Plain
                        && matches!(value.as_str(), "" | "~" | "null");
                    if !null {
                        head.includes.push((value, pos));
                    }
                }
                Some(k) if k == "assets" => head.assets = Some(value),
                Some(_) => {}
            },
            Event::Scalar(value, ..) if depth == 2 && list => head.includes.push((value, pos)),
            Event::Alias(_) if depth == 1 => key = None,
            _ => {}
        }
    }
    head
}

/// Reads the parts, depth first.
struct Reader<'l> {
    limits: &'l Limits,
    /// Where parts may be (canonical): the storyboard's folder and the assets folder.
    roots: Vec<PathBuf>,
    shown_roots: String,
    files: Vec<PartFile>,
    /// Each file's text (the storyboard's own is not kept here).
    texts: Vec<String>,
    /// Bytes read so far, the storyboard's included.
    total: u64,
    order: Vec<usize>,
    problems: Vec<Diagnostic>,
}

impl Reader<'_> {
    /// A problem in file `at`, at `pos`.
    fn problem(&mut self, at: usize, pos: Pos, message: String, hint: &str) {
        let f = &self.files[at];
        let message = if at == 0 { message } else { format!("{message} ({})", f.included_by) };
        self.problems.push(Diagnostic {
            file: f.shown.clone(),
            pos: Some(pos),
            path: KEY.into(),
            message,
            hint: Some(hint.into()),
        });
    }

    /// Reads the parts file `at` includes (`chain`: the files that include it, down from the
    /// storyboard), then puts `at` in the order after them.
    fn read_includes(&mut self, at: usize, includes: Vec<(String, Pos)>, chain: &mut Vec<usize>) {
        for (written, pos) in includes {
            if let Some(part) = self.open(at, &written, pos, chain) {
                self.files[at].includes.push(part);
            }
        }
        self.order.push(at);
    }

    /// The part `written` in file `from`: its index, read (with its own parts) if it is new.
    fn open(&mut self, from: usize, written: &str, pos: Pos, chain: &mut Vec<usize>) -> Option<usize> {
        let shown_path = crate::assets::shown(written);
        let path = Path::new(written);
        if written.is_empty() || path.is_absolute() || written.starts_with(['/', '\\']) {
            let message = format!("`include: {shown_path}` must be a path relative to this file");
            self.problem(
                from,
                pos,
                message,
                "write the path from this file's folder, e.g. `parts/brand.yaml`",
            );
            return None;
        }
        let shown = lexical(&folder_of(&self.files[from].shown).join(path));
        let Ok(real) = folder_of(&self.files[from].real).join(path).canonicalize() else {
            let message = format!("cannot include `{shown_path}`: {} does not exist", shown.display());
            self.problem(from, pos, message, "the path is relative to the file that includes it");
            return None;
        };
        if !self.roots.iter().any(|root| real.starts_with(root)) {
            let how = if path.components().any(|c| c == Component::ParentDir) {
                "`..` leads"
            } else {
                "a link leads"
            };
            let message = format!(
                "`include: {shown_path}` leaves the folders parts may be in: {how} outside {}",
                self.shown_roots
            );
            let hint = "keep shared parts in the storyboard's folder (or below it, e.g. parts/brand.yaml) or in the assets folder";
            self.problem(from, pos, message, hint);
            return None;
        }
        if let Some(at) = chain.iter().position(|&i| self.files[i].real == real) {
            let mut names: Vec<String> =
                chain[at..].iter().map(|&i| self.files[i].shown.display().to_string()).collect();
            names.push(shown.display().to_string());
            let message = format!("`include: {shown_path}` makes a cycle: {}", names.join(" → "));
            let hint =
                "a part cannot include a file that includes it; move what both need into a part of its own";
            self.problem(from, pos, message, hint);
            return None;
        }
        if let Some(known) = self.files.iter().position(|f| f.real == real) {
            // Included twice (two parts share one): read once, merged where first included.
            return Some(known);
        }
        if chain.len() > self.limits.include_depth {
            let message = format!(
                "parts are included {} deep here; the limit is {}",
                chain.len(),
                self.limits.include_depth
            );
            let hint = "include the parts from fewer levels; or raise the limit with --limit include-depth=N";
            self.problem(from, pos, message, hint);
            return None;
        }
        let text = match self.read(&real) {
            Ok(text) => text,
            Err((message, hint)) => {
                self.problem(from, pos, format!("cannot include `{shown_path}`: {message}"), &hint);
                return None;
            }
        };
        let parent = &self.files[from];
        let by = format!("included by {}:{}:{}", parent.shown.display(), pos.line, pos.column);
        let included_by = if from == 0 { by } else { format!("{by}, {}", parent.included_by) };
        self.files.push(PartFile { shown, real, included_by, includes: Vec::new() });
        let head = scan(&text);
        self.texts.push(text);
        let at = self.files.len() - 1;
        for (pos, message) in head.problems {
            self.problem(at, pos, message, KEY_HINT);
        }
        chain.push(at);
        self.read_includes(at, head.includes, chain);
        chain.pop();
        Some(at)
    }

    /// A part's text, within what is left of `storyboard_bytes` for the storyboard and its
    /// parts together.
    fn read(&mut self, real: &Path) -> Result<String, (String, String)> {
        let cannot =
            |e: std::io::Error| (format!("cannot read it: {e}"), "check the file's permissions".to_string());
        let f = std::fs::File::open(real).map_err(cannot)?;
        if !f.metadata().map_err(cannot)?.is_file() {
            return Err(("it is not a regular file".into(), "a part must be a YAML file".into()));
        }
        let left = self.limits.storyboard_bytes.saturating_sub(self.total);
        let mut bytes = Vec::new();
        f.take(left.saturating_add(1)).read_to_end(&mut bytes).map_err(cannot)?;
        if bytes.len() as u64 > left {
            return Err((
                format!(
                    "the storyboard and its parts are over {}, the limit",
                    crate::limits::bytes(self.limits.storyboard_bytes)
                ),
                "move long texts into the billing records; or raise the limit with --limit storyboard-bytes=SIZE"
                    .into(),
            ));
        }
        self.total += bytes.len() as u64;
        String::from_utf8(bytes).map_err(|e| {
            (
                format!("byte {} is not UTF-8", e.utf8_error().valid_up_to()),
                "a part must be UTF-8 text".into(),
            )
        })
    }

    /// Writes the assembled text: each part under its hidden key, in `order`, then the
    /// storyboard's own lines.
    fn write(mut self, main: &str) -> Result<Assembled<'static>, Vec<Diagnostic>> {
        let mut text = String::new();
        let mut segments = Vec::new();
        let mut line = 1;
        let mut main_start = Pos { line: 1, column: 1 };
        for i in self.order.clone() {
            let source = if i == 0 { main } else { self.texts[i].as_str() };
            let lines = match one_document(source) {
                Ok(lines) => lines,
                Err((at, message)) => {
                    self.problem(i, Pos { line: at, column: 1 }, message, "a storyboard or a part is one YAML document: remove the `---` and what follows, or move it into a file of its own");
                    continue;
                }
            };
            let shift = if i == 0 {
                main_start.line = first_content_line(&lines);
                0
            } else {
                text.push_str(&format!("{HIDDEN}{i}:\n"));
                line += 1;
                2
            };
            segments.push(Segment { first: line, lines: lines.len(), file: i, shift });
            for l in &lines {
                if !l.is_empty() && shift > 0 {
                    text.push_str("  ");
                }
                text.push_str(l);
                text.push('\n');
            }
            line += lines.len();
        }
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        let layout = Layout { files: self.files, segments, order: self.order, main_start };
        Ok(Assembled { text: Cow::Owned(text), layout: Some(layout) })
    }
}

/// A file's lines, with the markers of its one document blanked (`%YAML` directives, a `---`
/// before it, a `...` after it): they cannot stand indented under a key. A second document is
/// refused: (line, message).
fn one_document(text: &str) -> Result<Vec<Cow<'_, str>>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<Cow<str>> = text.lines().map(Cow::Borrowed).collect();
    let mut content = false;
    let mut ended: Option<usize> = None;
    for (i, line) in lines.iter_mut().enumerate() {
        let marker = |m: &str| {
            line.strip_prefix(m).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
        };
        let blank = line.trim().is_empty() || line.trim_start().starts_with('#');
        if let Some(end) = ended {
            if !blank {
                return Err((i + 1, format!("a second YAML document starts after the `...` on line {end}")));
            }
        } else if marker("---") {
            if content {
                return Err((i + 1, "a second YAML document starts here (`---`)".into()));
            }
            *line = Cow::Owned(format!("   {}", &line[3..]));
            content = !line.trim().is_empty() && !line.trim_start().starts_with('#');
        } else if marker("...") {
            ended = Some(i + 1);
            *line = Cow::Borrowed("");
        } else if line.starts_with('%') && !content {
            *line = Cow::Borrowed("");
        } else if !blank {
            content = true;
        }
    }
    Ok(lines)
}

/// The first line that holds YAML (not blank, not a comment), 1-based.
fn first_content_line(lines: &[Cow<str>]) -> usize {
    lines.iter().position(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).map_or(1, |i| i + 1)
}

/// The folder a file is in (`.` for a bare name).
fn folder_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn shown_dir(dir: &Path) -> String {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()).display().to_string()
}

/// `scenes/./parts/../x.yaml` -> `scenes/x.yaml`, for messages (the file read is canonical).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
