"""A scripted stand-in for the Cost Explorer endpoint on 127.0.0.1: real HTTP, so botocore's
own retry logic (and every request it would send) is exercised, and each request is counted
on the server side."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeCostExplorer:
    """``respond(n, request) -> (status, body)`` gives the n-th response (1-based); ``body`` is
    a dict (sent as JSON) or bytes (sent as is). ``requests`` lists the request bodies seen."""

    def __init__(self, respond, delay: float = 0.0):
        self.respond = respond
        self.delay = delay
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with server._lock:
                    server.requests.append(body)
                    n = len(server.requests)
                if server.delay:
                    time.sleep(server.delay)
                status, out = server.respond(n, body)
                data = out if isinstance(out, bytes) else json.dumps(out).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def throttle():
    return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}


def money(x):
    return {"Amount": str(x), "Unit": "USD"}


def group(service, usage, cost, qty=1.0):
    return {
        "Keys": [service, usage],
        "Metrics": {
            "UnblendedCost": money(cost), "AmortizedCost": money(cost), "NetAmortizedCost": money(cost),
            "UsageQuantity": {"Amount": str(qty), "Unit": "Hrs"},
        },
    }


def day(start: str, groups, estimated=False):
    import datetime as dt

    s = dt.date.fromisoformat(start)
    return {"TimePeriod": {"Start": start, "End": (s + dt.timedelta(days=1)).isoformat()}, "Total": {},
            "Groups": groups, "Estimated": estimated}
