//! Reading a storyboard's `translations:` folder: one folder per locale, named by its BCP 47
//! tag, holding that locale's `.ftl` files (`translations/en/bill.ftl`,
//! `translations/pt-BR/bill.ftl`): the layout of Firefox's `locales/<locale>/…`, of
//! fluent-rs's resource manager (`{locale}/{res_id}`) and the one Pontoon and Weblate map a
//! locale's files by.
//!
//! Every file is read once, within `storyboard_bytes`, and parsed once into a
//! [`FluentResource`]; every syntax error of every file is reported with its file:line:column.
//! The folder, and every file in it, must be inside the storyboard's own folder (checked on the
//! resolved paths, so `..` and links cannot lead out).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fluent_bundle::FluentResource;
use fluent_syntax::ast;

use crate::limits::Limits;
use crate::storyboard::{Diagnostic, Pos};

/// One locale's files, parsed.
pub struct LocaleFiles {
    /// The folder's name as written (`pt-BR`).
    pub name: String,
    /// Its locale, normalised as the fallback chain writes it (see [`super::fallbacks`]).
    pub tag: String,
    /// Each file (its path as the storyboard's folder + the key + the locale + its name) and
    /// its messages.
    pub files: Vec<(PathBuf, Arc<FluentResource>)>,
}

/// The most files a translations folder may hold: a storyboard needs a handful per locale.
const MAX_FILES: usize = 10_000;

/// Reads every locale folder of `folder` (the key joined to the storyboard's folder,
/// `storyboard_dir`); problems are located in the file or folder that has them.
pub fn read(folder: &Path, storyboard_dir: &Path, limits: &Limits) -> (Vec<LocaleFiles>, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let mut locales = Vec::new();
    let problem = |file: &Path, pos: Option<Pos>, message: String, hint: Option<String>| Diagnostic {
        file: file.to_path_buf(),
        pos,
        path: String::new(),
        message,
        hint,
    };
    let root = match std::fs::canonicalize(storyboard_dir) {
        Ok(r) => r,
        Err(e) => {
            problems.push(problem(
                storyboard_dir,
                None,
                format!("cannot read the storyboard's folder: {e}"),
                None,
            ));
            return (locales, problems);
        }
    };
    // Links are followed (a locale folder may be one) and every file's real path checked to be
    // inside the storyboard's folder; walkdir stops a link cycle.
    let walker =
        walkdir::WalkDir::new(folder).follow_links(true).min_depth(1).max_depth(8).sort_by_file_name();
    let mut count = 0;
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let at = e.path().unwrap_or(folder).to_path_buf();
                problems.push(problem(&at, None, format!("cannot read the translations: {e}"), None));
                continue;
            }
        };
        let path = entry.path();
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let is_ftl = path.extension().is_some_and(|x| x == "ftl");
        if entry.depth() == 1 && entry.file_type().is_dir() {
            match locale_of(&name) {
                Ok(tag) => locales.push(LocaleFiles { name: name.to_string(), tag, files: Vec::new() }),
                Err(why) => problems.push(problem(
                    path,
                    None,
                    format!("the translations folder `{name}` is not named after a locale: {why}"),
                    Some(
                        "name each folder after the BCP 47 locale its files are in: en, de, pt-BR, zh-Hant"
                            .into(),
                    ),
                )),
            }
            continue;
        }
        if !is_ftl {
            continue;
        }
        if entry.depth() == 1 {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            problems.push(problem(
                path,
                None,
                format!("`{name}` is directly in the translations folder, so it belongs to no locale"),
                Some(format!(
                    "move it into a folder named after its locale, e.g. {}: each locale has a folder of .ftl files",
                    folder.join(&*stem).join(&*name).display()
                )),
            ));
            continue;
        }
        count += 1;
        if count > MAX_FILES {
            problems.push(problem(
                folder,
                None,
                format!("the translations folder holds over {MAX_FILES} .ftl files"),
                None,
            ));
            break;
        }
        // The locale folder this file is under (its first component below `folder`).
        let owner = path.strip_prefix(folder).ok().and_then(|p| p.components().next());
        let owner = owner.map(|c| c.as_os_str().to_string_lossy().to_string()).unwrap_or_default();
        let Some(locale) = locales.iter_mut().find(|l| l.name == owner) else { continue };
        let (resource, mut found) = read_file(path, &root, limits);
        problems.append(&mut found);
        if let Some(resource) = resource {
            locale.files.push((path.to_path_buf(), Arc::new(resource)));
        }
    }
    locales.retain(|l| !l.files.is_empty());
    (locales, problems)
}

/// The normalised locale of a folder name, or why it is not one.
fn locale_of(name: &str) -> Result<String, String> {
    let locale = super::super::locale::check_locale(name).map_err(|e| e.to_string())?;
    if !locale.extensions.is_empty() {
        return Err(format!(
            "`{name}` has extensions (`-u-…`); a translation is for a language, script and region"
        ));
    }
    super::fallbacks(&locale.to_string())
        .into_iter()
        .next()
        .ok_or_else(|| format!("`{name}` has no language"))
}

/// Reads and parses one `.ftl` file: what parsed (the messages around a syntax error still
/// do, so the storyboard's calls are checked in the same pass) and every syntax error, each
/// with its line and column.
fn read_file(path: &Path, root: &Path, limits: &Limits) -> (Option<FluentResource>, Vec<Diagnostic>) {
    match read_text(path, root, limits) {
        Ok(text) => parse(path, text),
        Err(problems) => (None, problems),
    }
}

fn parse(path: &Path, text: String) -> (Option<FluentResource>, Vec<Diagnostic>) {
    if let Some(offset) = too_deep(&text) {
        let d = Diagnostic {
            file: path.to_path_buf(),
            pos: Some(pos_at(&text, offset)),
            path: String::new(),
            message: format!("the placeables nest over {MAX_NESTING} levels deep here"),
            hint: Some(
                "a message needs a few levels (a selector in a placeable); flatten what opens here".into(),
            ),
        };
        return (None, vec![d]);
    }
    match FluentResource::try_new(text) {
        Ok(resource) => (Some(resource), Vec::new()),
        Err((resource, errors)) => {
            let source = resource.source();
            let found = errors
                .into_iter()
                .map(|e| Diagnostic {
                    file: path.to_path_buf(),
                    pos: Some(pos_at(source, e.pos.start)),
                    path: String::new(),
                    message: format!("Fluent syntax error: {}", e.kind),
                    hint: Some(
                        "a message is `id = text`, its variables `{ $name }`, a selector `{ $n -> [one] … *[other] … }` (the default marked with `*`); see docs/storyboard.md, Translations"
                            .into(),
                    ),
                })
                .collect();
            (Some(resource), found)
        }
    }
}

/// A translation file's text, read within the limit, from inside the storyboard's folder.
fn read_text(path: &Path, root: &Path, limits: &Limits) -> Result<String, Vec<Diagnostic>> {
    let fail = |message: String, hint: Option<String>| {
        vec![Diagnostic { file: path.to_path_buf(), pos: None, path: String::new(), message, hint }]
    };
    let cannot = |e: std::io::Error| fail(format!("cannot read the translation file: {e}"), None);
    let real = std::fs::canonicalize(path).map_err(cannot)?;
    if !real.starts_with(root) {
        return Err(fail(
            format!("the translation file leads outside the storyboard's folder (to {})", real.display()),
            Some("keep the translations in the storyboard's folder tree; copy the file there instead of linking to it".into()),
        ));
    }
    let f = std::fs::File::open(&real).map_err(cannot)?;
    if !f.metadata().map_err(cannot)?.is_file() {
        return Err(fail("the translation file is not a regular file".into(), None));
    }
    let mut bytes = Vec::new();
    f.take(limits.storyboard_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(cannot)?;
    if bytes.len() as u64 > limits.storyboard_bytes {
        return Err(fail(
            format!(
                "the translation file is over {}, the limit of a storyboard's files",
                crate::limits::bytes(limits.storyboard_bytes)
            ),
            Some("split it into several .ftl files in the same locale folder; or raise the limit with --limit storyboard-bytes=SIZE".into()),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        fail(
            format!("the translation file is not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
            Some("save it as UTF-8, as Fluent files are".into()),
        )
    })?;
    Ok(text)
}

/// The deepest nesting of `{ … }` a file may have. fluent-syntax's parser recurses once per
/// level, so a file of a million `{` would overflow the stack instead of failing; real
/// messages need two or three levels.
const MAX_NESTING: usize = 64;

/// The byte offset where `text`'s braces first nest deeper than [`MAX_NESTING`], if they do.
/// Every `{` counts, even one inside a string literal (`{ "{" }`): that only errs towards
/// refusing, at a depth no message reaches. Comment lines are skipped.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if !line.starts_with('#') {
            for (i, b) in line.bytes().enumerate() {
                match b {
                    b'{' => {
                        depth += 1;
                        if depth > MAX_NESTING {
                            return Some(offset + i);
                        }
                    }
                    b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        offset += line.len();
    }
    None
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub fn pos_at(text: &str, offset: usize) -> Pos {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Pos { line, column }
}

/// The ids of the messages of `resource` (not its terms), in file order.
pub fn message_ids(resource: &FluentResource) -> impl Iterator<Item = &str> {
    resource.entries().filter_map(|e| match e {
        ast::Entry::Message(m) => Some(m.id.name),
        _ => None,
    })
}

/// Where message `id` is defined in `resource`'s text (the last time, when it is defined
/// twice): the start of its line.
pub fn message_pos(resource: &FluentResource, id: &str) -> Option<Pos> {
    let source = resource.source();
    let mut offset = 0;
    let mut found = None;
    for line in source.split_inclusive('\n') {
        let rest = line.strip_prefix(id).map(str::trim_start);
        if rest.is_some_and(|r| r.starts_with('=')) {
            found = Some(pos_at(source, offset));
        }
        offset += line.len();
    }
    found
}
