//! The landing page: a small self-contained HTML page per record, next to its video.
//!
//! In: a bound [`SceneGraph`] (its calls to action, page text and captions) and the names of
//! the record's files. Out: the page's HTML. The video plays with its poster and captions; the
//! storyboard's buttons appear over it during their time ranges, placed in percent of the
//! picture so they stay on their spot at any player size; the summary and transcript are text
//! for people who do not watch. Every value from the record is HTML-escaped here; links were
//! limited to http(s), mailto and tel by bind.

use std::fmt::Write;
use std::path::Path;

use crate::scene::{Page, Paint, Rgba, SceneGraph};

/// The record's files, as the page refers to them (relative to the page).
pub struct Files<'a> {
    pub video: &'a str,
    /// None: no poster (the video element gets no `poster` attribute).
    pub poster: Option<&'a str>,
    pub captions: Option<&'a str>,
}

/// One format of the record's video, for a page that offers several: the page plays the one
/// whose shape is nearest the visitor's window (see [`render_formats`]).
pub struct View<'a> {
    /// The format's name (`portrait`).
    pub format: &'a str,
    pub graph: &'a SceneGraph,
    pub files: Files<'a>,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn css(c: Rgba) -> String {
    format!("rgba({},{},{},{:.3})", c.r, c.g, c.b, c.a as f32 / 255.0)
}

/// The page's HTML; None when the storyboard has no `page`.
pub fn render(graph: &SceneGraph, files: &Files) -> Option<String> {
    let view = View { format: "", graph, files: Files { ..*files } };
    render_formats(std::slice::from_ref(&view))
}

/// The page of a video made in several formats (`views`, the default first; its text, links
/// and captions are the first's). Each `<source>` carries the range of window shapes it suits
/// (`media`, by aspect ratio), and a small script makes the same choice where browsers ignore
/// `media` on video sources: it picks the format whose aspect ratio is nearest the window's,
/// plays its video with its poster, shapes the player to it and shows that format's buttons.
/// With one view the page is exactly [`render`]'s.
pub fn render_formats(views: &[View]) -> Option<String> {
    let (graph, files) = (views.first()?.graph, &views[0].files);
    let page = graph.companions.page.as_ref()?;
    let (w, h) = (graph.width as f32, graph.height as f32);
    let several = views.len() > 1;
    let buttons: String = views
        .iter()
        .enumerate()
        .map(|(k, v)| {
            buttons(v.graph, several.then_some(v.format).filter(|_| k > 0), several.then_some(v.format))
        })
        .collect();
    let (sources, formats) = if several { sources(views) } else { (String::new(), String::new()) };
    let source = if several {
        sources
    } else {
        format!("\n        <source src=\"{}\" type=\"video/mp4\">", escape(files.video))
    };
    let track = files.captions.map_or(String::new(), |v| {
        format!(
            "\n        <track kind=\"captions\" src=\"{}\" srclang=\"{}\" label=\"Captions\" default>",
            escape(v),
            escape(&page.lang)
        )
    });
    let text = text(graph, page);
    let faces = font_faces(graph);
    warn_low_contrast(graph);
    Some(format!(
        r#"<!doctype html>
<html lang="{lang}" dir="{dir}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <meta name="robots" content="noindex">
  <link rel="icon" href="data:,">
  <title>{title}</title>
  <style>{faces}
    body {{ margin: 0; background: {bg}; color: {fg}; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
    main {{ max-width: 960px; margin: 0 auto; padding: 16px; }}
    .player {{ position: relative; width: 100%; aspect-ratio: {w} / {h}; container-type: inline-size; }}
    .player video {{ display: block; width: 100%; height: 100%; background: #000; }}
    .cta {{ position: absolute; display: flex; align-items: center; justify-content: center; box-sizing: border-box;
           font-weight: 700; text-decoration: none; padding: 0 1.2cqw; overflow: hidden; white-space: nowrap;
           text-overflow: ellipsis; will-change: transform; }}
    .cta[hidden] {{ display: none; }}
    a:focus-visible, video:focus-visible {{ outline: 3px solid #ffd54f; outline-offset: 3px; }}
    h1 {{ font-size: 1.6em; margin: 0.8em 0 0.3em; }}
    .links a {{ color: inherit; }}
  </style>
</head>
<body>
  <main>
    <div class="player">
      <video controls playsinline preload="metadata"{poster}{formats}>{source}{track}
      </video>{buttons}
    </div>
    <section class="summary">
      <h1>{title}</h1>{text}
    </section>
  </main>
  <script>{script}</script>
</body>
</html>
"#,
        lang = escape(&page.lang),
        dir = direction(&page.lang),
        title = escape(&page.title),
        bg = css(page.background),
        fg = css(page.color),
        poster = files.poster.map_or(String::new(), |p| format!(" poster=\"{}\"", escape(p))),
        script = if several { format!("{FORMAT_SCRIPT}{SCRIPT}") } else { SCRIPT.to_string() },
    ))
}

/// Shows each button during its time range (one shown until the end stays after it, when the
/// video has ended or is paused on its last frame), scales a button that follows a drawn layer
/// with it every animation frame while playing, moves focus from a button that hides to the
/// player (never to the page's body), and starts at `#t=SECONDS`.
const SCRIPT: &str = r#"
    (function () {
      var video = document.querySelector("video");
      var buttons = Array.prototype.slice.call(document.querySelectorAll(".cta"));
      function shown(b, t) {
        return t >= parseFloat(b.dataset.from) && (b.dataset.to === "end" || t < parseFloat(b.dataset.to));
      }
      // The drawn layer's scale at t: straight pieces between the samples, held at the ends.
      function scaleAt(points, t) {
        if (t <= points[0][0]) return points[0][1];
        for (var i = 1; i < points.length; i++) {
          if (t <= points[i][0]) {
            var a = points[i - 1], b = points[i];
            return a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0]);
          }
        }
        return points[points.length - 1][1];
      }
      buttons.forEach(function (b) { if (b.dataset.pulse) b.pulse = JSON.parse(b.dataset.pulse); });
      function update() {
        var t = video.currentTime;
        buttons.forEach(function (b) {
          var show = shown(b, t);
          if (!show && !b.hidden && document.activeElement === b) video.focus();
          b.hidden = !show;
          if (b.pulse) b.style.transform = "scale(" + scaleAt(b.pulse, t).toFixed(4) + ")";
        });
      }
      function tick() {
        update();
        if (!video.paused && !video.ended) requestAnimationFrame(tick);
      }
      video.addEventListener("play", function () { requestAnimationFrame(tick); });
      ["timeupdate", "seeked", "loadedmetadata", "pause", "ended"].forEach(function (e) { video.addEventListener(e, update); });
      var start = /[#&]t=([0-9.]+)/.exec(location.hash);
      if (start) {
        // Fetch enough to show the frame there (the page otherwise loads metadata only).
        video.preload = "auto";
        var seek = function () { video.currentTime = parseFloat(start[1]); update(); };
        if (video.readyState >= 1) seek(); else video.addEventListener("loadedmetadata", seek, { once: true });
      }
      update();
    })();
  "#;

/// `rtl` for a locale written right to left (ar, he, fa, ur, … by CLDR's likely scripts),
/// else `ltr`; `auto` when the locale does not parse (bind refuses those, so only by hand).
fn direction(lang: &str) -> &'static str {
    if icu::locale::Locale::try_from_str(lang).is_err() {
        "auto"
    } else if crate::scene::text::locale_is_rtl(lang) {
        "rtl"
    } else {
        "ltr"
    }
}

/// The font files the page's buttons use, each with the address the page loads it from
/// (`fonts/<file name>`, beside the page).
pub fn fonts(graph: &SceneGraph) -> Vec<(&Path, String)> {
    let mut out: Vec<(&Path, String)> = Vec::new();
    for c in &graph.companions.ctas {
        if let Some(file) = &c.look.font {
            if !out.iter().any(|(f, _)| *f == file.as_path()) {
                let name = file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                out.push((file.as_path(), format!("fonts/{name}")));
            }
        }
    }
    out
}

/// One `@font-face` per font file, under a name of its own (`billreel-N`) so a face the
/// visitor has installed under the family's name never stands in for it; the face covers every
/// weight, so the bold label is not bolded again.
fn font_faces(graph: &SceneGraph) -> String {
    let mut css = String::new();
    for (i, (_, url)) in fonts(graph).iter().enumerate() {
        let _ = write!(
            css,
            "\n    @font-face {{ font-family: \"billreel-{i}\"; src: url(\"{}\") format(\"opentype\"); font-weight: 100 900; font-display: swap; }}",
            escape(url)
        );
    }
    css
}

fn paint_css(p: &Paint) -> String {
    match p {
        Paint::Solid(c) => css(*c),
        Paint::Linear { angle, stops } => {
            let stops: Vec<String> = stops.iter().map(|c| css(*c)).collect();
            format!("linear-gradient({angle}deg, {})", stops.join(", "))
        }
        // Only backgrounds are pictures (a button's fill is checked when the storyboard loads).
        Paint::Image(_) => "none".into(),
    }
}

/// The `<source>` of each format, with the window shapes it suits, the default first (where
/// `media` is ignored the first is played); and the formats as the script reads them (a
/// `data-formats` attribute of the video).
fn sources(views: &[View]) -> (String, String) {
    let aspect = |v: &View| v.graph.width as f64 / v.graph.height as f64;
    let mut by_shape: Vec<f64> = views.iter().map(aspect).collect();
    by_shape.sort_by(f64::total_cmp);
    by_shape.dedup();
    // Between two neighbouring shapes the window goes to the nearer one on a log scale: the
    // boundary is their geometric mean (a 3:4 window lies between 9:16 and 1:1).
    let bounds: Vec<f64> = by_shape.windows(2).map(|p| (p[0] * p[1]).sqrt()).collect();
    let ratio = |r: f64| format!("{}/10000", (r * 10000.0).round() as u64);
    let mut out = String::new();
    let mut data = Vec::new();
    for v in views {
        let k = by_shape.iter().position(|a| *a == aspect(v)).unwrap_or(0);
        let mut media = Vec::new();
        if k > 0 {
            media.push(format!("(min-aspect-ratio: {})", ratio(bounds[k - 1])));
        }
        if let Some(b) = bounds.get(k) {
            media.push(format!("(max-aspect-ratio: {})", ratio(*b)));
        }
        let media =
            if media.is_empty() { String::new() } else { format!(" media=\"{}\"", media.join(" and ")) };
        let _ = write!(out, "\n        <source src=\"{}\" type=\"video/mp4\"{media}>", escape(v.files.video));
        data.push(serde_json::json!({
            "name": v.format, "width": v.graph.width, "height": v.graph.height,
            "video": v.files.video, "poster": v.files.poster,
        }));
    }
    (out, format!(" data-formats=\"{}\"", escape(&serde_json::Value::from(data).to_string())))
}

/// Picks the format nearest the window's shape (log scale, as the sources' `media` do) and
/// makes the player show it: its video, poster and shape, and only its buttons. Runs before
/// [`SCRIPT`], which then shows the buttons of the format chosen (`data-format`).
const FORMAT_SCRIPT: &str = r#"
    (function () {
      var video = document.querySelector("video");
      var formats = JSON.parse(video.dataset.formats);
      var want = Math.log(window.innerWidth / Math.max(1, window.innerHeight));
      var best = formats[0];
      formats.forEach(function (f) {
        if (Math.abs(Math.log(f.width / f.height) - want) < Math.abs(Math.log(best.width / best.height) - want)) best = f;
      });
      var player = video.parentNode;
      player.dataset.format = best.name;
      player.style.aspectRatio = best.width + " / " + best.height;
      // A tall video is as high as the window at most, centred.
      player.style.maxWidth = "calc(92vh * " + (best.width / best.height).toFixed(4) + ")";
      player.style.margin = "0 auto";
      if (best.poster) video.poster = best.poster;
      var current = video.currentSrc || (video.querySelector("source") || {}).src || "";
      if (current.split("/").pop() !== best.video.split("/").pop()) {
        video.src = best.video;
        video.load();
      }
      Array.prototype.slice.call(document.querySelectorAll(".cta[data-format]")).forEach(function (b) {
        if (b.dataset.format !== best.name) b.remove();
      });
    })();
  "#;

/// The calls to action over the video, placed in percent of the picture. On a page of several
/// formats each button names its format (`data-format`) and, beyond the default's, its id does.
fn buttons(graph: &SceneGraph, id_format: Option<&str>, format: Option<&str>) -> String {
    let (w, h) = (graph.width as f32, graph.height as f32);
    let pct = |v: f32, of: f32| format!("{:.4}%", 100.0 * v / of);
    let end = graph.duration_secs() - 0.5 / graph.fps as f64;
    let fonts = fonts(graph);
    let mut buttons = String::new();
    for (i, c) in graph.companions.ctas.iter().enumerate() {
        let look = &c.look;
        let mut style = format!(
            "left:{};top:{};width:{};height:{};background:{};color:{};border-radius:{:.4}cqw;font-size:{:.4}cqw",
            pct(c.rect.x, w),
            pct(c.rect.y, h),
            pct(c.rect.w, w),
            pct(c.rect.h, h),
            css(c.background),
            css(c.color),
            100.0 * c.radius / w,
            100.0 * c.size / w,
        );
        if let Some(fill) = &look.fill {
            let _ = write!(style, ";background-image:{}", paint_css(fill));
        }
        if let Some(k) = look.font.as_ref().and_then(|f| fonts.iter().position(|(p, _)| *p == f.as_path())) {
            let _ = write!(style, ";font-family:billreel-{k},system-ui,sans-serif");
        }
        if look.shadow {
            style.push_str(";box-shadow:0 0.4cqw 1.6cqw rgba(0,0,0,.35)");
        }
        let mut pulse = String::new();
        if !look.pulse.is_empty() {
            let (ox, oy) = (look.origin.0 - c.rect.x, look.origin.1 - c.rect.y);
            let _ = write!(style, ";transform-origin:{} {}", pct(ox, c.rect.w), pct(oy, c.rect.h));
            let points: Vec<String> = look.pulse.iter().map(|(t, s)| format!("[{t:.3},{s:.4}]")).collect();
            pulse = format!(" data-pulse=\"[{}]\"", points.join(","));
        }
        // A button shown until the video's end stays after it (ended, or paused on the last
        // frame, which still shows the drawn button).
        let to = if c.to >= end { "end".to_string() } else { format!("{:.3}", c.to) };
        // Sizes in container-query units follow the player's width, like the picture does.
        let _ = write!(
            buttons,
            "\n      <a class=\"cta\" id=\"cta-{id}{i}\" href=\"{href}\"{fmt} data-from=\"{from:.3}\" data-to=\"{to}\"{pulse} hidden style=\"{style}\">{label}</a>",
            id = id_format.map_or(String::new(), |f| format!("{}-", escape(f))),
            fmt = format.map_or(String::new(), |f| format!(" data-format=\"{}\"", escape(f))),
            href = escape(&c.href),
            from = c.from,
            style = escape(&style),
            label = escape(&c.label),
        );
    }
    buttons
}

/// WCAG 2.x contrast ratio of two opaque colours (1 to 21).
pub fn contrast(a: Rgba, b: Rgba) -> f64 {
    let lum = |c: Rgba| {
        let ch = |v: u8| {
            let v = v as f64 / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                crate::math::powf((v + 0.055) / 1.055, 2.4)
            }
        };
        0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// Logs a button whose text is under WCAG AA's 4.5:1 against any colour of its fill (its
/// background when it has none), once per page: the page is still written, the colours are the
/// author's choice.
fn warn_low_contrast(graph: &SceneGraph) {
    for (i, c) in graph.companions.ctas.iter().enumerate() {
        let mut grounds = vec![c.background];
        match &c.look.fill {
            Some(Paint::Solid(s)) => grounds = vec![*s],
            Some(Paint::Linear { stops, .. }) => grounds = stops.clone(),
            Some(Paint::Image(_)) | None => {}
        }
        if let Some(worst) = grounds.iter().map(|g| contrast(c.color, *g)).min_by(f64::total_cmp) {
            if worst < 4.5 {
                tracing::warn!(cta = i, contrast = format!("{worst:.2}"), "cta[{i}]: its text's contrast is {worst:.2}:1, under WCAG AA's 4.5:1; pick a darker background or fill, or another `color`");
            }
        }
    }
}

/// The summary, the links as plain text and the transcript, under the video.
fn text(graph: &SceneGraph, page: &Page) -> String {
    let mut text = String::new();
    // A summary line that came out empty (a condition in its template) is left out.
    for line in page.summary.iter().filter(|l| !l.trim().is_empty()) {
        let _ = write!(text, "\n      <p>{}</p>", escape(line));
    }
    if !graph.companions.ctas.is_empty() {
        // The same links as plain text, always reachable with the keyboard or a screen reader.
        text.push_str("\n      <ul class=\"links\">");
        for c in &graph.companions.ctas {
            let _ =
                write!(text, "\n        <li><a href=\"{}\">{}</a></li>", escape(&c.href), escape(&c.label));
        }
        text.push_str("\n      </ul>");
    }
    if let Some(heading) = &page.transcript {
        let _ = write!(text, "\n      <h2>{}</h2>", escape(heading));
        for cue in &graph.companions.captions {
            let _ = write!(text, "\n      <p class=\"cue\">{}</p>", escape(&cue.text).replace('\n', "<br>"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_written_right_to_left_for_right_to_left_locales() {
        for (lang, dir) in [("ar-SA", "rtl"), ("he-IL", "rtl"), ("fa-IR", "rtl"), ("ar-AE-u-nu-latn", "rtl")]
        {
            assert_eq!(direction(lang), dir, "{lang}");
        }
        for lang in ["en-GB", "de-DE", "ja-JP", "hi-IN", "th-TH", "zh-CN"] {
            assert_eq!(direction(lang), "ltr", "{lang}");
        }
        assert_eq!(direction("not a locale!"), "auto");
    }

    #[test]
    fn contrast_ratios_follow_wcag() {
        let white = Rgba::rgb(255, 255, 255);
        let ratio = |hex: u32| contrast(white, Rgba::rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8));
        assert!((ratio(0x000000) - 21.0).abs() < 1e-9);
        // The old default that axe flagged, and the new default and the demo's gradient stops.
        assert!((ratio(0x00c853) - 2.23).abs() < 0.01, "{}", ratio(0x00c853));
        for hex in [0x00796b, 0x0277bd] {
            assert!(ratio(hex) >= 4.5, "#{hex:06x}: {:.2}", ratio(hex));
        }
    }

    #[test]
    fn escapes_everything_that_could_open_markup_or_leave_an_attribute() {
        assert_eq!(escape(r#"<script>alert(1)</script>"#), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape(r#""onmouseover=alert(1) x='y'"#), "&quot;onmouseover=alert(1) x=&#39;y&#39;");
        assert_eq!(escape("Zoë & Łukasz"), "Zoë &amp; Łukasz");
    }
}
