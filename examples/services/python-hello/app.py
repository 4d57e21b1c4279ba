"""Starphleet sample: a standard-library-only Python web service on $PORT.

HOST is optional (tests bind to 127.0.0.1); in a container it listens on all
addresses.
"""
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hello from Starphleet (Python {sys.version.split()[0]})\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    port = int(os.environ.get("PORT", "3000"))
    host = os.environ.get("HOST", "")
    server = ThreadingHTTPServer((host, port), Hello)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"python-hello listening on {host or '*'}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
