//! The layering ARCHITECTURE.md promises, checked: the engine crate has no
//! HTTP crate and no vendor in it, no source file grows past the size a
//! reader can hold, and a dependency is built with one set of features
//! whichever packages a cargo command selects (the workspace-hack).

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

/// What `cargo tree <args> --prefix none` prints.
fn cargo_tree(args: &[&str]) -> String {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .arg("tree")
        .args(args)
        .args(["--prefix", "none"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_engine_depends_on_no_http_crate() {
    let tree = cargo_tree(&["-p", "campaign-engine", "-e", "normal"]);
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

/// Each package of a tree with its features, as `name version: features`.
fn packages_with_features(tree: &str) -> std::collections::BTreeSet<String> {
    tree.lines()
        .map(|l| l.trim_end_matches(" (*)").to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// `cargo build -p campaignd` and `cargo test -p conformance` (run by the
/// tests and by xtask) must reuse what `cargo test --workspace` built:
/// otherwise each compiles the tree again with other features, which cost
/// CI minutes and gigabytes. The workspace-hack crate sees to it; this
/// fails when a changed dependency needs `cargo hakari generate`.
#[test]
fn every_package_selection_builds_dependencies_with_the_workspace_features() {
    let format = ["-f", "{p}: {f}"];
    let workspace = packages_with_features(&cargo_tree(&[&["--workspace"][..], &format].concat()));
    // What the tests, xtask and the README build on their own.
    let members = [
        "campaignd",
        "campaign-api",
        "campaign-client",
        "conformance",
        "xtask",
    ];
    let mut differences = Vec::new();
    for member in members {
        // With and without dev-dependencies: `cargo test -p` and `cargo build -p`.
        for edges in ["normal,build,dev", "no-dev"] {
            let selected = packages_with_features(&cargo_tree(
                &[&["-p", member, "-e", edges][..], &format].concat(),
            ));
            differences.extend(
                selected
                    .difference(&workspace)
                    .map(|line| format!("-p {member} -e {edges}: {line}")),
            );
        }
    }
    assert!(
        differences.is_empty(),
        "these packages get other features than in `cargo test --workspace`; \
         run `cargo hakari generate && cargo hakari manage-deps` \
         (workspace-hack/Cargo.toml says how):\n{}",
        differences.join("\n")
    );
}
