#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TLS ends and probes for the TLS interop tests (tests/interop/tls_*, wss_*, openssl_*).

A second, independent TLS client (Python's ssl module over a memory BIO, so the raw
socket stays in our hands), speaking tcp_peer.py's protocol to its far end:

  tls_peer.py duplex HOST PORT --sni NAME --ca FILE --tag T --send FILE --recv OUT
      A verified TLS connection, then tcp_peer's DUPLEX: all of FILE up while the same
      count comes down into OUT, at the same time, in one thread (no concurrent SSL
      calls); then "DONE <n>", close_notify and the end of the connection.

Probes of a TLS server (each prints one line and exits 0 when the server closed the
connection within --timeout, 1 otherwise):

  tls_peer.py garbage HOST PORT
      Sends bytes that are no TLS record (an HTTP request, then random bytes).
  tls_peer.py stall HOST PORT [--fin]
      Sends the first half of a real ClientHello and then nothing (with --fin: then its
      end of stream). Prints the seconds until the server closed.
  tls_peer.py truncated HOST PORT --sni NAME --ca FILE --tag T
      A full handshake, then "SINK <T>\\n" and a few bytes as application data, then
      the first 15 bytes of a 100-byte record and the end of stream.
  tls_peer.py closed HOST PORT [--send TEXT]
      A plain TCP connection (to a kaminaric whose handshake must fail): sends TEXT,
      then expects the end of the connection without a single byte back.

0-RTT replay (the attack that early data's replay protection is for):

  tls_peer.py record --port-file F --to PORT --out FILE [--connections N] [--keep BYTES]
      A TCP relay on 127.0.0.1 (port written to F) to 127.0.0.1:PORT; writes the first
      BYTES (default: all) the client sent to FILE once the connection ends. With
      N > 1 it relays N connections, each at once in its own thread, into FILE.1 ...
      FILE.N in the order they were accepted, and exits after the last.
  tls_peer.py replay HOST PORT --in FILE
      Sends FILE's bytes as they are (the same ClientHello, the same early data), reads
      until the end of the connection and prints what came back.
  tls_peer.py hello-info --in FILE
      Parses the ClientHello at the start of FILE (as recorded) and prints one line:
      "sni=<name or -> alpn=<list or -> psk=yes|no early_data=yes|no
      end_of_early_data=yes|no" (the last: whether the client sent EndOfEarlyData,
      i.e. the server accepted its early data; recognised by its record size).

Every wait is bounded by --timeout (30 s).
"""

import argparse
import os
import random
import select
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tcp_peer  # noqa: E402  (the same directory)

CHUNK = 64 * 1024


def die(message):
    print(f"tls_peer: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def client_context(ca):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca:
        ctx.load_verify_locations(cafile=ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class BioConnection:
    """A TLS client over a memory BIO on a plain, non-blocking socket."""

    def __init__(self, sock, ctx, sni, deadline):
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_hostname=sni)
        self.deadline = deadline
        self.pending = b""  # ciphertext not yet taken by the socket
        self.eof = False

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left

    def flush(self, block=True):
        self.pending += self.out.read()
        while self.pending:
            try:
                sent = self.sock.send(self.pending)
                self.pending = self.pending[sent:]
            except BlockingIOError:
                if not block:
                    return
                select.select([], [self.sock], [], self.left())

    def fill(self, block=True):
        """Reads ciphertext into the BIO; False at the socket's end of stream."""
        if block:
            select.select([self.sock], [], [], self.left())
        try:
            data = self.sock.recv(CHUNK)
        except BlockingIOError:
            return True
        if not data:
            self.eof = True
            self.inc.write_eof()
            return False
        self.inc.write(data)
        return True

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.flush()
                return
            except ssl.SSLWantReadError:
                self.flush()
                if not self.fill():
                    raise ConnectionError("end of stream during the handshake")


def connect_socket(host, port, timeout):
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def cmd_duplex(args):
    deadline = time.monotonic() + args.timeout
    n = os.path.getsize(args.send)
    sock = connect_socket(args.host, args.port, args.timeout)
    conn = BioConnection(sock, client_context(args.ca), args.sni, deadline)
    try:
        conn.handshake()
        src = open(args.send, "rb")
        to_send = f"DUPLEX {n} {args.tag}\n".encode()
        sent_all = False
        got = 0
        tail = b""  # what follows the n bytes: "DONE <n>\n"
        with open(args.recv, "wb") as dst:
            while True:
                # Up: keep about 256 KiB of ciphertext queued, no more.
                while not sent_all and len(conn.pending) + conn.out.pending < 256 * 1024:
                    if not to_send:
                        to_send = src.read(CHUNK)
                        if not to_send:
                            sent_all = True
                            break
                    conn.obj.write(to_send)
                    to_send = b""
                conn.flush(block=False)
                # Down: everything the BIO can decrypt.
                while True:
                    try:
                        data = conn.obj.read(CHUNK)
                    except ssl.SSLWantReadError:
                        break
                    except ssl.SSLZeroReturnError:
                        data = b""
                    if not data:
                        raise ConnectionError(f"end of stream after {got} of {n} bytes and {tail!r}")
                    if got < n:
                        take = min(n - got, len(data))
                        dst.write(data[:take])
                        got += take
                        data = data[take:]
                    tail += data
                if got == n and tail.endswith(b"\n"):
                    break
                if conn.eof:
                    raise ConnectionError(f"end of stream after {got} of {n} bytes")
                want_write = bool(conn.pending) or (not sent_all)
                r, w, _ = select.select([sock], [sock] if want_write else [], [], conn.left())
                if r:
                    conn.fill(block=False)
        if tail != f"DONE {n}\n".encode():
            die(f"duplex {args.tag}: unexpected reply {tail!r}")
        try:
            conn.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLError):
            pass  # our close_notify is out; the server's answer is not awaited
        conn.flush()
    except Exception as e:
        die(f"duplex {args.tag}: {e!r}")
    finally:
        sock.close()


def wait_closed(sock, timeout, started):
    """Reads until the server ends the connection; returns (how, bytes received)."""
    sock.setblocking(True)
    got = 0
    end = started + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return "still open", got
        sock.settimeout(left)
        try:
            data = sock.recv(CHUNK)
        except socket.timeout:
            return "still open", got
        except ConnectionResetError:
            return "reset", got
        if not data:
            return "end of stream", got
        got += len(data)


def report_closed(what, sock, timeout, started=None):
    started = time.monotonic() if started is None else started
    how, got = wait_closed(sock, timeout, started)
    elapsed = time.monotonic() - started
    print(f"{what}: {how} after {elapsed:.2f}s, {got} bytes received", flush=True)
    sys.exit(1 if how == "still open" else 0)


def client_hello(sni):
    ctx = client_context(None)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    if len(hello) < 100 or hello[0] != 0x16:
        die(f"no ClientHello made ({len(hello)} bytes)")
    return hello


def cmd_garbage(args):
    rng = random.Random(4)
    junk = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n" + bytes(rng.randrange(256) for _ in range(2048))
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    try:
        sock.sendall(junk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # already refused
    report_closed("garbage", sock, args.timeout)


def cmd_stall(args):
    hello = client_hello("example.com")
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    sock.sendall(hello[: len(hello) // 2])
    started = time.monotonic()
    if args.fin:
        sock.shutdown(socket.SHUT_WR)
    report_closed(f"half a ClientHello ({len(hello) // 2} of {len(hello)} bytes){' then FIN' if args.fin else ''}",
                  sock, args.timeout, started)


def cmd_truncated(args):
    deadline = time.monotonic() + args.timeout
    sock = connect_socket(args.host, args.port, args.timeout)
    conn = BioConnection(sock, client_context(args.ca), args.sni, deadline)
    try:
        conn.handshake()
        conn.obj.write(f"SINK {args.tag}\nbefore the truncated record\n".encode())
        conn.flush()
        time.sleep(0.3)  # the good record is relayed on its own
        # An application_data record header for 100 bytes, then only 10 of them.
        sock.setblocking(True)
        sock.sendall(bytes([0x17, 0x03, 0x03, 0x00, 100]) + os.urandom(10))
        sock.shutdown(socket.SHUT_WR)
    except Exception as e:
        die(f"truncated: {e!r}")
    report_closed("truncated record then FIN", sock, args.timeout)


def cmd_closed(args):
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    try:
        sock.sendall(args.send.encode())
    except (BrokenPipeError, ConnectionResetError):
        pass
    started = time.monotonic()
    how, got = wait_closed(sock, args.timeout, started)
    print(f"closed: {how} after {time.monotonic() - started:.2f}s, {got} bytes received", flush=True)
    sys.exit(0 if how != "still open" and got == 0 else 1)


def relay_recording(client, to_port, out, keep, timeout):
    recorded = bytearray()
    try:
        upstream = socket.create_connection(("127.0.0.1", to_port), timeout=timeout)
    except OSError:
        client.close()
        raise
    open_ends = {client: upstream, upstream: client}
    deadline = time.monotonic() + timeout
    while open_ends and time.monotonic() < deadline:
        r, _, _ = select.select(list(open_ends), [], [], 1)
        for s in r:
            try:
                data = s.recv(CHUNK)
            except ConnectionResetError:
                data = b""
            other = open_ends[s]
            if not data:
                try:
                    other.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                del open_ends[s]
                continue
            if s is client and (keep is None or len(recorded) < keep):
                recorded += data if keep is None else data[: keep - len(recorded)]
            try:
                other.sendall(data)
            except OSError:
                pass
    client.close()
    upstream.close()
    with open(out + ".tmp", "wb") as f:
        f.write(recorded)
    os.rename(out + ".tmp", out)  # the file appears complete or not at all
    print(f"record: {len(recorded)} bytes from the client into {out}", flush=True)


def cmd_record(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tcp_peer.publish_port(args.port_file, srv.getsockname()[1])
    srv.settimeout(args.timeout)
    if args.connections == 1:
        client, _ = srv.accept()
        relay_recording(client, args.to, args.out, args.keep, args.timeout)
        return
    threads = []
    for i in range(1, args.connections + 1):
        client, _ = srv.accept()
        t = threading.Thread(target=relay_recording, args=(client, args.to, f"{args.out}.{i}", args.keep,
                                                             args.timeout), daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(args.timeout)


def client_hello_of(data):
    """The first handshake message of a recorded client flight (reassembled)."""
    hs = bytearray()
    pos = 0
    while pos + 5 <= len(data) and data[pos] == 0x16:
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        hs += data[pos + 5:pos + 5 + length]
        pos += 5 + length
        if len(hs) >= 4 and len(hs) >= 4 + int.from_bytes(hs[1:4], "big"):
            break
    if len(hs) < 4 or hs[0] != 1:
        raise ValueError("no ClientHello at the start")
    body = bytes(hs[4:4 + int.from_bytes(hs[1:4], "big")])
    p = 2 + 32
    p += 1 + body[p]                                    # session id
    p += 2 + int.from_bytes(body[p:p + 2], "big")       # cipher suites
    p += 1 + body[p]                                    # compression methods
    end = p + 2 + int.from_bytes(body[p:p + 2], "big")
    p += 2
    exts = {}
    while p + 4 <= end:
        kind = int.from_bytes(body[p:p + 2], "big")
        size = int.from_bytes(body[p + 2:p + 4], "big")
        exts[kind] = body[p + 4:p + 4 + size]
        p += 4 + size
    return exts


def cmd_hello_info(args):
    with open(args.inp, "rb") as f:
        data = f.read()
    exts = client_hello_of(data)
    sni = "-"
    if 0 in exts and len(exts[0]) > 5:
        sni = exts[0][5:].decode("ascii", "replace")
    alpn = "-"
    if 16 in exts:
        raw, names, p = exts[16][2:], [], 0
        while p < len(raw):
            names.append(raw[p + 1:p + 1 + raw[p]].decode("ascii", "replace"))
            p += 1 + raw[p]
        alpn = ",".join(names)
    # EndOfEarlyData, the client's sign that the server accepted its early data, is the
    # only record of 21 bytes an OpenSSL client sends (a 4-byte message, its content type
    # and a 16-byte AEAD tag); the WebSocket frames and requests here are all longer.
    pos, eoed = 0, False
    while pos + 5 <= len(data):
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        if data[pos] == 0x17 and length == 21:
            eoed = True
            break
        pos += 5 + length
    print(f"sni={sni} alpn={alpn} psk={'yes' if 41 in exts else 'no'} early_data={'yes' if 42 in exts else 'no'}"
          f" end_of_early_data={'yes' if eoed else 'no'}")


def cmd_replay(args):
    with open(args.inp, "rb") as f:
        data = f.read()
    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    report_closed(f"replay of {len(data)} bytes", sock, args.timeout)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--timeout", type=float, default=30.0)
    sub = p.add_subparsers(dest="cmd", required=True)

    def target(name):
        c = sub.add_parser(name)
        c.add_argument("host")
        c.add_argument("port", type=int)
        return c

    d = target("duplex")
    d.add_argument("--sni", required=True)
    d.add_argument("--ca", required=True)
    d.add_argument("--tag", required=True)
    d.add_argument("--send", required=True)
    d.add_argument("--recv", required=True)
    target("garbage")
    s = target("stall")
    s.add_argument("--fin", action="store_true")
    t = target("truncated")
    t.add_argument("--sni", required=True)
    t.add_argument("--ca", required=True)
    t.add_argument("--tag", required=True)
    c = target("closed")
    c.add_argument("--send", default="DUPLEX 16 refused\n")
    r = sub.add_parser("record")
    r.add_argument("--port-file", required=True)
    r.add_argument("--to", type=int, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--connections", type=int, default=1)
    r.add_argument("--keep", type=int, default=None)
    hi = sub.add_parser("hello-info")
    hi.add_argument("--in", dest="inp", required=True)
    rp = target("replay")
    rp.add_argument("--in", dest="inp", required=True)
    args = p.parse_args()
    {"duplex": cmd_duplex, "garbage": cmd_garbage, "stall": cmd_stall, "truncated": cmd_truncated,
     "closed": cmd_closed, "record": cmd_record, "replay": cmd_replay, "hello-info": cmd_hello_info}[args.cmd](args)


if __name__ == "__main__":
    main()
