#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Ends for the PROXY protocol and load balancer interop tests (tests/interop/*_test.sh).

Servers (on 127.0.0.1, a port the kernel picks, written to --port-file once listening):

  proxy_peer.py capture --port-file F --log FILE
      Each connection may start with a PROXY header (v1 text or v2 binary); then comes a
      line "hello <tag>\\n", which is echoed, and everything after it is echoed until the
      end of stream. One line per connection is appended to FILE before the echo:
        <tag> <header>
      where <header> is the v1 line without its CRLF ("PROXY TCP4 a b p q"), the v2
      header in the same words ("PROXY TCP4 a b p q v2", "LOCAL v2"), or "none".
  proxy_peer.py http-capture --port-file F --log FILE
      HTTP/1.1: each request is answered 200 with "x-client=<its X-Client header>\\n";
      "<path> <X-Client>" is appended to FILE.

Clients:

  proxy_peer.py clients HOST PORT --source ADDR [--count N] [--tag T] [--check FILE]
      N connections one after the other, each from ADDR (a port the kernel picks): sends
      "hello <T>-<i>\\n" (just <T> when N is 1) and 1 KiB, needs both back, closes.
      Prints "<T>-<i> <ADDR>:<port>" for each one that worked, "ok=<n> failed=<m>" last. With
      --check, the capture log FILE must name each working one's ADDR and port as the
      PROXY source; one that does not counts as failed. Exit status 1 if any failed.
  proxy_peer.py ws HOST PORT --source ADDR --host H --path P --tag T [--header "K: V"]...
      A WebSocket client (RFC 6455): the upgrade, then one masked binary frame with
      "hello <T>\\n", whose echo must come back in the server's frames. Prints
      "<ADDR>:<port>".

Every socket operation has a timeout (--timeout, 5 s), so nothing waits forever.
"""

import argparse
import base64
import hashlib
import http.server
import ipaddress
import os
import socket
import struct
import sys
import threading
import time

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
PAYLOAD = b"0123456789abcdef" * 64  # 1 KiB after the hello line


def die(message):
    print(f"proxy_peer: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def publish_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, path)  # the reader never sees a half-written file


def recv_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        got = sock.recv(n - len(data))
        if not got:
            raise ConnectionError(f"end of stream after {len(data)} of {n} bytes")
        data += got
    return bytes(data)


def recv_line(sock, start=b"", limit=1024):
    data = bytearray(start)
    while b"\n" not in data:
        got = sock.recv(1)
        if not got:
            raise ConnectionError(f"end of stream before a full line (got {bytes(data)!r})")
        data += got
        if len(data) > limit:
            raise ValueError("line too long")
    return bytes(data)


# ----- capture

def read_proxy_header(sock):
    """Returns (header text, bytes read past it)."""
    first = recv_exactly(sock, 6)
    if first == b"PROXY ":
        line = recv_line(sock, first, limit=108)  # the v1 maximum (spec 2.1)
        if not line.endswith(b"\r\n"):
            raise ValueError(f"v1 line without CRLF: {line!r}")
        return line[:-2].decode("ascii"), b""
    if first == V2_SIGNATURE[:6]:
        fixed = first + recv_exactly(sock, 10)
        if fixed[:12] != V2_SIGNATURE:
            raise ValueError(f"bad v2 signature {fixed!r}")
        ver_cmd, fam, length = fixed[12], fixed[13], struct.unpack("!H", fixed[14:16])[0]
        block = recv_exactly(sock, length)
        if ver_cmd >> 4 != 2:
            raise ValueError(f"v2 version {ver_cmd >> 4}")
        if ver_cmd & 0xF == 0:
            return "LOCAL v2", b""
        family, proto = fam >> 4, fam & 0xF
        names = {(1, 1): "TCP4", (2, 1): "TCP6", (1, 2): "UDP4", (2, 2): "UDP6"}
        if (family, proto) not in names:
            return f"PROXY family={family} proto={proto} v2", b""
        size = 4 if family == 1 else 16
        src = ipaddress.ip_address(block[:size])
        dst = ipaddress.ip_address(block[size:2 * size])
        sport, dport = struct.unpack("!HH", block[2 * size:2 * size + 4])
        return f"PROXY {names[(family, proto)]} {src} {dst} {sport} {dport} v2", b""
    return "none", first


def capture_connection(conn, args, lock):
    try:
        conn.settimeout(args.timeout)
        header, rest = read_proxy_header(conn)
        line = recv_line(conn, rest)
        words = line.split(b"\n", 1)[0].split()
        if len(words) != 2 or words[0] != b"hello":
            raise ValueError(f"no hello line: {line!r}")
        with lock, open(args.log, "a") as f:
            f.write(f"{words[1].decode('ascii', 'replace')} {header}\n")
        conn.sendall(line)
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
    except Exception as e:
        print(f"proxy_peer capture: {e!r}", file=sys.stderr, flush=True)
    finally:
        conn.close()


def cmd_capture(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(128)
    open(args.log, "a").close()
    publish_port(args.port_file, srv.getsockname()[1])
    lock = threading.Lock()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=capture_connection, args=(conn, args, lock), daemon=True).start()


class CaptureHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_path = ""
    lock = threading.Lock()

    def do_GET(self):
        client = self.headers.get("X-Client", "-")
        with self.lock, open(self.log_path, "a") as f:
            f.write(f"{self.path} {client}\n")
        body = f"x-client={client}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *a):
        print(f"proxy_peer http-capture: {fmt % a}", file=sys.stderr, flush=True)


def cmd_http_capture(args):
    CaptureHandler.log_path = args.log
    open(args.log, "a").close()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CaptureHandler)
    srv.daemon_threads = True
    publish_port(args.port_file, srv.server_address[1])
    srv.serve_forever()


# ----- clients

def connect_from(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(args.timeout)
    sock.bind((args.source, 0))
    sock.connect((args.host, args.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def load_capture(path):
    seen = {}
    with open(path) as f:
        for line in f:
            tag, _, header = line.rstrip("\n").partition(" ")
            seen[tag] = header
    return seen


def one_client(args, tag):
    sock = connect_from(args)
    try:
        local = sock.getsockname()
        sent = f"hello {tag}\n".encode() + PAYLOAD
        sock.sendall(sent)
        if recv_exactly(sock, len(sent)) != sent:
            raise ValueError("the echo differs")
        sock.shutdown(socket.SHUT_WR)
        if sock.recv(1):
            raise ValueError("bytes after the echo")
        return f"{local[0]}:{local[1]}"
    finally:
        sock.close()


def cmd_clients(args):
    ok, failed = [], []
    deadline = time.monotonic() + args.budget
    for i in range(args.count):
        tag = args.tag if args.count == 1 else f"{args.tag}-{i}"
        if time.monotonic() > deadline:
            failed.append((tag, "over the time budget"))
            continue
        try:
            ok.append((tag, one_client(args, tag)))
        except Exception as e:
            failed.append((tag, repr(e)))
    if args.check:
        seen = load_capture(args.check)
        checked = []
        for tag, source in ok:
            address, port = source.rsplit(":", 1)
            words = seen.get(tag, "").split()
            if len(words) >= 6 and words[0] == "PROXY" and words[2] == address and words[4] == port:
                checked.append((tag, source))
            else:
                failed.append((tag, f"the remote's PROXY header {seen.get(tag)!r} does not name {source}"))
        ok = checked
    for tag, source in ok:
        print(f"{tag} {source}")
    for tag, why in failed[:10]:
        print(f"proxy_peer clients: {tag} failed: {why}", file=sys.stderr)
    print(f"ok={len(ok)} failed={len(failed)}", flush=True)
    sys.exit(1 if failed else 0)


def ws_frames(sock, want):
    """Reads server frames (unmasked) until `want` payload bytes have arrived."""
    data = bytearray()
    while len(data) < want:
        b0, b1 = recv_exactly(sock, 2)
        if b1 & 0x80:
            raise ValueError("a masked frame from the server")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", recv_exactly(sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", recv_exactly(sock, 8))[0]
        payload = recv_exactly(sock, n)
        opcode = b0 & 0x0F
        if opcode == 0x8:
            raise ConnectionError(f"close frame after {len(data)} bytes")
        if opcode in (0x0, 0x1, 0x2):
            data += payload
    return bytes(data)


def cmd_ws(args):
    sock = connect_from(args)
    local = sock.getsockname()
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {args.path} HTTP/1.1", f"Host: {args.host_header}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    lines += args.header
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = bytearray()
        while b"\r\n\r\n" not in response:
            got = sock.recv(1)
            if not got:
                raise ConnectionError(f"end of stream in the response: {bytes(response)!r}")
            response += got
            if len(response) > 8192:
                raise ValueError("response head too long")
        head = response.decode("latin-1")
        if not head.startswith("HTTP/1.1 101"):
            raise ValueError(f"no 101: {head.splitlines()[0]!r}")
        fields = {}
        for field in head.split("\r\n")[1:]:
            name, _, value = field.partition(":")
            fields[name.strip().lower()] = value.strip()
        want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        if fields.get("sec-websocket-accept") != want.decode():  # RFC 6455 4.2.2
            raise ValueError(f"wrong or missing Sec-WebSocket-Accept: {head!r}")
        payload = f"hello {args.tag}\n".encode() + PAYLOAD
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(bytes([0x82, 0x80 | 126]) + struct.pack("!H", len(payload)) + mask + masked)
        if ws_frames(sock, len(payload)) != payload:
            raise ValueError("the echo differs")
    except Exception as e:
        die(f"ws {args.tag}: {e!r}")
    finally:
        sock.close()
    print(f"{local[0]}:{local[1]}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=float, default=5.0)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("capture", "http-capture"):
        s = sub.add_parser(name)
        s.add_argument("--port-file", required=True)
        s.add_argument("--log", required=True)
    c = sub.add_parser("clients")
    w = sub.add_parser("ws")
    for s in (c, w):
        s.add_argument("host")
        s.add_argument("port", type=int)
        s.add_argument("--source", required=True)
        s.add_argument("--tag", default="c")
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--check")
    c.add_argument("--budget", type=float, default=60.0, help="seconds for all of them")
    w.add_argument("--host", dest="host_header", required=True)
    w.add_argument("--path", required=True)
    w.add_argument("--header", action="append", default=[])
    args = p.parse_args()
    {"capture": cmd_capture, "http-capture": cmd_http_capture, "clients": cmd_clients, "ws": cmd_ws}[args.cmd](args)


if __name__ == "__main__":
    main()
