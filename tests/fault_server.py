"""A local HTTP server for the fetch tests: serves real published files, injects faults.

Started on 127.0.0.1 with port 0 by a fixture. Each route serves fixed bytes (a real file read
from ../shared/data/real at test time) or a handler (the data.police.uk area endpoints, which
answer from a real response according to the polygon asked for). Faults are queued per path
and each one is used up by one request, so "500, 500, then the file" is
``server.inject(path, "500", "500")``.

Nothing here waits on a clock to make a fault happen: a stalled or trickling answer goes on
until the client gives up or the test ends (``release``), so a loaded machine can only make a
test slower, never change its outcome.

Faults:
    hold           answer nothing, holding the connection open until released (the client's
                   read timeout must fire; a later request is answered normally)
    trickle:SECONDS  send the whole response (status line, headers, body) one byte every
                   SECONDS, until the client goes away or the test ends
    trickle-body:SECONDS  headers at once, then the body one byte every SECONDS
    drop           close the connection without answering
    truncate       promise the whole body in Content-Length, send half, close
    429[:SECONDS]  Too Many Requests, with Retry-After when SECONDS is given
    500 / 503 / 404   that status with a short text body
    wrong-type     the right body labelled image/png
    html200        an HTML error page with status 200
    html-as-csv    an HTML error page labelled text/csv
    empty          status 200 and no body

Routes may also redirect (``redirect``), carry extra headers (``Content-Encoding``), or be sent
without a Content-Length (``length=False``: the body ends when the connection closes).
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service unavailable</title></head>"
    b"<body><h1>We'll be back soon</h1><p>The site is undergoing maintenance.</p></body></html>\n"
)

# handler(params) -> (status, content type, body)
Handler = Callable[[dict[str, str]], tuple[int, str, bytes]]


@dataclass
class Route:
    body: bytes | None = None
    content_type: str = "application/octet-stream"
    etag: str | None = None
    last_modified: str | None = None
    handler: Handler | None = None
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length
    status: int = 200


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class FaultServer:
    routes: dict[str, Route] = field(default_factory=dict)
    faults: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_POST(self) -> None:
                server._serve(self, "POST")

            def log_message(self, *args) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request, client_address) -> None:
                pass  # the client went away (timeouts, drops): expected here

        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self._lock = threading.Lock()
        self._release = threading.Event()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> FaultServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def release(self) -> None:
        """End every held or trickling answer now (the next ones wait for the next release)."""
        with self._lock:
            self._release.set()
            self._release = threading.Event()

    def reset(self) -> None:
        """Forget requests and faults (a server shared by tests; routes are set again)."""
        self.release()
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.routes.clear()

    def add(
        self,
        path: str,
        body: bytes,
        content_type: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: dict[str, str] | None = None,
        length: bool = True,
    ) -> None:
        self.routes[path] = Route(
            body=body,
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            headers=headers or {},
            length=length,
        )

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(
            body=b"", content_type="text/plain", status=status, headers={"Location": location}
        )

    def add_handler(self, path: str, handler: Handler) -> None:
        self.routes[path] = Route(handler=handler)

    def inject(self, path: str, *faults: str) -> None:
        with self._lock:
            self.faults[path].extend(faults)

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    # -- serving --

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urllib.parse.urlsplit(h.path)
        path = urllib.parse.unquote(parts.path)
        params = dict(urllib.parse.parse_qsl(parts.query))
        if method == "POST":
            length = int(h.headers.get("Content-Length") or 0)
            params.update(urllib.parse.parse_qsl(h.rfile.read(length).decode()))
        with self._lock:
            self.requests.append(
                Seen(method, path, params, {k.lower(): v for k, v in h.headers.items()})
            )
            queue = self.faults.get(path)
            fault = queue.pop(0) if queue else None
            released = self._release
        route = self.routes.get(path)
        if route is None:
            return self._send(h, 404, "text/plain", b"not found\n")
        if route.handler is not None:
            status, content_type, body = route.handler(params)
        else:
            status, content_type, body = route.status, route.content_type, route.body or b""
        if fault is not None:
            done = self._fault(h, fault, content_type, body, route, released)
            if done:
                return
        if status == 200 and self._not_modified(h, route):
            return self._send(h, 304, None, b"", route)
        self._send(h, status, content_type, body, route, length=route.length)

    @staticmethod
    def _not_modified(h: BaseHTTPRequestHandler, route: Route) -> bool:
        if route.etag and h.headers.get("If-None-Match") == route.etag:
            return True
        return bool(
            route.last_modified and h.headers.get("If-Modified-Since") == route.last_modified
        )

    def _fault(
        self,
        h: BaseHTTPRequestHandler,
        fault: str,
        content_type: str,
        body: bytes,
        route: Route,
        released: threading.Event,
    ) -> bool:
        name, _, arg = fault.partition(":")
        if name == "hold":
            released.wait()
            h.close_connection = True
            return True
        if name in ("trickle", "trickle-body"):
            head = (
                f"HTTP/1.0 200 OK\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            if name == "trickle-body":
                h.wfile.write(head)
                h.wfile.flush()
                head = b""
            for byte in head + body:
                try:
                    h.wfile.write(bytes([byte]))
                    h.wfile.flush()
                except OSError:
                    break  # the client gave up
                if released.wait(float(arg)):
                    break  # the test is over
            h.close_connection = True
            return True
        if name == "drop":
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return True
        if name == "truncate":
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return True
        if name == "429":
            h.send_response(429)
            if arg:
                h.send_header("Retry-After", arg)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", "18")
            h.end_headers()
            h.wfile.write(b"Too many requests\n")
            return True
        if name in ("500", "503", "404"):
            self._send(h, int(name), "text/plain", f"error {name}\n".encode())
            return True
        if name == "wrong-type":
            self._send(h, 200, "image/png", body)
            return True
        if name == "html200":
            self._send(h, 200, "text/html; charset=utf-8", HTML_ERROR_PAGE)
            return True
        if name == "html-as-csv":
            self._send(h, 200, "text/csv", HTML_ERROR_PAGE)
            return True
        if name == "empty":
            self._send(h, 200, content_type, b"")
            return True
        raise ValueError(f"unknown fault {fault!r}")

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler,
        status: int,
        content_type: str | None,
        body: bytes,
        route: Route | None = None,
        length: bool = True,
    ) -> None:
        h.send_response(status)
        if content_type:
            h.send_header("Content-Type", content_type)
        if route is not None and route.etag:
            h.send_header("ETag", route.etag)
        if route is not None and route.last_modified:
            h.send_header("Last-Modified", route.last_modified)
        for name, value in (route.headers if route is not None else {}).items():
            h.send_header(name, value)
        if status != 304 and length:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if status != 304:
            h.wfile.write(body)
        if not length:
            h.close_connection = True  # the end of the body is the end of the connection


# --- a stand-in for data.police.uk's custom-area endpoints ---------------------------------------


def parse_poly(text: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in pair.split(",")) for pair in text.split(":")]  # type: ignore[misc]


def inside(lat: float, lng: float, polygon: list[tuple[float, float]]) -> bool:
    """Ray casting, half-open edges."""
    result = False
    for i, (lat1, lng1) in enumerate(polygon):
        lat2, lng2 = polygon[i - 1]
        if (lng1 > lng) != (lng2 > lng):
            cross = lat1 + (lng - lng1) * (lat2 - lat1) / (lng2 - lng1)
            if lat < cross:
                result = not result
    return result


def area_endpoint(raw: bytes, locate: Callable[[dict], tuple[float, float]], limit: int) -> Handler:
    """Records of a real response inside the polygon; 503 when more than ``limit`` (the real
    API's limit is 10,000 crimes). When every record is inside, the real bytes are sent as-is."""
    records = json.loads(raw)

    def handler(params: dict[str, str]) -> tuple[int, str, bytes]:
        if "poly" not in params or "date" not in params:
            return 400, "text/plain", b"poly and date are required\n"
        polygon = parse_poly(params["poly"])
        chosen = [r for r in records if inside(*locate(r), polygon)]
        if len(chosen) > handler.limit:  # type: ignore[attr-defined]
            return 503, "text/html", b"<html><body>Service Unavailable</body></html>"
        if len(chosen) == len(records):
            return 200, "application/json", raw
        return 200, "application/json", json.dumps(chosen).encode()

    handler.limit = limit  # type: ignore[attr-defined]
    return handler
