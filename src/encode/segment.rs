//! Shared segments: runs of frames that look the same in many videos (an intro, an outro, a
//! tips scene chosen by segment of customers) are encoded once per batch and their coded
//! pictures copied into every video that contains them.
//!
//! A video is cut where the set of scenes on screen changes: at each scene's start and end, so
//! a transition between two scenes is a segment of its own and belongs to both (it is shared
//! only when both scenes are). A segment's key is a SHA-256 of everything its pixels depend
//! on: the encoder profile, its length, and every scene on screen during it (its placement
//! relative to the segment and its [`crate::scene::Scene::content_hash`]: background and
//! every resolved node, with its glyph outlines and the pixel data of its images). A scene that binds a record field therefore gets another key when the value
//! differs, and the same key when the value happens to be equal.
//!
//! A piece is cut out of a video only once its key has been met before (in the batch): the
//! first video of a run is encoded whole, and personalised pieces never cost a cut or cache
//! memory. Runs of pieces not worth cutting are encoded together. Each segment (a cut piece,
//! or a run) is encoded by its own x264 instance, so it starts with an IDR frame, and its last
//! frame is always sent; with the fixed profile (see `x264`) its headers equal every other
//! segment's, and cached and fresh segments are the same bytes.
//!
//! The sound track is never cut. When a video's whole mix is the same as another's in the
//! batch (the same music and voice-overs at the same times, the same length: keyed by
//! [`crate::audio::Plan::digest`]), its coded track is copied whole from the cache, from the
//! mix's first sighting on; a copied track is the same bytes as one encoded again.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::coded::{Key, Segment};
use super::mp4::{CodedSound, Sink};
use super::x264::Coded;
use super::EncodeSettings;
use crate::scene::hash::{HashContent, Sha256Hasher};
use crate::scene::SceneGraph;
use crate::timings::Timings;

/// Where a video is cut: `frames` frames from `start`, and the key of their content.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub start: u32,
    pub frames: u32,
    pub key: Key,
}

/// A segment being encoded: collects what the encoder gives.
#[derive(Default)]
pub struct Collector {
    pub sent: Vec<u32>,
    pub packets: Vec<Coded>,
}

impl Sink for Collector {
    fn sent(&mut self, pts: i64) {
        self.sent.push(pts as u32);
    }

    fn coded(&mut self, coded: &mut Vec<Coded>, _times: &mut Timings) -> Result<(), ffmpeg_next::Error> {
        self.packets.append(coded);
        Ok(())
    }
}

/// Cuts `graph` into segments of at least two frames where the scenes on screen change.
pub fn plan(graph: &SceneGraph, settings: &EncodeSettings) -> Vec<Piece> {
    let total = graph.total_frames;
    let mut bounds: Vec<u32> = graph.scenes.iter().flat_map(|s| [s.start, s.start + s.frames]).collect();
    bounds.extend([0, total]);
    bounds.retain(|&c| c <= total);
    bounds.sort_unstable();
    bounds.dedup();
    // A piece of one frame joins the one before (the first one, the one after).
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for w in bounds.windows(2) {
        match ranges.last_mut() {
            Some(last) if w[1] - w[0] < 2 || last.1 - last.0 < 2 => last.1 = w[1],
            _ => ranges.push((w[0], w[1])),
        }
    }
    let profile = profile(graph, settings);
    let digests: Vec<Key> = graph.scenes.iter().map(|s| s.content_hash()).collect();
    ranges
        .into_iter()
        .map(|(start, end)| {
            let mut h = Sha256::new();
            h.update(profile);
            h.update((end - start).to_le_bytes());
            for (scene, digest) in graph.scenes.iter().zip(&digests) {
                if scene.start < end && scene.start + scene.frames > start {
                    h.update((scene.start as i64 - start as i64).to_le_bytes());
                    h.update(digest);
                }
            }
            Piece { start, frames: end - start, key: h.finalize().into() }
        })
        .collect()
}

/// What every piece of `graph` depends on besides its scenes: this program's version, the
/// canvas, the frame rate, the encoder settings and the video's background.
fn profile(graph: &SceneGraph, settings: &EncodeSettings) -> Key {
    let mut h = Sha256Hasher(Sha256::new());
    concat!("billreel ", env!("CARGO_PKG_VERSION")).hash(&mut h);
    (graph.width, graph.height, graph.fps).hash(&mut h);
    settings.hash(&mut h);
    graph.background.hash_content(&mut h);
    h.0.finalize().into()
}

/// Segments (and whole sound tracks) shared by the workers of a batch, bounded in memory; the
/// least recently used go first.
pub struct SegmentCache {
    limit: usize,
    inner: Mutex<Inner>,
}

/// What the cache holds: a segment's coded pictures, or a whole sound track (under a key of
/// its own kind, so the two never meet).
#[derive(Clone)]
enum Entry {
    Pictures(Arc<Segment>),
    Sound(Arc<CodedSound>),
}

impl Entry {
    fn bytes(&self) -> usize {
        match self {
            Entry::Pictures(seg) => seg.bytes(),
            Entry::Sound(sound) => sound.bytes(),
        }
    }
}

#[derive(Default, Clone)]
struct Inner {
    map: HashMap<Key, (Entry, u64)>,
    /// Keys of pieces met so far. A piece is cut out and cached from its second sighting on:
    /// personalised pieces, met once, never take memory or cost a cut.
    seen: HashSet<Key>,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
    sound_hits: u64,
}

impl Inner {
    /// The entry under `key`, marked as just used.
    fn use_entry(&mut self, key: &Key) -> Option<Entry> {
        self.clock += 1;
        let now = self.clock;
        self.map.get_mut(key).map(|(entry, used)| {
            *used = now;
            entry.clone()
        })
    }
}

/// How the cache did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub bytes: usize,
    pub segments: usize,
    /// Sound tracks copied from the cache, and held there.
    pub sound_hits: u64,
    pub sounds: usize,
}

/// A copy of what the cache holds and has seen (the coded pictures are shared, not copied): a
/// benchmark measures several renders against the same warm cache.
impl Clone for SegmentCache {
    fn clone(&self) -> SegmentCache {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        SegmentCache { limit: self.limit, inner: Mutex::new(inner) }
    }
}

impl SegmentCache {
    /// A cache holding at most `megabytes` of coded pictures.
    pub fn new(megabytes: usize) -> SegmentCache {
        SegmentCache { limit: megabytes.saturating_mul(1 << 20), inner: Mutex::default() }
    }

    /// Which of `pieces` are worth cutting out (met before, in this video or another), and
    /// notes them all as met.
    pub fn shared(&self, pieces: &[Piece]) -> Vec<bool> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: 32 bytes a key; forgetting only delays caching a piece by one sighting.
        if inner.seen.len() > 1 << 20 {
            inner.seen.clear();
        }
        pieces.iter().map(|p| !inner.seen.insert(p.key) || inner.map.contains_key(&p.key)).collect()
    }

    /// The coded sound track under `key`, if a video of the batch had the same mix. Unlike
    /// a piece of pictures, a track is kept from its first sighting on: keeping it costs no
    /// cut, only memory, and a personalised track, never used again, is the first to go.
    pub fn sound(&self, key: &Key) -> Option<Arc<CodedSound>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let found = match inner.use_entry(key) {
            Some(Entry::Sound(sound)) => Some(sound),
            _ => None,
        };
        if found.is_some() {
            inner.sound_hits += 1;
        }
        found
    }

    pub fn insert_sound(&self, key: Key, sound: CodedSound) {
        self.put(key, Entry::Sound(Arc::new(sound)));
    }

    pub fn get(&self, key: &Key) -> Option<Arc<Segment>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let found = match inner.use_entry(key) {
            Some(Entry::Pictures(seg)) => Some(seg),
            _ => None,
        };
        match found {
            Some(_) => inner.hits += 1,
            None => inner.misses += 1,
        }
        found
    }

    pub fn insert(&self, key: Key, seg: Arc<Segment>) {
        self.put(key, Entry::Pictures(seg));
    }

    /// Holds `entry`, dropping the least recently used entries beyond the bound.
    fn put(&self, key: Key, entry: Entry) {
        let size = entry.bytes();
        if size > self.limit {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.clock += 1;
        let now = inner.clock;
        if let Some((old, _)) = inner.map.insert(key, (entry, now)) {
            inner.bytes -= old.bytes();
        }
        inner.bytes += size;
        while inner.bytes > self.limit {
            let Some(oldest) = inner.map.iter().min_by_key(|(_, (_, used))| *used).map(|(k, _)| *k) else {
                break;
            };
            if let Some((gone, _)) = inner.map.remove(&oldest) {
                inner.bytes -= gone.bytes();
            }
        }
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let sounds = inner.map.values().filter(|(e, _)| matches!(e, Entry::Sound(_))).count();
        CacheStats {
            hits: inner.hits,
            misses: inner.misses,
            bytes: inner.bytes,
            segments: inner.map.len() - sounds,
            sound_hits: inner.sound_hits,
            sounds,
        }
    }
}
