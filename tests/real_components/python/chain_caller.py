"""A caller on the official OpenTelemetry Python SDK: each URL is POSTed inside its own root
span through urllib, whose official instrumentation injects the context with the propagators
OTEL_PROPAGATORS names; the sampler is OTEL_TRACES_SAMPLER's. Prints one JSON line:
[{"trace_id": "<32 hex>", "status": <http status>}, ...].

usage: chain_caller.py URL...
"""
import json
import sys
import urllib.error
import urllib.request

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.urllib import URLLibInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create())
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=200))
trace.set_tracer_provider(provider)
URLLibInstrumentor().instrument()
tracer = trace.get_tracer("chain-caller")

results = []
for url in sys.argv[1:]:
    with tracer.start_as_current_span("caller") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        request = urllib.request.Request(url, data=b"", method="POST")
        try:
            status = urllib.request.urlopen(request, timeout=20).status
        except urllib.error.HTTPError as e:
            status = e.code
    results.append({"trace_id": trace_id, "status": status})
provider.force_flush()
provider.shutdown()
print(json.dumps(results), flush=True)
