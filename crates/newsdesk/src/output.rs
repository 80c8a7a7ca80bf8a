//! Command output that survives a closed pipe: `newsdesk newsletter status | head` must not
//! panic when `head` stops reading (std's `println!` panics on `EPIPE`). The crate's `print!`
//! and `println!` are these macros: a broken pipe silences later output, and the command goes on
//! to finish its work (a send is not cut short because nobody reads its progress).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout unless the reader went away; other write errors are reported on stderr.
pub fn write(args: std::fmt::Arguments<'_>, newline: bool) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let res = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = res {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CLOSED.store(true, Ordering::Relaxed);
        } else {
            eprintln!("newsdesk: writing the output: {e}");
        }
    }
}

macro_rules! println {
    () => { $crate::output::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*), true) };
}

macro_rules! print {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*), false) };
}
