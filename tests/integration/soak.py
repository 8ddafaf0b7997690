#!/usr/bin/env python3
"""Load for imgedad's soak and memory tests (Python standard library only).

  soak.py images DIR N              N images under DIR: PNGs of 1.5 to 2.6 megapixels (each with
                                    a different size), and copies of the sample JPEGs
  soak.py thumbs BASE SCAN N CONC   N thumbnail requests (each id in turn, then each again at
                                    the next size) from CONC clients at once; prints
                                    {"status": count, ..., "no_answer", "retry_after"} as JSON
  soak.py rss PID                   the process's VmRSS and VmHWM in kB
  soak.py soak BASE PID SECONDS OUT --roots R1,R2,... --base-scan ID
                                    runs every kind of client together for SECONDS while it
                                    samples PID's fds, threads and RSS; writes the samples and
                                    the counts to OUT (JSON) and prints a summary
  soak.py verdict OUT FD_SLACK THREAD_SLACK RSS_PCT RSS_MB
                                    compares the last minute of OUT's samples with the first
                                    minute after the warm-up and checks every answer; exits 1
                                    with the reasons when something is off
"""
import json
import os
import random
import shutil
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
import zlib

FIXTURES = os.environ.get("IE_FIXTURES") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
SIZES = [16, 24, 32, 48, 64, 96, 128, 160, 200, 256, 320, 400, 512, 640, 800, 1024]


def write_png(path, w, h, seed):
    """An RGB PNG: a gradient, every fourth row noise, so that it neither compresses to nothing
    nor takes long to write."""
    base = bytes((x * 7 + seed) & 255 for x in range(w * 3))
    noise = os.urandom(w * 3)
    raw = bytearray()
    for y in range(h):
        raw.append(0)
        raw += noise if y % 4 == 0 else base

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                chunk(b"IDAT", zlib.compress(bytes(raw), 1)) + chunk(b"IEND", b""))


def make_images(root, n):
    os.makedirs(root, exist_ok=True)
    sample = os.path.join(FIXTURES, "sample")
    jpegs = sorted(f for f in os.listdir(sample) if f.endswith(".jpg") and f != "broken.jpg")
    for i in range(n):
        if i % 3 == 2:
            shutil.copy(os.path.join(sample, jpegs[i % len(jpegs)]), f"{root}/j{i:04d}.jpg")
        else:
            write_png(f"{root}/p{i:04d}.png", 1400 + i % 9 * 100, 1100 + i % 5 * 100, i)


def proc_status(pid):
    """VmRSS and VmHWM in kB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


def fd_kind(target):
    """What an open fd is, from its /proc link: socket, pipe, database (imgedad.db and its WAL
    and shm files), image, thumbnail, manifest, or other."""
    if target.startswith(("socket:", "pipe:", "anon_inode:")):
        return target.split(":")[0]
    if "/imgedad.db" in target:
        return "database"
    if "/thumbs/" in target:
        return "thumbnail"
    if target.endswith((".jsonl", ".jsonl.tmp")):
        return "manifest"
    if target.endswith((".png", ".jpg")):
        return "image"
    return "other"


def sample(pid):
    kinds = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            k = fd_kind(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue  # closed meanwhile
        kinds[k] = kinds.get(k, 0) + 1
    return {"fds": sum(kinds.values()), "fd_kinds": kinds,
            "threads": len(os.listdir(f"/proc/{pid}/task")),
            "rss_kb": proc_status(pid)["VmRSS"]}


class Client:
    """HTTP requests that record each answer's status by kind (one connection per request, as
    a browser without keep-alive or curl makes them)."""

    def __init__(self, base):
        self.base = base
        self.lock = threading.Lock()
        self.counts = {}    # "kind status" -> count
        self.failures = []  # requests that got no HTTP answer at all
        self.busy_ok = 0    # 503s that carried Retry-After

    def call(self, kind, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        status, payload, headers = None, b"", {}
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, payload, headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, payload, headers = e.code, e.read(), e.headers
        except (OSError, ValueError) as e:
            with self.lock:
                self.failures.append(f"{method} {path}: {e!r}")
            return None, None
        with self.lock:
            key = f"{kind} {status}"
            self.counts[key] = self.counts.get(key, 0) + 1
            if status == 503 and headers.get("Retry-After"):
                self.busy_ok += 1
        try:
            return status, json.loads(payload) if payload[:1] in (b"{", b"[") else payload
        except ValueError:
            return status, payload


def run_thumbs(base, scan, n, conc):
    c = Client(base)
    _, page = c.call("images", "GET", f"/api/v1/scans/{scan}/images?limit=1")
    total = page["total"]
    jobs = [(i % total + 1, SIZES[i // total % len(SIZES)]) for i in range(n)]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                iid, size = jobs.pop()
            c.call("thumbnail", "GET", f"/api/v1/scans/{scan}/images/{iid}/thumbnail?size={size}")

    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = {k.split()[1]: v for k, v in c.counts.items() if k.startswith("thumbnail ")}
    out["no_answer"] = len(c.failures)
    out["retry_after"] = c.busy_ok
    print(json.dumps(out, sort_keys=True))


class Soak:
    """Every kind of client at once until the deadline."""

    def __init__(self, base, roots, base_scan, seconds):
        self.c = Client(base)
        self.base = base
        self.roots = roots
        self.base_scan = base_scan
        self.deadline = time.monotonic() + seconds
        self.rng_lock = threading.Lock()
        self.running = []  # ids of scans in flight, for SSE and thumbnails
        self.scans_done = 0
        self.sse_opened = 0

    def live(self):
        return time.monotonic() < self.deadline

    def wait_final(self, sid, limit=120):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            st, d = self.c.call("scan", "GET", f"/api/v1/scans/{sid}")
            if st == 200 and d["status"] in ("succeeded", "failed", "cancelled"):
                return d["status"]
            if st != 200:
                return None
            time.sleep(0.2)
        self.c.failures.append(f"scan {sid} not final after {limit}s")
        return None

    def scanner(self, k):
        """Scans that finish, are cancelled, are deleted while running (409, then cancelled),
        or are cancelled and resumed; each is deleted at its end."""
        rng = random.Random(k)
        i = k
        while self.live():
            root = self.roots[i % len(self.roots)]
            mode = ("finish", "cancel", "delete_running", "resume")[i % 4]
            i += 1
            st, d = self.c.call("create", "POST", "/api/v1/scans",
                                {"root": root, "options": {"workers": 1}})
            if st != 202:
                time.sleep(0.5)
                continue
            sid = d["id"]
            with self.rng_lock:
                self.running.append(sid)
            if mode != "finish":
                time.sleep(rng.uniform(0.1, 2.0))
            if mode == "delete_running":
                self.c.call("delete_running", "DELETE", f"/api/v1/scans/{sid}")
            if mode != "finish":
                self.c.call("cancel", "POST", f"/api/v1/scans/{sid}/cancel")
            self.wait_final(sid)
            if mode == "resume":
                self.c.call("resume", "POST", f"/api/v1/scans/{sid}/resume")
                time.sleep(rng.uniform(0.1, 1.0))
                self.wait_final(sid)
            with self.rng_lock:
                self.running.remove(sid)
            self.c.call("delete", "DELETE", f"/api/v1/scans/{sid}")
            self.scans_done += 1

    def pick_scan(self, rng, running_share=0.3):
        with self.rng_lock:
            if self.running and rng.random() < running_share:
                return rng.choice(self.running)
        return self.base_scan

    def thumbnailer(self, k):
        """Thumbnails of many sizes, most of them new (not yet on disk)."""
        rng = random.Random(100 + k)
        while self.live():
            sid = self.pick_scan(rng)
            iid = rng.randint(1, 60)
            size = rng.choice(SIZES) if rng.random() < 0.5 else rng.randint(16, 1024)
            self.c.call("thumbnail", "GET",
                        f"/api/v1/scans/{sid}/images/{iid}/thumbnail?size={size}")

    def reader(self, k):
        rng = random.Random(200 + k)
        paths = ["/healthz", "/metrics", "/api/v1/config", "/api/v1/scans",
                 "/api/v1/scans?limit=5&status=running", "/api/v1/scans/{s}",
                 "/api/v1/scans/{s}/summary", "/api/v1/scans/{s}/checks/all",
                 "/api/v1/scans/{s}/duplicates", "/api/v1/scans/{s}/images?limit=50",
                 "/api/v1/scans/{s}/images?sort=-blur_score&flag=blurry",
                 "/api/v1/scans/{s}/images/{i}"]
        while self.live():
            p = rng.choice(paths).replace("{s}", self.pick_scan(rng))
            p = p.replace("{i}", str(rng.randint(1, 60)))
            self.c.call("read", "GET", p)
            time.sleep(rng.uniform(0, 0.05))

    def sse_churn(self):
        """Event streams that vanish: a reset (SO_LINGER 0, as when a browser tab is killed)
        or a close without a word, after a random time; up to 6 open at once, on scans in
        flight when there are any (a finished scan's stream ends by itself)."""
        rng = random.Random(300)
        port = int(self.base.rsplit(":", 1)[1])
        open_socks = []
        while self.live():
            now = time.monotonic()
            for s, until in [x for x in open_socks if x[1] <= now]:
                if rng.random() < 0.5:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
                open_socks.remove((s, until))
            if len(open_socks) < 6:
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=5)
                    sid = self.pick_scan(rng, running_share=0.9)
                    s.sendall(f"GET /api/v1/scans/{sid}/events HTTP/1.1\r\n"
                              f"Host: 127.0.0.1\r\n\r\n".encode())
                    s.recv(512)  # the headers and the first event: the stream is up
                    open_socks.append((s, now + rng.uniform(0.2, 4.0)))
                    self.sse_opened += 1
                except OSError as e:
                    self.c.failures.append(f"SSE connect: {e!r}")
            time.sleep(0.1)
        for s, _ in open_socks:
            s.close()


def windows(seconds):
    """The warm-up, and the first and the last window compared: a minute each from 150 s on,
    shorter runs split what follows a warm-up of a fifth."""
    warm = 30.0 if seconds >= 150 else seconds / 5
    win = 60.0 if seconds >= 150 else (seconds - warm) / 2
    return (warm, warm + win), (seconds - win, seconds + 1)


def window_max(samples, lo, hi):
    w = [s for s in samples if lo <= s["t"] < hi]
    if not w:
        return {"fds": 0, "threads": 0, "rss_kb": 0, "fd_kinds": {}}, 0
    m = {k: max(s[k] for s in w) for k in ("fds", "threads", "rss_kb")}
    m["fd_kinds"] = max(w, key=lambda s: s["fds"])["fd_kinds"]
    return m, len(w)


def verdict(out, fd_slack, thread_slack, rss_pct, rss_mb):
    with open(out) as f:
        r = json.load(f)
    first, last = windows(r["seconds"])
    a, na = window_max(r["samples"], *first)
    b, nb = window_max(r["samples"], *last)
    problems = []
    print(f"# maxima, {first[0]:.0f}-{first[1]:.0f}s ({na} samples) -> "
          f"{last[0]:.0f}-{r['seconds']:.0f}s ({nb} samples): fds {a['fds']} -> {b['fds']}, "
          f"threads {a['threads']} -> {b['threads']}, "
          f"RSS {a['rss_kb'] // 1024} -> {b['rss_kb'] // 1024} MB")
    print(f"# open fds at the two maxima: {json.dumps(a['fd_kinds'], sort_keys=True)} -> "
          f"{json.dumps(b['fd_kinds'], sort_keys=True)}")
    if na < 5 or nb < 5:
        problems.append(f"too few samples to compare ({na}, {nb})")
    if b["fds"] > a["fds"] + fd_slack:
        problems.append(f"open fds grew from {a['fds']} to {b['fds']} (bound: +{fd_slack})")
    if b["threads"] > a["threads"] + thread_slack:
        problems.append(f"threads grew from {a['threads']} to {b['threads']} "
                        f"(bound: +{thread_slack})")
    rss_bound = a["rss_kb"] + max(a["rss_kb"] * rss_pct / 100, rss_mb * 1024)
    if b["rss_kb"] > rss_bound:
        problems.append(f"RSS grew from {a['rss_kb'] // 1024} to {b['rss_kb'] // 1024} MB "
                        f"(bound: +{rss_pct}% or +{rss_mb} MB)")
    for k, n in sorted(r["counts"].items()):
        kind, status = k.split()
        if int(status) >= 500 and not (kind == "thumbnail" and status == "503"):
            problems.append(f"{n} answers {status} to {kind} requests")
    busy = r["counts"].get("thumbnail 503", 0)
    if busy != r["retry_after"]:
        problems.append(f"{busy - r['retry_after']} of {busy} thumbnail 503s lack Retry-After")
    problems += [f"no answer: {f}" for f in r["failures"][:20]]
    if r["scans_done"] < 4 or r["sse_opened"] < 20:
        problems.append(f"too little load: {r['scans_done']} scans, {r['sse_opened']} streams")
    for p in problems:
        print(f"FAIL: {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


def run_soak(base, pid, seconds, out, roots, base_scan):
    s = Soak(base, roots, base_scan, seconds)
    actors = [threading.Thread(target=s.scanner, args=(k,)) for k in range(2)]
    actors += [threading.Thread(target=s.thumbnailer, args=(k,)) for k in range(3)]
    actors += [threading.Thread(target=s.reader, args=(k,)) for k in range(2)]
    actors.append(threading.Thread(target=s.sse_churn))
    for a in actors:
        a.daemon = True
        a.start()
    samples = []
    t0 = time.monotonic()
    step = float(os.environ.get("SOAK_SAMPLE_S", "2"))
    while s.live():
        smp = sample(pid)
        smp["t"] = round(time.monotonic() - t0, 1)
        samples.append(smp)
        print(f"# t={smp['t']:6.1f}s fds={smp['fds']:4d} threads={smp['threads']:4d} "
              f"rss={smp['rss_kb'] // 1024:5d} MB", flush=True)
        time.sleep(step)
    for a in actors:
        a.join(timeout=150)
    stuck = [a.name for a in actors if a.is_alive()]
    result = {"seconds": seconds, "samples": samples, "counts": s.c.counts,
              "failures": s.c.failures + [f"client {n} still running" for n in stuck],
              "retry_after": s.c.busy_ok, "scans_done": s.scans_done,
              "sse_opened": s.sse_opened}
    with open(out, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    for k in sorted(s.c.counts):
        print(f"# {k}: {s.c.counts[k]}")
    print(f"# scans run: {s.scans_done}, SSE streams opened and dropped: {s.sse_opened}")


def main(argv):
    if len(argv) >= 3 and argv[0] == "images":
        make_images(argv[1], int(argv[2]))
    elif len(argv) == 5 and argv[0] == "thumbs":
        run_thumbs(argv[1], argv[2], int(argv[3]), int(argv[4]))
    elif len(argv) == 2 and argv[0] == "rss":
        st = proc_status(int(argv[1]))
        print(st["VmRSS"], st["VmHWM"])
    elif len(argv) == 6 and argv[0] == "verdict":
        verdict(argv[1], int(argv[2]), int(argv[3]), float(argv[4]), float(argv[5]))
    elif len(argv) == 9 and argv[0] == "soak" and argv[5] == "--roots" and \
            argv[7] == "--base-scan":
        run_soak(argv[1], int(argv[2]), float(argv[3]), argv[4], argv[6].split(","), argv[8])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
