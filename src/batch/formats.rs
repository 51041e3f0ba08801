//! One record in every format of its storyboard: how the files are named, the rendering, and
//! the manifest's per-format entries.
//!
//! The default format's files keep the record's name (`NAME.mp4`, `NAME.jpg`), so links made
//! before a storyboard had formats still work; every other format adds its name
//! (`NAME-portrait.mp4`, `NAME-portrait.jpg`, `NAME-portrait.gif`). The landing page is one per
//! record (`NAME.html`) and offers every format (see [`crate::outputs::page::render_formats`]).

use std::sync::Arc;
use std::time::Instant;

use super::manifest::{Done, FormatFiles, ManifestLine};
use super::reuse::{self, Format, Hashes, Made, Reuse};
use super::{Job, RecordFailure};
use crate::bind::Binder;
use crate::encode::{self, Deadline};
use crate::outputs::{self, page, OutputsError, Request, Written};
use crate::record::Record;
use crate::storyboard::Storyboard;
use crate::timings::{Stage, Timings};

/// The file stem of a record's files in the format `sb` was read in.
pub fn stem(name: &str, sb: &Storyboard) -> String {
    match sb.formats.first() {
        Some(default) if default.name != sb.format.name => format!("{name}-{}", sb.format.name),
        _ => name.to_string(),
    }
}

/// One format of a record, rendered (or kept from a previous run).
pub(super) struct Rendered {
    pub duration_secs: f64,
    pub bytes: u64,
    /// Where the time went, when the video was encoded now.
    pub timings: Option<Timings>,
    pub written: Written,
    pub sha256: String,
}

/// Binds `rec` in each format (`reqs[k]` for the binder `k`), works out which of its files a
/// previous run left right (see [`super::reuse`]), and encodes and writes the others, then the
/// one page that offers every format. None: every file is still right. `out` receives the
/// hashes and what was made, for the manifest and the summary.
pub(super) fn render(
    job: &Job,
    rec: &Record,
    reqs: &[Request],
    deadline: Deadline,
    done: &Done,
    out: (&mut Option<Hashes>, &mut Made),
) -> Result<Option<Vec<Rendered>>, RecordFailure> {
    let budget = deadline.budget;
    let record = || rec.id.clone();
    // Between stages: a stage that cannot look at the clock itself ends before the next.
    let in_time = |stage: &str| match deadline.passed() {
        true => Err(RecordFailure::timeout(&rec.id, stage.to_string(), budget)),
        false => Ok(()),
    };
    let t = Instant::now();
    let mut bound = Vec::new();
    for (binder, req) in job.binders.iter().zip(reqs) {
        let graph = binder.bind(rec)?;
        let picture = graph.picture_hash();
        let prepared = outputs::prepare(&graph, req, picture);
        bound.push((graph, picture, prepared));
    }
    let bind_time = t.elapsed();
    in_time("after binding")?;
    // The page's files are known before they are written: it can be made (and hashed) first.
    let videos: Vec<String> = reqs.iter().map(|r| r.file("mp4")).collect();
    let posters: Vec<Option<String>> =
        bound.iter().zip(reqs).map(|((_, _, p), r)| p.hashes.poster.map(|_| r.file("jpg"))).collect();
    let captions = bound[0].2.hashes.captions.map(|_| reqs[0].file("vtt"));
    let views: Vec<page::View> = job
        .binders
        .iter()
        .zip(&bound)
        .enumerate()
        .map(|(k, (b, (graph, _, _)))| page::View {
            format: &b.storyboard().format.name,
            graph,
            files: page::Files {
                video: &videos[k],
                poster: posters[k].as_deref(),
                captions: captions.as_deref(),
            },
        })
        .collect();
    let page_hash = outputs::page_html(&views).map(|(_, h)| h);
    let each: Vec<Format> = bound
        .iter()
        .map(|(graph, picture, p)| Format { graph, picture: *picture, files: p.hashes })
        .collect();
    let hashes = Hashes::new(&each, &job.opts.settings, page_hash);
    *out.0 = Some(hashes);
    let keep = match (job.opts.force, &job.opts.publish) {
        (true, _) => Reuse::default(),
        (false, None) => reuse::decide(done.get(&rec.id), &hashes, reqs),
        (false, Some(store)) => super::publish::decide(store, done.get(&rec.id), &hashes, reqs),
    };
    if keep.everything(&hashes) {
        return Ok(None);
    }
    *out.1 = Made::of(&keep, &hashes);
    let mut rendered = Vec::new();
    for ((graph, _, prepared), req) in bound.iter().zip(reqs) {
        let video_path = req.path("mp4");
        let (duration_secs, bytes, mut timings) = if keep.video {
            let bytes = std::fs::metadata(&video_path)
                .map_err(|source| RecordFailure::Digest { record: record(), source })?
                .len();
            (graph.duration_secs(), bytes, None)
        } else {
            let stats = encode::render_video_until(
                graph,
                &video_path,
                &job.opts.settings,
                &job.tag,
                job.cache.as_ref(),
                Some(deadline),
            )
            .map_err(|source| match source {
                encode::EncodeError::Timeout { frame, frames, .. } => RecordFailure::timeout(
                    &rec.id,
                    format!("while encoding, at frame {frame} of {frames}"),
                    budget,
                ),
                source => RecordFailure::Encode { record: record(), source },
            })?;
            (stats.duration_secs, stats.bytes, Some(stats.timings))
        };
        in_time("after encoding the video")?;
        let t = Instant::now();
        let written = outputs::write_prepared(graph, req, prepared, keep.files)
            .map_err(|e| outputs_failure(rec, e, budget))?;
        if let Some(timings) = timings.as_mut() {
            timings.add(Stage::Files, t.elapsed());
        }
        in_time("after writing the poster and the other files")?;
        let sha256 = crate::output::file_sha256(&video_path)
            .map_err(|source| RecordFailure::Digest { record: record(), source })?;
        rendered.push(Rendered { duration_secs, bytes, timings, written, sha256 });
    }
    if let Some(t) = rendered[0].timings.as_mut() {
        t.add(Stage::Bind, bind_time);
    }
    let t = Instant::now();
    let page = outputs::write_page(&views, &reqs[0], keep.files.page)
        .map_err(|e| outputs_failure(rec, e, budget))?;
    rendered[0].written.page = page;
    if let Some(timings) = rendered[0].timings.as_mut() {
        timings.add(Stage::Files, t.elapsed());
    }
    Ok(Some(rendered))
}

fn outputs_failure(rec: &Record, e: OutputsError, budget: std::time::Duration) -> RecordFailure {
    match e {
        OutputsError::Timeout { .. } => {
            RecordFailure::timeout(&rec.id, "while making the animated preview".into(), budget)
        }
        source => RecordFailure::Outputs { record: rec.id.clone(), source },
    }
}

/// Whether the storyboard declares formats (the manifest then lists them).
fn declares(binders: &[Arc<Binder>]) -> bool {
    binders[0].storyboard().formats.first().is_some_and(|f| f.name != crate::storyboard::formats::IMPLICIT)
}

/// Fills `line.formats` with each format rendered.
pub(super) fn list(
    line: &mut ManifestLine,
    binders: &[Arc<Binder>],
    reqs: &[Request],
    rendered: &[Rendered],
    base_url: Option<&str>,
) {
    if !declares(binders) {
        return;
    }
    for ((b, req), r) in binders.iter().zip(reqs).zip(rendered) {
        let mut files = entry(b, req, &r.written, base_url);
        (files.bytes, files.sha256) = (Some(r.bytes), Some(r.sha256.clone()));
        line.formats.insert(b.storyboard().format.name.clone(), files);
    }
}

/// Fills `line.formats` for a record a previous run finished, from the files on disk.
pub(super) fn list_existing(line: &mut ManifestLine, binders: &[Arc<Binder>], reqs: &[Request]) {
    if !declares(binders) {
        return;
    }
    for (b, req) in binders.iter().zip(reqs) {
        let files = entry(b, req, &Written::existing(req), None);
        line.formats.insert(b.storyboard().format.name.clone(), files);
    }
}

fn entry(b: &Binder, req: &Request, written: &Written, base_url: Option<&str>) -> FormatFiles {
    let url = |file: &str| base_url.map(|b| format!("{b}{file}"));
    let f = &b.storyboard().format;
    let video = req.file("mp4");
    FormatFiles {
        width: f.width,
        height: f.height,
        video_url: url(&video),
        poster_url: written.poster.as_deref().and_then(url),
        preview_url: written.preview.as_deref().and_then(url),
        video,
        poster: written.poster.clone(),
        preview: written.preview.clone(),
        bytes: None,
        sha256: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_default_format_keeps_the_name_and_the_others_add_theirs() {
        let text = "formats: { wide: 640x360, tall: 360x640 }\nvideo: { fps: 10 }\nscenes: [ { id: a, duration: 1s } ]\n";
        let read = |f| {
            crate::storyboard::parse::parse_partial_for(text, Path::new("sb.yaml"), &Default::default(), f)
        };
        let (wide, d) = read(None);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(stem("abc", &wide.unwrap()), "abc");
        assert_eq!(stem("abc", &read(Some("tall")).0.unwrap()), "abc-tall");
        let (plain, _) = crate::storyboard::parse_partial(
            "video: { width: 64, height: 64, fps: 10 }\nscenes: [ { id: a, duration: 1s } ]\n",
            Path::new("sb.yaml"),
        );
        assert_eq!(stem("abc", &plain.unwrap()), "abc");
    }
}
