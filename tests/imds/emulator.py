#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tests/imds/emulator.py - an IMDSv2 emulator for eniaddr-bpf's tests (python3 stdlib only).

Semantics as REFERENCE.md section 4: PUT /latest/api/token with a TTL header answers a token and
the TTL header; every GET needs a valid token (401 otherwise, HTML body); text answers one item
per line, no trailing newline; listings sorted, sub-directories end with '/'; an empty or missing
list is a 404 and its key is absent from the MAC's listing; parent listings exist.

The WORLD FILE (--world FILE, JSON) is re-read whenever its mtime or size changes, so tests
change assignments by writing a temporary file and renaming it over the world:
  {"mac": "0e:..:01" (optional: the primary MAC; default the first with device-number 0),
   "macs": {"0e:00:00:00:00:01": {"device-number": 0, "interface-id": "eni-...",
            "local-ipv4s": [primary first], "ipv6s": [], "ipv4-prefix": [], "ipv6-prefix": [],
            "subnet-ipv4-cidr-block": "10.0.1.0/24", "subnet-ipv6-cidr-blocks": [],
            "security-group-ids": [], "vpc-ipv4-cidr-blocks": [], ...any other key}},
   "faults": {"delay_ms": N, "status": 503, "status_count": N (absent: every request),
              "drop_connection": bool, "malformed": {"<path under meta-data/>": "raw text"},
              "missing": ["<path under meta-data/>"] (404 although its listing names it),
              "token_storm": N (the next N GETs answer 401 even with a valid token),
              "token_ttl_s": N (tokens live at most N seconds)}}
Counted faults (status_count, token_storm) restart from the file each time it changes.

--listen ADDR:PORT (default 169.254.169.254:80). When listening it prints
"imds-emulator: listening on ADDR:PORT" and creates --ready-file if given. --stats FILE is
rewritten (temporary file + rename) whenever a counter moves, before the answer goes out:
{"requests": N, "token_puts": N, "gets": N, "unauthorized": N}.
"""
import argparse
import http.server
import json
import os
import secrets
import socket
import socketserver
import sys
import threading
import time

PREFIX = "/latest/meta-data/"
TOKEN_PATH = "/latest/api/token"
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
ERROR_HTML = ('<?xml version="1.0" encoding="iso-8859-1"?>\n<!DOCTYPE html>\n<html><head>'
              '<title>{code} - {reason}</title></head><body><h1>{code} - {reason}</h1>'
              '</body></html>\n')


class World:
    """The world file, re-read when it changes; counted faults live here."""

    def __init__(self, path):
        self.path = path
        self.sig = None
        self.data = {"macs": {}, "faults": {}}
        self.status_left = None
        self.storm_left = 0
        self.lock = threading.Lock()

    def refresh(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if sig == self.sig:
            return
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            print(f"imds-emulator: world {self.path}: {exc}; keeping the last one",
                  file=sys.stderr, flush=True)
            return
        self.sig = sig
        self.data = data
        faults = data.get("faults") or {}
        self.status_left = faults.get("status_count")
        self.storm_left = int(faults.get("token_storm") or 0)

    def faults(self):
        return self.data.get("faults") or {}

    def take_status(self):
        """The injected status for this request, or None."""
        status = self.faults().get("status")
        if not status:
            return None
        if self.status_left is None:
            return int(status)
        if self.status_left > 0:
            self.status_left -= 1
            return int(status)
        return None

    def take_storm(self):
        if self.storm_left > 0:
            self.storm_left -= 1
            return True
        return False


def text_of(value):
    """A world value as IMDS text: lists one per line, no trailing newline; None when empty."""
    if value is None:
        return None
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text else None


def primary_mac(data):
    macs = data.get("macs") or {}
    if data.get("mac"):
        return data["mac"]
    for mac, keys in macs.items():
        if keys.get("device-number", 0) == 0:
            return mac
    return next(iter(macs), None)


def lookup(data, rel):
    """The answer text for a path under meta-data/, or None for 404."""
    macs = data.get("macs") or {}
    parts = rel.split("/")
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if not parts:
        return "mac\nnetwork/"
    if parts == ["mac"]:
        return primary_mac(data)
    if parts == ["network"]:
        return "interfaces/"
    if parts == ["network", "interfaces"]:
        return "macs/"
    if parts[:3] != ["network", "interfaces", "macs"]:
        return None
    if len(parts) == 3:
        return "\n".join(sorted(m + "/" for m in macs)) or None
    keys = macs.get(parts[3])
    if keys is None:
        return None
    if len(parts) == 4:
        present = ["mac"] + [k for k, v in keys.items() if text_of(v) is not None]
        return "\n".join(sorted(set(present)))
    if len(parts) == 5:
        if parts[4] == "mac":
            return parts[3]
        return text_of(keys.get(parts[4]))
    return None


class Emulator(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, world, stats_path):
        family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.address_family = family
        super().__init__(addr, Handler)
        self.world = world
        self.stats_path = stats_path
        self.tokens = {}
        self.counts = {"requests": 0, "token_puts": 0, "gets": 0, "unauthorized": 0}
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        """A client that gave up (timeout, reset) is part of the tests: no traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def count(self, key):
        """Counts and writes the stats before the answer goes out: a client that has its
        answer sees it counted. Called with self.lock held."""
        self.counts[key] += 1
        self.write_stats()

    def write_stats(self):
        if not self.stats_path:
            return
        tmp = f"{self.stats_path}.tmp.{threading.get_ident()}"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.counts, f)
        os.replace(tmp, self.stats_path)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "EC2ws"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet: tests read --stats instead
        pass

    def send_text(self, code, body, headers=()):
        data = body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if code == 200 else "text/html")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        # Headers and body in one segment: split writes meet the client's delayed ACK.
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()

    def send_error_html(self, code):
        reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                   404: "Not Found", 405: "Method Not Allowed", 429: "Too Many Requests",
                   500: "Internal Server Error", 503: "Service Unavailable"}
        reason = reasons.get(code, "Error")
        self.send_text(code, ERROR_HTML.format(code=code, reason=reason))

    def prologue(self):
        """Counts the request and applies the connection-level faults; False: answered."""
        srv = self.server
        with srv.lock:
            srv.world.refresh()
            srv.count("requests")
            faults = dict(srv.world.faults())
            status = srv.world.take_status()
        if faults.get("delay_ms"):
            time.sleep(int(faults["delay_ms"]) / 1000.0)
        if faults.get("drop_connection"):
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return False
        if status:
            self.send_error_html(status)
            return False
        return True

    def do_PUT(self):
        srv = self.server
        if not self.prologue():
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != TOKEN_PATH:
            self.send_error_html(405 if self.path.startswith(PREFIX) else 404)
            return
        try:
            ttl = int(self.headers.get(TTL_HEADER, ""))
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= 21600:
            self.send_error_html(400)
            return
        with srv.lock:
            srv.count("token_puts")
            cap = srv.world.faults().get("token_ttl_s")
            if cap:
                ttl = min(ttl, int(cap))
            token = secrets.token_urlsafe(42)
            srv.tokens[token] = time.monotonic() + ttl
        self.send_text(200, token, [(TTL_HEADER, str(ttl))])

    def do_GET(self):
        srv = self.server
        if not self.prologue():
            return
        with srv.lock:
            srv.count("gets")
            token = self.headers.get(TOKEN_HEADER)
            expiry = srv.tokens.get(token) if token else None
            valid = expiry is not None and expiry > time.monotonic()
            if valid and srv.world.take_storm():
                valid = False
            if not valid:
                srv.count("unauthorized")
            data = srv.world.data
            malformed = srv.world.faults().get("malformed") or {}
            missing = srv.world.faults().get("missing") or []
        if not valid:
            self.send_error_html(401)
            return
        if not self.path.startswith(PREFIX) and self.path != PREFIX[:-1]:
            self.send_error_html(404)
            return
        rel = self.path[len(PREFIX):]
        if rel in missing:
            self.send_error_html(404)
            return
        if rel in malformed:
            self.send_text(200, malformed[rel])
            return
        answer = lookup(data, rel)
        if answer is None:
            self.send_error_html(404)
        else:
            self.send_text(200, answer)

    def do_POST(self):
        self.send_error_html(405)

    do_DELETE = do_POST


def main():
    ap = argparse.ArgumentParser(description="IMDSv2 emulator for eniaddr-bpf's tests")
    ap.add_argument("--world", required=True, help="the world file (JSON), re-read on change")
    ap.add_argument("--listen", default="169.254.169.254:80", help="ADDR:PORT ([v6]:PORT)")
    ap.add_argument("--ready-file", help="created once listening")
    ap.add_argument("--stats", help="request counters (JSON), rewritten before each answer")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]")
    world = World(args.world)
    world.refresh()
    srv = Emulator((host, int(port)), world, args.stats)
    srv.write_stats()
    print(f"imds-emulator: listening on {args.listen}", flush=True)
    if args.ready_file:
        with open(args.ready_file, "w", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
