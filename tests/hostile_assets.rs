//! Hostile assets: files that would abort the process, read outside the assets folder or eat
//! the machine fail the records that use them, with a clear error, and never the run.
//!
//! Every fixture is made here, small, in target/hostile_assets/.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use billreel::assets::{Assets, Fit};
use billreel::limits::Limits;
use common::fresh_dir;

/// A `size`-pixel square SVG filled with `colour`.
fn square(colour: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\" fill=\"{colour}\"/></svg>"
    )
}

/// An SVG whose only content is an `<image>` of `href`, drawn over the whole canvas.
fn image_of(href: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"10\" height=\"10\"><image width=\"10\" height=\"10\" xlink:href=\"{href}\"/></svg>"
    )
}

/// The poison case of issue 14: 20,000 nested groups (about 140 KB).
fn deep_svg() -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">{}<rect width=\"10\" height=\"10\"/>{}</svg>",
        "<g>".repeat(20_000),
        "</g>".repeat(20_000)
    )
}

/// A folder with `assets/` (logos, a secret outside it) and what the tests need.
fn fixture(name: &str) -> PathBuf {
    let dir = fresh_dir("hostile_assets", name);
    let logos = dir.join("assets/logos");
    std::fs::create_dir_all(logos.join("parts")).unwrap();
    std::fs::write(dir.join("secret.svg"), square("#00ff00")).unwrap();
    std::fs::write(logos.join("good.svg"), square("#ff0000")).unwrap();
    std::fs::write(logos.join("parts/blue.svg"), square("#0000ff")).unwrap();
    std::fs::write(logos.join("deep.svg"), deep_svg()).unwrap();
    dir
}

fn base64_of(bytes: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn pixel(p: &tiny_skia::Pixmap, x: u32, y: u32) -> (u8, u8, u8, u8) {
    let c = p.pixel(x, y).unwrap();
    (c.red(), c.green(), c.blue(), c.alpha())
}

#[test]
fn svg_references_stay_inside_the_assets_folder() {
    let dir = fixture("hrefs");
    let logos = dir.join("assets/logos");
    let secret = dir.join("secret.svg").canonicalize().unwrap();
    std::fs::write(logos.join("inside.svg"), image_of("parts/blue.svg")).unwrap();
    std::fs::write(logos.join("absolute.svg"), image_of(&secret.display().to_string())).unwrap();
    std::fs::write(logos.join("dotdot.svg"), image_of("../../secret.svg")).unwrap();
    std::fs::write(logos.join("zero.svg"), image_of("/dev/zero")).unwrap();
    std::os::unix::fs::symlink(&secret, logos.join("parts/link.svg")).unwrap();
    std::fs::write(logos.join("link.svg"), image_of("parts/link.svg")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", logos.join("parts/zero.svg")).unwrap();
    std::fs::write(logos.join("linkzero.svg"), image_of("parts/zero.svg")).unwrap();
    let fifo = logos.join("parts/fifo.svg");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::write(logos.join("fifo.svg"), image_of("parts/fifo.svg")).unwrap();
    let assets = Assets::new(dir.join("assets"));

    // The control: a reference inside the folder is drawn (blue), so a refusal below is the
    // resolver's doing and not a resolver that draws nothing at all.
    let inside = assets.fitted("logos/inside.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap();
    assert_eq!(pixel(&inside, 10, 10), (0, 0, 255, 255));

    for (file, why) in [
        ("logos/absolute.svg", "is an absolute path"),
        ("logos/dotdot.svg", "points outside the assets folder"),
        ("logos/zero.svg", "is an absolute path"),
        ("logos/link.svg", "points outside the assets folder"),
        ("logos/linkzero.svg", "points outside the assets folder"),
        ("logos/fifo.svg", "is not a regular file"),
    ] {
        let started = std::time::Instant::now();
        let e = assets.fitted(file, 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
        assert!(e.contains(file) && e.contains("not a usable SVG") && e.contains(why), "{file}: {e}");
        assert!(started.elapsed().as_secs() < 2, "{file} took {:?}", started.elapsed());
    }

    // An SVG inside a data: URL gets the same checks as a file.
    let deep = base64_of(deep_svg().as_bytes());
    std::fs::write(logos.join("data.svg"), image_of(&format!("data:image/svg+xml;base64,{deep}"))).unwrap();
    let e = assets.fitted("logos/data.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("an SVG image inside it is refused") && e.contains("svg-depth"), "{e}");

    // The asset paths themselves: a device, a pipe or a link out are refused before opening.
    std::os::unix::fs::symlink("/dev/zero", dir.join("assets/zero.png")).unwrap();
    let e = assets.fitted("zero.png", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("outside the assets folder"), "{e}");
    let e = assets.fitted("logos/parts/fifo.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn deep_and_huge_svgs_fail_alone_with_the_limit_named() {
    let dir = fixture("svg-limits");
    let logos = dir.join("assets/logos");
    std::fs::write(
        logos.join("many.svg"),
        format!("<svg xmlns=\"http://www.w3.org/2000/svg\">{}</svg>", "<rect/>".repeat(60_000)),
    )
    .unwrap();
    let assets = Assets::new(dir.join("assets"));
    // On this (test) thread's stack, which is smaller than a batch worker's.
    let e = assets.fitted("logos/deep.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(
        e.contains("logos/deep.svg") && e.contains("nest more than 256 deep") && e.contains("svg-depth"),
        "{e}"
    );
    // Examined once: the next record that picks it fails at once with the same error, even
    // though the file (here) has been fixed since.
    std::fs::write(logos.join("deep-then-fixed.svg"), deep_svg()).unwrap();
    let first = assets.fitted("logos/deep-then-fixed.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err();
    std::fs::write(logos.join("deep-then-fixed.svg"), square("#ff0000")).unwrap();
    let again = assets.fitted("logos/deep-then-fixed.svg", 30.0, 30.0, Fit::Cover, 0.0).unwrap_err();
    assert_eq!(first, again);
    let e = assets.fitted("logos/many.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("more than 50,000 elements") && e.contains("svg-nodes"), "{e}");
    // The second line of defence: with the check lifted, the 20,000 levels reach roxmltree's
    // parser, which recurses once per level; on the SVG thread's own stack that ends in usvg's
    // error, not in a stack overflow of this thread.
    let lifted = Limits { svg_depth: 30_000, ..Limits::default() };
    let assets = Assets::new(dir.join("assets")).with_limits(&lifted);
    let e = assets.fitted("logos/deep.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("logos/deep.svg") && e.contains("nodes limit reached"), "{e}");
    // The limits are the operator's: raised, a deeper file than the default allows is drawn.
    std::fs::write(
        logos.join("deeper.svg"),
        deep_svg().replace(&"<g>".repeat(19_500), "").replace(&"</g>".repeat(19_500), ""),
    )
    .unwrap();
    let e = Assets::new(dir.join("assets")).fitted("logos/deeper.svg", 20.0, 20.0, Fit::Contain, 0.0);
    assert!(e.unwrap_err().to_string().contains("svg-depth"));
    let p = assets.fitted("logos/deeper.svg", 20.0, 20.0, Fit::Contain, 0.0).unwrap();
    assert_eq!(pixel(&p, 10, 10), (0, 0, 0, 255));
    // A 300-byte pattern that asks resvg for a 400,000 x 400,000 tile (640 GB: the allocation
    // aborted the process).
    std::fs::write(
        logos.join("pattern.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><defs><pattern id=\"p\" \
         width=\"100000\" height=\"100000\" patternUnits=\"userSpaceOnUse\"><rect width=\"5\" height=\"5\" \
         fill=\"red\"/></pattern></defs><rect width=\"10\" height=\"10\" fill=\"url(#p)\"/></svg>",
    )
    .unwrap();
    let e = assets.fitted("logos/pattern.svg", 40.0, 40.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("400000x400000 tile") && e.contains("image-pixels"), "{e}");
    // Over asset-bytes, refused before it is read.
    let small = Limits { asset_bytes: 1024, ..Limits::default() };
    let e = Assets::new(dir.join("assets")).with_limits(&small).fitted(
        "logos/deep.svg",
        20.0,
        20.0,
        Fit::Contain,
        0.0,
    );
    let e = e.unwrap_err().to_string();
    assert!(e.contains("more than the 1.0 KiB an asset may be") && e.contains("asset-bytes"), "{e}");
    // An SVG has its own, smaller bound: parsing costs about 20 bytes of memory a byte.
    let small = Limits { svg_bytes: 1024, ..Limits::default() };
    let e = Assets::new(dir.join("assets")).with_limits(&small).fitted(
        "logos/deep.svg",
        20.0,
        20.0,
        Fit::Contain,
        0.0,
    );
    let e = e.unwrap_err().to_string();
    assert!(
        e.contains("is 136.8 KiB, more than the 1.0 KiB an SVG may be") && e.contains("svg-bytes"),
        "{e}"
    );
}

/// A PNG that says it is `w`x`h` (no pixel data: nothing may get as far as decoding it).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let mut chunk = b"IHDR".to_vec();
    chunk.extend(w.to_be_bytes());
    chunk.extend(h.to_be_bytes());
    chunk.extend([8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(13u32.to_be_bytes());
    png.extend(&chunk);
    png.extend(crc(&chunk).to_be_bytes());
    // The decoder reads up to the first data chunk before it tells the size: one that holds
    // the start of a stream, nothing more.
    png.extend(2u32.to_be_bytes());
    png.extend(b"IDAT\x78\x9c");
    png.extend(crc(b"IDAT\x78\x9c").to_be_bytes());
    png.extend([0, 0, 0, 0]);
    png.extend(b"IEND");
    png.extend(crc(b"IEND").to_be_bytes());
    png
}

#[test]
fn a_huge_image_is_refused_from_its_header() {
    let dir = fixture("huge-png");
    std::fs::write(dir.join("assets/logos/huge.png"), png_header(8192, 8192)).unwrap();
    let assets = Assets::new(dir.join("assets"));
    let e = assets.fitted("logos/huge.png", 20.0, 20.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(
        e.contains("logos/huge.png")
            && e.contains("8192x8192 pixels (67,108,864)")
            && e.contains("image-pixels"),
        "{e}"
    );
    assert_eq!(assets.check("logos/huge.png").unwrap_err().to_string(), e, "checked once, remembered");
    // A box larger than an image may be is refused before anything is drawn.
    let e = assets.fitted("logos/good.svg", 10_000.0, 10_000.0, Fit::Contain, 0.0).unwrap_err().to_string();
    assert!(e.contains("10000x10000") && e.contains("image-pixels"), "{e}");
}

#[test]
fn a_playlist_named_ogg_is_refused() {
    let dir = fixture("playlist");
    let wav = common::repo().join("assets/audio/click.wav").canonicalize().unwrap();
    let playlist = dir.join("assets/intro.ogg");
    std::fs::write(&playlist, format!("#EXTM3U\n#EXTINF:1,\n{}\n", wav.display())).unwrap();
    let e = billreel::audio::decode(&playlist).unwrap_err().to_string();
    assert!(e.contains("HLS/M3U playlist") && e.contains("OGG, MP3, WAV"), "{e}");
    // A concat script, and one that hides behind a byte-order mark.
    std::fs::write(&playlist, format!("\u{feff}ffconcat version 1.0\nfile '{}'\n", wav.display())).unwrap();
    let e = billreel::audio::decode(&playlist).unwrap_err().to_string();
    assert!(e.contains("concat script"), "{e}");
    // Whatever the first bytes, FFmpeg only probes audio demuxers: text is not audio.
    std::fs::write(&playlist, "hello, this is not a sound").unwrap();
    let e = billreel::audio::decode(&playlist).unwrap_err().to_string();
    assert!(e.contains("intro.ogg") && e.contains("OGG, MP3, WAV"), "{e}");
    // The control: a real sound file decodes.
    assert!(billreel::audio::decode(&wav).unwrap().frames() > 0);
}

/// A tiny storyboard whose one image layer is chosen by the record's `logo`.
const STORYBOARD: &str = "\
video: { width: 160, height: 90, fps: 5, background: \"#123a63\" }
assets: assets
scenes:
  - id: only
    duration: 1s
    layers:
      - { type: image, src: \"logos/{{ logo }}\", x: 10, y: 10, width: 40, height: 40 }
";

fn manifest(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// Issue 14's poison case: one record of a batch picks the 20,000-deep SVG.
#[test]
fn a_deep_svg_fails_its_record_and_never_the_run() {
    let dir = fixture("batch");
    std::fs::write(dir.join("sb.yaml"), STORYBOARD).unwrap();
    let lines: Vec<String> = ["good.svg", "deep.svg", "good.svg", "deep.svg", "good.svg"]
        .iter()
        .enumerate()
        .map(|(i, logo)| format!("{{\"id\": \"C{i}\", \"logo\": \"{logo}\"}}"))
        .collect();
    std::fs::write(dir.join("run.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    let batch = || {
        Command::new(env!("CARGO_BIN_EXE_billreel"))
            .arg("batch")
            .arg(dir.join("sb.yaml"))
            .arg("--data")
            .arg(dir.join("run.jsonl"))
            .arg("--out")
            .arg(&out)
            .args(["--jobs", "2", "--guessable-links"])
            .output()
            .unwrap()
    };
    for run in ["first", "resume"] {
        let o = batch();
        let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.status.code(), Some(3), "{run}: failed records, not an abort: {text}");
        let m = manifest(&out.join("manifest.jsonl"));
        let status = |id: &str| {
            let line =
                m.iter().rev().find(|l| l["id"] == id).unwrap_or_else(|| panic!("{run}: no line for {id}"));
            (line["status"].as_str().unwrap().to_string(), line["error"].as_str().unwrap_or("").to_string())
        };
        for id in ["C0", "C2", "C4"] {
            assert_eq!(status(id).0, "ok", "{run}: {id}: {text}");
        }
        for id in ["C1", "C3"] {
            let (s, e) = status(id);
            assert_eq!(s, "failed", "{run}: {id}");
            assert!(
                // The file name is the record's value: described, not quoted (`--show-values`).
                e.contains("logos/‹a string of 8 characters›")
                    && e.contains("`logo`")
                    && e.contains("svg-depth"),
                "{run}: {id}: the error names the asset, the field and the limit: {e}"
            );
        }
    }

    // `preview` of that record: exit 1 and a message, no abort.
    let o = Command::new(env!("CARGO_BIN_EXE_billreel"))
        .arg("preview")
        .arg(dir.join("sb.yaml"))
        .arg("--data")
        .arg(dir.join("run.jsonl"))
        .args(["--id", "C1", "-o"])
        .arg(dir.join("c1.png"))
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("logos/‹a string of 8 characters›") && text.contains("svg-depth"), "{text}");
    assert!(!dir.join("c1.png").exists());
}

/// A bad file named by the storyboard itself is a storyboard error at load, with its place.
#[test]
fn a_bad_asset_named_by_the_storyboard_fails_at_load() {
    let dir = fixture("static");
    std::fs::write(dir.join("sb.yaml"), STORYBOARD.replace("logos/{{ logo }}", "logos/deep.svg")).unwrap();
    let e =
        billreel::load(&dir.join("sb.yaml"), None).err().expect("the storyboard must not load").to_string();
    assert!(e.contains("sb.yaml:7:") && e.contains("logos/deep.svg") && e.contains("svg-depth"), "{e}");
}

/// The pictures of one scene are bounded together (`--limit frame-image-pixels`).
#[test]
fn the_images_of_a_frame_are_bounded_together() {
    let dir = fixture("frame-pixels");
    let two = STORYBOARD.to_string()
        + "      - { type: image, src: logos/good.svg, x: 60, y: 10, width: 40, height: 40 }\n";
    std::fs::write(dir.join("sb.yaml"), two).unwrap();
    let record = |logo: &str| billreel::record::Record {
        id: "C1".into(),
        data: serde_json::json!({ "logo": logo }),
        line: 1,
    };
    // Two 40x40 pictures: 3,200 pixels.
    let limits = Limits { frame_image_pixels: 3_200, ..Limits::default() };
    let b = billreel::load_with(&dir.join("sb.yaml"), None, &limits).unwrap();
    assert!(b.bind(&record("good.svg")).is_ok());
    let limits = Limits { frame_image_pixels: 3_000, ..Limits::default() };
    let b = billreel::load_with(&dir.join("sb.yaml"), None, &limits).unwrap();
    let e = b.bind(&record("good.svg")).unwrap_err().to_string();
    assert!(
        e.contains("3,200 pixels together") && e.contains("frame-image-pixels") && e.contains("layers[1]"),
        "{e}"
    );
}

/// A font over `asset-bytes` is a storyboard error at load, with its place.
#[test]
fn a_font_over_the_size_limit_fails_at_load() {
    let dir = fixture("font");
    std::fs::create_dir_all(dir.join("assets/fonts")).unwrap();
    std::fs::copy(common::repo().join("assets/fonts/Inter-Regular.otf"), dir.join("assets/fonts/body.otf"))
        .unwrap();
    let sb = STORYBOARD.replace("assets: assets\n", "assets: assets\nfonts: { body: fonts/body.otf }\n");
    std::fs::write(dir.join("sb.yaml"), sb).unwrap();
    assert!(billreel::load(&dir.join("sb.yaml"), None).is_ok());
    let small = Limits { asset_bytes: 64 * 1024, ..Limits::default() };
    let e = billreel::load_with(&dir.join("sb.yaml"), None, &small).err().expect("too big").to_string();
    assert!(e.contains("sb.yaml:3:") && e.contains("fonts/body.otf") && e.contains("asset-bytes"), "{e}");
}
