#!/usr/bin/env bash
# Installs the real components the tests use, when missing (idempotent):
#   Debian: prometheus + promtool, prometheus-alertmanager + amtool,
#           victoria-metrics (victoria-metrics, vmagent, vmalert: the second rules engine)
#   PyPI:   rotel (an OpenTelemetry collector), opentelemetry-sdk + -exporter-prometheus, jsonschema +
#           PyYAML (CRD validation) into target/tools-venv;
#           opentelemetry-sdk + urllib/WSGI instrumentation + B3 into target/chain-venv
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v amtool >/dev/null || need_apt+=(prometheus-alertmanager)
command -v vmalert >/dev/null || need_apt+=(victoria-metrics)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-tools: apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent >/dev/null 2>&1; then
  echo "install-tools: pip install rotel"
  mkdir -p target
  python3 -m venv target/tools-venv
  target/tools-venv/bin/pip install -q --disable-pip-version-check rotel
fi
# The official OpenTelemetry Python SDK and its Prometheus exporter: the "other language"
# service the platform assets are proven against (assets/tests/assets/other_languages.rs).
if ! target/tools-venv/bin/python -c 'import opentelemetry.exporter.prometheus' >/dev/null 2>&1; then
  echo "install-tools: pip install opentelemetry-sdk opentelemetry-exporter-prometheus"
  target/tools-venv/bin/pip install -q --disable-pip-version-check \
    'opentelemetry-sdk==1.45.2' 'opentelemetry-exporter-prometheus==0.66b2'
fi
# jsonschema + PyYAML: the generated prometheus-operator objects are validated against the
# vendored CRD schemas (assets/tests/assets/kubernetes_objects.rs).
if ! target/tools-venv/bin/python -c 'import jsonschema, yaml' >/dev/null 2>&1; then
  echo "install-tools: pip install jsonschema pyyaml"
  target/tools-venv/bin/pip install -q --disable-pip-version-check 'jsonschema==4.25.1' 'PyYAML==6.0.3'
fi

# A caller and a downstream on the official OpenTelemetry Python SDK with its own
# auto-instrumentation (urllib injects, WSGI extracts), for the cross-language trace test
# (tests/real_components/traces_cross_languages.rs). Its own venv: the instrumentation
# packages pin the SDK to another version than the Prometheus exporter above.
if ! target/chain-venv/bin/python -c 'import opentelemetry.instrumentation.wsgi, opentelemetry.instrumentation.urllib, opentelemetry.propagators.b3, opentelemetry.exporter.otlp.proto.http' >/dev/null 2>&1; then
  echo "install-tools: pip install the OpenTelemetry Python SDK with urllib/WSGI instrumentation"
  python3 -m venv target/chain-venv
  target/chain-venv/bin/pip install -q --disable-pip-version-check \
    'opentelemetry-sdk==1.45.1' 'opentelemetry-exporter-otlp-proto-http==1.45.1' \
    'opentelemetry-instrumentation-wsgi==0.66b1' 'opentelemetry-instrumentation-urllib==0.66b1' \
    'opentelemetry-propagator-b3==1.45.1'
fi

# Grafana dashboard schema check: @grafana/schema's types + the TypeScript compiler.
if [ ! -x target/npm-tools/node_modules/typescript/bin/tsc ] || [ ! -d target/npm-tools/node_modules/@grafana/schema ]; then
  echo "install-tools: npm install @grafana/schema typescript"
  mkdir -p target/npm-tools
  [ -f target/npm-tools/package.json ] || echo '{"name":"marketplace-telemetry-tools","private":true}' > target/npm-tools/package.json
  (cd target/npm-tools && npm install --silent --no-audit --no-fund @grafana/schema@13.2.3 typescript@5.9 >/dev/null)
fi

ROTEL=$(ls target/tools-venv/lib/python3*/site-packages/rotel/rotel-agent)
echo "install-tools: tsc $(node target/npm-tools/node_modules/typescript/bin/tsc --version), prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}'), amtool $(amtool --version 2>&1 | head -1 | awk '{print $3}'), rotel at $ROTEL"
