//! The layering ARCHITECTURE.md promises, checked: the engine crate has no
//! HTTP crate and no vendor in it, and no source file grows past the size
//! a reader can hold.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file under `dir`, skipping build output.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_engine_depends_on_no_http_crate() {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "tree",
            "-p",
            "campaign-engine",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tree = String::from_utf8(output.stdout).unwrap();
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"rusqlite"), "the tree was read: {tree}");
    for forbidden in [
        "dropshot",
        "hyper",
        "reqwest",
        "http",
        "tokio",
        "campaign-api",
        "campaignd",
    ] {
        assert!(
            !crates.contains(&forbidden),
            "campaign-engine depends on {forbidden}:\n{tree}"
        );
    }
}

#[test]
fn the_engine_names_no_vendor() {
    let mut files = Vec::new();
    rust_files(&root().join("engine/src"), &mut files);
    assert!(files.len() > 5, "the engine's sources were found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap().to_lowercase();
        for vendor in ["alta", "voicegenie", "leadterra", "leadlex", "woodpecker"] {
            assert!(
                !text.contains(vendor),
                "{} names {vendor}: vendor rules belong in server/src/faces/{vendor}/",
                file.display()
            );
        }
    }
}

#[test]
fn no_source_file_is_over_600_lines() {
    let mut files = Vec::new();
    rust_files(&root(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).unwrap().lines().count();
            (lines > 600).then(|| format!("{} ({lines} lines)", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these files: {long:#?}");
}
