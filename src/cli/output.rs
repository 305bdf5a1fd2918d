//! Writing files so that a crash or Ctrl-C never leaves half of one: bytes go
//! to a temporary file beside the target, which is then renamed over it. A
//! symlink is followed to the file it names, which is replaced, not the
//! link; what is not a regular file (a device, a FIFO, a terminal) is
//! written through, as a shell's `>` would, never replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_all_atomically(&[(path.to_path_buf(), bytes.to_vec())])
}

/// Where the bytes for a path go.
enum Destination {
    /// A regular file, new or old, replaced whole: the path a symlink leads to.
    Replace(PathBuf),
    /// Something that is not a regular file: written to, never replaced.
    Through(PathBuf),
}

impl Destination {
    fn of(path: &Path) -> anyhow::Result<Destination> {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                anyhow::bail!("{}: is a directory, not a file name", path.display())
            }
            Ok(meta) if !meta.is_file() => Ok(Destination::Through(path.to_path_buf())),
            Ok(_) => Ok(Destination::Replace(
                std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
            )),
            Err(_) => Ok(Destination::Replace(link_target(path))),
        }
    }
}

/// Where `path` leads when it is a symlink to a file not made yet (followed
/// link by link, as opening it would); `path` itself otherwise.
fn link_target(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // as many links as Linux follows before it gives up
    for _ in 0..40 {
        let Ok(target) = std::fs::read_link(&path) else {
            return path;
        };
        path = match path.parent() {
            Some(dir) => dir.join(target),
            None => target,
        };
    }
    path
}

/// Writes a set of files that belong together (a run's model and plots):
/// every one goes to its temporary file first, and only when all of them are
/// written are they renamed into place, so a failure replaces none of them.
/// Special files (`Destination::Through`) are written last, in place.
pub fn write_all_atomically(files: &[(PathBuf, Vec<u8>)]) -> anyhow::Result<()> {
    let mut replaced = Vec::new();
    let mut through = Vec::new();
    for (path, bytes) in files {
        match Destination::of(path)? {
            Destination::Replace(real) => {
                let mut file =
                    temporary_beside(&real).with_context(|| path.display().to_string())?;
                file.write_all(bytes)
                    .and_then(|()| file.as_file().sync_all())
                    .map_err(without_temporary_path)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                replaced.push((path, real, file));
            }
            Destination::Through(special) => through.push((path, special, bytes)),
        }
    }
    for (path, real, file) in replaced {
        file.persist(&real)
            .map_err(|err| err.error)
            .with_context(|| format!("{}: cannot replace", path.display()))?;
    }
    for (path, special, bytes) in through {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&special)
            .and_then(|mut file| file.write_all(bytes))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    Ok(())
}

/// Checks, before any work is done, that `path` can be written: it is not a
/// directory, and it is a special file or its directory takes new files.
pub fn check_destination(path: &Path) -> anyhow::Result<()> {
    match Destination::of(path)? {
        Destination::Replace(real) => temporary_beside(&real)
            .map(drop)
            .with_context(|| path.display().to_string()),
        Destination::Through(_) => Ok(()),
    }
}

/// `check_destination`, and that the file `option` names is none of the
/// run's `inputs`, which writing it would overwrite.
pub fn check_output(path: &Path, option: &str, inputs: &[&Path]) -> anyhow::Result<()> {
    if inputs.iter().any(|input| same_file(path, input)) {
        anyhow::bail!(
            "{}: {option} names an input of this run; it would be overwritten",
            path.display()
        );
    }
    check_destination(path)
}

/// Whether `a` and `b` name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A new hidden file in `path`'s directory, removed when dropped.
fn temporary_beside(path: &Path) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    let prefix = format!("{TEMPORARY_PREFIX}{}-", std::process::id());
    builder.prefix(&prefix);
    // an ordinary file's permissions, not a temporary file's owner-only ones
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    builder
        .tempfile_in(dir)
        .map_err(without_temporary_path)
        .with_context(|| format!("cannot create a file in {}", dir.display()))
}

/// tempfile's errors end with the temporary file's path, which the user never
/// asked for: keep the operating system's own message.
fn without_temporary_path(err: std::io::Error) -> std::io::Error {
    let message = err.to_string();
    match message.rfind(" at path \"") {
        Some(end) => std::io::Error::new(err.kind(), &message[..end]),
        None => err,
    }
}

/// Temporary files start with this and the process id, so that they are
/// hidden and known as ours: `.micrograd-4242-aB3xYz`.
const TEMPORARY_PREFIX: &str = ".micrograd-";

/// Removes the temporary files in `dir` left by runs that were killed before
/// they could clean up: those whose process is gone (on Linux), or a day old.
pub fn clear_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let procfs = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMPORARY_PREFIX)) else {
            continue;
        };
        let pid = rest
            .split('-')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let stale = match pid {
            Some(pid) if procfs => {
                pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
            }
            _ => entry
                .metadata()
                .and_then(|meta| meta.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 24 * 3600),
        };
        if stale && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Holds `dir` for this run: another run that asks for it gets an error
/// until this one ends. The lock is on the directory itself (no file is left
/// behind), and the operating system drops it when the process ends, however
/// it ends. Where a directory cannot be opened as a file (Windows), there is
/// no lock.
pub fn lock_directory(dir: &Path) -> anyhow::Result<Option<std::fs::File>> {
    if !cfg!(unix) {
        return Ok(None);
    }
    let handle = std::fs::File::open(dir)
        .with_context(|| format!("{}: cannot open the directory", dir.display()))?;
    match handle.try_lock() {
        Ok(()) => Ok(Some(handle)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "{}: another micrograd run is writing its outputs here; wait for it to end, or use another --out",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("{}: cannot lock", dir.display()))
        }
    }
}

/// An exit that is not an error of the usual kind: a code, and a message
/// (printed as it is, without `error:`) when there is one.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Exit {}

/// Writes a page (or any text) to `path`, whole, or to standard output for
/// `-`; `path` may be none of `inputs`, which `option` would overwrite.
pub fn write_page(path: &Path, page: &str, option: &str, inputs: &[&Path]) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        std::io::Write::write_all(&mut std::io::stdout().lock(), page.as_bytes())?;
        return Ok(());
    }
    check_output(path, option, inputs)?;
    write_atomically(path, page.as_bytes())
}
