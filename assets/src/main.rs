//! `gen-assets`: writes the generated ops assets (Prometheus rules, promtool tests, Grafana
//! dashboards) for a namespace into a directory laid out like `collector-config/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "\
gen-assets: write the Prometheus rules, promtool tests and Grafana dashboards that match what
marketplace-telemetry exports.

USAGE:
    gen-assets [--out DIR] [--namespace NS] [--job NAME]

OPTIONS:
    --out DIR         Directory to write into, laid out like collector-config/
                      (prometheus/rules/*.yml, prometheus/tests/*.yml, grafana/dashboards/*.json).
                      Default: the repository's collector-config/ (rewrites the committed files).
    --namespace NS    The metrics namespace the service sets (TelemetryConfig::with_metrics_namespace):
                      every series name gets the prefix NS_ (e.g. mockforge_marketplace_...).
                      Default: none.
    --job NAME        The Prometheus scrape job of the service: every `up{job=..}` and process
                      alert selector, and the promtool tests of those alerts. Letters, digits,
                      '_', '-', '.', ':' or '/'. Default: marketplace (the shipped prometheus.yml).
    -h, --help        Print this help.

EXAMPLE (the registry team's deployment):
    cargo run -p marketplace-telemetry-assets --bin gen-assets -- \
        --out deploy/ops --namespace mockforge --job mockforge-registry
";

#[derive(Debug, PartialEq)]
struct Args {
    out: PathBuf,
    namespace: Option<String>,
    job: String,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut out = None;
    let mut namespace = None;
    let mut job = marketplace_telemetry_assets::JOB.to_string();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .filter(|v| !v.is_empty() && !v.starts_with("--"))
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--namespace" => {
                let ns = value("--namespace")?;
                if !ns
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    || ns.starts_with(|c: char| c.is_ascii_digit())
                {
                    return Err(format!(
                        "--namespace {ns:?}: expected letters, digits, '_' or '-', not starting with a digit"
                    ));
                }
                namespace = Some(ns);
            }
            "--job" => {
                let j = value("--job")?;
                if !j
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '/'))
                {
                    return Err(format!(
                        "--job {j:?}: expected letters, digits, '_', '-', '.', ':' or '/'"
                    ));
                }
                job = j;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let out =
        out.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../collector-config"));
    Ok(Some(Args {
        out,
        namespace,
        job,
    }))
}

fn write(args: &Args) -> std::io::Result<()> {
    let options = marketplace_telemetry_assets::Options::new(args.namespace.as_deref(), &args.job);
    for asset in marketplace_telemetry_assets::render_with(&options) {
        let path = args.out.join(asset.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, asset.contents)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)) {
        Ok(None) => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Some(args)) => match write(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gen-assets: writing into {}: {e}", args.out.display());
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("gen-assets: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Option<Args>, String> {
        parse(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn flags_are_read_in_both_spellings() {
        let a = args(&[
            "--out",
            "x",
            "--namespace=mockforge",
            "--job",
            "mockforge-registry",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.out, PathBuf::from("x"));
        assert_eq!(a.namespace.as_deref(), Some("mockforge"));
        assert_eq!(a.job, "mockforge-registry");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(args(&["--out"])
            .unwrap_err()
            .contains("--out needs a value"));
        assert!(args(&["--namespace", "a b"])
            .unwrap_err()
            .contains("--namespace"));
        assert!(args(&["--job", "a\"b"]).unwrap_err().contains("--job"));
        assert!(args(&["--job"])
            .unwrap_err()
            .contains("--job needs a value"));
        assert!(args(&["--frobnicate"])
            .unwrap_err()
            .contains("unknown argument"));
        assert_eq!(args(&["--help"]).unwrap(), None);
    }

    #[test]
    fn default_out_is_the_committed_collector_config() {
        let a = args(&[]).unwrap().unwrap();
        assert!(
            a.out.join("prometheus/rules").is_dir(),
            "{}",
            a.out.display()
        );
    }
}
