//! The package archive as an in-memory map from path to entry, read from and written to zip.
//!
//! Reading keeps what the checks need: each entry's kind (file, directory, symlink, from the Unix
//! mode the zip records) and its bytes. Writing exists so tests can build broken copies and send
//! them through the same reader the real package goes through.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

/// What an archive entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory (zip stores these as names ending in `/`).
    Dir,
    /// A symbolic link; its bytes are the link target.
    Symlink,
}

/// One archive entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// File, directory or symlink.
    pub kind: EntryKind,
    /// The uncompressed bytes (empty for a directory, the target for a symlink).
    pub data: Vec<u8>,
}

/// The package: entries by path relative to the package root, without a trailing `/`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Package {
    entries: BTreeMap<String, Entry>,
}

const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;
const S_IFDIR: u32 = 0o040_000;

impl Package {
    /// Reads a zip file from disk.
    pub fn read_zip_file(path: &Path) -> Result<Package, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Package::read_zip(&bytes)
    }

    /// Reads a zip archive from memory. Fails on an unreadable archive, an entry whose name
    /// would escape the package root, or a path that occurs twice.
    pub fn read_zip(bytes: &[u8]) -> Result<Package, String> {
        let mut archive =
            ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable zip: {e}"))?;
        let mut package = Package::default();
        for index in 0..archive.len() {
            let mut file = archive
                .by_index(index)
                .map_err(|e| format!("zip entry {index} is unreadable: {e}"))?;
            let raw_name = file.name().to_owned();
            let name = clean_name(&raw_name)?;
            let mode = file.unix_mode().unwrap_or(0);
            let kind = if mode & S_IFMT == S_IFLNK {
                EntryKind::Symlink
            } else if file.is_dir() || mode & S_IFMT == S_IFDIR {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            let mut data = Vec::new();
            file.read_to_end(&mut data)
                .map_err(|e| format!("zip entry {raw_name} is unreadable: {e}"))?;
            if package.entries.insert(name, Entry { kind, data }).is_some() {
                return Err(format!("zip entry {raw_name} occurs twice"));
            }
        }
        Ok(package)
    }

    /// Writes the package as a zip archive (deflated files, symlinks with their Unix mode).
    pub fn write_zip(&self) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        for (name, entry) in &self.entries {
            let written = match entry.kind {
                EntryKind::Dir => writer.add_directory(name.as_str(), options),
                EntryKind::Symlink => {
                    writer.add_symlink(name.as_str(), String::from_utf8_lossy(&entry.data), options)
                }
                EntryKind::File => writer
                    .start_file(name.as_str(), options)
                    .and_then(|()| writer.write_all(&entry.data).map_err(Into::into)),
            };
            written.expect("writing a zip to memory cannot fail");
        }
        writer
            .finish()
            .expect("writing a zip to memory cannot fail")
            .into_inner()
    }

    /// Every entry, in path order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries
            .iter()
            .map(|(name, entry)| (name.as_str(), entry))
    }

    /// The bytes of a regular file, if the package has one at `path`.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        match self.entries.get(path) {
            Some(Entry {
                kind: EntryKind::File,
                data,
            }) => Some(data),
            _ => None,
        }
    }

    /// Adds or replaces a regular file.
    pub fn put_file(&mut self, path: &str, data: impl Into<Vec<u8>>) {
        self.put(path, EntryKind::File, data.into());
    }

    /// Adds or replaces an entry of any kind.
    pub fn put(&mut self, path: &str, kind: EntryKind, data: Vec<u8>) {
        self.entries.insert(path.to_owned(), Entry { kind, data });
    }

    /// Removes an entry; returns whether there was one.
    pub fn remove(&mut self, path: &str) -> bool {
        self.entries.remove(path).is_some()
    }

    /// The total uncompressed size of the files.
    pub fn total_bytes(&self) -> usize {
        self.entries.values().map(|e| e.data.len()).sum()
    }
}

/// The entry name without a trailing `/`, or an error if it is absolute, climbs out with `..`,
/// uses backslashes or is empty.
fn clean_name(raw: &str) -> Result<String, String> {
    let name = raw.trim_end_matches('/');
    let escapes = name.starts_with('/')
        || name.contains('\\')
        || name.split('/').any(|part| part == ".." || part.is_empty());
    if name.is_empty() || escapes {
        return Err(format!(
            "zip entry name {raw:?} is not a plain relative path inside the package"
        ));
    }
    Ok(name.to_owned())
}
