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

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::output::{write_text, OutputError};
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
    pub poster: String,
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
            poster: req.file("jpg"),
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
    let mut written = write_beside(graph, req)?;
    let video = req.file("mp4");
    let files = page::Files { video: &video, poster: &written.poster, captions: written.captions.as_deref() };
    let view = page::View { format: "", graph, files };
    written.page = write_page(std::slice::from_ref(&view), req)?;
    Ok(written)
}

/// [`write`] without the page: the poster, the captions and the preview of one format.
pub fn write_beside(graph: &SceneGraph, req: &Request) -> Result<Written, OutputsError> {
    let poster = req.file("jpg");
    poster::write_poster(graph, &req.path("jpg"), req.tag)?;
    let mut written = Written { poster, ..Written::default() };
    let cues = &graph.companions.captions;
    if !cues.is_empty() {
        write_text(&req.path("vtt"), req.tag, &captions::to_vtt_in(cues, &graph.companions.captions_lang))?;
        written.captions = Some(req.file("vtt"));
        if req.srt {
            write_text(
                &req.path("srt"),
                req.tag,
                &captions::to_srt_in(cues, &graph.companions.captions_lang),
            )?;
            written.srt = Some(req.file("srt"));
        }
    }
    if preview::write_preview_until(graph, &req.path("gif"), req.tag, req.deadline)? {
        written.preview = Some(req.file("gif"));
    }
    Ok(written)
}

/// Writes the page (`<name>.html`) offering the video in each format of `views` (the default
/// first), with the fonts its buttons use; None when the storyboard has no `page`.
pub fn write_page(views: &[page::View], req: &Request) -> Result<Option<String>, OutputsError> {
    let Some(html) = page::render_formats(views) else { return Ok(None) };
    for v in views {
        for (font, url) in page::fonts(v.graph) {
            publish_font(font, &req.dir.join(url), req.tag)?;
        }
    }
    write_text(&req.path("html"), req.tag, &html)?;
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
