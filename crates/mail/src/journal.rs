//! The dot journal: which messages of an issue this process has finished handing to an SMTP
//! server, written the moment the final `.` of the message leaves for the kernel.
//!
//! Why: the send log marks a row `sent` only after the server's `250` and a group commit,
//! milliseconds later. A sender killed in between leaves rows that the server accepted but the
//! log does not know about, and a restart would send them again. The server's decision hangs on
//! one thing only: whether the terminating `.` reached the socket (a connection that closes in
//! the middle of DATA is discarded, RFC 5321 §4.1.1.4). Appending the subscriber's id to a
//! local file right after that write — a plain `write(2)`, which survives the process's death
//! once it returns — lets the next sender record those rows before it claims anything. What is
//! left is the instant between the two system calls.
//!
//! One file per sender run, `issue-<id>.<worker>.journal`, held under an exclusive lock while
//! its sender lives; a file whose lock can be taken belongs to a dead (or finished) sender.
//! Lines are `<subscriber id>\n` for a message whose dot was written and `-<subscriber id>\n`
//! when the server then refused it or the connection failed before its reply (the live sender
//! records that outcome itself). The journal is local: on several machines sharing PostgreSQL,
//! a sender that dies on one is recovered by the log's leases alone, with the wider window.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use newsdesk_core::Id;

/// This run's journal for one issue.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Creates and locks this run's journal file in `dir`.
    pub fn create(dir: &Path, issue_id: Id, worker: &str) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let safe: String = worker
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let path = dir.join(format!("issue-{issue_id}.{safe}.journal"));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)?;
        file.try_lock().map_err(std::io::Error::other)?;
        Ok(Journal { file, path })
    }

    /// The message to `subscriber` has been handed over in full (its final dot written).
    pub fn handed_over(&self, subscriber: Id) {
        self.append(&format!("{subscriber}\n"));
    }

    /// The message to `subscriber` was not accepted after all (a refusal or a broken
    /// connection after the dot); the live sender records the failure.
    pub fn voided(&self, subscriber: Id) {
        self.append(&format!("-{subscriber}\n"));
    }

    fn append(&self, line: &str) {
        // One write(2) on an O_APPEND file: the line is in the page cache, whole, when it
        // returns, and stays there if the process is killed. No fsync: this guards against the
        // sender dying, not the machine (whose socket buffers die with it).
        if let Err(e) = (&self.file).write_all(line.as_bytes()) {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot write the send journal");
        }
    }

    /// Done: every handed-over message's mark is durable in the send log. (The lock goes when
    /// the last handle is dropped.)
    pub fn remove(&self) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(error = %e, path = %self.path.display(), "cannot remove the send journal");
        }
    }
}

/// A dead sender's journal: the subscribers whose messages it handed over.
#[derive(Debug)]
pub struct Orphan {
    pub path: PathBuf,
    pub handed_over: Vec<Id>,
    // Held until the orphan is settled, so two resuming senders do not both take it.
    _file: File,
}

impl Orphan {
    /// The send log now has these rows: the journal can go.
    pub fn settle(self) -> std::io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

/// Journals of `issue_id` in `dir` whose sender is gone (their lock is free).
pub fn orphans(dir: &Path, issue_id: Id) -> std::io::Result<Vec<Orphan>> {
    let prefix = format!("issue-{issue_id}.");
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&prefix) || !name.ends_with(".journal") {
            continue;
        }
        let path = entry.path();
        let Ok(mut file) = OpenOptions::new().read(true).write(true).open(&path) else {
            continue; // settled by another sender meanwhile
        };
        if file.try_lock().is_err() {
            continue; // a live sender's
        }
        // Settled by another sender between our listing and our lock: nothing to take.
        if !path.exists() {
            continue;
        }
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        out.push(Orphan {
            handed_over: parse(&text),
            path,
            _file: file,
        });
    }
    Ok(out)
}

/// Handed-over ids minus voided ones; a torn last line (no newline) is ignored.
fn parse(text: &str) -> Vec<Id> {
    let mut handed = Vec::new();
    let mut voided = HashSet::new();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    for line in complete.lines() {
        if let Some(v) = line.strip_prefix('-') {
            if let Ok(id) = v.parse::<Id>() {
                voided.insert(id);
            }
        } else if let Ok(id) = line.parse::<Id>() {
            handed.push(id);
        }
    }
    handed.retain(|id| !voided.contains(id));
    handed.sort_unstable();
    handed.dedup();
    handed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voided_and_torn_lines_are_not_handed_over() {
        assert_eq!(parse("3\n5\n-3\n9\n12"), vec![5, 9]);
        assert_eq!(parse(""), Vec::<Id>::new());
        assert_eq!(parse("7"), Vec::<Id>::new());
    }

    #[test]
    fn a_live_journal_is_not_an_orphan_and_a_dropped_one_is() {
        let dir = tempfile::tempdir().expect("dir");
        let j = Journal::create(dir.path(), 4, "123-abc").expect("journal");
        j.handed_over(10);
        j.handed_over(11);
        j.voided(11);
        // Another issue's journal is never taken for this one.
        let other = Journal::create(dir.path(), 5, "123-abc").expect("journal");
        other.handed_over(99);
        assert!(orphans(dir.path(), 4).expect("scan").is_empty(), "locked");
        drop(j); // the process died: its lock is gone, the file stays
        let found = orphans(dir.path(), 4).expect("scan");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].handed_over, vec![10]);
        // While one resumer holds it, another does not take it too.
        assert!(orphans(dir.path(), 4).expect("scan").is_empty());
        for o in found {
            o.settle().expect("settle");
        }
        assert!(orphans(dir.path(), 4).expect("scan").is_empty());
        other.remove();
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 0);
    }
}
