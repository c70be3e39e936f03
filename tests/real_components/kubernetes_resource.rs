//! Inside a Kubernetes pod the resource carries the pod, node and (from
//! `OTEL_RESOURCE_ATTRIBUTES`, the downward API) namespace; outside one, `HOSTNAME` is not
//! taken for a pod name. Two demo processes, one with a pod's environment, at a real collector.

use crate::common;

use common::{require, rotel, ChildGuard, Collector};

fn demo(
    collector: &Collector,
    log: &std::path::Path,
    service: &'static str,
    pod: bool,
) -> ChildGuard {
    let log = std::fs::File::create(log).unwrap();
    let mut cmd = std::process::Command::new(common::demo_binary());
    cmd.args(["--port", "0", "--concurrency", "2"])
        .env("OTEL_SERVICE_NAME", service)
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{}", collector.grpc),
        )
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_EXPORTER_PROMETHEUS_PORT", "0")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("NODE_NAME")
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if pod {
        // What the kubelet and the README's pod spec fragment give a container.
        cmd.env("KUBERNETES_SERVICE_HOST", "10.96.0.1")
            .env("HOSTNAME", "registry-7d9f8-abcde")
            .env("NODE_NAME", "node-a-1")
            .env("OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=mkt-prod");
    } else {
        cmd.env("HOSTNAME", "laptop-xyz");
    }
    ChildGuard::spawn(service, &mut cmd)
}

#[test]
fn a_pod_is_named_on_the_resource_and_a_laptop_is_not() {
    let Some(rotel) = require("rotel", rotel()) else {
        return;
    };
    let collector = Collector::start(&rotel, "rotel-k8s");
    let dir = common::temp_dir("k8s-resource");
    let _pod = demo(&collector, &dir.join("pod.log"), "in-pod", true);
    let _laptop = demo(&collector, &dir.join("laptop.log"), "on-laptop", false);
    let shown = collector.sink_shows(&[
        "in-pod",
        "on-laptop",
        "k8s.pod.name",
        "registry-7d9f8-abcde",
        "k8s.node.name",
        "node-a-1",
        "k8s.namespace.name",
        "mkt-prod",
        "SPAN_KIND_SERVER",
    ]);
    if let Err(e) = shown {
        let log = std::fs::read_to_string(dir.join("pod.log")).unwrap_or_default();
        panic!("{e}\n--- pod demo log ---\n{}", &log[..log.len().min(4000)]);
    }
    let sink = collector.sink_text();
    assert!(
        !sink.contains("laptop-xyz"),
        "HOSTNAME outside a pod became a resource attribute"
    );
}
