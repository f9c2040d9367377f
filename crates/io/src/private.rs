//! Files and directories readable by their owner only: the data directory, the database,
//! uploads, error sheets, exports and backups hold personal data (reference §11).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates (or truncates) a file that only its owner may read or write.
pub fn create_file(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let f = opts.open(path)?;
    // A file that existed keeps its mode through `open`: set it.
    restrict(path)?;
    Ok(f)
}

/// Creates a directory (and its parents) that only its owner may enter.
pub fn create_dir(path: &Path) -> io::Result<()> {
    std::fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes an existing file readable and writable by its owner only.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn files_and_directories_are_the_owners_alone() {
        let dir = std::env::temp_dir().join(format!("anju-private-{}", std::process::id()));
        super::create_dir(&dir.join("work")).unwrap();
        let f = dir.join("work/sheet.csv");
        std::fs::write(&f, b"x").unwrap();
        super::create_file(&f).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("work")), 0o700);
        assert_eq!(mode(&f), 0o600);
        let _ = std::fs::remove_dir_all(dir);
    }
}
