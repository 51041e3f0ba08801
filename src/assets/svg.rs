//! SVG assets: checked before anything recursive runs, parsed and drawn on a thread of their
//! own, with every external reference kept inside the assets folder.
//!
//! In: the bytes of an SVG file of the assets folder. Out: a usvg tree's checks, or the drawing
//! at the size it is shown. usvg and resvg recurse once per level of element nesting (a
//! 20,000-deep file overflows any worker's stack and aborts the process), so the nesting depth,
//! the element count (counting what `<use>` copies) and the file size are checked first, by a
//! linear walk over roxmltree's document; and the parse and the drawing run on a thread with a
//! large stack, so that a library's own recursion cannot reach a worker's stack either.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use resvg::usvg;
use thiserror::Error;

use super::{read_file, shown, Fit, ReadError};
use crate::limits::grouped;
use crate::limits::Limits;

/// The stack of the thread an SVG is parsed and drawn on. Only what is touched is mapped, so a
/// small file costs little of it.
const STACK_BYTES: usize = 64 << 20;

/// Why an SVG file could not be drawn (the message follows "is not a usable SVG: ").
#[derive(Debug, Error)]
pub enum SvgError {
    #[error("{0}")]
    Parse(#[from] usvg::Error),
    #[error("{0}")]
    Xml(roxmltree::Error),
    #[error("{0}")]
    Stream(String),
    #[error("it is compressed (SVGZ); save it as a plain SVG file")]
    Compressed,
    #[error("it is not UTF-8 text")]
    NotUtf8,
    #[error("it declares XML entities (`<!ENTITY`), which are not expanded; save it without them")]
    Entities,
    #[error(
        "its elements nest more than {} deep (`--limit svg-depth`); flatten its groups",
        grouped(*limit as u64)
    )]
    TooDeep { limit: usize },
    #[error(
        "it has more than {} elements{} (`--limit svg-nodes`); simplify it",
        grouped(*limit as u64),
        if *through_use { " once its `<use>` copies are made" } else { "" }
    )]
    TooManyElements { limit: usize, through_use: bool },
    #[error("its `<image href=\"{href}\">` {why}")]
    Href { href: String, why: String },
    #[error("an SVG image inside it is refused: {0}")]
    Nested(Box<SvgError>),
    #[error(
        "a pattern in it would be drawn as a {w}x{h} tile, more than the {} pixels an image may \
         have (`--limit image-pixels`)",
        grouped(*limit)
    )]
    PatternTooBig { w: f64, h: f64, limit: u64 },
    #[error("empty size")]
    EmptySize,
    #[error("the SVG library failed on it (it panicked); the file is probably malformed")]
    Crashed,
    #[error("no thread could be started to draw it: {0}")]
    Thread(String),
}

/// What an SVG file may reach: files under `root` (canonical), its references resolved from
/// `dir` (the folder of the file), within `limits`.
pub(super) struct Context {
    pub root: PathBuf,
    pub dir: PathBuf,
    pub limits: Limits,
}

impl Context {
    /// Parses `bytes` with every check, drawing nothing.
    pub fn check(&self, bytes: &[u8]) -> Result<(), SvgError> {
        on_big_stack(|| Loader::new(self).tree(bytes).map(|_| ()))
    }

    /// Draws `bytes` at the size it will be shown (contain: the whole drawing, letterboxed;
    /// cover: the box filled, cropped around the centre; fill: stretched).
    pub fn render(&self, bytes: &[u8], bw: u32, bh: u32, fit: Fit) -> Result<tiny_skia::Pixmap, SvgError> {
        on_big_stack(|| {
            let tree = Loader::new(self).tree(bytes)?;
            draw(&tree, bw, bh, fit, self.limits.image_pixels)
        })
    }
}

/// Runs `f` on a thread with a [`STACK_BYTES`] stack and waits for it; its panic is an error.
fn on_big_stack<T: Send>(f: impl FnOnce() -> Result<T, SvgError> + Send) -> Result<T, SvgError> {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("billreel-svg".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, f)
            .map_err(|e| SvgError::Thread(e.to_string()))?;
        thread.join().unwrap_or(Err(SvgError::Crashed))
    })
}

/// One parse of a file: the first reference refused while usvg resolved them.
struct Loader<'c> {
    cx: &'c Context,
    refused: Mutex<Option<SvgError>>,
}

impl<'c> Loader<'c> {
    fn new(cx: &'c Context) -> Loader<'c> {
        Loader { cx, refused: Mutex::new(None) }
    }

    /// The usvg tree of a top-level file (whose `<image>`s may reach files of the folder).
    fn tree(&self, bytes: &[u8]) -> Result<usvg::Tree, SvgError> {
        let tree = self.parse(bytes, false)?;
        if let Some(e) = self.refused.lock().unwrap_or_else(PoisonError::into_inner).take() {
            return Err(e);
        }
        Ok(tree)
    }

    /// Checks, then parses. `nested`: an SVG drawn by an `<image>` of another, which may draw
    /// no images itself (as usvg does for such files).
    fn parse(&self, bytes: &[u8], nested: bool) -> Result<usvg::Tree, SvgError> {
        let text = text_of(bytes)?;
        let doc = precheck(text, &self.cx.limits)?;
        let mut options = usvg::Options { resources_dir: Some(self.cx.dir.clone()), ..Default::default() };
        options.image_href_resolver = if nested {
            usvg::ImageHrefResolver {
                resolve_data: Box::new(|_, _, _| None),
                resolve_string: Box::new(|_, _| None),
            }
        } else {
            usvg::ImageHrefResolver {
                resolve_data: Box::new(|mime, data, _| self.data_href(mime, data)),
                resolve_string: Box::new(|href, _| self.file_href(href)),
            }
        };
        Ok(usvg::Tree::from_xmltree(&doc, &options)?)
    }

    fn refuse(&self, e: SvgError) {
        let mut first = self.refused.lock().unwrap_or_else(PoisonError::into_inner);
        first.get_or_insert(e);
    }

    /// A `data:` URL: bitmaps as usvg takes them (they are inside the file, so within its
    /// size); an SVG checked like a file.
    fn data_href(&self, mime: &str, data: Arc<Vec<u8>>) -> Option<usvg::ImageKind> {
        match mime {
            "image/svg+xml" => self.nested(&data),
            "text/plain" => bitmap(data.clone()).or_else(|| self.nested(&data)),
            _ => bitmap_of_mime(mime, data),
        }
    }

    /// A file reference: only a regular file under the assets folder, within `asset_bytes`.
    /// Anything else fails the whole asset (rather than drawing without it, unnoticed); a file
    /// that does not exist is skipped, as usvg does.
    fn file_href(&self, href: &str) -> Option<usvg::ImageKind> {
        let refuse = |why: &str| {
            self.refuse(SvgError::Href { href: shown(href), why: why.into() });
            None
        };
        let rel = Path::new(href);
        if rel.is_absolute() {
            return refuse(
                "is an absolute path; write it relative to the SVG file, inside the assets folder",
            );
        }
        let Ok(file) = self.cx.dir.join(rel).canonicalize() else {
            tracing::warn!(href = %shown(href), "an SVG's image file does not exist; drawn without it");
            return None;
        };
        if !file.starts_with(&self.cx.root) {
            return refuse("points outside the assets folder");
        }
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let is_svg = ext == "svg" || ext == "svgz";
        let limits = &self.cx.limits;
        let limit = if is_svg { limits.svg_bytes.min(limits.asset_bytes) } else { limits.asset_bytes };
        let data = match read_file(&file, limit) {
            Ok(data) => data,
            Err(ReadError::NotAFile) => {
                return refuse("is not a regular file (a device, a pipe or a folder)")
            }
            Err(ReadError::TooBig(_)) => {
                return refuse(
                    "is larger than an asset (`--limit asset-bytes`) or an SVG (`svg-bytes`) may be",
                )
            }
            Err(e) => return refuse(&format!("cannot be read: {e}")),
        };
        if is_svg {
            return self.nested(&data);
        }
        bitmap(Arc::new(data))
    }

    /// An SVG drawn by an `<image>`: the same checks; a failure fails the file that uses it.
    fn nested(&self, data: &[u8]) -> Option<usvg::ImageKind> {
        match self.parse(data, true) {
            Ok(tree) => Some(usvg::ImageKind::SVG(tree)),
            Err(e) => {
                self.refuse(SvgError::Nested(Box::new(e)));
                None
            }
        }
    }
}

/// A bitmap recognised by its first bytes, as usvg's own resolver does.
fn bitmap(data: Arc<Vec<u8>>) -> Option<usvg::ImageKind> {
    match image::guess_format(&data).ok()? {
        image::ImageFormat::Png => Some(usvg::ImageKind::PNG(data)),
        image::ImageFormat::Jpeg => Some(usvg::ImageKind::JPEG(data)),
        image::ImageFormat::Gif => Some(usvg::ImageKind::GIF(data)),
        image::ImageFormat::WebP => Some(usvg::ImageKind::WEBP(data)),
        _ => None,
    }
}

fn bitmap_of_mime(mime: &str, data: Arc<Vec<u8>>) -> Option<usvg::ImageKind> {
    match mime {
        "image/jpg" | "image/jpeg" => Some(usvg::ImageKind::JPEG(data)),
        "image/png" => Some(usvg::ImageKind::PNG(data)),
        "image/gif" => Some(usvg::ImageKind::GIF(data)),
        "image/webp" => Some(usvg::ImageKind::WEBP(data)),
        _ => None,
    }
}

/// The file's text. Compressed files are refused: inflating is where a small file becomes a
/// huge one.
fn text_of(bytes: &[u8]) -> Result<&str, SvgError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(SvgError::Compressed);
    }
    std::str::from_utf8(bytes).map_err(|_| SvgError::NotUtf8)
}

/// Checks the nesting depth and the number of elements by a streaming read (quick-xml keeps
/// no stack but a list of open names), then parses the XML with roxmltree (whose parser
/// recurses once per level: only a document known to be shallow reaches it) and counts the
/// elements again with each `<use>` as a copy of what it points to.
fn precheck<'t>(text: &'t str, limits: &Limits) -> Result<roxmltree::Document<'t>, SvgError> {
    use quick_xml::events::Event;
    let too_many = |through_use| SvgError::TooManyElements { limit: limits.svg_nodes, through_use };
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut depth, mut elements) = (0usize, 0usize);
    loop {
        match reader.read_event().map_err(|e| SvgError::Stream(e.to_string()))? {
            Event::Start(_) => {
                depth += 1;
                elements += 1;
            }
            Event::Empty(_) => elements += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            // Entities expand a few bytes into any amount of text (or elements), which neither
            // count would see.
            Event::DocType(d) if d.windows(8).any(|w| w == b"<!ENTITY") => return Err(SvgError::Entities),
            Event::Eof => break,
            _ => {}
        }
        if depth > limits.svg_depth {
            return Err(SvgError::TooDeep { limit: limits.svg_depth });
        }
        if elements > limits.svg_nodes {
            return Err(too_many(false));
        }
    }
    // Text and comments are nodes too: room for them besides the elements.
    let nodes_limit = u32::try_from(limits.svg_nodes.saturating_mul(4)).unwrap_or(u32::MAX);
    let options = roxmltree::ParsingOptions { allow_dtd: true, nodes_limit };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => too_many(false),
        e => SvgError::Xml(e),
    })?;
    let len = doc.descendants().count() + 1;
    if expanded_elements(&doc, len) > limits.svg_nodes as u64 {
        return Err(too_many(true));
    }
    Ok(doc)
}

/// How many elements the document holds once each `<use>` is replaced by a copy of what it
/// points to (ten `<use>`s of a group of ten `<use>`s of ... is a billion elements from a few
/// hundred bytes). A reference back into itself counts nothing (usvg drops it). Post-order with
/// a stack of its own, so that a deep or long chain cannot overflow.
fn expanded_elements(doc: &roxmltree::Document, len: usize) -> u64 {
    const XLINK: &str = "http://www.w3.org/1999/xlink";
    let ids: HashMap<&str, roxmltree::Node> =
        doc.descendants().filter_map(|n| Some((n.attribute("id")?, n))).collect();
    let target = |n: roxmltree::Node| -> Option<roxmltree::NodeId> {
        if !n.has_tag_name("use") {
            return None;
        }
        let href = n.attribute((XLINK, "href")).or_else(|| n.attribute("href"))?;
        Some(ids.get(href.strip_prefix('#')?)?.id())
    };
    let deps = |n: roxmltree::Node| -> Vec<roxmltree::NodeId> {
        n.children().filter(|c| c.is_element()).map(|c| c.id()).chain(target(n)).collect()
    };
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done(u64),
    }
    let mut state = vec![State::New; len];
    let root = doc.root_element().id();
    let mut stack = vec![(root, false)];
    while let Some((id, closing)) = stack.pop() {
        let i = id.get_usize();
        let node = doc.get_node(id).expect("an id of this document");
        if closing {
            let mut total: u64 = 1;
            for d in deps(node) {
                if let State::Done(n) = state[d.get_usize()] {
                    total = total.saturating_add(n);
                }
            }
            state[i] = State::Done(total);
            continue;
        }
        if state[i] != State::New {
            continue;
        }
        state[i] = State::Open;
        stack.push((id, true));
        for d in deps(node) {
            if state[d.get_usize()] == State::New {
                stack.push((d, false));
            }
        }
    }
    match state[root.get_usize()] {
        State::Done(n) => n,
        _ => 0,
    }
}

/// Checks the tile resvg would allocate for each pattern, drawn under `root` (the transform
/// that puts the SVG in its box): resvg sizes it from the pattern's rectangle alone, so a
/// 300-byte file asks for hundreds of gigabytes and the allocation aborts the process.
/// Groups' layers, masks and filters are not checked: resvg clips those to the canvas.
fn check_patterns(group: &usvg::Group, root: tiny_skia::Transform, limit: u64) -> Result<(), SvgError> {
    for node in group.children() {
        if let usvg::Node::Path(path) = node {
            let paints = [path.fill().map(|f| f.paint()), path.stroke().map(|s| s.paint())];
            for paint in paints.into_iter().flatten() {
                if let usvg::Paint::Pattern(pattern) = paint {
                    let ts = root.pre_concat(path.abs_transform()).pre_concat(pattern.transform());
                    let (sx, sy) = ts.get_scale();
                    let w = (pattern.rect().width() * sx).round() as f64;
                    let h = (pattern.rect().height() * sy).round() as f64;
                    if w * h > limit as f64 {
                        return Err(SvgError::PatternTooBig { w, h, limit });
                    }
                }
            }
        }
        if let usvg::Node::Group(g) = node {
            check_patterns(g, root, limit)?;
        }
        // Patterns' own contents, masks, clip paths, SVG images.
        let mut found = Ok(());
        node.subroots(|g| {
            if found.is_ok() {
                found = check_patterns(g, root, limit);
            }
        });
        found?;
    }
    Ok(())
}

/// Draws a parsed SVG at its box's size.
fn draw(
    tree: &usvg::Tree,
    bw: u32,
    bh: u32,
    fit: Fit,
    max_pixels: u64,
) -> Result<tiny_skia::Pixmap, SvgError> {
    let (sw, sh) = (tree.size().width().max(1e-3), tree.size().height().max(1e-3));
    let (w, h, sx, sy) = match fit {
        Fit::Fill => (bw, bh, bw as f32 / sw, bh as f32 / sh),
        Fit::Contain => {
            let s = (bw as f32 / sw).min(bh as f32 / sh);
            ((sw * s).round().max(1.0) as u32, (sh * s).round().max(1.0) as u32, s, s)
        }
        Fit::Cover => {
            let s = (bw as f32 / sw).max(bh as f32 / sh);
            (bw, bh, s, s)
        }
    };
    // Cover: centre the scaled drawing on the box, cropping what overflows.
    let (dx, dy) = ((w as f32 - sw * sx) / 2.0, (h as f32 - sh * sy) / 2.0);
    let root = tiny_skia::Transform::from_row(sx, 0.0, 0.0, sy, dx, dy);
    check_patterns(tree.root(), root, max_pixels)?;
    let mut pix = tiny_skia::Pixmap::new(w, h).ok_or(SvgError::EmptySize)?;
    resvg::render(tree, root, &mut pix.as_mut());
    Ok(pix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_groups(depth: usize) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">{}<rect width=\"10\" height=\"10\"/>{}</svg>",
            "<g>".repeat(depth),
            "</g>".repeat(depth)
        )
    }

    #[test]
    fn depth_and_element_counts_are_checked_without_recursing() {
        let limits = Limits::default();
        // A million levels, checked on a thread with a small stack: nothing may recurse.
        let deep = nested_groups(1_000_000);
        let small = std::thread::Builder::new().stack_size(256 << 10);
        let limits_big = Limits { svg_nodes: 2_000_000, ..limits };
        let e =
            small.spawn(move || precheck(&deep, &limits_big).map(|_| ()).unwrap_err().to_string()).unwrap();
        let e = e.join().expect("the check must not overflow its stack");
        assert!(e.contains("nest more than 256 deep") && e.contains("svg-depth"), "{e}");
        assert!(precheck(&nested_groups(200), &limits).is_ok());
        let many = format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>", "<rect/>".repeat(60_000));
        let e = precheck(&many, &limits).unwrap_err().to_string();
        assert!(e.contains("more than 50,000 elements"), "{e}");
    }

    #[test]
    fn use_copies_count_as_elements() {
        // Ten levels of ten `<use>`s: 10^10 elements from under 2 KB.
        let mut defs = String::from("<g id=\"l0\"><rect width=\"1\" height=\"1\"/></g>");
        for level in 1..=10 {
            defs.push_str(&format!("<g id=\"l{level}\">"));
            for _ in 0..10 {
                defs.push_str(&format!("<use href=\"#l{}\"/>", level - 1));
            }
            defs.push_str("</g>");
        }
        let bomb = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><defs>{defs}</defs><use href=\"#l10\"/></svg>"
        );
        let e = precheck(&bomb, &Limits::default()).unwrap_err().to_string();
        assert!(e.contains("once its `<use>` copies are made"), "{e}");
        // A reference to itself counts once and does not loop.
        let selfish = "<svg xmlns=\"http://www.w3.org/2000/svg\"><g id=\"a\"><use href=\"#a\"/></g></svg>";
        assert!(precheck(selfish, &Limits::default()).is_ok());
    }

    #[test]
    fn entities_and_compressed_files_are_refused() {
        let lol = "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a \"aaaa\">]><svg xmlns=\"http://www.w3.org/2000/svg\">&a;</svg>";
        assert!(matches!(precheck(lol, &Limits::default()), Err(SvgError::Entities)));
        assert!(matches!(text_of(&[0x1f, 0x8b, 8, 0]), Err(SvgError::Compressed)));
    }
}
