//! The run lock: one batch at a time writes a manifest (one output folder and shard).
//!
//! Two runs on one folder would remove each other's temporary files and interleave their
//! manifest lines. So a run takes an exclusive advisory lock (`flock`, through the standard
//! library's `File::try_lock`) on a lock file beside its manifest, `.manifest.jsonl.lock`, and
//! holds it until it ends. A second run finds it held and is refused at once, told which process
//! holds it. The kernel releases the lock when its holder dies, however it dies (`kill -9`, a
//! crash, a lost pod): the next run takes it over, no stale lock file to remove by hand. Shards
//! of one run (`--shard I/N`) each have their own manifest and lock, so they share a folder.
//!
//! The file holds who has it (process id, host, start time) for that message; a run that ends
//! normally empties it, so a run that finds it filled but free knows that the last run was killed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another batch is already writing to this output folder ({manifest}): {holder}. \
         Two runs on one folder would spoil each other's files; wait for that one to end, or stop it \
         (a run that is killed releases the lock by itself). Shards of one run (--shard I/N) can share a folder."
    )]
    Held { manifest: String, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The lock of a running batch, released when dropped (and by the kernel if the process dies).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    pub path: PathBuf,
    /// What the file said when this run took it: the holder of a run that was killed.
    pub previous: Option<String>,
}

/// The lock file of the manifest `manifest_name` in `out`.
pub fn lock_path(out: &Path, manifest_name: &str) -> PathBuf {
    out.join(format!(".{manifest_name}.lock"))
}

impl RunLock {
    /// Takes the lock of `manifest_name` in `out`, or says who has it.
    pub fn acquire(out: &Path, manifest_name: &str) -> Result<RunLock, LockError> {
        let path = lock_path(out, manifest_name);
        let io = |source| LockError::Io { path: path.clone(), source };
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = read_holder(&mut file)
                    .unwrap_or_else(|| "a process that is still starting (no details yet)".into());
                return Err(LockError::Held { manifest: manifest_name.into(), holder });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let previous = read_holder(&mut file);
        let me = format!(
            "process {} on host {}, started at {}",
            std::process::id(),
            hostname(),
            utc_timestamp(SystemTime::now())
        );
        (|| {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(me.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_data()
        })()
        .map_err(io)?;
        Ok(RunLock { file, path, previous })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Emptied: the next run knows that this one ended normally. The lock goes with the file.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The holder written in a lock file, if any.
fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(1024).read_to_string(&mut text).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "(unknown)".into())
}

/// `2026-11-27T16:20:05Z`.
fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |s: u64| utc_timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(at(1_798_381_205), "2026-12-27T14:20:05Z");
    }

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_details_until_it_lets_go() {
        let dir = std::env::temp_dir().join(format!("billreel-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let first = RunLock::acquire(&dir, "manifest.jsonl").unwrap();
        assert_eq!(first.previous, None);
        // flock locks belong to the open file, so a second open in this process conflicts too.
        let e = RunLock::acquire(&dir, "manifest.jsonl").unwrap_err().to_string();
        assert!(e.contains(&format!("process {} on host ", std::process::id())), "{e}");
        assert!(e.contains("another batch is already writing") && e.contains("started at 20"), "{e}");
        // Another shard's manifest has its own lock.
        let other = RunLock::acquire(&dir, "manifest-1-of-2.jsonl").unwrap();
        drop((first, other));
        let again = RunLock::acquire(&dir, "manifest.jsonl").unwrap();
        assert_eq!(again.previous, None, "a run that ended normally leaves the file empty");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
