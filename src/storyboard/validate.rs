//! Validate: what the types cannot say about a storyboard: sizes, references between parts,
//! colours, assets. Each layer kind validates its own keys (`layers`); template and expression
//! syntax is checked when the storyboard is compiled (`template`).

use std::collections::BTreeSet;

use super::diagnostics::{Diagnostic, Reporter};
use super::schema::{PaintSpec, Storyboard, MAX_SCENE_SECS};
use super::spans;
use crate::assets::Assets;
use crate::limits::Limits;
use crate::style as units;

/// Checks the storyboard but for its layers, under `limits`; every problem found is returned.
pub fn validate(sb: &Storyboard, assets: &Assets, limits: &Limits) -> Vec<Diagnostic> {
    let mut rep = Reporter::new(&sb.source.file, &sb.source.spans);
    video(&mut rep, sb, assets);
    fonts(&mut rep, sb, assets);
    sound(&mut rep, sb, assets);
    companions(&mut rep, sb);
    look(&mut rep, sb);
    scenes(&mut rep, sb, assets);
    length(&mut rep, sb, limits);
    rep.found
}

/// The longest video the storyboard can make (every scene playing, transitions not subtracted)
/// within `video_seconds` and `video_frames`; the scene where the running total passes a limit
/// is named.
fn length(rep: &mut Reporter, sb: &Storyboard, limits: &Limits) {
    let fps = f64::from(sb.video.fps.max(1));
    let (mut secs, mut frames) = (0.0f64, 0u64);
    for scene in &sb.scenes {
        let d = scene.duration.secs();
        if !d.is_finite() || d <= 0.0 {
            continue; // reported by `scenes`
        }
        secs += d;
        frames += (d * fps).round() as u64;
        let over = if secs > limits.video_seconds {
            Some(format!(
                "the scenes up to here last {secs}s together; a video may last at most {}s",
                limits.video_seconds
            ))
        } else if frames > limits.video_frames {
            Some(format!(
                "the scenes up to here make {frames} frames at {} fps; a video may have at most {} frames",
                sb.video.fps, limits.video_frames
            ))
        } else {
            None
        };
        if let Some(message) = over {
            rep.error(
                &spans::join_key(&scene.path, "duration"),
                message,
                Some("shorten the scenes or lower the frame rate; or raise the limits with --limit video-seconds=SECS and --limit video-frames=N".into()),
            );
            return;
        }
    }
}

/// Size, frame rate, encoder settings, background.
fn video(rep: &mut Reporter, sb: &Storyboard, assets: &Assets) {
    let v = &sb.video;
    if v.width == 0 || v.height == 0 || v.width > 4096 || v.height > 4096 {
        rep.error(
            "video.width",
            format!("the video must be between 2x2 and 4096x4096 pixels, but is {}x{}", v.width, v.height),
            None,
        );
    } else if v.width % 2 == 1 || v.height % 2 == 1 {
        rep.error(
            "video.width",
            format!("width and height must be even for 4:2:0 video, but are {}x{}", v.width, v.height),
            Some(format!("use {}x{}", v.width & !1, v.height & !1)),
        );
    }
    if v.fps == 0 || v.fps > 120 {
        rep.error("video.fps", format!("fps must be between 1 and 120, but is {}", v.fps), None);
    }
    if let Some(p) = &v.encoder.preset {
        const PRESETS: &[&str] = &[
            "ultrafast",
            "superfast",
            "veryfast",
            "faster",
            "fast",
            "medium",
            "slow",
            "slower",
            "veryslow",
            "placebo",
        ];
        if !PRESETS.contains(&p.as_str()) {
            rep.error(
                "video.encoder.preset",
                format!("unknown x264 preset `{p}`"),
                Some(format!("use one of {}", PRESETS.join(", "))),
            );
        }
    }
    if let Some(crf) = v.encoder.crf {
        if crf > 51 {
            rep.error(
                "video.encoder.crf",
                format!("crf must be 0..=51, but is {crf}"),
                Some("23 is the default; lower is better quality and bigger files".into()),
            );
        }
    }
    if let Some(bg) = &v.background {
        check_background(rep, assets, "video.background", bg);
    }
}

/// Font files exist; fallback fonts are defined fonts.
fn fonts(rep: &mut Reporter, sb: &Storyboard, assets: &Assets) {
    for (name, file) in &sb.fonts {
        let path = spans::join_key("fonts", name);
        if let Err(e) = assets.resolve(file) {
            rep.error(
                &path,
                format!("font `{name}`: {e}"),
                Some(format!("fonts live under {}", assets.root().display())),
            );
        }
    }
    let names: Vec<&str> = sb.fonts.keys().map(String::as_str).collect();
    for (path, font, list) in sb.fallback_fonts.lists() {
        if let Some(font) = font.filter(|f| !sb.fonts.contains_key(*f)) {
            rep.error(
                &path,
                format!("`fallback_fonts` has a list for `{font}`, which is not a font of `fonts:`"),
                Some(format!(
                    "name a font of `fonts:` ({}), or `\"*\"` for every other font",
                    names.join(", ")
                )),
            );
        }
        for (i, name) in list.iter().enumerate() {
            if !sb.fonts.contains_key(name) {
                rep.error(
                    &spans::join_index(&path, i),
                    format!("unknown font `{name}` in fallback_fonts"),
                    Some(format!("fallback fonts are names from `fonts:`: {}", names.join(", "))),
                );
            }
        }
    }
}

/// The music bed and each scene's clips: files exist, volumes in range.
fn sound(rep: &mut Reporter, sb: &Storyboard, assets: &Assets) {
    let asset_ok = |rep: &mut Reporter, path: &str, src: &str| {
        if !src.contains("{{") {
            if let Err(e) = assets.resolve(src) {
                rep.error(
                    path,
                    e.to_string(),
                    Some(format!("sound files live under {}", assets.root().display())),
                );
            }
        }
    };
    let unit = |rep: &mut Reporter, path: &str, v: f32| {
        if !(0.0..=1.0).contains(&v) {
            rep.error(path, format!("must be between 0 and 1, but is {v}"), None);
        }
    };
    let (loudness, true_peak) = (sb.sound.loudness, sb.sound.true_peak);
    if !(-70.0..=-5.0).contains(&loudness) {
        let hint = "-16 LUFS suits phones and the web, -23 LUFS is the EBU R128 broadcast level";
        rep.error(
            "sound.loudness",
            format!("the loudness target must be between -70 and -5 LUFS, but is {loudness}"),
            Some(hint.into()),
        );
    }
    if !(-20.0..=0.0).contains(&true_peak) {
        let hint = "-1 dBTP leaves room for the AAC coding; 0 is full scale";
        rep.error(
            "sound.true_peak",
            format!("the true-peak ceiling must be between -20 and 0 dBTP, but is {true_peak}"),
            Some(hint.into()),
        );
    }
    if let Some(a) = &sb.audio {
        asset_ok(rep, "audio.music", a.music.source());
        unit(rep, "audio.volume", a.volume);
        unit(rep, "audio.duck", a.duck);
    }
    for scene in &sb.scenes {
        for (i, clip) in scene.audio.iter().enumerate() {
            let cp = spans::join_index(&spans::join_key(&scene.path, "audio"), i);
            asset_ok(rep, &spans::join_key(&cp, "src"), clip.src.source());
            if !(0.0..=4.0).contains(&clip.volume) {
                rep.error(
                    &spans::join_key(&cp, "volume"),
                    format!("volume must be between 0 and 4, but is {}", clip.volume),
                    None,
                );
            }
        }
    }
}

/// Calls to action, the landing page, the email preview.
fn companions(rep: &mut Reporter, sb: &Storyboard) {
    for (i, c) in sb.cta.iter().enumerate() {
        let cp = spans::join_index("cta", i);
        check_color(rep, &spans::join_key(&cp, "background"), c.background.source());
        check_color(rep, &spans::join_key(&cp, "color"), c.color.source());
        if let Some(fill) = &c.fill {
            check_paint(rep, &spans::join_key(&cp, "fill"), fill);
        }
        if let Some(id) = &c.scene {
            if !sb.scenes.iter().any(|s| &s.id == id) {
                let ids: Vec<&str> = sb.scenes.iter().map(|s| s.id.as_str()).collect();
                rep.error(
                    &spans::join_key(&cp, "scene"),
                    format!("no scene has the id `{id}`"),
                    Some(format!("scene ids: {}", ids.join(", "))),
                );
            }
        }
        if c.to.is_some_and(|t| t.secs() <= c.from.secs()) {
            rep.error(&spans::join_key(&cp, "to"), "`to` must be after `from`", None);
        }
    }
    if let Some(p) = &sb.page {
        check_color(rep, "page.background", p.background.source());
        check_color(rep, "page.color", p.color.source());
    }
    if let Some(p) = &sb.preview {
        if !(64..=1920).contains(&p.width) {
            rep.error(
                "preview.width",
                format!("width must be between 64 and 1920 pixels, but is {}", p.width),
                None,
            );
        }
        if !(1..=30).contains(&p.fps) {
            rep.error("preview.fps", format!("fps must be between 1 and 30, but is {}", p.fps), None);
        }
        if !(p.duration.secs() > 0.0 && p.duration.secs() <= 10.0) {
            rep.error("preview.duration", "an email preview lasts more than 0 and at most 10 seconds", None);
        }
    }
}

/// The chart palette and the default currency.
fn look(rep: &mut Reporter, sb: &Storyboard) {
    if sb.theme.palette.is_empty() {
        rep.error("theme.palette", "the palette needs at least one colour", None);
    }
    for (i, c) in sb.theme.palette.iter().enumerate() {
        check_color(rep, &spans::join_index("theme.palette", i), c);
    }
    if let Some(code) = &sb.currency {
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            rep.error(
                "currency",
                format!("`{code}` is not an ISO 4217 currency code"),
                Some("use three capital letters, like EUR, GBP or PLN".into()),
            );
        }
    }
}

/// Scene ids, durations, transitions, backgrounds.
fn scenes(rep: &mut Reporter, sb: &Storyboard, assets: &Assets) {
    if sb.scenes.is_empty() {
        rep.error("scenes", "the storyboard has no scenes", None);
    }
    let mut ids = BTreeSet::new();
    for scene in &sb.scenes {
        let sp = scene.path.clone();
        if !ids.insert(scene.id.as_str()) {
            rep.error(
                &spans::join_key(&sp, "id"),
                format!("scene id `{}` is used twice", scene.id),
                Some("scene ids must be unique".into()),
            );
        }
        if scene.duration.secs() <= 0.0 || scene.duration.secs() > MAX_SCENE_SECS {
            rep.error(
                &spans::join_key(&sp, "duration"),
                format!(
                    "a scene must last more than 0s and at most {MAX_SCENE_SECS}s, but lasts {}s",
                    scene.duration.secs()
                ),
                None,
            );
        }
        let d = scene.transition.duration();
        if d.secs() > 0.0 {
            // On the first scene, the transition comes in from the video background.
            if d.secs() >= scene.duration.secs() {
                rep.error(
                    &spans::join_key(&sp, "transition"),
                    format!(
                        "the transition ({}s) must be shorter than the scene ({}s)",
                        d.secs(),
                        scene.duration.secs()
                    ),
                    None,
                );
            }
        }
        if let Some(bg) = &scene.background {
            check_background(rep, assets, &spans::join_key(&sp, "background"), bg);
        }
    }
}

/// A colour written without bindings must parse (one with bindings is checked per record).
pub fn check_color(rep: &mut Reporter, path: &str, text: &str) {
    if !text.contains("{{") {
        if let Err(e) = units::parse_color(text) {
            rep.error(path, e.to_string(), None);
        }
    }
}

/// A background: a fill, or an image whose file (when written without bindings) is a good
/// asset.
fn check_background(rep: &mut Reporter, assets: &Assets, path: &str, paint: &PaintSpec) {
    match paint {
        PaintSpec::Image(i) if !i.image.is_template() => {
            if let Err(e) = assets.check(i.image.source()) {
                let hint = format!("images live under {}", assets.root().display());
                rep.error(&spans::join_key(path, "image"), e.to_string(), Some(hint));
            }
        }
        PaintSpec::Image(_) => {}
        other => check_paint(rep, path, other),
    }
}

/// A fill's colours (see [`check_color`]), and a gradient's number of stops.
pub fn check_paint(rep: &mut Reporter, path: &str, paint: &PaintSpec) {
    match paint {
        PaintSpec::Image(_) => rep.error(
            &spans::join_key(path, "image"),
            "an image fills only a background (`video.background`, a scene's `background`)",
            Some("draw a picture in a box with an `image` layer".into()),
        ),
        PaintSpec::Color(c) => check_color(rep, path, c.source()),
        PaintSpec::Linear(l) => {
            if l.stops.len() < 2 {
                rep.error(
                    &spans::join_key(&spans::join_key(path, "linear"), "stops"),
                    "a gradient needs at least two colours",
                    None,
                );
            }
            for (i, s) in l.stops.iter().enumerate() {
                check_color(
                    rep,
                    &spans::join_index(&spans::join_key(&spans::join_key(path, "linear"), "stops"), i),
                    s.source(),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::storyboard::parse_partial;

    fn problems(text: &str) -> String {
        let (sb, d) = parse_partial(text, Path::new("sb.yaml"));
        assert!(d.is_empty(), "{d:?}");
        let assets = Assets::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"));
        validate(&sb.unwrap(), &assets, &Limits::default())
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_video_must_be_encodable() {
        let p = problems("video: { width: 641, height: 360, fps: 0 }\nscenes: [ { id: a, duration: 1s } ]\n");
        assert!(p.contains("width and height must be even") && p.contains("use 640x360"), "{p}");
        assert!(p.contains("fps must be between 1 and 120"), "{p}");
        let p = problems(
            "video: { width: 64, height: 64, fps: 10, encoder: { preset: fastest, crf: 60 } }\nscenes: [ { id: a, duration: 1s } ]\n",
        );
        assert!(p.contains("unknown x264 preset `fastest`") && p.contains("crf must be 0..=51"), "{p}");
    }

    #[test]
    fn per_font_fallback_lists_name_fonts_of_the_storyboard() {
        let p = problems(
            "video: { width: 64, height: 64, fps: 10 }\nfonts: { body: fonts/Inter-Regular.otf, bold: fonts/Inter-Bold.otf }\n\
             fallback_fonts: { bold: [body, cjk-bold], heavy: [body], \"*\": [bold] }\nscenes: [ { id: a, duration: 1s } ]\n",
        );
        assert!(p.contains("unknown font `cjk-bold` in fallback_fonts"), "{p}");
        assert!(p.contains("fallback_fonts.bold[1]"), "the list's own path: {p}");
        assert!(
            p.contains("`fallback_fonts` has a list for `heavy`, which is not a font of `fonts:`"),
            "{p}"
        );
        assert!(!p.contains("`*`"), "`*` is every other font: {p}");
        let (_, d) = parse_partial(
            "video: { width: 64, height: 64, fps: 10 }\nfonts: { body: fonts/Inter-Regular.otf }\nfallback_fonts: cjk\n\
             scenes: [ { id: a, duration: 1s } ]\n",
            Path::new("sb.yaml"),
        );
        let p = d.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n");
        assert!(
            p.contains("a list of font names (`[arabic, cjk]`), or a map from a font name to such a list"),
            "{p}"
        );
    }

    #[test]
    fn scenes_fonts_sounds_and_links_are_checked_together() {
        let p = problems(
            "video: { width: 64, height: 64, fps: 10 }\nfonts: { body: fonts/Nope.otf }\nfallback_fonts: [cjk]\n\
             audio: { music: audio/none.ogg, volume: 2 }\nsound: { loudness: 3, true_peak: -30 }\ncurrency: euro\n\
             cta: [ { label: Pay, href: x, scene: nowhere, x: 0, y: 0, width: 1, height: 1 } ]\n\
             scenes: [ { id: a, duration: 1s }, { id: a, duration: 0s, transition: { type: fade, duration: 2s } } ]\n",
        );
        for expected in [
            "font `body`",
            "unknown font `cjk` in fallback_fonts",
            "audio/none.ogg",
            "must be between 0 and 1, but is 2",
            "sb.yaml:5:20: the loudness target must be between -70 and -5 LUFS, but is 3\n    at sound.loudness",
            "-23 LUFS is the EBU R128 broadcast level",
            "sb.yaml:5:34: the true-peak ceiling must be between -20 and 0 dBTP, but is -30\n    at sound.true_peak",
            "`euro` is not an ISO 4217 currency code",
            "no scene has the id `nowhere`",
            "scene id `a` is used twice",
            "a scene must last more than 0s",
            "the transition (2s) must be shorter than the scene",
        ] {
            assert!(p.contains(expected), "missing `{expected}` in:\n{p}");
        }
    }

    #[test]
    fn the_whole_video_is_within_its_length_and_frame_limits() {
        let scene = |i: usize| format!("{{ id: s{i}, duration: 600s }}");
        let scenes: Vec<String> = (0..14).map(scene).collect();
        let p = problems(&format!(
            "video: {{ width: 64, height: 64, fps: 120 }}\nscenes: [ {} ]\n",
            scenes.join(", ")
        ));
        assert!(
            p.contains("sb.yaml:2:") && p.contains("the scenes up to here make 72000 frames at 120 fps; a video may have at most 36000 frames"),
            "{p}"
        );
        assert!(p.contains("--limit video-frames"), "{p}");
        assert_eq!(p.matches("a video may").count(), 1, "reported once, where it passes: {p}");
        let p = problems("video: { width: 64, height: 64, fps: 10 }\nscenes: [ { id: a, duration: 400s }, { id: b, duration: 300s } ]\n");
        assert!(p.contains("the scenes up to here last 700s together; a video may last at most 600s"), "{p}");
        assert!(p.contains("at scenes[1].duration"), "{p}");
        let p = problems("video: { width: 64, height: 64, fps: 60 }\nscenes: [ { id: a, duration: 300s }, { id: b, duration: 300s } ]\n");
        assert!(p.is_empty(), "600 s at 60 fps is within both: {p}");
    }
}
