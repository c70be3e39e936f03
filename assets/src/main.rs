//! `gen-assets`: writes the generated ops assets (Prometheus rules, promtool tests, Grafana
//! dashboards) for a namespace into a directory laid out like `collector-config/`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use marketplace_telemetry_assets::{
    parse_labels, KubernetesOptions, Objectives, Options, Selector,
};

const USAGE: &str = r#"gen-assets: write the Prometheus rules, promtool tests and Grafana dashboards that match what
marketplace-telemetry exports.

USAGE:
    gen-assets [--out DIR] [--namespace NS] [--job NAME] [--selector MATCHERS] [--objectives FILE]
               [--format files|prometheus-operator|all] [--k8s-namespace NS] [--rule-labels LABELS]
               [--monitor-labels LABELS] [--k8s-selector LABELS] [--port NAME]

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
    --selector MATCHERS
                      Extra label matchers on every series of every rule and panel, e.g.
                      'env="prod",region!="test"' (= and != only; values without ', \ or
                      control characters; not job, instance, le or the SDK's own labels).
                      Equality labels are also kept by every aggregation of the rules, so the
                      rule sets of several environments can share one Prometheus; the labels
                      must be on the scraped series (target labels or relabelling), `up`
                      included. Default: none.
    --objectives FILE A YAML file of SLO targets and thresholds, the SLO period, the burn-rate
                      windows and the alert thresholds, `for:` durations and severities. Every
                      key is optional (a missing key keeps its default); an unknown key is an
                      error naming it and its line. Every key with its default:
                      collector-config/objectives.example.yml. Default: the built-in objectives.
    --format FORMAT   files: the plain rule files, their promtool tests and the dashboards.
                      prometheus-operator: kubernetes/<rule file>.prometheusrule.yaml (one
                      PrometheusRule per rule file), kubernetes/servicemonitor.yaml and
                      kubernetes/podmonitor.yaml (use one of the two).
                      all: both. Default: files with --out, all without (the repository).
    --k8s-namespace NS
                      metadata.namespace of the objects. Default: none (kubectl apply -n).
    --rule-labels LABELS
                      Labels on every PrometheusRule, what the Prometheus' ruleSelector matches,
                      e.g. 'release=kube-prometheus-stack' for the Helm chart. Default:
                      'prometheus=k8s,role=alert-rules' (kube-prometheus).
    --monitor-labels LABELS
                      Labels on the ServiceMonitor and PodMonitor. Default: none.
    --k8s-selector LABELS
                      The labels of the Service / pods to scrape.
                      Default: 'app.kubernetes.io/name=marketplace'.
    --port NAME       The named port serving /metrics. Default: metrics.
    -h, --help        Print this help.

EXAMPLE (the registry team's deployment):
    cargo run -p marketplace-telemetry-assets --bin gen-assets -- \
        --out deploy/ops --namespace mockforge --job mockforge-registry \
        --selector 'env="prod"' --objectives deploy/objectives.yml
"#;

#[derive(Debug, PartialEq)]
struct Args {
    out: PathBuf,
    namespace: Option<String>,
    job: String,
    selector: Selector,
    objectives: Option<PathBuf>,
    format: Format,
    kubernetes: KubernetesOptions,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Files,
    PrometheusOperator,
    All,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut out = None;
    let mut namespace = None;
    let mut job = marketplace_telemetry_assets::JOB.to_string();
    let mut selector = Selector::default();
    let mut objectives = None;
    let mut format = None;
    let mut kubernetes = KubernetesOptions::default();
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
            "--selector" => {
                // A selector may start with anything but "--"; take it as given.
                selector = Selector::parse(&value("--selector")?)?;
            }
            "--objectives" => objectives = Some(PathBuf::from(value("--objectives")?)),
            "--format" => {
                format = Some(match value("--format")?.as_str() {
                    "files" => Format::Files,
                    "prometheus-operator" => Format::PrometheusOperator,
                    "all" => Format::All,
                    other => {
                        return Err(format!(
                            "--format {other:?}: expected files, prometheus-operator or all"
                        ))
                    }
                })
            }
            "--k8s-namespace" => {
                let ns = value("--k8s-namespace")?;
                if ns.len() > 63
                    || ns.contains('.')
                    || !marketplace_telemetry_assets::is_dns_subdomain(&ns)
                {
                    return Err(format!(
                        "--k8s-namespace {ns:?}: expected a DNS-1123 label (lower-case letters, digits, '-', at most 63)"
                    ));
                }
                kubernetes.namespace = Some(ns);
            }
            "--rule-labels" => {
                kubernetes.rule_labels = parse_labels("--rule-labels", &value("--rule-labels")?)?
            }
            "--monitor-labels" => {
                kubernetes.monitor_labels =
                    parse_labels("--monitor-labels", &value("--monitor-labels")?)?
            }
            "--k8s-selector" => {
                let labels = parse_labels("--k8s-selector", &value("--k8s-selector")?)?;
                if labels.is_empty() {
                    return Err("--k8s-selector needs at least one key=value".into());
                }
                kubernetes.selector = labels;
            }
            "--port" => {
                let port = value("--port")?;
                // An IANA_SVC_NAME: what a named container port may be.
                if port.is_empty()
                    || port.len() > 15
                    || !port
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    || !port.chars().any(|c| c.is_ascii_lowercase())
                {
                    return Err(format!(
                        "--port {port:?}: expected a port name (at most 15 of lower-case letters, digits, '-')"
                    ));
                }
                kubernetes.port = port;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let format = format.unwrap_or(if out.is_some() {
        Format::Files
    } else {
        Format::All
    });
    let out =
        out.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../collector-config"));
    Ok(Some(Args {
        out,
        namespace,
        job,
        selector,
        objectives,
        format,
        kubernetes,
    }))
}

/// The options `args` ask for (reads the objectives file).
fn options(args: &Args) -> Result<Options, String> {
    let objectives = match &args.objectives {
        Some(path) => Objectives::from_file(path)?,
        None => Objectives::default(),
    };
    Ok(Options::new(args.namespace.as_deref(), &args.job)
        .with_selector(args.selector.clone())
        .with_objectives(objectives))
}

fn write(args: &Args, options: &Options) -> std::io::Result<()> {
    let mut assets = Vec::new();
    if args.format != Format::PrometheusOperator {
        assets.extend(marketplace_telemetry_assets::render_with(options));
    }
    if args.format != Format::Files {
        assets.extend(marketplace_telemetry_assets::render_prometheus_operator(
            options,
            &args.kubernetes,
        ));
    }
    for asset in assets {
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
        Ok(Some(args)) => match options(&args) {
            Ok(options) => match write(&args, &options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("gen-assets: writing into {}: {e}", args.out.display());
                    ExitCode::FAILURE
                }
            },
            Err(e) => {
                eprintln!("gen-assets: {e}");
                ExitCode::from(2)
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
        let a = args(&["--selector=env=\"prod\"", "--objectives", "o.yml"])
            .unwrap()
            .unwrap();
        assert_eq!(a.selector.to_string(), "env=\"prod\"");
        assert_eq!(a.objectives, Some(PathBuf::from("o.yml")));
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
        assert!(args(&["--selector", "env=prod"])
            .unwrap_err()
            .contains("double quotes"));
        assert!(args(&["--objectives"])
            .unwrap_err()
            .contains("--objectives needs a value"));
        let missing = args(&["--objectives", "/no/such/objectives.yml"])
            .unwrap()
            .unwrap();
        assert!(options(&missing)
            .unwrap_err()
            .contains("/no/such/objectives.yml"));
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

    #[test]
    fn format_and_kubernetes_flags() {
        let a = args(&[
            "--out",
            "d",
            "--format",
            "prometheus-operator",
            "--k8s-namespace=registry",
            "--rule-labels",
            "release=kube-prometheus-stack",
            "--port",
            "http-metrics",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(a.format, Format::PrometheusOperator);
        assert_eq!(a.kubernetes.namespace.as_deref(), Some("registry"));
        assert_eq!(
            a.kubernetes.rule_labels,
            [("release".to_string(), "kube-prometheus-stack".to_string())]
        );
        assert_eq!(a.kubernetes.port, "http-metrics");
        // Defaults: files with --out, everything when rewriting the repository.
        assert_eq!(
            args(&["--out", "d"]).unwrap().unwrap().format,
            Format::Files
        );
        assert_eq!(args(&[]).unwrap().unwrap().format, Format::All);
        for (bad, names) in [
            (&["--format", "helm"][..], "--format \"helm\""),
            (&["--k8s-namespace", "Registry"][..], "--k8s-namespace"),
            (&["--rule-labels", "release"][..], "--rule-labels"),
            (&["--rule-labels", "a=b c"][..], "--rule-labels"),
            (&["--port", "9464"][..], "--port"),
            (&["--k8s-selector", ","][..], "--k8s-selector"),
        ] {
            let e = args(bad).unwrap_err();
            assert!(e.contains(names), "{bad:?}: {e}");
        }
    }
}
