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

/// The module of a source file: `src/config/env.rs` → `config`, `src/http.rs` → `http`.
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root.join("src")).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// `module → allowed imports` from ARCHITECTURE.md's table (`lib` may import everything).
fn allowed_imports(doc: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let section = doc
        .split("## Which way imports go")
        .nth(1)
        .expect("ARCHITECTURE.md has the import table");
    let mut out = std::collections::BTreeMap::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 || !cells[1].starts_with('`') {
            continue;
        }
        let module = cells[1].trim_matches('`').to_string();
        let allowed = cells[2]
            .split(',')
            .map(|c| c.trim().trim_matches('`').to_string())
            .filter(|c| !c.is_empty() && !c.starts_with('—'))
            .collect();
        out.insert(module, allowed);
    }
    out
}

/// Every module another module's code reaches through a `crate::` path.
fn imports(root: &Path) -> Vec<(String, String, String)> {
    let src = root.join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // Root re-exports (`pub use telemetry::Telemetry;`) and macros resolve to their module.
    let mut name_to_module = std::collections::BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub use ") {
            let module = rest.split("::").next().unwrap_or("").to_string();
            let names = rest.rsplit("::").next().unwrap_or("");
            for name in names
                .trim_matches(|c| c == '{' || c == '}' || c == ';')
                .split(',')
            {
                name_to_module.insert(name.trim().to_string(), module.clone());
            }
        }
    }
    let modules: std::collections::BTreeSet<String> =
        files.iter().map(|f| module_of(root, f)).collect();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("macro_rules! ") {
                let name = rest
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .next()
                    .unwrap();
                name_to_module.insert(name.to_string(), module_of(root, file));
            }
        }
    }
    let mut out = Vec::new();
    for file in &files {
        let from = module_of(root, file);
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                let after = &rest[at + "crate::".len()..];
                // `crate::{a::X, b}`: each item's first segment.
                let segments: Vec<String> = if let Some(group) = after.strip_prefix('{') {
                    group
                        .split('}')
                        .next()
                        .unwrap_or("")
                        .split(',')
                        .map(|i| i.trim().split("::").next().unwrap_or("").to_string())
                        .collect()
                } else {
                    vec![after
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .next()
                        .unwrap_or("")
                        .to_string()]
                };
                for seg in segments.into_iter().filter(|s| !s.is_empty()) {
                    let to = if modules.contains(&seg) {
                        seg
                    } else {
                        name_to_module
                            .get(&seg)
                            .cloned()
                            .unwrap_or_else(|| "lib".into())
                    };
                    if to != from {
                        out.push((from.clone(), to, file.display().to_string()));
                    }
                }
                rest = after;
            }
        }
    }
    out
}

#[test]
fn every_import_follows_the_architecture_table() {
    let root = repo_root();
    let table = allowed_imports(&architecture());
    assert!(
        table.contains_key("catalog") && table.len() > 10,
        "{table:?}"
    );
    let mut violations = Vec::new();
    for (from, to, file) in imports(&root) {
        match table.get(&from) {
            None => violations.push(format!("{file}: module `{from}` has no row in the table")),
            Some(allowed) if !allowed.contains(&to) => violations.push(format!(
                "{file}: `{from}` imports `{to}`, which its row does not allow"
            )),
            Some(_) => {}
        }
    }
    violations.sort();
    violations.dedup();
    assert!(
        violations.is_empty(),
        "imports against ARCHITECTURE.md's table:\n{}",
        violations.join("\n")
    );
}

/// The checker itself: an edge the table forbids is found (the fault injected once, on a copy).
#[test]
fn the_import_check_finds_a_forbidden_edge() {
    let table = allowed_imports(&architecture());
    assert!(!table["catalog"].contains(&"marketplace".to_string()));
    assert!(!table["marketplace"].contains(&"platform".to_string()));
    let root = repo_root();
    let found = imports(&root);
    // A real edge is seen: telemetry reaches pipeline.
    assert!(found
        .iter()
        .any(|(f, t, _)| f == "telemetry" && t == "pipeline"));
    // And root re-exports resolve: config names `crate::ExemplarFilter` → exemplars.
    assert!(found
        .iter()
        .any(|(f, t, _)| f == "config" && t == "exemplars"));
}
