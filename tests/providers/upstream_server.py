"""A tiny loopback HTTP server that plays a broken or foreign upstream for the provider tests (a proxy error page,
a truncated body, a hang, another origin a redirect points at). Stopped when its `with` block ends."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def upstream(status: int, body: bytes, content_type: str = "application/json", *, hang: threading.Event | None = None):
    """A loopback server answering every request with `status`/`body` (or hanging until `hang` is set)."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            hits.append((self.command, self.path))
            if hang is not None:
                hang.wait(5)
                return
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="kiosk-test-upstream")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        if hang is not None:
            hang.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
