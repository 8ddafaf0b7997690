"""Hostile and heavy HTTP clients for test_daemon_http_limits.sh, on raw sockets so that each
byte sent and each close is under the test's control. Every command prints what it saw and
exits 1 (with the reason) when an expectation fails.

Usage: http_attack.py PORT COMMAND [ARGS...]

  bodies N BYTES                 N concurrent POSTs of BYTES each, without the token: each must
                                 be answered 401 (stopping the upload as soon as it is).
  budget TOKEN BYTES HELD LIMIT_S
                                 HELD authenticated POSTs declaring BYTES each that send a few
                                 bytes and stall; then one more must get 503 (JSON code "busy",
                                 Retry-After) at once, as must a chunked body; finishing one held
                                 body must give a reply other than 503, after which a new body
                                 of BYTES fits again. The stalled ones must be closed by the
                                 server within LIMIT_S (limits.body_timeout_s) + 3 s, after which
                                 HELD bodies fit again.
  halfopen N SOURCE_IP LIMIT_S   N connections from SOURCE_IP that send half a request line;
                                 /healthz (from 127.0.0.1) must still answer within 2 s, and
                                 every one of them must be closed by the server within LIMIT_S
                                 + 3 s.
  together N                     N concurrent keep-alive connections each doing GET /healthz
                                 twice: legitimate concurrent use from one address works.
  fds PID SCAN_URL N MAX_GROWTH  the daemon (PID) must not open more than MAX_GROWTH files
                                 other than sockets while serving 300 short connections that
                                 GET SCAN_URL, N kept-alive ones that did, and N event streams of
                                 SCAN_URL/events read and closed (their threads linger).
"""
import json
import os
import resource
import select
import socket
import sys
import threading
import time

HOST = "127.0.0.1"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(port, source=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect((HOST, port))
    return s


def read_reply(s, deadline=10):
    """Reads one reply (head and a Content-Length body); returns (status, headers, body) or
    (None, {}, b"") when the connection ended first."""
    data = b""
    end = time.monotonic() + deadline
    while b"\r\n\r\n" not in data:
        try:
            s.settimeout(max(0.01, end - time.monotonic()))
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout, BrokenPipeError):
            chunk = b""
        if not chunk:
            return None, {}, b""
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        body += chunk
    return status, headers, body


def post_head(path, length=None, token=None, chunked=False):
    h = f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/octet-stream\r\n"
    if token:
        h += f"Authorization: Bearer {token}\r\n"
    h += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {length}\r\n"
    return (h + "\r\n").encode()


def send_until_answered(s, body):
    """Sends body while watching for a reply; stops sending once the server answers or stops
    reading. Returns the bytes sent."""
    sent, view = 0, memoryview(body)
    s.setblocking(False)
    while sent < len(body):
        r, w, _ = select.select([s], [s], [], 10)
        if r:
            break
        if not w:
            break  # the server reads nothing and says nothing: let read_reply decide
        try:
            sent += s.send(view[sent:sent + 65536])
        except (BlockingIOError, InterruptedError):
            continue
        except (BrokenPipeError, ConnectionResetError):
            break
    s.setblocking(True)
    return sent


def cmd_bodies(port, n, size):
    body = b"x" * size
    results = [None] * n

    def one(i):
        try:
            s = connect(port)
            s.sendall(post_head("/api/v1/manifests", size))
            sent = send_until_answered(s, body)
            status, _, reply = read_reply(s)
            results[i] = (status, sent, reply)
            s.close()
        except OSError as e:
            results[i] = (None, 0, str(e).encode())

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    bad = [r for r in results if not r or r[0] != 401]
    if bad:
        fail(f"{len(bad)} of {n} unauthenticated bodies were not answered 401: {bad[:3]}")
    sent = sum(r[1] for r in results)
    print(f"{n} x {size} bytes without the token: all 401; {sent} body bytes went out")


def hold(port, token, size, send=1000):
    """An authenticated POST declaring size bytes that sends only `send` of them."""
    s = connect(port)
    s.sendall(post_head("/api/v1/policy/validate", size, token) + b"#" * send)
    return s


def answered_now(s, wait=1.0):
    r, _, _ = select.select([s], [], [], wait)
    return bool(r)


def expect_busy(s, what):
    status, headers, body = read_reply(s)
    if status != 503:
        fail(f"{what}: expected 503, got {status} {body[:200]!r}")
    if "retry-after" not in headers:
        fail(f"{what}: 503 without Retry-After: {headers}")
    code = json.loads(body)["error"]["code"]
    if code != "busy":
        fail(f"{what}: error code {code}")


def cmd_budget(port, token, size, held_n, limit_s):
    held = [hold(port, token, size) for _ in range(held_n)]
    time.sleep(0.3)
    for s in held:
        if answered_now(s, 0):
            fail("a body within the budget was answered before it was complete: "
                 f"{read_reply(s)}")
    extra = hold(port, token, size)
    if not answered_now(extra, 5):
        fail("a body over the budget was not refused at its head")
    expect_busy(extra, "a declared body over the budget")
    extra.close()
    chunked = connect(port)
    chunked.sendall(post_head("/api/v1/policy/validate", token=token, chunked=True))
    piece = b"#" * 65536
    for _ in range(3):
        chunked.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
    chunked.sendall(b"0\r\n\r\n")
    expect_busy(chunked, "a chunked body over the budget")
    chunked.close()
    print(f"{held_n} held bodies of {size} bytes fill the budget: the next one and a chunked "
          "body get 503 busy with Retry-After")
    first = held.pop(0)
    first.sendall(b"#" * (size - 1000))
    status, _, body = read_reply(first)
    if status in (None, 503):
        fail(f"a completed body within the budget got {status} {body[:200]!r}")
    first.close()
    again = hold(port, token, size)
    time.sleep(0.3)
    if answered_now(again, 0):
        fail(f"the budget a finished body held was not given back: {read_reply(again)}")
    held.append(again)
    print(f"a finished body ({status}) gives its bytes back: a new one fits")
    t0 = time.monotonic()
    for s in held:
        status, _, _ = read_reply(s, limit_s + 5)
        if status is not None:
            fail(f"a stalled body got a reply {status} instead of being closed")
        s.close()
    took = time.monotonic() - t0
    if took > limit_s + 3:
        fail(f"stalled bodies were not closed within {limit_s} + 3 s ({took:.1f} s)")
    print(f"stalled bodies closed by the server after {took:.1f} s")
    # The server closes a stalled connection first and frees its body when that connection's
    # thread ends, which may come a moment later (much later under AddressSanitizer): the bytes
    # must be back within 3 s.
    deadline = time.monotonic() + 3
    while True:
        held = [hold(port, token, size) for _ in range(held_n)]
        time.sleep(0.3)
        refused = [s for s in held if answered_now(s, 0)]
        if not refused:
            break
        if time.monotonic() > deadline:
            fail("closed stalled bodies did not give their bytes back within 3 s: "
                 f"{read_reply(refused[0])}")
        for s in held:
            s.close()
        time.sleep(0.2)
    for s in held:
        s.close()
    print(f"after they were closed, {held_n} bodies fit again")


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            print(f"SKIP: needs {n} file descriptors, the hard limit is {hard}")
            sys.exit(0)
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def healthz_seconds(port):
    t0 = time.monotonic()
    try:
        s = connect(port, timeout=5)
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        status, _, _ = read_reply(s, 5)
        s.close()
    except OSError as e:
        fail(f"/healthz did not answer: {e}")
    if status != 200:
        fail(f"/healthz answered {status}")
    return time.monotonic() - t0


def cmd_halfopen(port, n, source, limit_s):
    raise_fd_limit(n + 200)
    socks = []
    for _ in range(n):
        try:
            s = connect(port, source, timeout=5)
            s.sendall(b"GET /heal")
            socks.append(s)
        except OSError:
            pass  # refused at once: also fine
    t_open = time.monotonic()
    took = healthz_seconds(port)
    if took > 2:
        fail(f"/healthz took {took:.1f} s with {n} half-open connections")
    print(f"{len(socks)} of {n} half-open connections made; /healthz answered in {took:.2f} s")
    open_ = {s.fileno(): s for s in socks}
    poll = select.poll()
    for fd in open_:
        poll.register(fd, select.POLLIN)
    end = t_open + limit_s + 3
    while open_ and time.monotonic() < end:
        for fd, _ in poll.poll(200):
            s = open_.pop(fd)
            poll.unregister(fd)
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                fail(f"a half-open connection got an answer: {data[:100]!r}")
            s.close()
    if open_:
        fail(f"{len(open_)} half-open connections still open {limit_s + 3} s later")
    print(f"every half-open connection was closed within {time.monotonic() - t_open:.1f} s")
    took = healthz_seconds(port)
    print(f"/healthz answers in {took:.2f} s after")


def cmd_together(port, n):
    errors = []

    def one():
        try:
            s = connect(port)
            for _ in range(2):
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
                status, _, _ = read_reply(s)
                if status != 200:
                    errors.append(status)
            time.sleep(0.5)
            s.close()
        except OSError as e:
            errors.append(str(e))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        fail(f"{len(errors)} of {n} concurrent keep-alive clients failed: {errors[:3]}")
    print(f"{n} concurrent keep-alive clients from one address were all served")


def get(s, path, close=False):
    extra = "Connection: close\r\n" if close else ""
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n{extra}\r\n".encode())


def files_open(pid):
    """The daemon's open file descriptors other than sockets (SQLite files among them)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


def cmd_fds(port, pid, url, n, max_growth):
    start = files_open(pid)
    for _ in range(300):
        s = connect(port)
        get(s, url, close=True)
        status, _, body = read_reply(s)
        if status != 200:
            fail(f"GET {url}: {status} {body[:200]!r}")
        s.close()
    kept = []
    for _ in range(n):
        s = connect(port)
        get(s, url)
        status, _, body = read_reply(s)
        if status != 200:
            fail(f"GET {url}: {status} {body[:200]!r}")
        kept.append(s)
    for _ in range(n):
        s = connect(port)
        get(s, url + "/events")
        data = b""
        while b"event: " not in data:
            chunk = s.recv(4096)
            if not chunk:
                fail(f"the event stream ended before its first event: {data!r}")
            data += chunk
        s.close()
    now = files_open(pid)
    print(f"files open other than sockets: {start} before, {now} with 300 short connections "
          f"done, {n} kept alive and {n} event streams closed")
    if now - start > max_growth:
        fail(f"the daemon opened {now - start} more files (at most {max_growth} expected)")
    for s in kept:
        s.close()


def main():
    port, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    if cmd == "bodies":
        cmd_bodies(port, int(args[0]), int(args[1]))
    elif cmd == "budget":
        cmd_budget(port, args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "halfopen":
        cmd_halfopen(port, int(args[0]), args[1], int(args[2]))
    elif cmd == "together":
        cmd_together(port, int(args[0]))
    elif cmd == "fds":
        cmd_fds(port, int(args[0]), args[1], int(args[2]), int(args[3]))
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
