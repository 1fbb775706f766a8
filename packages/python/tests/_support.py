"""Test doubles served from the test's own process: a forwarding proxy that can drop answers, and bare sockets."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

BASE_URL = os.environ.get("AMBIT_BASE_URL", "")
API_KEY = os.environ.get("AMBIT_API_KEY", "")
POOL = os.environ.get("AMBIT_TEST_POOL", "")
MAX_QUEUED = int(os.environ.get("AMBIT_TEST_MAX_QUEUED_RUNS", "0") or "0")


def need_server(case: unittest.TestCase) -> None:
    if not BASE_URL or not API_KEY:
        case.skipTest("AMBIT_BASE_URL and AMBIT_API_KEY are not set (run through test/e2e/python-sdk.test.ts)")


class Recorded:
    def __init__(self, method: str, path: str, idempotency_key: Optional[str], dropped: bool) -> None:
        self.method = method
        self.path = path
        self.idempotency_key = idempotency_key
        self.dropped = dropped


class FaultProxy:
    """Forwards every request to the server; ``drop(prefix, n)`` makes the next n matching requests
    reach the server but closes the client's connection before its answer is sent."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.requests: List[Recorded] = []
        self._drops: Dict[str, int] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                line = f"{self.command} {self.path.split('?')[0]}"
                with proxy._lock:
                    left = proxy._drops.get(line, 0)
                    drop = left > 0
                    if drop:
                        proxy._drops[line] = left - 1
                    proxy.requests.append(Recorded(self.command, self.path, self.headers.get("idempotency-key"), drop))
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body, headers=headers)
                res = conn.getresponse()
                data = res.read()
                conn.close()
                self.close_connection = True
                if drop:
                    return  # the server committed the request; the client never hears of it
                self.send_response(res.status)
                for k, v in res.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def drop(self, line: str, n: int = 1) -> None:
        with self._lock:
            self._drops[line] = n

    def matching(self, line: str) -> List[Recorded]:
        return [r for r in self.requests if f"{r.method} {r.path.split('?')[0]}" == line]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class BareServer:
    """A TCP server that counts connections and either closes them at once or never answers."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.accepted = 0
        self._held: List[socket.socket] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            if self.mode == "close":
                conn.recv(65536)
                conn.close()
            else:
                self._held.append(conn)

    def stop(self) -> None:
        self._running = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.sock.close()
        for c in self._held:
            c.close()


class ScriptedAnswers:
    """An HTTP server answering from a list of (status, headers, body); records each request's headers and path.
    With ``tls=(cert_file, key_file)`` it answers over TLS, at ``https://localhost:…``."""

    def __init__(self, answers: List[Tuple[int, Dict[str, str], Any]], tls: Optional[Tuple[str, str]] = None) -> None:
        self.answers = list(answers)
        self.seen: List[Dict[str, str]] = []
        self.paths: List[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                outer.paths.append(self.path)
                status, headers, body = outer.answers.pop(0) if outer.answers else (500, {}, {"detail": "no more answers"})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.url = f"https://localhost:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
