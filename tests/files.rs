//! What `render` and `preview` write, and what they refuse to write: an output that is an input,
//! a picture on a full disk.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::text;
use common::{fresh_dir, in_ci, repo};

fn tiny() -> String {
    repo().join("tests/batch/tiny.yaml").to_string_lossy().into_owned()
}

const RECORD: &str =
    r#"{"id": "A1", "customer": {"first_name": "Ann"}, "bill": {"total": 12.5, "currency": "EUR"}}"#;

/// `billreel COMMAND tiny.yaml --data DATA --id A1 -o OUT`.
fn run(command: &str, storyboard: &Path, data: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_billreel"))
        .arg(command)
        .arg(storyboard)
        .arg("--data")
        .arg(data)
        .args(["--id", "A1", "-o"])
        .arg(out)
        .output()
        .unwrap()
}

/// Issue 14: `render -o X --data X` replaced the billing data with the video.
#[test]
fn an_output_that_is_an_input_is_refused_before_anything_is_written() {
    let dir = fresh_dir("test-files", "inputs");
    let data = dir.join("run.jsonl");
    std::fs::write(&data, format!("{RECORD}\n")).unwrap();
    let story = dir.join("story.yaml");
    let assets = repo().join("assets").to_string_lossy().into_owned();
    std::fs::write(&story, std::fs::read_to_string(tiny()).unwrap().replace("../../assets", &assets))
        .unwrap();
    let inputs = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    // Billing data in a file named like the page beside a video (any name but .csv is read as
    // JSON Lines).
    let page = dir.join("run.html");
    std::fs::write(&page, format!("{RECORD}\n")).unwrap();
    let read_all = || [&data, &page, &story].map(|p| std::fs::read(p).unwrap());
    let before = read_all();
    // The data as the video, as the page beside the video (same stem), as the preview; the
    // storyboard as the video, through another spelling of its path.
    let cases = [
        ("render", &data, data.clone(), "the billing data"),
        ("render", &page, dir.join("run.mp4"), "the billing data"),
        ("preview", &data, data.clone(), "the billing data"),
        ("render", &data, dir.join(".").join("story.yaml"), "the storyboard"),
    ];
    for (command, input, out, what) in cases {
        let o = run(command, &story, input, &out);
        assert_eq!(o.status.code(), Some(1), "{command} -o {}: {}", out.display(), text(&o));
        let t = text(&o);
        assert!(t.contains(&format!("would overwrite {what}")) && t.contains("nothing was written"), "{t}");
        assert!(read_all() == before, "inputs untouched");
        assert_eq!(inputs(&dir), ["run.html", "run.jsonl", "story.yaml"], "nothing written");
    }
    // A real output name works.
    let o = run("preview", &story, &data, &dir.join("frame.png"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Issue 14: `preview` on a full disk printed success, exited 1 and left a truncated PNG. Now
/// the PNG is written under a temporary name, fsynced and renamed: on a full disk the error is
/// reported (exit 1), nothing claims success and no PNG, whole or truncated, is left.
#[test]
fn preview_on_a_full_disk_fails_cleanly() {
    let dir = fresh_dir("test-files", "full-disk");
    let data = dir.join("run.jsonl");
    std::fs::write(&data, format!("{RECORD}\n")).unwrap();
    let disk = dir.join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    // A 64 KiB file system, then filled to the last byte.
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&disk)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        assert!(!in_ci(), "CI runs as root and must be able to mount a small tmpfs for this test");
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&disk);
    {
        use std::io::Write;
        let mut filler = std::fs::File::create(disk.join("filler")).unwrap();
        while filler.write_all(&[0u8; 4096]).is_ok() {}
        while filler.write_all(&[0u8; 1]).is_ok() {}
    }
    let out = disk.join("frame.png");
    let o = run("preview", Path::new(&tiny()), &data, &out);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains(&format!("cannot write {}", out.display())) && t.contains("No space left on device"),
        "{t}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("frame"), "no success line: {t}");
    let left: Vec<String> = std::fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["filler"], "no PNG and no temporary file left");
    // With room again, the same command writes the picture.
    std::fs::remove_file(disk.join("filler")).unwrap();
    let o = run("preview", Path::new(&tiny()), &data, &out);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(image::open(&out).unwrap().width(), 320);
}
