//! What the studio holds between requests: the storyboards of one folder, the customers of one
//! data file, and the work already done for them, all keyed by the workspace's version, which
//! every saved file the storyboards use moves on (see `watch`).
//!
//! In: the author's choice (storyboard, customer, format). Out: the record bound into a scene
//! graph with `check`'s problems ([`Bound`], one per version and choice, kept in a small LRU),
//! and frames drawn from it (encoded JPEG or PNG, kept in a bounded LRU). Nothing here writes a
//! file but the preview videos (`playback`), in a folder of its own.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use lru::LruCache;
use serde::Deserialize;

use super::customers::CustomerIndex;
use super::problems::{self, Problem};
use crate::bind::Binder;
use crate::limits::Limits;
use crate::raster;
use crate::scene::SceneGraph;
use crate::storyboard::{Diagnostic, Diagnostics};

/// Bound records kept (a scene graph of the demo is a few MB with its text sprites).
const BOUND_KEPT: usize = 16;
/// Encoded frames kept (a 720p JPEG of the demo is 60-150 KB).
const FRAMES_KEPT: usize = 400;

/// What the studio is started on.
#[derive(Debug, Clone)]
pub struct Options {
    /// The storyboard opened first; the others of its folder can be chosen.
    pub storyboard: PathBuf,
    pub data: PathBuf,
    pub id_field: String,
    /// The record field searched as the customer's name (default: `customer.name`, `name`, or
    /// first and last name).
    pub name_field: Option<String>,
    pub assets: Option<PathBuf>,
    pub limits: Limits,
    /// How a storyboard file becomes a binder: the library's front door (`crate::load_with`),
    /// handed in by the command line, which alone uses the crate root.
    pub loader: Loader,
}

/// Loads a storyboard file with an assets folder (None: its own `assets:`) under limits.
pub type Loader = fn(&Path, Option<&Path>, &Limits) -> Result<Binder, Diagnostics>;

/// The author's choice, as every request names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
pub struct Choice {
    /// A storyboard's file name in the workspace's folder.
    pub storyboard: String,
    /// A customer's id in the data file.
    pub id: String,
    /// One of the storyboard's formats; None: its default.
    #[serde(default)]
    pub format: Option<String>,
}

/// A storyboard as loaded: ready to bind, or every problem that stops it.
pub type Loaded = Result<Binder, Diagnostics>;

/// A storyboard's name and format.
type StoryboardKey = (String, Option<String>);

/// One record bound at one version: its scene graph (None when it does not bind), the
/// renderer's cache for that graph, and `check`'s problems for it.
pub struct Bound {
    pub version: u64,
    pub graph: Option<SceneGraph>,
    pub problems: Vec<Problem>,
    /// Kept for this graph only: the settled backgrounds and text sprites, so a scrub redraws
    /// only what moves.
    pub cache: Mutex<raster::Cache>,
}

/// Why a choice cannot be shown at all.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("no storyboard `{0}` in the studio's folder (choose one of the list)")]
    NoStoryboard(String),
    #[error("no customer `{id}` in {data}")]
    NoCustomer { id: String, data: String },
    #[error("the billing data cannot be read: {0}")]
    Data(String),
}

pub struct Workspace {
    pub opts: Options,
    /// The storyboard's folder: the storyboards offered, and watched.
    pub folder: PathBuf,
    version: AtomicU64,
    customers: RwLock<Arc<Result<CustomerIndex, String>>>,
    /// Each storyboard (by name and format) as loaded, with the version it was loaded at.
    storyboards: Mutex<HashMap<StoryboardKey, (u64, Arc<Loaded>)>>,
    bound: Mutex<LruCache<(u64, Choice), Arc<Bound>>>,
    frames: Mutex<LruCache<FrameKey, Arc<Vec<u8>>>>,
}

/// Which frame, drawn how.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FrameKey {
    version: u64,
    choice: Choice,
    frame: u32,
    kind: ImageKind,
}

/// How a frame is sent: JPEG for scrubbing (a fifth of PNG's bytes and a quarter of its
/// encoding time), PNG when exact pixels matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    #[default]
    Jpeg,
    Png,
}

impl ImageKind {
    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
        }
    }
}

/// Locks a cache, taking it over if a thread panicked while holding it (nothing that can
/// panic runs under these locks, but a cache is never worth failing a request for).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Workspace {
    pub fn new(opts: Options) -> Workspace {
        let folder = match opts.storyboard.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let ws = Workspace {
            folder,
            version: AtomicU64::new(1),
            customers: RwLock::new(Arc::new(Err("not read yet".into()))),
            storyboards: Mutex::new(HashMap::new()),
            bound: Mutex::new(LruCache::new(NonZeroUsize::new(BOUND_KEPT).expect("non-zero"))),
            frames: Mutex::new(LruCache::new(NonZeroUsize::new(FRAMES_KEPT).expect("non-zero"))),
            opts,
        };
        ws.reindex_customers();
        ws
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// A file the storyboards use changed: everything bound or drawn before is stale. Returns
    /// the new version.
    pub fn bump(&self, data_changed: bool) -> u64 {
        if data_changed {
            self.reindex_customers();
        }
        let v = self.version.fetch_add(1, Ordering::SeqCst) + 1;
        lock(&self.storyboards).clear();
        lock(&self.bound).clear();
        lock(&self.frames).clear();
        v
    }

    fn reindex_customers(&self) {
        let o = &self.opts;
        let index = CustomerIndex::build(&o.data, &o.id_field, o.name_field.as_deref(), &o.limits)
            .map_err(|e| e.to_string());
        *self.customers.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(index);
    }

    pub fn customers(&self) -> Arc<Result<CustomerIndex, String>> {
        self.customers.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The storyboards an author can choose: the YAML files of the folder, by name.
    pub fn storyboards(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.folder)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| (n.ends_with(".yaml") || n.ends_with(".yml")) && !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    /// The storyboard opened first.
    pub fn first_storyboard(&self) -> String {
        self.opts.storyboard.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// The path of a storyboard chosen by name: only a YAML file listed in the folder, so a
    /// request can never name a file elsewhere.
    pub fn storyboard_path(&self, name: &str) -> Result<PathBuf, Refused> {
        if name == self.first_storyboard() || self.storyboards().iter().any(|n| n == name) {
            Ok(self.folder.join(name))
        } else {
            Err(Refused::NoStoryboard(name.to_string()))
        }
    }

    /// The storyboard loaded for this version and format, loading it on first use.
    pub fn storyboard(&self, name: &str, format: Option<&str>) -> Result<Arc<Loaded>, Refused> {
        let path = self.storyboard_path(name)?;
        let version = self.version();
        let key = (name.to_string(), format.map(str::to_string));
        if let Some((v, loaded)) = lock(&self.storyboards).get(&key) {
            if *v == version {
                return Ok(loaded.clone());
            }
        }
        let loaded = Arc::new(load_storyboard(&path, format, &self.opts));
        lock(&self.storyboards).insert(key, (version, loaded.clone()));
        Ok(loaded)
    }

    /// The chosen record bound at the current version, with its problems.
    pub fn bound(&self, choice: &Choice) -> Result<Arc<Bound>, Refused> {
        let version = self.version();
        let key = (version, choice.clone());
        if let Some(b) = lock(&self.bound).get(&key) {
            return Ok(b.clone());
        }
        let loaded = self.storyboard(&choice.storyboard, choice.format.as_deref())?;
        let customers = self.customers();
        let index = customers.as_ref().as_ref().map_err(|e| Refused::Data(e.clone()))?;
        let no_customer =
            || Refused::NoCustomer { id: choice.id.clone(), data: self.opts.data.display().to_string() };
        if !index.has(&choice.id) {
            return Err(no_customer());
        }
        let bound = match loaded.as_ref() {
            Err(d) => Bound::failed(version, problems::of_storyboard(d)),
            Ok(binder) => match index.fetch(&choice.id, &self.opts.limits) {
                Err(e) => Bound::failed(version, vec![record_problem(&e.to_string())]),
                Ok(rec) => {
                    let _warnings = crate::warnings::per_record(&rec.id);
                    // The frames come from `bind`, exactly as `preview --at` draws them; the
                    // problems from `check`'s gathering bind, which goes on past the first.
                    let (gather, _) = binder.check_record(&rec);
                    let graph = binder.bind(&rec).ok();
                    Bound {
                        version,
                        graph,
                        problems: problems::of_record(&gather),
                        cache: Mutex::new(raster::Cache::default()),
                    }
                }
            },
        };
        let bound = Arc::new(bound);
        lock(&self.bound).put(key, bound.clone());
        Ok(bound)
    }

    /// Frame at `secs` of the chosen record, encoded; from the cache when drawn before at this
    /// version. Runs on the calling thread: call it off the async runtime.
    pub fn frame(&self, choice: &Choice, secs: f64, kind: ImageKind) -> Result<Arc<Vec<u8>>, FrameError> {
        let bound = self.bound(choice).map_err(FrameError::Refused)?;
        let Some(graph) = &bound.graph else {
            return Err(FrameError::DoesNotBind(
                bound.problems.first().map(|p| p.message.clone()).unwrap_or_default(),
            ));
        };
        let frame = crate::outputs::still::frame_at(graph, secs).map_err(FrameError::Time)?;
        let key = FrameKey { version: bound.version, choice: choice.clone(), frame, kind };
        if let Some(bytes) = lock(&self.frames).get(&key) {
            return Ok(bytes.clone());
        }
        let picture = {
            let mut cache = lock(&bound.cache);
            crate::outputs::still::draw(graph, frame, &mut cache)
        };
        let bytes = Arc::new(encode(picture, kind).map_err(|e| FrameError::Encode(e.to_string()))?);
        lock(&self.frames).put(key, bytes.clone());
        Ok(bytes)
    }
}

/// Why no frame could be sent.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("{0}")]
    Refused(Refused),
    #[error("this record does not render: {0}")]
    DoesNotBind(String),
    #[error("{0}")]
    Time(crate::outputs::still::StillError),
    #[error("cannot encode the frame: {0}")]
    Encode(String),
}

impl Bound {
    fn failed(version: u64, problems: Vec<Problem>) -> Bound {
        Bound { version, graph: None, problems, cache: Mutex::new(raster::Cache::default()) }
    }
}

fn record_problem(message: &str) -> Problem {
    Problem {
        severity: problems::Severity::Error,
        file: None,
        line: None,
        column: None,
        path: String::new(),
        message: message.to_string(),
        hint: None,
        excerpt: None,
    }
}

/// Loads a storyboard for one format.
///
/// FORMATS: the one place the studio wires formats. When `formats:` lands
/// (src/storyboard/formats.rs), load `path` with the overrides of `format` applied (None: the
/// storyboard's default) and make [`formats_of`] list the declared ones; the HTTP API and the
/// page already pass `format` through every request and show a picker when the list is not
/// empty.
pub fn load_storyboard(path: &Path, format: Option<&str>, opts: &Options) -> Loaded {
    if let Some(name) = format {
        return Err(Diagnostics(vec![Diagnostic {
            file: path.to_path_buf(),
            pos: None,
            path: String::new(),
            message: format!("this storyboard declares no format `{name}`"),
            hint: Some("choose the default format (no `format`)".into()),
        }]));
    }
    (opts.loader)(path, opts.assets.as_deref(), &opts.limits)
}

/// The formats a storyboard declares, its default first; empty while storyboards have one shape.
/// FORMATS: see [`load_storyboard`].
pub fn formats_of(_binder: &Binder) -> Vec<String> {
    Vec::new()
}

fn encode(picture: image::RgbaImage, kind: ImageKind) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    match kind {
        ImageKind::Jpeg => {
            let rgb = image::DynamicImage::ImageRgba8(picture).to_rgb8();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&rgb)?;
        }
        ImageKind::Png => {
            use image::codecs::png::{CompressionType, FilterType, PngEncoder};
            let enc = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Sub);
            picture.write_with_encoder(enc)?;
        }
    }
    Ok(out)
}
