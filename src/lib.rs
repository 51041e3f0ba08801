//! billreel turns each customer's bill into a short personalised video.
//!
//! The pipeline, one module per stage, each named after the data it owns:
//!
//! 1. [`storyboard`]: YAML template -> typed [`storyboard::Storyboard`], or every problem with
//!    file:line:column and a hint.
//! 2. [`record`]: JSON Lines / CSV billing data -> one [`record::Record`] at a time.
//! 3. [`bind`]: storyboard + record -> [`scene::SceneGraph`], with templates, conditions,
//!    derived values, locale formatting, fonts and images all resolved.
//! 4. [`scene`]: the resolved graph (nodes, laid-out text and charts, keyframe tracks).
//! 5. [`raster`]: scene graph + frame index -> RGBA pixels (pure; tiny-skia).
//! 6. [`encode`]: frames -> H.264 MP4 (ffmpeg-next, libx264, BT.709, +faststart).
//!
//! [`batch`] runs stages 2–6 for a whole billing run on a pool of workers and writes the
//! manifest; [`assets`] resolves and caches files under the assets folder; [`cli`] is the
//! command line.

pub mod assets;
pub mod audio;
pub mod batch;
pub mod bind;
pub mod captions;
pub mod check;
pub mod cli;
pub mod convert;
pub mod encode;
pub mod page;
pub mod preview;
pub mod raster;
pub mod record;
pub mod sample;
pub mod scene;
pub mod storyboard;
pub mod timings;

use std::path::Path;

/// Loads a storyboard and prepares it for binding, with the assets folder it names (or
/// `assets_override`). Every problem in the storyboard comes back at once.
pub fn load(
    storyboard_file: &Path,
    assets_override: Option<&Path>,
) -> Result<bind::Binder, storyboard::Diagnostics> {
    let (sb, parse_problems) = storyboard::load_partial(storyboard_file)?;
    // Even when parts did not parse, check the rest, so one run reports every problem.
    let Some(sb) = sb else { return Err(storyboard::Diagnostics(parse_problems)) };
    let assets = match assets_override {
        Some(dir) => assets::Assets::new(dir),
        None => assets::Assets::for_storyboard(storyboard_file, sb.assets.as_deref()),
    };
    let binder = bind::Binder::with_earlier_problems(sb, assets, parse_problems)?;
    tracing::debug!(
        storyboard = %storyboard_file.display(),
        scenes = binder.storyboard().scenes.len(),
        fonts = binder.storyboard().fonts.len(),
        "storyboard loaded"
    );
    Ok(binder)
}
