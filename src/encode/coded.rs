//! Coded pieces that the MP4 writer and the segment cache both handle: a segment's coded
//! pictures, and the key they are cached under. (Kept apart so that `mp4` and `segment` do not
//! import each other.)

use super::x264::{Coded, Params};

/// What a cached piece depends on, hashed (SHA-256).
pub type Key = [u8; 32];

/// A segment encoded once: its pictures with pts relative to its first frame.
pub struct Segment {
    pub frames: u32,
    /// pts of the pictures sent (the first is 0, the last `frames - 1`).
    pub sent: Vec<u32>,
    pub packets: Vec<Coded>,
    pub params: Params,
    pub delay: usize,
}

impl Segment {
    /// Memory held, for the cache's bound.
    pub fn bytes(&self) -> usize {
        self.packets.iter().map(|c| c.data.len() + std::mem::size_of::<Coded>()).sum::<usize>()
            + self.sent.len() * 4
            + 1024
    }
}
