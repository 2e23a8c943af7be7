"""A feed served over HTTP on 127.0.0.1 only, whose content a test can change between polls.

It sends an ETag (a hash of the content) and answers 304 when the poller sends it back.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    def __init__(self, body: bytes, content_type: str = "application/rss+xml") -> None:
        self.body = body
        self.content_type = content_type
        self.requests = 0
        self.not_modified = 0  # answered 304: the poller sent the ETag it was given
        self.url = ""


@contextmanager
def serve_feed(body: bytes, content_type: str = "application/rss+xml") -> Iterator[FeedServer]:
    feed = FeedServer(body, content_type)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            feed.requests += 1
            etag = '"' + hashlib.sha256(feed.body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                feed.not_modified += 1
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Type", feed.content_type)
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    feed.url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield feed
    finally:
        server.shutdown()
        server.server_close()
