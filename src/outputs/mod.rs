//! Outputs: the files that go with a record's video, written by one step that `render` and
//! `batch` both use.
//!
//! In: a bound [`SceneGraph`], a folder and a file stem (a record id, or an unguessable link
//! name). Out, each written atomically under that stem: the poster (`.jpg`, [`poster`]), the
//! captions (`.vtt`, and `.srt` when asked, [`captions`]), the animated preview (`.gif`, when the
//! storyboard has `preview:`, [`preview`]) and the landing page (`.html`, when it has `page:`,
//! [`page`]). The video itself (`.mp4`) is the encoder's.

pub mod captions;
pub mod page;
pub mod poster;
pub mod preview;
pub mod still;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::output::{write_text, OutputError};
use sha2::{Digest, Sha256};

use crate::scene::hash::ContentHash;
use crate::scene::SceneGraph;

/// A file beside the video that could not be written.
#[derive(Debug, Error)]
pub enum OutputsError {
    #[error("cannot write {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The record's time budget ran out while this file was being made (nothing published).
    #[error("the time budget ran out while making {path}")]
    Timeout { path: PathBuf },
}

/// An encoder's or the file system's failure while writing `out`.
pub(crate) fn fail(out: &Path, message: impl std::fmt::Display) -> OutputsError {
    OutputsError::File { path: out.to_path_buf(), message: message.to_string() }
}

/// Where the files go and which optional ones are wanted.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub dir: &'a Path,
    /// The stem every file shares (`C0001`, or a link name).
    pub name: &'a str,
    /// Says who writes the temporary files (see [`crate::output::temp_name`]).
    pub tag: &'a str,
    /// Also write the captions as SubRip.
    pub srt: bool,
    /// When the record's time is up (batch's `--record-timeout`): the preview stops there.
    pub deadline: Option<crate::encode::Deadline>,
}

impl Request<'_> {
    /// `<name>.<ext>`.
    pub fn file(&self, ext: &str) -> String {
        format!("{}.{ext}", self.name)
    }

    pub fn path(&self, ext: &str) -> PathBuf {
        self.dir.join(self.file(ext))
    }
}

/// The names (in the request's folder) of the files beside the video.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// None: the storyboard turned the poster off.
    pub poster: Option<String>,
    pub captions: Option<String>,
    pub srt: Option<String>,
    pub preview: Option<String>,
    pub page: Option<String>,
}

impl Written {
    /// The files a previous run wrote for this stem, as they are on disk now.
    pub fn existing(req: &Request) -> Written {
        let present = |ext: &str| Some(req.file(ext)).filter(|f| req.dir.join(f).is_file());
        Written {
            poster: present("jpg"),
            captions: present("vtt"),
            srt: present("srt"),
            preview: present("gif"),
            page: present("html"),
        }
    }
}

/// Writes the poster, the captions, the preview and the page of `graph` (those it has), each
/// atomically; the page refers to `<name>.mp4`, the poster and the captions.
pub fn write(graph: &SceneGraph, req: &Request) -> Result<Written, OutputsError> {
    let prepared = prepare(graph, req, graph.picture_hash());
    let mut written = write_prepared(graph, req, &prepared, Keep::default())?;
    let video = req.file("mp4");
    let files = page::Files {
        video: &video,
        poster: written.poster.as_deref(),
        captions: written.captions.as_deref(),
    };
    let view = page::View { format: "", graph, files };
    written.page = write_page(std::slice::from_ref(&view), req, false)?;
    Ok(written)
}

/// SHA-256 of what each file beside one format's video is made from: equal hashes, equal files.
/// The poster's and the preview's are of the frames they show (the video's picture hash) and
/// their settings; the captions' are of their text. None: the file is not made. (The page,
/// one for every format, is hashed by its text: see [`page_html`].)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHashes {
    pub poster: Option<ContentHash>,
    pub preview: Option<ContentHash>,
    pub captions: Option<ContentHash>,
}

/// Files a previous run wrote that are still right (their hashes match and they are there):
/// [`write_prepared`] and [`write_page`] leave them as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    pub poster: bool,
    pub preview: bool,
    pub captions: bool,
    pub page: bool,
}

/// The captions beside one format's video, made (they are cheap), and every file's hash,
/// before anything is written: lets a rerun see which files changed.
#[derive(Debug, Clone)]
pub struct Prepared {
    vtt: Option<String>,
    srt: Option<String>,
    pub hashes: FileHashes,
}

/// A SHA-256 of `parts` under the engine's version.
pub fn sha(parts: &[&[u8]]) -> ContentHash {
    let mut h = Sha256::new();
    h.update(concat!("billreel ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// Makes the captions and hashes the files of `graph` whose picture hash is `picture`.
pub fn prepare(graph: &SceneGraph, req: &Request, picture: ContentHash) -> Prepared {
    let c = &graph.companions;
    let vtt = (!c.captions.is_empty()).then(|| captions::to_vtt_in(&c.captions, &c.captions_lang));
    let srt = vtt.as_ref().filter(|_| req.srt).map(|_| captions::to_srt_in(&c.captions, &c.captions_lang));
    let p = c.poster;
    let button_at = p.play_button_at.map(|a| a.fractions());
    let poster_settings = format!("poster at={} button={} at={button_at:?}", p.at, p.play_button);
    let hashes = FileHashes {
        poster: (!p.off).then(|| sha(&[&picture, poster_settings.as_bytes()])),
        preview: c.preview.map(|v| {
            let settings = format!("preview from={} secs={} width={} fps={}", v.from, v.secs, v.width, v.fps);
            sha(&[&picture, settings.as_bytes()])
        }),
        captions: vtt.as_ref().map(|v| sha(&[v.as_bytes(), srt.as_deref().unwrap_or("").as_bytes()])),
    };
    Prepared { vtt, srt, hashes }
}

/// Writes the files of `prepared` beside one format's video that `keep` does not keep, each
/// atomically (not the page: see [`write_page`]); the names of the kept ones are given as
/// they are on disk.
pub fn write_prepared(
    graph: &SceneGraph,
    req: &Request,
    prepared: &Prepared,
    keep: Keep,
) -> Result<Written, OutputsError> {
    let mut written = Written::default();
    if prepared.hashes.poster.is_some() {
        if !keep.poster {
            poster::write_poster(graph, &req.path("jpg"), req.tag)?;
        }
        written.poster = Some(req.file("jpg"));
    }
    if let Some(vtt) = &prepared.vtt {
        if !keep.captions {
            write_text(&req.path("vtt"), req.tag, vtt)?;
        }
        written.captions = Some(req.file("vtt"));
        if let Some(srt) = &prepared.srt {
            if !keep.captions {
                write_text(&req.path("srt"), req.tag, srt)?;
            }
            written.srt = Some(req.file("srt"));
        }
    }
    let preview_there = prepared.hashes.preview.is_some() && keep.preview;
    if preview_there || preview::write_preview_until(graph, &req.path("gif"), req.tag, req.deadline)? {
        written.preview = Some(req.file("gif"));
    }
    Ok(written)
}

/// The page offering the video in each format of `views` (the default first), and its hash;
/// None when the storyboard has no `page`.
pub fn page_html(views: &[page::View]) -> Option<(String, ContentHash)> {
    let html = page::render_formats(views)?;
    let hash = sha(&[html.as_bytes()]);
    Some((html, hash))
}

/// Writes the page (`<name>.html`) offering the video in each format of `views`, with the fonts
/// its buttons use (those are checked even when the page is `keep`: they are shared by every
/// page of the folder and written only when missing or different); None when the storyboard
/// has no `page`.
pub fn write_page(views: &[page::View], req: &Request, keep: bool) -> Result<Option<String>, OutputsError> {
    let Some((html, _)) = page_html(views) else { return Ok(None) };
    for v in views {
        for (font, url) in page::fonts(v.graph) {
            publish_font(font, &req.dir.join(url), req.tag)?;
        }
    }
    if !keep {
        write_text(&req.path("html"), req.tag, &html)?;
    }
    Ok(Some(req.file("html")))
}

/// Copies a font a page uses to `dest` (its `fonts/` folder), with its licence when one sits
/// beside it as `<family>-LICENSE.txt` (the SIL Open Font License asks for it to travel with
/// the font). Shared by every page of the folder: written once, when missing or different.
fn publish_font(font: &Path, dest: &Path, tag: &str) -> Result<(), OutputsError> {
    let mut files = vec![(font.to_path_buf(), dest.to_path_buf())];
    let stem = font.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let family = stem.split('-').next().unwrap_or(&stem);
    let licence = font.with_file_name(format!("{family}-LICENSE.txt"));
    if licence.is_file() {
        files.push((licence.clone(), dest.with_file_name(licence.file_name().unwrap_or_default())));
    }
    for (from, to) in files {
        let bytes =
            std::fs::read(&from).map_err(|e| fail(&to, format!("cannot read {}: {e}", from.display())))?;
        if std::fs::read(&to).is_ok_and(|there| there == bytes) {
            continue;
        }
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| fail(&to, e))?;
        }
        crate::output::write_bytes(&to, tag, &bytes)?;
    }
    Ok(())
}
