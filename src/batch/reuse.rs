//! Reuse: which of a record's files a rerun can keep.
//!
//! Each kind of output has its own hash, of what that file is made from once the record is
//! bound (not of the storyboard's text): the video's is of its frames (the scene graph's picture
//! hash: every resolved value, glyph outline and image pixel), its sound (the mix plan's digest,
//! which covers the audio files' samples) and the encoder settings; the poster's and the GIF's
//! are of the frames and their own settings; the captions' and the page's are of their text.
//! So a change to the landing page alone rewrites the pages and keeps every video; a change to
//! one scene re-encodes the videos that play it (a record whose `when` skips it keeps its video);
//! a new logo re-encodes the videos that show it. Binding costs milliseconds, so every record
//! is bound on a rerun to find out.

use sha2::{Digest, Sha256};

use super::manifest::{self, DoneEntry};
use crate::encode::EncodeSettings;
use crate::outputs::{FileHashes, Keep, Request};
use crate::scene::hash::ContentHash;
use crate::scene::SceneGraph;

/// Every output's hash for one record, over all its formats (a file kind's hash changes when
/// that kind's file changes in any format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hashes {
    pub video: ContentHash,
    pub poster: Option<ContentHash>,
    pub preview: Option<ContentHash>,
    pub captions: Option<ContentHash>,
    pub page: Option<ContentHash>,
    /// How many formats the record is made in.
    pub formats: u64,
}

/// One format of a record, bound: its graph, its picture hash and its files' hashes.
pub struct Format<'a> {
    pub graph: &'a SceneGraph,
    pub picture: ContentHash,
    pub files: FileHashes,
}

impl Hashes {
    /// The video's hash from each format's picture hash, its sound and the encoder settings;
    /// the files' from [`crate::outputs::prepare`]; the page's from its text.
    pub fn new(formats: &[Format], settings: &EncodeSettings, page: Option<ContentHash>) -> Hashes {
        let mut h = Sha256::new();
        h.update(concat!("billreel video ", env!("CARGO_PKG_VERSION"), "\n").as_bytes());
        h.update(
            format!(
                "preset={} crf={} tune={:?} x264={:?} cfr={}\n",
                settings.preset, settings.crf, settings.tune, settings.x264_params, settings.cfr
            )
            .as_bytes(),
        );
        for f in formats {
            h.update(f.picture);
            match &f.graph.companions.audio {
                Some(plan) => h.update(plan.digest(f.graph.total_frames as usize)),
                None => h.update(b"silent"),
            }
        }
        let combine = |pick: &dyn Fn(&FileHashes) -> Option<ContentHash>| -> Option<ContentHash> {
            let parts: Vec<Option<ContentHash>> = formats.iter().map(|f| pick(&f.files)).collect();
            if parts.iter().all(Option::is_none) {
                return None;
            }
            let mut h = Sha256::new();
            for p in parts {
                h.update(p.unwrap_or([0; 32]));
            }
            Some(h.finalize().into())
        };
        Hashes {
            video: h.finalize().into(),
            poster: combine(&|f| f.poster),
            preview: combine(&|f| f.preview),
            captions: combine(&|f| f.captions),
            page,
            formats: formats.len() as u64,
        }
    }

    /// The manifest's `output_hashes`: each kind's hash in hex.
    pub fn to_manifest(&self) -> manifest::OutputHashes {
        manifest::OutputHashes {
            video: hex::encode(self.video),
            poster: self.poster.map(hex::encode),
            preview: self.preview.map(hex::encode),
            captions: self.captions.map(hex::encode),
            page: self.page.map(hex::encode),
        }
    }

    /// The manifest's `input_hash`: one hash of all of them (it changes when any output does).
    pub fn combined(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.video);
        for part in [self.poster, self.preview, self.captions, self.page] {
            h.update(part.unwrap_or([0u8; 32]));
        }
        hex::encode(h.finalize())
    }

    /// The short form kept in memory for every done record (see [`DoneEntry`]).
    pub fn short(&self) -> [u64; 5] {
        let s = |h: Option<ContentHash>| h.map_or(0, |h| manifest::short_hash(&h));
        [s(Some(self.video)), s(self.poster), s(self.preview), s(self.captions), s(self.page)]
    }
}

/// What a rerun keeps of a record's files: the video, and the files beside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    pub video: bool,
    pub files: Keep,
}

impl Reuse {
    /// Whether every file the record has is kept: nothing to do.
    pub fn everything(&self, hashes: &Hashes) -> bool {
        let (k, f) = (&self.files, hashes);
        self.video
            && (k.poster || f.poster.is_none())
            && (k.preview || f.preview.is_none())
            && (k.captions || f.captions.is_none())
            && (k.page || f.page.is_none())
    }
}

/// Which files of the previous run are still right: same names, same hash, still on disk (in
/// every format: `reqs`, the default first).
pub fn decide(previous: Option<&DoneEntry>, hashes: &Hashes, reqs: &[Request]) -> Reuse {
    decide_with(previous, hashes, reqs, &|req, ext| req.path(ext).is_file())
}

/// [`decide`] with `there(req, ext)` saying whether the file is still in place (on disk, or an
/// object store's object with the right checksum: see `batch::publish`).
pub fn decide_with(
    previous: Option<&DoneEntry>,
    hashes: &Hashes,
    reqs: &[Request],
    there: &dyn Fn(&Request, &str) -> bool,
) -> Reuse {
    let Some(previous) = previous else { return Reuse::default() };
    let req = &reqs[0];
    let poster = hashes.poster.map(|_| req.file("jpg"));
    if previous.names != manifest::names_digest(&req.file("mp4"), poster.as_deref()) {
        // Another link secret: every name changed.
        return Reuse::default();
    }
    let now = hashes.short();
    let same = |i: usize, ext: &str| {
        // The page is one per record; the other files are one per format.
        let in_place = || match ext {
            "html" => there(req, ext),
            _ => reqs.iter().all(|r| there(r, ext)),
        };
        now[i] != 0 && previous.outputs[i] == now[i] && in_place()
    };
    Reuse {
        video: same(0, "mp4"),
        files: Keep {
            poster: same(1, "jpg"),
            preview: same(2, "gif"),
            captions: same(3, "vtt") && (!req.srt || there(req, "srt")),
            page: same(4, "html"),
        },
    }
}

/// How many of each file a run made (not kept), for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Made {
    pub videos: u64,
    pub posters: u64,
    pub previews: u64,
    pub captions: u64,
    pub pages: u64,
    /// Records that kept at least one file of a previous run (and made the others).
    pub partly_kept: u64,
}

impl Made {
    /// What one record made, given what it kept (a video, poster, preview and captions per
    /// format; one page).
    pub fn of(reuse: &Reuse, hashes: &Hashes) -> Made {
        let (k, f) = (&reuse.files, hashes);
        let n = |made: bool| u64::from(made);
        let per_format = |made: bool| n(made) * hashes.formats;
        Made {
            videos: per_format(!reuse.video),
            posters: per_format(f.poster.is_some() && !k.poster),
            previews: per_format(f.preview.is_some() && !k.preview),
            captions: per_format(f.captions.is_some() && !k.captions),
            pages: n(f.page.is_some() && !k.page),
            partly_kept: n(reuse.video || k.poster || k.preview || k.captions || k.page),
        }
    }

    pub fn add(&mut self, other: &Made) {
        self.videos += other.videos;
        self.posters += other.posters;
        self.previews += other.previews;
        self.captions += other.captions;
        self.pages += other.pages;
        self.partly_kept += other.partly_kept;
    }
}
