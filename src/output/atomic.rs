//! All-or-nothing output: files are written into a hidden temporary folder beside the target folder and moved in
//! only by `commit`. Dropping an `OutputDir` without committing removes the temporary folder; so does an
//! interrupted run (`abandon`, called by the CLI's Ctrl-C/SIGTERM handler), which also waits for a run's last
//! steps (`finishing`) so that a run is never cut between recording itself in the ledger and moving its files.

use sha2::{Digest, Sha256};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

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
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
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
    target: PathBuf,
    temp: Option<tempfile::TempDir>,
    /// The temporary folder's path, tracked for `abandon` while this `OutputDir` lives.
    temp_path: PathBuf,
    written: Vec<Written>,
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
    /// Prepare to write into `target` (created on commit if missing).
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
        let temp = tempfile::Builder::new().prefix(".youfu-tmp-").tempdir_in(&parent)?;
        let temp_path = temp.path().to_path_buf();
        track(&temp_path);
        Ok(OutputDir { target: target.to_path_buf(), temp: Some(temp), temp_path, written: Vec::new() })
    }

    /// Path where a file of this name is being written (inside the temporary folder).
    pub fn path(&self, name: &str) -> PathBuf {
        self.temp.as_ref().expect("not committed").path().join(name)
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

    /// Move every file into the target folder. When the folder does not exist it appears whole, in one rename.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        let temp = self.temp.take().expect("commit once");
        if !self.target.exists() {
            let kept = temp.keep();
            if let Err(e) = fs::rename(&kept, &self.target) {
                // Not moved: removed, as dropping the `TempDir` would have.
                let _ = fs::remove_dir_all(&kept);
                return Err(e);
            }
        } else {
            for w in &self.written {
                fs::rename(temp.path().join(&w.name), self.target.join(&w.name))?;
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        // Committed, or the `TempDir` (a field) removes itself right after.
        untrack(&self.temp_path);
    }
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
}
