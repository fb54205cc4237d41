"""A minimal OTLP/HTTP collector for the tests: decodes what muxgate exports, with the official
`opentelemetry-proto` messages, and appends one JSON line per span and per metric data point to
FILE. Loopback only; prints "PORT n" once listening.

usage: otlp_receiver.py FILE
"""

import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

OUT = sys.argv[1]


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def attributes(items):
    return {item.key: value(item.value) for item in items}


def spans(request):
    for resource in request.resource_spans:
        service = attributes(resource.resource.attributes).get("service.name")
        for scope in resource.scope_spans:
            for span in scope.spans:
                yield {
                    "kind": "span",
                    "service": service,
                    "name": span.name,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "span_kind": span.kind,
                    "status": span.status.code,
                    "attributes": attributes(span.attributes),
                }


def points(request):
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                data = metric.WhichOneof("data")
                for point in getattr(metric, data).data_points:
                    line = {"kind": "metric", "name": metric.name, "attributes": attributes(point.attributes)}
                    if data in ("sum", "gauge"):
                        line["value"] = point.as_int if point.WhichOneof("value") == "as_int" else point.as_double
                    else:
                        line["count"] = point.count
                        line["sum"] = point.sum
                    yield line


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/v1/traces":
            request, response, lines = ExportTraceServiceRequest(), ExportTraceServiceResponse(), spans
        elif self.path == "/v1/metrics":
            request, response, lines = ExportMetricsServiceRequest(), ExportMetricsServiceResponse(), points
        else:
            self.send_response(404)
            self.end_headers()
            return
        request.ParseFromString(body)
        with open(OUT, "a", encoding="utf-8") as out:
            for line in lines(request):
                out.write(json.dumps(line) + "\n")
        payload = response.SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
