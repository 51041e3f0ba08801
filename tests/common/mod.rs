//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An empty folder for one test's files: target/<area>/<name>.
pub fn fresh_dir(area: &str, name: &str) -> PathBuf {
    let dir = repo().join("target").join(area).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `billreel` binary.
pub fn billreel<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_billreel")).args(args).output().unwrap()
}

/// The demo storyboard and sample run, as command-line arguments for `record_id`.
pub fn demo_args(command: &str, record_id: &str) -> Vec<String> {
    vec![
        command.to_string(),
        repo().join("scenes/bill-explainer.yaml").to_string_lossy().into_owned(),
        "--data".into(),
        repo().join("scenes/sample-billing-run.jsonl").to_string_lossy().into_owned(),
        "--id".into(),
        record_id.into(),
    ]
}

/// Runs ffprobe on the first video stream and returns its `key=value` lines.
pub fn ffprobe(file: &Path, entries: &str) -> String {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            entries,
            "-of",
            "default=nw=1",
        ])
        .arg(file)
        .output()
        .expect("ffprobe must be installed (scripts/install-deps.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// One `key=value` field of ffprobe's output.
pub fn field<'a>(probe: &'a str, key: &str) -> &'a str {
    probe
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {probe}"))
}
