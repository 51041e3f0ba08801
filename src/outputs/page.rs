//! The landing page: a small self-contained HTML page per record, next to its video.
//!
//! In: a bound [`SceneGraph`] (its calls to action, page text and captions) and the names of
//! the record's files. Out: the page's HTML. The video plays with its poster and captions; the
//! storyboard's buttons appear over it during their time ranges, placed in percent of the
//! picture so they stay on their spot at any player size; the summary and transcript are text
//! for people who do not watch. Every value from the record is HTML-escaped here; links were
//! limited to http(s), mailto and tel by bind.

use std::fmt::Write;

use crate::scene::{Page, Rgba, SceneGraph};

/// The record's files, as the page refers to them (relative to the page).
pub struct Files<'a> {
    pub video: &'a str,
    pub poster: &'a str,
    pub captions: Option<&'a str>,
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
    let page = graph.companions.page.as_ref()?;
    let (w, h) = (graph.width as f32, graph.height as f32);
    let buttons = buttons(graph);
    let track = files.captions.map_or(String::new(), |v| {
        format!(
            "\n        <track kind=\"captions\" src=\"{}\" srclang=\"{}\" label=\"Captions\" default>",
            escape(v),
            escape(&page.lang)
        )
    });
    let text = text(graph, page);
    Some(format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <meta name="robots" content="noindex">
  <title>{title}</title>
  <style>
    body {{ margin: 0; background: {bg}; color: {fg}; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
    main {{ max-width: 960px; margin: 0 auto; padding: 16px; }}
    .player {{ position: relative; width: 100%; aspect-ratio: {w} / {h}; container-type: inline-size; }}
    .player video {{ display: block; width: 100%; height: 100%; background: #000; }}
    .cta {{ position: absolute; display: flex; align-items: center; justify-content: center; box-sizing: border-box;
           font-weight: 700; text-decoration: none; box-shadow: 0 0.4cqw 1.6cqw rgba(0,0,0,.35);
           padding: 0 1.2cqw; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }}
    .cta[hidden] {{ display: none; }}
    a:focus-visible {{ outline: 3px solid #ffd54f; outline-offset: 3px; }}
    h1 {{ font-size: 1.6em; margin: 0.8em 0 0.3em; }}
    .links a {{ color: inherit; }}
  </style>
</head>
<body>
  <main>
    <div class="player">
      <video controls playsinline preload="metadata" poster="{poster}">
        <source src="{video}" type="video/mp4">{track}
      </video>{buttons}
    </div>
    <section class="summary">
      <h1>{title}</h1>{text}
    </section>
  </main>
  <script>
    // Shows each button during its time range; a link ending in #t=SECONDS starts there.
    (function () {{
      var video = document.querySelector("video");
      var buttons = Array.prototype.slice.call(document.querySelectorAll(".cta"));
      function update() {{
        var t = video.currentTime;
        buttons.forEach(function (b) {{
          b.hidden = !(t >= parseFloat(b.dataset.from) && t < parseFloat(b.dataset.to));
        }});
      }}
      ["timeupdate", "seeked", "loadedmetadata", "ended"].forEach(function (e) {{ video.addEventListener(e, update); }});
      var start = /[#&]t=([0-9.]+)/.exec(location.hash);
      if (start) {{
        // Fetch enough to show the frame there (the page otherwise loads metadata only).
        video.preload = "auto";
        var seek = function () {{ video.currentTime = parseFloat(start[1]); update(); }};
        if (video.readyState >= 1) seek(); else video.addEventListener("loadedmetadata", seek, {{ once: true }});
      }}
      update();
    }})();
  </script>
</body>
</html>
"#,
        lang = escape(&page.lang),
        title = escape(&page.title),
        bg = css(page.background),
        fg = css(page.color),
        poster = escape(files.poster),
        video = escape(files.video),
    ))
}

/// The calls to action over the video, placed in percent of the picture.
fn buttons(graph: &SceneGraph) -> String {
    let (w, h) = (graph.width as f32, graph.height as f32);
    let pct = |v: f32, of: f32| format!("{:.4}%", 100.0 * v / of);
    let mut buttons = String::new();
    for (i, c) in graph.companions.ctas.iter().enumerate() {
        // Sizes in container-query units follow the player's width, like the picture does.
        let _ = write!(
            buttons,
            "\n      <a class=\"cta\" id=\"cta-{i}\" href=\"{href}\" data-from=\"{from:.3}\" data-to=\"{to:.3}\" hidden \
             style=\"left:{l};top:{t};width:{wd};height:{ht};background:{bg};color:{fg};border-radius:{r:.4}cqw;font-size:{fs:.4}cqw\">{label}</a>",
            href = escape(&c.href),
            from = c.from,
            to = c.to,
            l = pct(c.rect.x, w),
            t = pct(c.rect.y, h),
            wd = pct(c.rect.w, w),
            ht = pct(c.rect.h, h),
            bg = css(c.background),
            fg = css(c.color),
            r = 100.0 * c.radius / w,
            fs = 100.0 * c.size / w,
            label = escape(&c.label),
        );
    }
    buttons
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
    fn escapes_everything_that_could_open_markup_or_leave_an_attribute() {
        assert_eq!(escape(r#"<script>alert(1)</script>"#), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape(r#""onmouseover=alert(1) x='y'"#), "&quot;onmouseover=alert(1) x=&#39;y&#39;");
        assert_eq!(escape("Zoë & Łukasz"), "Zoë &amp; Łukasz");
    }
}
