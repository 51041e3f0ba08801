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
    write_prepared(graph, req, &prepared, Keep::default())
}

/// SHA-256 of what each file beside the video is made from: equal hashes, equal files. The
/// poster's and the preview's are of the frames they show (the video's picture hash) and their
/// settings; the captions' and the page's are of their text. None: the file is not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHashes {
    pub poster: Option<ContentHash>,
    pub preview: Option<ContentHash>,
    pub captions: Option<ContentHash>,
    pub page: Option<ContentHash>,
}

/// Files a previous run wrote that are still right (their hashes match and they are there):
/// [`write_prepared`] leaves them as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    pub poster: bool,
    pub preview: bool,
    pub captions: bool,
    pub page: bool,
}

/// The texts beside the video, made (they are cheap), and every file's hash, before anything
/// is written: lets a rerun see which files changed.
#[derive(Debug, Clone)]
pub struct Prepared {
    vtt: Option<String>,
    srt: Option<String>,
    page: Option<String>,
    pub hashes: FileHashes,
}

/// Makes the texts and hashes the files of `graph` whose picture hash is `picture`.
pub fn prepare(graph: &SceneGraph, req: &Request, picture: ContentHash) -> Prepared {
    let sha = |parts: &[&[u8]]| -> ContentHash {
        let mut h = Sha256::new();
        h.update(concat!("billreel ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        h.finalize().into()
    };
    let c = &graph.companions;
    let vtt = (!c.captions.is_empty()).then(|| captions::to_vtt_in(&c.captions, &c.captions_lang));
    let srt = vtt.as_ref().filter(|_| req.srt).map(|_| captions::to_srt_in(&c.captions, &c.captions_lang));
    let video = req.file("mp4");
    let poster = (!c.poster.off).then(|| req.file("jpg"));
    let caption_file = vtt.as_ref().map(|_| req.file("vtt"));
    let files = page::Files { video: &video, poster: poster.as_deref(), captions: caption_file.as_deref() };
    let page = page::render(graph, &files);
    let p = c.poster;
    let button_at = p.play_button_at.map(|a| a.fractions());
    let poster_settings = format!("poster at={} button={} at={button_at:?}", p.at, p.play_button);
    let hashes = FileHashes {
        poster: poster.map(|_| sha(&[&picture, poster_settings.as_bytes()])),
        preview: c.preview.map(|v| {
            let settings = format!("preview from={} secs={} width={} fps={}", v.from, v.secs, v.width, v.fps);
            sha(&[&picture, settings.as_bytes()])
        }),
        captions: vtt.as_ref().map(|v| sha(&[v.as_bytes(), srt.as_deref().unwrap_or("").as_bytes()])),
        page: page.as_ref().map(|html| sha(&[html.as_bytes()])),
    };
    Prepared { vtt, srt, page, hashes }
}

/// Writes the files of `prepared` that `keep` does not keep, each atomically; the names of the
/// kept ones are given as they are on disk.
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
    if let Some(html) = &prepared.page {
        // Fonts are shared by every page of the folder and written only when missing or
        // different, so they are checked even when the page is kept.
        for (font, url) in page::fonts(graph) {
            publish_font(font, &req.dir.join(url), req.tag)?;
        }
        if !keep.page {
            write_text(&req.path("html"), req.tag, html)?;
        }
        written.page = Some(req.file("html"));
    }
    Ok(written)
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
