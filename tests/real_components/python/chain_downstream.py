"""A downstream service on the official OpenTelemetry Python SDK: a WSGI app wrapped in the
official WSGI instrumentation (it extracts the caller's context with the propagators
OTEL_PROPAGATORS names) and exporting spans over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT).

usage: chain_downstream.py PORT
"""
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

provider = TracerProvider(resource=Resource.create())
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), schedule_delay_millis=200))
trace.set_tracer_provider(provider)


def app(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/packages/"):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [b"\0" * 1024]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", int(sys.argv[1]), OpenTelemetryMiddleware(app), handler_class=Quiet)
print("ready", flush=True)
server.serve_forever()
