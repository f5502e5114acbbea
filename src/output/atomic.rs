//! All-or-nothing output: files are written into a hidden work folder beside the target folder and moved in only
//! by `place` — all of them, or, when one cannot be moved, none (the ones already moved are put back). The caller
//! records its run (the ledger's draft) between `place` and `Placed::keep`; a refused record drops the `Placed`,
//! which puts the old files back. Dropping an `OutputDir` without placing removes the work folder; so does an
//! interrupted run (`abandon`, called by the CLI's Ctrl-C/SIGTERM handler), which also waits for a run's last
//! steps (`finishing`) so that a run is never cut between moving its files and recording itself in the ledger.
//!
//! A run killed outright (`kill -9`, a power cut) cannot clean up: its work folder stays. The folder is named so a
//! person does not take it for output (`.youfu-未完成-<pid>-…`, a note inside, every file in it named `….未完成`),
//! and the next `OutputDir::new` beside it removes it once no process holds its lock file.

use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// A work folder's name begins with this, then the process id: a person who finds it sees that it is unfinished
/// and whose it is.
pub const WORK_PREFIX: &str = ".youfu-未完成-";
/// The name earlier versions of youfu gave their work folders (no lock inside): removed when an hour old.
const LEGACY_PREFIX: &str = ".youfu-tmp-";
/// How old a legacy work folder must be to be removed: far longer than any run.
const LEGACY_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
/// A file in the work folder that its process holds locked (`File::try_lock`) while it lives: the system drops the
/// lock when the process ends, however it ends, so a lock that can be taken marks a folder left behind.
const LOCK_NAME: &str = ".lock";
/// The note in the work folder for a person who finds it.
pub const NOTE_NAME: &str = "说明（未完成，勿用）.txt";
/// Each file is written as `<name>.未完成` in the work folder: nothing there bears the name of a finished file.
pub const PART_SUFFIX: &str = ".未完成";
/// Inside the work folder while files are placed: the new files gathered (to be renamed into place as one folder)
/// and the old ones they replace (put back if the run is not recorded).
const READY: &str = "ready";
const OLD: &str = "old";

fn note(pid: u32) -> String {
    format!(
        "这是 youfu 写出发放文件时使用的临时文件夹（进程号 {pid}）。\r\n\
         其中的文件尚未完成，或写出时被中断：不完整，不能用于发放，也不要发给银行。\r\n\
         完成的文件只会出现在输出目录（--out）中。\r\n\
         youfu 下次在这里运行 pay 时会自动删除这个文件夹；确认没有 youfu 正在运行时，也可以手工删除它。\r\n"
    )
}

/// Temporary files and folders being written now (see `track`).
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Held while a run records itself and moves its files into place (see `finishing`).
static FINISHING: Mutex<()> = Mutex::new(());

fn locked<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary file or folder that `abandon` removes if the run is interrupted before `untrack`.
fn track(path: &Path) {
    locked(&UNFINISHED).push(path.to_path_buf());
}

/// The file or folder is finished (moved into place) or already removed.
fn untrack(path: &Path) {
    locked(&UNFINISHED).retain(|p| p != path);
}

/// Held over a run's last steps (the ledger's commit and the move of the files): `abandon` waits until it is
/// dropped, so an interrupt leaves either the whole run or none of it.
pub fn finishing() -> MutexGuard<'static, ()> {
    locked(&FINISHING)
}

/// For an interrupted run: wait for `finishing`, then remove every tracked file and folder. Returns how many
/// were removed. The caller exits afterwards (the `finishing` lock stays held, so nothing else finishes).
pub fn abandon() -> usize {
    std::mem::forget(finishing());
    let paths = std::mem::take(&mut *locked(&UNFINISHED));
    paths.iter().filter(|p| if p.is_dir() { fs::remove_dir_all(p).is_ok() } else { fs::remove_file(p).is_ok() }).count()
}

/// Write one file through a temporary file in the same folder, so a reader never sees half of it (and an
/// interrupt removes the temporary file).
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // A temporary file is created 0600; the finished file is a document for others in the office to open, so it
    // gets what `File::create` would give it (0666 less the umask), as `pay`'s outputs do.
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    let tmp_path = tmp.path().to_path_buf();
    track(&tmp_path);
    let written = tmp.write_all(bytes).and_then(|()| tmp.persist(path).map(drop).map_err(|e| e.error));
    untrack(&tmp_path);
    written
}

/// A file written so far: its name in the folder, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

pub struct OutputDir {
    /// Held locked while this process writes the folder (see `LOCK_NAME`); declared before `temp`, so it is closed
    /// before the folder is removed.
    lock: Option<fs::File>,
    target: PathBuf,
    temp: Option<tempfile::TempDir>,
    /// The work folder's path, tracked for `abandon` while this `OutputDir` lives.
    temp_path: PathBuf,
    written: Vec<Written>,
    /// Work folders of runs that ended without cleaning up, removed by `new`.
    removed_stale: Vec<PathBuf>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file being written into an `OutputDir`: buffered, and hashed as it goes.
pub struct FileSink {
    name: String,
    file: io::BufWriter<fs::File>,
    hasher: Sha256,
    bytes: u64,
}

impl io::Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl OutputDir {
    /// Prepare to write into `target` (created when the files are placed, if missing). Work folders left beside it
    /// by runs that ended without cleaning up are removed first (`removed_stale` lists them).
    pub fn new(target: &Path) -> io::Result<OutputDir> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            fs::create_dir_all(&parent).map_err(|e| {
                io::Error::new(e.kind(), format!("无法创建输出目录的上级目录 {}：{e}", parent.display()))
            })?;
        }
        if target.exists() && !target.is_dir() {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} 已存在且不是目录", target.display())));
        }
        let removed_stale = remove_stale(&parent);
        let pid = std::process::id();
        let temp = tempfile::Builder::new().prefix(&format!("{WORK_PREFIX}{pid}-")).tempdir_in(&parent)?;
        let temp_path = temp.path().to_path_buf();
        track(&temp_path);
        // Locked under another name, then renamed: a run starting beside this one (`remove_stale`) must never find
        // the lock file unlocked, else it takes this live folder for a stale one and removes it (seen with 20 pays
        // at once into sibling folders, tests/pg_concurrency.rs). Until the rename it sees no lock file and asks
        // whether this process lives.
        let unlocked = temp_path.join(format!("{LOCK_NAME}{PART_SUFFIX}"));
        let lock = fs::File::create(&unlocked)?;
        lock.try_lock().map_err(|e| io::Error::other(format!("无法锁定临时文件夹 {}：{e}", temp_path.display())))?;
        fs::rename(&unlocked, temp_path.join(LOCK_NAME))?;
        // For a person who finds the folder; not needed for the run (a full disk is reported by the files).
        let _ = fs::write(temp_path.join(NOTE_NAME), note(pid));
        Ok(OutputDir {
            lock: Some(lock),
            target: target.to_path_buf(),
            temp: Some(temp),
            temp_path,
            written: Vec::new(),
            removed_stale,
        })
    }

    /// Work folders of earlier runs (killed, or cut off by a power failure) that `new` removed.
    pub fn removed_stale(&self) -> &[PathBuf] {
        &self.removed_stale
    }

    /// Path where a file of this name is being written (inside the work folder, as `<name>.未完成`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.temp.as_ref().expect("not placed").path().join(format!("{name}{PART_SUFFIX}"))
    }

    /// Write a whole file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        fs::write(self.path(name), bytes)?;
        // The digest of what was just written, without reading the file back.
        self.note(name, bytes);
        Ok(())
    }

    /// Open a file for streaming: what is written through the sink is hashed on the way, so the digest needs no
    /// second read and the file is never held in memory. Hand the sink back to `finish` (it may be filled on
    /// another thread meanwhile).
    pub fn create(&self, name: &str) -> io::Result<FileSink> {
        let file = fs::File::create(self.path(name))?;
        Ok(FileSink {
            name: name.to_string(),
            file: io::BufWriter::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
            bytes: 0,
        })
    }

    /// Flush a sink made by `create` and record its file (size and digest).
    pub fn finish(&mut self, sink: FileSink) -> io::Result<()> {
        let FileSink { name, file, hasher, bytes } = sink;
        file.into_inner().map_err(|e| e.into_error())?;
        self.written.retain(|w| w.name != name);
        self.written.push(Written { name, bytes, sha256: hex(&hasher.finalize()) });
        Ok(())
    }

    /// Record a file that a writer produced at `self.path(name)` (size and digest).
    pub fn record(&mut self, name: &str) -> io::Result<()> {
        let bytes = fs::read(self.path(name))?;
        self.note(name, &bytes);
        Ok(())
    }

    fn note(&mut self, name: &str, bytes: &[u8]) {
        self.written.retain(|w| w.name != name);
        self.written.push(Written { name: name.to_string(), bytes: bytes.len() as u64, sha256: sha256_hex(bytes) });
    }

    pub fn written(&self) -> &[Written] {
        &self.written
    }

    /// Move every file into the target folder: all of them or none. When the folder does not exist it appears
    /// whole, in one rename; otherwise each file it already holds of the same name is first moved aside into the
    /// work folder, so that a move that fails (or a run whose record is refused: drop the `Placed`) puts every file
    /// back as it was. A folder in the target bearing the name of one of the files is refused before anything is
    /// moved: it would otherwise be moved aside and removed with the work folder. Call it holding `finishing`, so
    /// that an interrupt cannot remove the work folder while it holds the old files.
    pub fn place(mut self) -> io::Result<Placed> {
        for w in &self.written {
            let dest = self.target.join(&w.name);
            if fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    format!(
                        "{} 中已有名为“{}”的文件夹，youfu 不会替换它；请移走或改名这个文件夹后重新运行",
                        self.target.display(),
                        w.name
                    ),
                ));
            }
        }
        let work = self.temp.take().expect("place once").keep();
        let mut placed = Placed {
            lock: self.lock.take(),
            target: self.target.clone(),
            work,
            whole: false,
            moved: Vec::new(),
            replaced: Vec::new(),
            kept: false,
        };
        let part = |name: &str| placed.work.join(format!("{name}{PART_SUFFIX}"));
        if !self.target.exists() {
            let ready = placed.work.join(READY);
            fs::create_dir(&ready)?;
            for w in &self.written {
                fs::rename(part(&w.name), ready.join(&w.name))?;
            }
            fs::rename(&ready, &self.target)?;
            placed.whole = true;
        } else {
            let old = placed.work.join(OLD);
            fs::create_dir(&old)?;
            for w in &self.written {
                let dest = self.target.join(&w.name);
                if fs::symlink_metadata(&dest).is_ok() {
                    fs::rename(&dest, old.join(&w.name))?;
                    placed.replaced.push(w.name.clone());
                }
                fs::rename(part(&w.name), &dest)?;
                placed.moved.push(w.name.clone());
            }
        }
        Ok(placed)
    }

    /// `place` and `keep` at once, for a run that records nothing between them.
    pub fn commit(self) -> io::Result<PathBuf> {
        Ok(self.place()?.keep())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        // Not placed: the `TempDir` (a field) removes the folder right after. Placed: `Placed` tracks it now.
        if self.temp.is_some() {
            untrack(&self.temp_path);
        }
    }
}

/// Files moved into the target folder by `OutputDir::place`, with the files they replaced kept aside: `keep` once
/// the run is recorded; dropped without `keep`, every file is put back as it was.
pub struct Placed {
    lock: Option<fs::File>,
    target: PathBuf,
    /// The work folder (no longer a `TempDir`: removed by `keep` or by the drop).
    work: PathBuf,
    /// The target folder did not exist and is the work folder's `ready`, renamed.
    whole: bool,
    /// Files moved into the target folder, in order.
    moved: Vec<String>,
    /// Files of the target folder moved aside into the work folder's `old`.
    replaced: Vec<String>,
    kept: bool,
}

impl Placed {
    /// The run is recorded: the files replaced are removed with the work folder. The target folder back.
    pub fn keep(mut self) -> PathBuf {
        self.kept = true;
        self.finish();
        self.target.clone()
    }

    /// Remove the work folder (closing its lock first) and stop tracking it.
    fn finish(&mut self) {
        self.lock.take();
        let _ = fs::remove_dir_all(&self.work);
        untrack(&self.work);
    }

    /// Put the target folder back as it was before `place` (best effort: each step that fails is skipped).
    fn undo(&mut self) {
        if self.whole {
            // The folder did not exist: it goes back into the work folder (removed with it).
            if fs::rename(&self.target, self.work.join(READY)).is_err() {
                let _ = fs::remove_dir_all(&self.target);
            }
        } else {
            for name in self.moved.iter().rev() {
                let _ = fs::remove_file(self.target.join(name));
            }
            for name in self.replaced.iter().rev() {
                let _ = fs::rename(self.work.join(OLD).join(name), self.target.join(name));
            }
        }
    }
}

impl Drop for Placed {
    fn drop(&mut self) {
        if !self.kept {
            self.undo();
            self.finish();
        }
    }
}

/// Remove, in `parent`, the work folders of runs that ended without cleaning up: each whose lock file no process
/// holds (or, when the lock file is not there yet, whose process no longer exists), and legacy `.youfu-tmp-*`
/// folders more than an hour old. Returns those removed; one that cannot be removed is left for the next run.
fn remove_stale(parent: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(parent) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let stale = if let Some(rest) = name.strip_prefix(WORK_PREFIX) {
            match fs::File::open(path.join(LOCK_NAME)) {
                // Taken: no process holds it. Closed again at once (a folder is removed with nothing in it open).
                Ok(lock) => lock.try_lock().is_ok(),
                // Between its creation and its lock (an instant): stale only if its process is gone.
                Err(_) => rest.split('-').next().and_then(|pid| pid.parse::<u32>().ok()).is_some_and(process_gone),
            }
        } else if name.starts_with(LEGACY_PREFIX) {
            entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > LEGACY_AGE))
        } else {
            false
        };
        if stale && fs::remove_dir_all(&path).is_ok() {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// Whether process `pid` is known to have ended: only where `/proc` tells (Linux); elsewhere it is assumed alive.
fn process_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_file_is_hashed_as_written_and_appears_only_on_commit() {
        use std::io::Write;
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let mut o = OutputDir::new(&target).unwrap();
        let mut sink = o.create("b.csv").unwrap();
        // Written in two pieces, from another thread: the digest is of the whole file "abc".
        let sink = std::thread::spawn(move || {
            sink.write_all(b"a").unwrap();
            sink.write_all(b"bc").unwrap();
            sink
        })
        .join()
        .unwrap();
        o.finish(sink).unwrap();
        assert_eq!(
            o.written(),
            [Written {
                name: "b.csv".into(),
                bytes: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into() // SHA-256("abc")
            }]
        );
        assert!(!target.exists());
        o.commit().unwrap();
        assert_eq!(fs::read(target.join("b.csv")).unwrap(), b"abc");
    }

    fn tracked(path: &Path) -> bool {
        locked(&UNFINISHED).iter().any(|p| p == path)
    }

    /// The temporary folder is tracked for an interrupt while it is being written, and no longer once it is
    /// moved into place or dropped; a folder that cannot be moved into place is removed.
    #[test]
    fn the_temporary_folder_is_tracked_until_committed_or_dropped() {
        let root = tempfile::tempdir().unwrap();
        let o = OutputDir::new(&root.path().join("a")).unwrap();
        let temp = o.temp_path.clone();
        assert!(tracked(&temp) && temp.is_dir());
        o.commit().unwrap();
        assert!(!tracked(&temp) && !temp.exists());

        let o = OutputDir::new(&root.path().join("b")).unwrap();
        let temp = o.temp_path.clone();
        assert!(tracked(&temp));
        drop(o);
        assert!(!tracked(&temp) && !temp.exists());

        // A file takes the target's name while the folder is written: the move fails and the folder goes.
        let target = root.path().join("c");
        let mut o = OutputDir::new(&target).unwrap();
        o.write("x.csv", b"x").unwrap();
        let temp = o.temp_path.clone();
        fs::write(&target, b"a file").unwrap();
        assert!(o.commit().is_err());
        assert!(!tracked(&temp) && !temp.exists());
        let mut left = fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>();
        left.sort();
        assert_eq!(left, ["a", "c"]);
    }

    /// The target does not exist (a link to nowhere does not count), so the whole folder is to be renamed into
    /// place; the rename fails (a folder cannot replace a link) and the folder, no longer a `TempDir`, is removed.
    #[cfg(unix)]
    #[test]
    fn a_folder_that_cannot_be_moved_into_place_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        std::os::unix::fs::symlink(root.path().join("nowhere"), &target).unwrap();
        assert!(!target.exists());
        let mut o = OutputDir::new(&target).unwrap();
        o.write("x.csv", b"x").unwrap();
        let temp = o.temp_path.clone();
        assert!(o.commit().is_err());
        assert!(!tracked(&temp) && !temp.exists());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1, "only the link is left");
    }

    /// One file written through a temporary file: the whole file appears, no temporary file is left or tracked.
    #[test]
    fn a_single_file_is_written_whole_and_leaves_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("报告.md");
        write_file(&path, b"old").unwrap();
        write_file(&path, "新".as_bytes()).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "新");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
        assert!(!locked(&UNFINISHED).iter().any(|p| p.starts_with(root.path())));
        assert!(write_file(&root.path().join("no/such/folder/x.md"), b"x").is_err());
    }

    /// A report, its figures and copied templates are readable as `pay`'s outputs are: the umask decides, as for
    /// `File::create`, not the temporary file's 0600.
    #[cfg(unix)]
    #[test]
    fn a_single_file_gets_the_mode_the_umask_gives() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let plain = root.path().join("plain.md");
        fs::File::create(&plain).unwrap();
        let written = root.path().join("报告.docx");
        write_file(&written, b"x").unwrap();
        assert_eq!(mode(&written), mode(&plain));
        assert_ne!(mode(&plain), 0o600, "a umask of 077 would make this test prove nothing");
    }

    #[test]
    fn nothing_appears_until_commit_and_nothing_is_left_on_drop() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        {
            let mut o = OutputDir::new(&target).unwrap();
            o.write("a.csv", b"x").unwrap();
            assert!(!target.exists());
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0, "temporary folder removed");
        let mut o = OutputDir::new(&target).unwrap();
        o.write("a.csv", b"abc").unwrap();
        assert_eq!(
            o.written()[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // SHA-256("abc")
        );
        o.commit().unwrap();
        assert_eq!(fs::read(target.join("a.csv")).unwrap(), b"abc");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
        // a second run replaces files in an existing folder
        let mut o = OutputDir::new(&target).unwrap();
        o.write("a.csv", b"new").unwrap();
        o.commit().unwrap();
        assert_eq!(fs::read(target.join("a.csv")).unwrap(), b"new");
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    /// An output folder holding last run's a.csv and b.csv.
    fn last_run(root: &Path) -> PathBuf {
        let target = root.join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("a.csv"), "old a").unwrap();
        fs::write(target.join("b.csv"), "old b").unwrap();
        target
    }

    /// While written, the work folder says what it is: its name (with the process id), a note, a lock, and files
    /// named `….未完成` — none bears the name of a finished file.
    #[test]
    fn the_work_folder_cannot_be_taken_for_output() {
        let root = tempfile::tempdir().unwrap();
        let mut o = OutputDir::new(&root.path().join("out")).unwrap();
        o.write("bank.csv", b"1,x").unwrap();
        let work = names(root.path());
        assert_eq!(work.len(), 1);
        assert!(work[0].starts_with(&format!(".youfu-未完成-{}-", std::process::id())), "{work:?}");
        assert_eq!(names(&o.temp_path), [".lock", "bank.csv.未完成", "说明（未完成，勿用）.txt"]);
        let note = fs::read_to_string(o.temp_path.join(NOTE_NAME)).unwrap();
        assert!(note.contains("不完整，不能用于发放，也不要发给银行"), "{note}");
    }

    /// A move that fails halfway (here the third file has vanished) puts back what was moved: the folder holds
    /// last run's files, exactly, and nothing else is left.
    #[test]
    fn a_move_that_fails_halfway_leaves_the_folder_as_it_was() {
        let root = tempfile::tempdir().unwrap();
        let target = last_run(root.path());
        let mut o = OutputDir::new(&target).unwrap();
        for name in ["a.csv", "b.csv", "c.csv"] {
            o.write(name, b"new").unwrap();
        }
        fs::remove_file(o.path("c.csv")).unwrap();
        let temp = o.temp_path.clone();
        assert!(o.place().is_err());
        assert_eq!(names(&target), ["a.csv", "b.csv"]);
        assert_eq!(fs::read_to_string(target.join("a.csv")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(target.join("b.csv")).unwrap(), "old b");
        assert_eq!(names(root.path()), ["out"]);
        assert!(!tracked(&temp));
    }

    /// Files placed and then not kept (the ledger refused the draft) are taken back out: an existing folder gets
    /// its old files back, a folder that did not exist is gone.
    #[test]
    fn placed_files_not_kept_are_taken_back() {
        let root = tempfile::tempdir().unwrap();
        let target = last_run(root.path());
        let mut o = OutputDir::new(&target).unwrap();
        o.write("a.csv", b"new a").unwrap();
        o.write("c.csv", b"new c").unwrap();
        let placed = o.place().unwrap();
        assert_eq!(names(&target), ["a.csv", "b.csv", "c.csv"]);
        assert_eq!(fs::read_to_string(target.join("a.csv")).unwrap(), "new a");
        drop(placed);
        assert_eq!(names(&target), ["a.csv", "b.csv"]);
        assert_eq!(fs::read_to_string(target.join("a.csv")).unwrap(), "old a");
        assert_eq!(names(root.path()), ["out"]);

        let fresh = root.path().join("fresh");
        let mut o = OutputDir::new(&fresh).unwrap();
        o.write("a.csv", b"new a").unwrap();
        let placed = o.place().unwrap();
        assert_eq!(names(&fresh), ["a.csv"]);
        drop(placed);
        assert_eq!(names(root.path()), ["out"]);

        // Kept: the new files stay, the old ones go with the work folder.
        let mut o = OutputDir::new(&target).unwrap();
        o.write("a.csv", b"new a").unwrap();
        assert_eq!(o.place().unwrap().keep(), target);
        assert_eq!(fs::read_to_string(target.join("a.csv")).unwrap(), "new a");
        assert_eq!(names(root.path()), ["out"]);
    }

    /// A folder bearing the name of one of the files is refused before anything moves (moved aside, it would be
    /// removed with the work folder).
    #[test]
    fn a_folder_named_like_a_file_is_refused_before_anything_moves() {
        let root = tempfile::tempdir().unwrap();
        let target = last_run(root.path());
        fs::create_dir(target.join("bank.csv")).unwrap();
        fs::write(target.join("bank.csv/mine.txt"), "a person's file").unwrap();
        let mut o = OutputDir::new(&target).unwrap();
        o.write("a.csv", b"new a").unwrap();
        o.write("bank.csv", b"new bank").unwrap();
        let Err(e) = o.place() else { panic!("placed") };
        assert_eq!(
            e.to_string(),
            format!(
                "{} 中已有名为“bank.csv”的文件夹，youfu 不会替换它；请移走或改名这个文件夹后重新运行",
                target.display()
            )
        );
        assert_eq!(names(&target), ["a.csv", "b.csv", "bank.csv"]);
        assert_eq!(fs::read_to_string(target.join("a.csv")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(target.join("bank.csv/mine.txt")).unwrap(), "a person's file");
        assert_eq!(names(root.path()), ["out"]);
    }

    /// `new` removes work folders nobody holds (their process ended without cleaning up) and legacy ones over an
    /// hour old; a folder another run is writing (its lock held), a recent legacy one, and other folders stay.
    #[test]
    fn stale_work_folders_are_removed_and_live_ones_kept() {
        let root = tempfile::tempdir().unwrap();
        let live = OutputDir::new(&root.path().join("other")).unwrap();
        let stale = root.path().join(".youfu-未完成-4000000-abc");
        fs::create_dir(&stale).unwrap();
        fs::write(stale.join(LOCK_NAME), "").unwrap();
        fs::write(stale.join("bank.csv.未完成"), "1,x").unwrap();
        // No lock yet, and a process id no system gives out (above Linux's 2^22 limit): gone.
        let unlocked = root.path().join(".youfu-未完成-4194305-def");
        fs::create_dir(&unlocked).unwrap();
        // No lock yet, and this process's id: alive (its lock is an instant away).
        let starting = root.path().join(format!(".youfu-未完成-{}-ghi", std::process::id()));
        fs::create_dir(&starting).unwrap();
        let old_legacy = root.path().join(".youfu-tmp-old");
        fs::create_dir(&old_legacy).unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        fs::File::open(&old_legacy).unwrap().set_modified(two_hours_ago).unwrap();
        let new_legacy = root.path().join(".youfu-tmp-new");
        fs::create_dir(&new_legacy).unwrap();
        fs::create_dir(root.path().join("发放")).unwrap();

        let o = OutputDir::new(&root.path().join("out")).unwrap();
        let mut removed = vec![old_legacy, stale, unlocked];
        removed.sort();
        assert_eq!(o.removed_stale(), removed);
        let left = names(root.path());
        assert!(left.contains(&live.temp_path.file_name().unwrap().to_string_lossy().into_owned()), "{left:?}");
        assert!(starting.exists() && new_legacy.exists() && root.path().join("发放").exists(), "{left:?}");
        assert_eq!(left.len(), 5, "{left:?}"); // live, starting, new legacy, 发放, and o's own
    }
}
