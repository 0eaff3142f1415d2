//! The compiled assets under `/pkg` (the WASM bundle, its JS glue, the CSS): compressed once,
//! at the highest settings, instead of on every request at the fast ones.
//!
//! At start-up Portico writes `portico.wasm.br` and `portico.wasm.gz` (and so on) beside each
//! asset whose compressed copies are missing or older than it; `ServeDir` then sends those to
//! browsers that accept them. Where the folder is read-only, the compression layer still
//! compresses on the fly.

use std::{
    fs, io,
    io::Write,
    path::{Path, PathBuf},
};

const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg"];

/// Writes missing or stale `.br` and `.gz` copies for the assets in `dir`; returns how many
/// copies it wrote. CPU-heavy: call it off the async runtime.
pub fn precompress_dir(dir: &Path) -> io::Result<usize> {
    let mut written = 0;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible || !path.is_file() {
            continue;
        }
        let mut source: Option<Vec<u8>> = None;
        for (suffix, compress) in [
            ("br", brotli_best as fn(&[u8]) -> io::Result<Vec<u8>>),
            ("gz", gzip_best),
        ] {
            let target = with_suffix(&path, suffix);
            if is_fresh(&target, &path) {
                continue;
            }
            let data = match &source {
                Some(data) => data,
                None => source.insert(fs::read(&path)?),
            };
            let compressed = compress(data)?;
            // Write beside, then rename: a request never sees half a file.
            let partial = with_suffix(&path, &format!("{suffix}.partial"));
            fs::write(&partial, compressed)?;
            fs::rename(&partial, &target)?;
            written += 1;
        }
    }
    Ok(written)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn is_fresh(copy: &Path, source: &Path) -> bool {
    match (
        fs::metadata(copy).and_then(|m| m.modified()),
        fs::metadata(source).and_then(|m| m.modified()),
    ) {
        (Ok(copy), Ok(source)) => copy >= source,
        _ => false,
    }
}

fn brotli_best(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(data)?;
        writer.flush()?;
    }
    Ok(out)
}

fn gzip_best(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    encoder.write_all(data)?;
    encoder.finish()
}
