//! Every dashboard type-checks against Grafana's own schema (`@grafana/schema`) with the
//! TypeScript compiler: wrong enum values, wrong types, unknown keys and missing required fields
//! fail here. No Grafana server can be installed on these machines; this is the strongest check
//! available.

use crate::common;

use std::path::Path;
use std::process::Command;

/// Maps the schema's string enums to their literal values, so plain JSON is assignable.
const PRELUDE: &str = "import type { Dashboard } from '@grafana/schema';\n\
type L<T> = T extends string ? `${T}` : T extends number | boolean | null | undefined ? T : \
T extends ReadonlyArray<infer U> ? Array<L<U>> : T extends object ? { [K in keyof T]: L<T[K]> } : T;\n";

#[test]
fn dashboards_type_check_against_grafana_schema() {
    let tools = common::repo_root().join("target/npm-tools");
    let tsc = tools.join("node_modules/typescript/bin/tsc");
    let Some(_) = common::require("tsc (@grafana/schema)", tsc.is_file().then(|| tsc.clone()))
    else {
        return;
    };
    let dir = tools.join("dashboard-checks");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(common::assets_dir().join("grafana/dashboards")).unwrap() {
        let path = entry.unwrap().path();
        let json = std::fs::read_to_string(&path).unwrap();
        let stem = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace('-', "_");
        let ts = dir.join(format!("{stem}.ts"));
        std::fs::write(
            &ts,
            format!("{PRELUDE}export const dashboard: L<Dashboard> = {json};\n"),
        )
        .unwrap();
        files.push(ts);
    }
    // A known-bad dashboard must fail, or the check proves nothing.
    let bad = dir.join("known_bad.ts");
    std::fs::write(&bad, format!("{PRELUDE}export const dashboard: L<Dashboard> = {{\"title\": \"x\", \"schemaVersion\": \"39\", \"graphTooltip\": 7}};\n")).unwrap();
    let run = |file: &Path| {
        Command::new("node")
            .arg(&tsc)
            .args([
                "--noEmit",
                "--strict",
                "--module",
                "nodenext",
                "--moduleResolution",
                "nodenext",
                "--skipLibCheck",
            ])
            .arg(file)
            .current_dir(&tools)
            .output()
            .unwrap()
    };
    let out = run(&bad);
    assert!(
        !out.status.success(),
        "the schema check accepted a broken dashboard"
    );
    assert!(files.len() >= 3);
    for file in files {
        let out = run(&file);
        assert!(
            out.status.success(),
            "{} does not match @grafana/schema:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
