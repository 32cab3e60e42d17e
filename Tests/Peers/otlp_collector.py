"""A minimal OpenTelemetry collector for the span-export test: serves OTLP/HTTP on 127.0.0.1 (a
free port, printed as PORT <n>), decodes each POST /v1/traces body (protobuf
ExportTraceServiceRequest, gzip allowed) by hand, and appends one JSON line per span to OUT_FILE:
service, name, kind, trace_id, span_id, parent_span_id, status_code and string/int attributes.

usage: otlp_collector.py OUT_FILE
"""
import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

out_path = sys.argv[1]


def fields(data):
    """Yields (field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def varint(data, i):
    shift = result = 0
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i


def key_values(entries):
    """KeyValue{key=1, value=2 AnyValue{string_value=1, bool_value=2, int_value=3}} as a dict."""
    out = {}
    for entry in entries:
        key, value = None, None
        for number, _, raw in fields(entry):
            if number == 1:
                key = raw.decode()
            elif number == 2:
                for kind, _, inner in fields(raw):
                    value = inner.decode() if kind == 1 else inner
        if key is not None:
            out[key] = value
    return out


def spans(body):
    for number, _, resource_spans in fields(body):
        if number != 1:
            continue
        service, scope_spans = None, []
        for n, _, raw in fields(resource_spans):
            if n == 1:  # Resource{attributes=1}
                service = key_values([a for k, _, a in fields(raw) if k == 1]).get("service.name")
            elif n == 2:
                scope_spans.append(raw)
        for scope in scope_spans:
            for n, _, span in fields(scope):
                if n != 2:
                    continue
                record = {"service": service, "attributes": {}}
                attributes = []
                for k, _, raw in fields(span):
                    if k == 1:
                        record["trace_id"] = raw.hex()
                    elif k == 2:
                        record["span_id"] = raw.hex()
                    elif k == 4 and raw:
                        record["parent_span_id"] = raw.hex()
                    elif k == 5:
                        record["name"] = raw.decode()
                    elif k == 6:
                        record["kind"] = raw
                    elif k == 9:
                        attributes.append(raw)
                    elif k == 15:
                        record["status_code"] = dict((f, v) for f, _, v in fields(raw)).get(3, 0)
                record["attributes"] = key_values(attributes)
                yield record


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        with open(out_path, "a") as out:
            for record in spans(body):
                out.write(json.dumps({**record, "path": self.path,
                                      "content_type": self.headers.get("content-type")}) + "\n")
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(f"PORT {server.server_address[1]}", flush=True)
server.serve_forever()
