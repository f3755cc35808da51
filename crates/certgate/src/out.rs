//! Writing to stdout without panicking when the reader goes away (`certgate codes | head -1`):
//! Rust ignores SIGPIPE, so `println!` would panic on EPIPE. A closed pipe is not an error here.

use std::io::{self, Write};

/// Writes `text` to stdout; a reader that closed the pipe early is fine, other errors are not.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("writing to stdout: {e}"))
        }
        _ => Ok(()),
    }
}
