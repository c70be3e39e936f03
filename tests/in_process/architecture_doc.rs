//! ARCHITECTURE.md stays true: the files it names exist, and every source file is named.

use std::path::{Path, PathBuf};

use crate::common::repo_root;

fn architecture() -> String {
    std::fs::read_to_string(repo_root().join("ARCHITECTURE.md")).unwrap()
}

/// Every backticked token that looks like a repository path (has a `/` or a file extension).
fn named_paths(doc: &str) -> Vec<String> {
    doc.split('`')
        .skip(1)
        .step_by(2)
        .filter(|t| !t.contains(' ') && !t.contains("::") && !t.starts_with("--"))
        .filter(|t| {
            t.ends_with('/')
                || [".rs", ".md", ".sh", ".toml", ".yml", ".json"]
                    .iter()
                    .any(|ext| t.ends_with(ext))
        })
        .map(str::to_string)
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_file_architecture_md_names_exists() {
    let root = repo_root();
    let missing: Vec<_> = named_paths(&architecture())
        .into_iter()
        .filter(|p| !root.join(p).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}

/// The other pages whose claims cite files: every path they name exists (RELIABILITY.md named
/// `src/callback_guard.rs` long after it moved).
#[test]
fn every_file_the_reliability_and_ops_pages_name_exists() {
    let root = repo_root();
    for (page, base) in [
        ("RELIABILITY.md", root.clone()),
        ("collector-config/README.md", root.clone()),
    ] {
        let doc = std::fs::read_to_string(root.join(page)).unwrap();
        let missing: Vec<_> = named_paths(&doc)
            .into_iter()
            // Repository paths, not globs or paths on a deployment host.
            .filter(|p| p.contains('/') && !p.contains('*') && !p.starts_with('/'))
            .filter(|p| !base.join(p).exists() && !root.join("collector-config").join(p).exists())
            .collect();
        assert!(
            missing.is_empty(),
            "{page} names files that do not exist: {missing:?}"
        );
    }
}

#[test]
fn every_source_file_is_on_the_architecture_map() {
    let root = repo_root();
    let doc = architecture();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("assets/src"), &mut files);
    let unnamed: Vec<_> = files
        .iter()
        .map(|f| {
            f.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| !doc.contains(&format!("`{f}`")))
        .collect();
    assert!(
        unnamed.is_empty(),
        "source files missing from ARCHITECTURE.md's folder map: {unnamed:?}"
    );
}
