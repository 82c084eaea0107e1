#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Traffic ends for the interop tests (tests/interop/*_test.sh, through lib.sh).

The far end (behind kaminaris or a peer's server):

  tcp_peer.py serve --port-file F --source FILE --out-dir DIR
      Listens on 127.0.0.1 (a port the kernel picks, written to F once listening) and
      serves each connection after its first line:
        DUPLEX <n> <tag>\\n  then n bytes: sends the first n bytes of FILE while it
                              receives the n bytes into DIR/<tag>, both at once; then
                              "DONE <n>\\n"; the client ends the connection. Needs no
                              half-close (v2ray-plugin passes none on), and no end of
                              stream travels while data is in flight.
        SINK <tag>\\n        then bytes until end of stream, into DIR/<tag>; then
                              DIR/<tag>.done (the count), "DONE <count>\\n" and the
                              end of stream (half-close test).
        SOURCE <n>\\n        sends the first n bytes of FILE, then the end of stream.

  tcp_peer.py http --port-file F --dir DIR
      A threaded HTTP/1.1 server: GET serves DIR/<name>, PUT stores the body (with a
      Content-Length) as DIR/<name>.

The near end (in front of kaminaric or a peer's client):

  tcp_peer.py duplex HOST PORT --tag T --send FILE --recv OUT
      DUPLEX with all of FILE, the reply written to OUT.
  tcp_peer.py download HOST PORT --size N --recv OUT
      SOURCE N, everything up to the end of stream written to OUT.
  tcp_peer.py halfclose HOST PORT --tag T --send FILE [--answer-optional]
      SINK with FILE, then shuts down its sending side and waits for "DONE <size>".
      With --answer-optional, an end of stream instead of the answer is accepted (a
      proxy that ends both directions at the first end of stream, as nginx does); it
      prints "no answer" then.

Every socket operation has a timeout (--timeout, 30 s), so nothing waits forever.
Exit status 0 on success, 1 with one line on stderr otherwise.
"""

import argparse
import http.server
import os
import socket
import sys
import threading

CHUNK = 256 * 1024


def die(message):
    print(f"tcp_peer: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def read_line(sock, limit=512):
    line = bytearray()
    while not line.endswith(b"\n"):
        b = sock.recv(1)
        if not b:
            raise ConnectionError(f"end of stream before a full line (got {bytes(line)!r})")
        line += b
        if len(line) > limit:
            raise ValueError("line too long")
    return line[:-1].decode("ascii")


def recv_exactly_into_file(sock, n, path):
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    left = n
    with open(path, "wb") as f:
        while left > 0:
            got = sock.recv_into(view, min(left, CHUNK))
            if got == 0:
                raise ConnectionError(f"end of stream after {n - left} of {n} bytes")
            f.write(view[:got])
            left -= got


def send_file(sock, path, n=None):
    sent = 0
    with open(path, "rb") as f:
        while n is None or sent < n:
            data = f.read(CHUNK if n is None else min(CHUNK, n - sent))
            if not data:
                break
            sock.sendall(data)
            sent += len(data)
    if n is not None and sent != n:
        raise ValueError(f"{path} has only {sent} bytes, {n} wanted")
    return sent


def safe_name(tag):
    if not tag or "/" in tag or tag.startswith("."):
        raise ValueError(f"bad tag {tag!r}")
    return tag


# ----- the far end

def note(message):
    print(f"tcp_peer serve: {message}", file=sys.stderr, flush=True)


def drain_until_end(conn):
    conn.settimeout(5)
    while conn.recv(CHUNK):  # until the client closes: no RST on unread bytes
        pass


def serve_connection(conn, args):
    peer = "?"
    try:
        peer = conn.getpeername()[1]
        conn.settimeout(args.timeout)
        words = read_line(conn).split()
        note(f"from port {peer}: {' '.join(words)}")
        if len(words) == 3 and words[0] == "DUPLEX":
            n, tag = int(words[1]), safe_name(words[2])
            errors = []

            def sender():
                try:
                    send_file(conn, args.source, n)
                except Exception as e:  # reported by the receiving side below
                    errors.append(e)

            t = threading.Thread(target=sender, daemon=True)
            t.start()
            recv_exactly_into_file(conn, n, os.path.join(args.out_dir, tag))
            t.join(args.timeout)
            if t.is_alive() or errors:
                raise ConnectionError(f"sending {n} bytes failed: {errors or 'timed out'}")
            conn.sendall(f"DONE {n}\n".encode())
            note(f"from port {peer}: DUPLEX {n} done")
            # The client ends the connection once it has everything: this check is about
            # the data, and an end of stream from here could race with the last bytes
            # (the end-of-stream checks are SOURCE and SINK).
            drain_until_end(conn)
            return
        elif len(words) == 2 and words[0] == "SINK":
            tag = safe_name(words[1])
            count = 0
            buf = bytearray(CHUNK)
            with open(os.path.join(args.out_dir, tag), "wb") as f:
                while True:
                    got = conn.recv_into(buf)
                    if got == 0:
                        break
                    f.write(memoryview(buf)[:got])
                    count += got
            publish_port(os.path.join(args.out_dir, tag + ".done"), count)  # all stored
            conn.sendall(f"DONE {count}\n".encode())
        elif len(words) == 2 and words[0] == "SOURCE":
            send_file(conn, args.source, int(words[1]))
        else:
            raise ValueError(f"unknown request {words!r}")
        conn.shutdown(socket.SHUT_WR)
        drain_until_end(conn)
    except Exception as e:
        note(f"from port {peer}: failed: {e!r}")
    finally:
        conn.close()


def publish_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.rename(tmp, path)  # the reader never sees a half-written file


def cmd_serve(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    publish_port(args.port_file, srv.getsockname()[1])
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_connection, args=(conn, args), daemon=True).start()


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_PUT(self):
        try:
            name = safe_name(self.path.lstrip("/"))
            length = int(self.headers["Content-Length"])
        except (TypeError, ValueError):
            self.send_error(400)
            return
        left = length  # from rfile: it has already buffered the start of the body
        with open(os.path.join(self.directory, name), "wb") as f:
            while left > 0:
                data = self.rfile.read(min(left, CHUNK))
                if not data:
                    raise ConnectionError(f"end of stream after {length - left} of {length} bytes")
                f.write(data)
                left -= len(data)
        body = f"stored {length}\n".encode()
        self.send_response(201)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *a):
        print(f"tcp_peer http: {fmt % a}", file=sys.stderr, flush=True)


def cmd_http(args):
    def make(*a, **kw):
        return Handler(*a, directory=args.dir, **kw)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make)
    srv.daemon_threads = True
    publish_port(args.port_file, srv.server_address[1])
    srv.serve_forever()


# ----- the near end

def connect(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.settimeout(args.timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def cmd_duplex(args):
    n = os.path.getsize(args.send)
    sock = connect(args)
    errors = []

    def sender():
        try:
            sock.sendall(f"DUPLEX {n} {args.tag}\n".encode())
            send_file(sock, args.send)
        except Exception as e:
            errors.append(e)

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    try:
        recv_exactly_into_file(sock, n, args.recv)
        t.join(args.timeout)
        if t.is_alive() or errors:
            die(f"sending failed: {errors or 'timed out'}")
        reply = read_line(sock)
    except Exception as e:
        die(f"duplex {args.tag}: {e!r}" + (f" (sender: {errors!r})" if errors else ""))
    if reply != f"DONE {n}":
        die(f"duplex {args.tag}: unexpected reply {reply!r}")
    sock.close()


def cmd_download(args):
    sock = connect(args)
    count = 0
    try:
        sock.sendall(f"SOURCE {args.size}\n".encode())
        buf = bytearray(CHUNK)
        with open(args.recv, "wb") as f:
            while True:
                got = sock.recv_into(buf)
                if got == 0:
                    break
                f.write(memoryview(buf)[:got])
                count += got
    except Exception as e:
        die(f"download: {e!r} after {count} bytes")
    sock.close()


def cmd_halfclose(args):
    size = os.path.getsize(args.send)
    sock = connect(args)
    try:
        sock.sendall(f"SINK {args.tag}\n".encode())
        send_file(sock, args.send)
        sock.shutdown(socket.SHUT_WR)
        first = sock.recv(1)
        if not first and args.answer_optional:
            print("no answer", flush=True)
            return
        reply = first.decode("ascii") + read_line(sock) if first != b"\n" else ""
        rest = sock.recv(1)
    except Exception as e:
        die(f"halfclose {args.tag}: {e!r}")
    if reply != f"DONE {size}":
        die(f"halfclose {args.tag}: unexpected reply {reply!r}")
    if rest:
        die(f"halfclose {args.tag}: bytes after the reply instead of the end of stream")
    sock.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=float, default=30.0)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    s.add_argument("--source", required=True)
    s.add_argument("--out-dir", required=True)
    h = sub.add_parser("http")
    h.add_argument("--port-file", required=True)
    h.add_argument("--dir", required=True)
    d = sub.add_parser("download")
    d.add_argument("host")
    d.add_argument("port", type=int)
    d.add_argument("--size", type=int, required=True)
    d.add_argument("--recv", required=True)
    for name in ("duplex", "halfclose"):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        c.add_argument("--tag", required=True)
        c.add_argument("--send", required=True)
        if name == "duplex":
            c.add_argument("--recv", required=True)
        else:
            c.add_argument("--answer-optional", action="store_true")
    args = p.parse_args()
    {"serve": cmd_serve, "http": cmd_http, "duplex": cmd_duplex, "download": cmd_download,
     "halfclose": cmd_halfclose}[args.cmd](args)


if __name__ == "__main__":
    main()
