//! What a reader noticed that matters only to someone profiling (an .xlsx sheet the fast scanner handed over to
//! calamine, several times slower, from some cell on). The readers print nothing and read no environment: they
//! leave a note here, and the CLI's one timing facility (`cli/timings.rs`, `YOUFU_TIMINGS`) prints the notes
//! with the phase they fell in.

use std::sync::Mutex;

/// Notes kept at most: a reader leaves one per file, a run reads a few files.
const MAX_NOTES: usize = 64;

static NOTES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Leave a note (dropped beyond `MAX_NOTES`, so a process that never takes them holds a few lines at most).
pub(crate) fn note(text: String) {
    let mut notes = NOTES.lock().unwrap_or_else(|e| e.into_inner());
    if notes.len() < MAX_NOTES {
        notes.push(text);
    }
}

/// The notes left since the last call, oldest first.
pub fn take() -> Vec<String> {
    std::mem::take(&mut *NOTES.lock().unwrap_or_else(|e| e.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_taken_once_and_bounded() {
        take();
        for i in 0..MAX_NOTES + 3 {
            note(format!("n{i}"));
        }
        let notes = take();
        assert_eq!((notes.len(), notes[0].as_str(), notes[MAX_NOTES - 1].as_str()), (MAX_NOTES, "n0", "n63"));
        assert!(take().is_empty());
    }
}
