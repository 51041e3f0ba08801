//! The sound track's loudness, measured as a platform would: the MP4 decoded by the FFmpeg
//! command line and measured by its `ebur128` filter (EBU R128 integrated loudness, true peak).

mod common;

use std::path::Path;
use std::process::Command;

use common::{fresh_dir, repo};

/// Integrated loudness (LUFS) and true peak (dBTP) of `mp4`'s sound, from the filter's summary.
fn measure(mp4: &Path) -> (f64, f64) {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(mp4)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg must be installed (scripts/install-deps.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = String::from_utf8_lossy(&o.stderr);
    let summary = log.split("Summary:").nth(1).unwrap_or_else(|| panic!("no ebur128 summary in:\n{log}"));
    let value = |label: &str| -> f64 {
        let rest = summary.split(label).nth(1).unwrap_or_else(|| panic!("no `{label}` in:\n{summary}"));
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    (value("I:"), value("Peak:"))
}

/// Renders the demo's record C0002 from `storyboard` into `out`.
fn render(storyboard: &Path, out: &Path) {
    let o = common::billreel([
        "render".as_ref(),
        storyboard.as_os_str(),
        "--data".as_ref(),
        repo().join("scenes/sample-billing-run.jsonl").as_os_str(),
        "--id".as_ref(),
        "C0002".as_ref(),
        "--output".as_ref(),
        out.as_os_str(),
    ] as [&std::ffi::OsStr; 8]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_mix_is_brought_to_the_storyboards_loudness_under_its_peak_ceiling() {
    let d = fresh_dir("loudness", "targets");
    // The demo as it is (its music bed alone measures about -21 LUFS), and the same storyboard
    // with a broadcast target and a lower ceiling.
    let demo = repo().join("scenes/bill-explainer.yaml");
    let text = std::fs::read_to_string(&demo).unwrap();
    let assets = repo().join("assets");
    let quieter = text
        .replace("assets: ../assets", &format!("assets: {}", assets.display()))
        .replace("sound: { loudness: -16, true_peak: -1 }", "sound: { loudness: -23, true_peak: -3 }");
    assert_ne!(quieter, text);
    let broadcast = d.join("broadcast.yaml");
    std::fs::write(&broadcast, quieter).unwrap();
    common::copy_demo_translations(&d);
    for (storyboard, loudness, ceiling) in [(demo, -16.0, -1.0), (broadcast, -23.0, -3.0)] {
        let out = d.join(format!("{}.mp4", storyboard.file_stem().unwrap().to_string_lossy()));
        render(&storyboard, &out);
        let (measured, peak) = measure(&out);
        assert!((measured - loudness).abs() <= 1.0, "{}: {measured} LUFS, target {loudness}", out.display());
        // AAC coding can raise peaks a little over the mastered samples'.
        assert!(peak <= ceiling + 0.3, "{}: true peak {peak} dBTP over the ceiling {ceiling}", out.display());
    }
}
