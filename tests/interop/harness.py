"""Interop harness: real BitTorrent clients and a real tracker as separate processes on loopback.

Used by tests/interop/test_*.py and bench/swarm/run.py. Python stdlib + python3-libtorrent only.

Every process runs in its own process group with its own log file under the test's work dir and
is killed (SIGTERM, then SIGKILL of the whole group) when the harness closes, on success, failure,
exception or SIGTERM. Each client gets its own 127.0.0.x address (x = 2, 3, ...), so the tracker,
which records the source address of each announce, hands the right address to the others.
"""
import argparse
import atexit
import base64
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# python3-libtorrent lives in the system Python; a pyenv or venv python3 on PATH may lack it.
try:
    import libtorrent as lt
except ImportError:
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3') \
            and not os.environ.get('TESSERA_INTEROP_REEXEC'):
        os.environ['TESSERA_INTEROP_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

PYTHON = sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))
PEERS_DIR = os.path.join(HERE, 'peers')
# Sub-directory of a test's work dir holding every tessera state dir (resume data, fetched
# .torrent files); tests that watch the work dir for stray files skip it.
STATE_SUBDIR = 'state'
KIB = 1024
MIB = 1024 * 1024


class TestFailure(Exception):
    """A check of the test failed; the message says why."""


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', flush=True)


# ----------------------------------------------------------------------------------------------
# processes

# Watchdog: a separate process that outlives the harness only to clean up after it. When the
# harness dies without closing (SIGKILL from a ctest timeout ...), it SIGKILLs every process
# group listed in the pgids file and removes the work dir (unless kept). The harness stops it
# on a normal close. PR_SET_PDEATHSIG (below) alone is not enough: opentracker drops root for
# "nobody", which clears it, and refuses to keep root.
_WATCHDOG = r"""
import os, shutil, signal, sys, time
parent, pgids, workdir, keep = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == '1'
signal.signal(signal.SIGINT, signal.SIG_IGN)
while os.getppid() == parent:
    time.sleep(0.5)
try:
    with open(pgids) as f:
        ids = [int(x) for x in f.read().split()]
except OSError:
    ids = []
for g in ids:
    try:
        os.killpg(g, signal.SIGKILL)
    except OSError:
        pass
if not keep:
    shutil.rmtree(workdir, ignore_errors=True)
"""


def _die_with_parent():
    """In the child before exec: SIGKILL it when the harness dies, even by SIGKILL (Linux
    PR_SET_PDEATHSIG), so a test killed from outside (ctest timeout) leaves no process behind."""
    try:
        import ctypes
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except OSError:
        pass


class Proc:
    """A child process in its own process group; stdout+stderr go to `log_path`."""

    def __init__(self, name, argv, log_path, cwd=None, env=None, ip=None, port=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.ip = ip
        self.port = port
        self.extra = {}
        self._log = open(log_path, 'wb')
        self.started = time.monotonic()
        self.popen = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, cwd=cwd, env=env,
                                      start_new_session=True, preexec_fn=_die_with_parent)
        self.pid = self.popen.pid

    def text(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def lines(self):
        return self.text().splitlines()

    def tail(self, n=30):
        return '\n'.join(self.lines()[-n:])

    def alive(self):
        return self.popen.poll() is None

    def returncode(self):
        return self.popen.poll()

    def wait(self, timeout):
        """Wait for exit; returns the exit code, or None on timeout (process left running)."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_for(self, pattern, timeout, fail_if_exit=True):
        """Wait until a log line matches regex `pattern`; returns the re.Match (last match)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = None
            for line in self.lines():
                mm = rx.search(line)
                if mm:
                    m = mm
            if m:
                return m
            if fail_if_exit and not self.alive():
                raise TestFailure(f'{self.name} exited (code {self.returncode()}) before printing /{pattern}/')
            if time.monotonic() > deadline:
                raise TestFailure(f'{self.name}: no line matching /{pattern}/ within {timeout:.0f} s')
            time.sleep(0.1)

    def last_match(self, pattern):
        rx = re.compile(pattern)
        m = None
        for line in self.lines():
            mm = rx.search(line)
            if mm:
                m = mm
        return m

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def kill9(self):
        """SIGKILL the whole group and reap it."""
        self.signal_group(signal.SIGKILL)
        self.wait(10)

    def stop(self, grace=3.0):
        """SIGTERM the group, then SIGKILL it after `grace` seconds; always reaps."""
        if self.alive():
            self.signal_group(signal.SIGTERM)
            if self.wait(grace) is None:
                self.signal_group(signal.SIGKILL)
                self.wait(10)
        # Children that outlived the leader still belong to the group.
        self.signal_group(signal.SIGKILL)
        try:
            self._log.close()
        except OSError:
            pass


class Harness:
    """One test run: a work dir, ports, addresses and every process started; cleans up on close."""

    def __init__(self, name, keep=False):
        self.name = name
        self.keep = keep
        self.workdir = tempfile.mkdtemp(prefix=f'tessera-{name}-', dir='/tmp')
        self.procs = []
        self._next_ip = 2
        self._ports = set()
        self._closed = False
        self.failed = False
        self._pgids_path = os.path.join(self.workdir, '.pgids')
        open(self._pgids_path, 'w').close()
        self._watchdog = subprocess.Popen(
            [sys.executable, '-c', _WATCHDOG, str(os.getpid()), self._pgids_path, self.workdir,
             '1' if keep or os.environ.get('TESSERA_INTEROP_KEEP') else '0'],
            stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.close)
        self._old_term = signal.signal(signal.SIGTERM, self._on_signal)
        log(f'work dir {self.workdir}')

    def _on_signal(self, signum, _frame):
        self.failed = True
        raise SystemExit(128 + signum)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and not (exc_type is SystemExit and exc.code in (0, None)):
            self.failed = True
        self.close()
        return False

    def path(self, *parts):
        p = os.path.join(self.workdir, *parts)
        return p

    def mkdir(self, *parts):
        p = self.path(*parts)
        os.makedirs(p, exist_ok=True)
        return p

    def next_ip(self):
        """A fresh 127.0.0.x address (x from 2 up) for one client."""
        check(self._next_ip < 255, 'out of 127.0.0.x addresses')
        ip = f'127.0.0.{self._next_ip}'
        self._next_ip += 1
        return ip

    def free_port(self, ip='127.0.0.1'):
        """A port free for both TCP and UDP on `ip`, not handed out before by this harness."""
        for _ in range(200):
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                t.bind((ip, 0))
                port = t.getsockname()[1]
                u.bind((ip, port))
            except OSError:
                continue
            finally:
                t.close()
                u.close()
            if port not in self._ports and port >= 1024:
                self._ports.add(port)
                return port
        raise TestFailure('no free port found')

    def spawn(self, name, argv, cwd=None, env=None, ip=None, port=None):
        log_path = self.path(f'{name}.log')
        n = 1
        while os.path.exists(log_path):
            n += 1
            log_path = self.path(f'{name}.{n}.log')
        # tessera's default --state-dir is $XDG_STATE_HOME/tessera: keep every process's state
        # (resume data, fetched .torrent files) inside this test's work dir.
        env = dict(os.environ if env is None else env)
        env.setdefault('XDG_STATE_HOME', self.path(STATE_SUBDIR, 'xdg'))
        p = Proc(name, argv, log_path, cwd=cwd, env=env, ip=ip, port=port)
        self.procs.append(p)
        with open(self._pgids_path, 'a') as f:
            f.write(f'{p.pid}\n')
        log(f'started {name} pid {p.pid}' + (f' on {ip}:{port}' if ip else '') + f' log {log_path}')
        return p

    def print_logs(self, n=40):
        for p in self.procs:
            print(f'----- {p.name} (exit {p.returncode()}) {p.log_path}: last {n} lines -----')
            print(p.tail(n))
        print('-----', flush=True)

    def close(self):
        if self._closed:
            return
        self._closed = True
        for p in reversed(self.procs):
            p.stop()
        self._watchdog.kill()
        self._watchdog.wait()
        if self.failed:
            self.print_logs()
        try:
            signal.signal(signal.SIGTERM, self._old_term)
        except (ValueError, TypeError):
            pass
        if self.keep or os.environ.get('TESSERA_INTEROP_KEEP'):
            log(f'kept work dir {self.workdir}')
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)


# ----------------------------------------------------------------------------------------------
# sanitizer builds (CI runs part of this suite with an ASan+UBSan tessera)

_SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'WARNING: ThreadSanitizer',
                      'SUMMARY: UndefinedBehaviorSanitizer', ': runtime error: ')
_sanitizer_cache = {}


def sanitizer_of(binary):
    """'address' for an ASan(+UBSan) build of `binary`, 'thread' for TSan, None otherwise."""
    if binary not in _sanitizer_cache:
        kind = None
        markers = ((b'__asan_init', 'address'), (b'__tsan_init', 'thread'))
        try:  # scanned in 1 MiB chunks: an ASan tessera is ~240 MB
            with open(binary, 'rb') as f:
                tail = b''
                while kind is None and (chunk := f.read(1 << 20)):
                    window = tail + chunk
                    kind = next((k for m, k in markers if m in window), None)
                    tail = window[-16:]
        except OSError:
            pass
        _sanitizer_cache[binary] = kind
    return _sanitizer_cache[binary]


def rss_bound_mib(binary, mib):
    """The peak-RSS bound, `mib` MiB, to check `binary` against; math.inf (nothing to check) for a
    sanitized build. An ASan process's RSS is mostly shadow memory, redzones, its stack depot and
    up to 256 MiB of freed blocks held in quarantine (measured: 200 MiB at the start of a 16 MiB
    download), so it says nothing about what the engine holds. The sanitized pass checks these
    tests for sanitizer findings; the plain build's pass checks the bounds."""
    if sanitizer_of(binary) is None:
        return mib
    log(f'{sanitizer_of(binary)}-sanitized tessera: the {mib} MiB peak-RSS bound is not checked')
    return math.inf


def sanitizer_reports(h):
    """Lines of every process log that report a sanitizer finding (an ASan/LSan/TSan error or a
    UBSan runtime error), as 'name: line'."""
    found = []
    for p in h.procs:
        for line in p.lines():
            if any(m in line for m in _SANITIZER_MARKERS):
                found.append(f'{p.name}: {line.strip()}')
    return found


def common_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument('--tessera', default=os.environ.get('TESSERA_BIN', ''),
                    help='path to the tessera binary (needed with --leecher tessera)')
    ap.add_argument('--leecher', choices=['tessera', 'aria2', 'libtorrent'], default='tessera')
    ap.add_argument('--keep', action='store_true', help='keep the work dir and logs')
    return ap


def run_test(name, body, args):
    """Run body(h, args) in a Harness; print PASS/FAIL and exit 0/1."""
    if args.leecher == 'tessera' and not (args.tessera and os.access(args.tessera, os.X_OK)):
        print(f'FAIL {name}: tessera binary not found or not executable: {args.tessera!r}')
        sys.exit(1)
    t0 = time.monotonic()
    h = Harness(name, keep=args.keep)
    try:
        body(h, args)
        for p in h.procs:  # stop everything first: LeakSanitizer reports at exit
            p.stop()
        reports = sanitizer_reports(h)
        check(not reports, 'sanitizer reports:\n  ' + '\n  '.join(reports[:20]))
    except TestFailure as e:
        h.failed = True
        h.close()
        print(f'FAIL {name} (leecher {args.leecher}): {e}', flush=True)
        sys.exit(1)
    except BaseException:
        h.failed = True
        h.close()
        raise
    h.close()
    print(f'PASS {name} (leecher {args.leecher}) in {time.monotonic() - t0:.1f} s', flush=True)
    sys.exit(0)


# ----------------------------------------------------------------------------------------------
# payloads and torrents

def multi_file_layout(total, piece_size):
    """>= 4 files in nested folders; total not a multiple of piece_size; boundaries mid-piece."""
    small = 1000 + 7
    rest = total - small
    a = rest * 45 // 100 + 333
    b = rest * 30 // 100 + 5
    c = rest - a - b
    layout = [('docs/readme.txt', small), ('data/a.bin', a), ('data/sub/b.bin', b),
              ('data/sub/deeper/c.bin', c)]
    if sum(s for _, s in layout) % piece_size == 0:
        layout[0] = ('docs/readme.txt', small + 1)
    return layout


def many_files_layout(total, count):
    """`count` files in a few nested folders, sizes varying around total/count."""
    base = total // count
    rng = random.Random(count)
    sizes = [max(1, base + rng.randint(-base // 4, base // 4)) for _ in range(count - 1)]
    last = total - sum(sizes)
    if last <= 0:
        sizes = [base] * (count - 1)
        last = total - base * (count - 1)
    sizes.append(last)
    return [(f'dir{i % 7}/sub{i % 3}/file{i:04d}.bin', s) for i, s in enumerate(sizes)]


def _write_file(path, size, seed, fast):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    rng = random.Random(seed)
    chunk = 1 * MIB
    with open(path, 'wb') as f:
        if fast:
            # One random 4 MiB block, read at a different offset for each chunk, plus a chunk
            # counter: fast to make at GiB sizes, and no two chunks alike.
            block = rng.randbytes(4 * MIB + chunk)
            off = 0
            i = 0
            while off < size:
                n = min(chunk, size - off)
                start = (i * 1000003 + seed) % (4 * MIB)
                data = bytearray(block[start:start + n])
                if n >= 8:
                    data[0:8] = ((i << 20) ^ seed).to_bytes(8, 'little')
                f.write(data)
                off += n
                i += 1
        else:
            left = size
            while left:
                n = min(chunk, left)
                f.write(rng.randbytes(n))
                left -= n


def make_payload(root, layout, seed=1, fast=False):
    """Write deterministic pseudo-random files under directory `root`.

    layout: list of (relative path, size in bytes). Returns the total size."""
    os.makedirs(root, exist_ok=True)
    total = 0
    for i, (rel, size) in enumerate(layout):
        _write_file(os.path.join(root, rel), size, seed * 1000 + i, fast)
        total += size
    return total


class TorrentFile:
    """What the tests need to know about a .torrent made by make_torrent."""

    def __init__(self, path):
        self.path = path
        self.ti = lt.torrent_info(path)
        self.info_hash = bytes.fromhex(str(self.ti.info_hash()))
        self.info_hash_hex = str(self.ti.info_hash())
        self.num_pieces = self.ti.num_pieces()
        self.piece_length = self.ti.piece_length()
        self.total_size = self.ti.total_size()
        self.name = self.ti.name()


def make_torrent(content, torrent_path, trackers, piece_size):
    """v1-only .torrent of file or directory `content` (its basename is the torrent's name).

    trackers: list of announce URLs, or list of lists (tiers). Returns a TorrentFile."""
    fs = lt.file_storage()
    lt.add_files(fs, content)
    check(fs.num_files() > 0, f'no files under {content}')
    ct = lt.create_torrent(fs, piece_size, flags=lt.create_torrent.v1_only)
    for tier, urls in enumerate(trackers):
        for url in ([urls] if isinstance(urls, str) else urls):
            ct.add_tracker(url, tier)
    ct.set_creator('tessera interop harness')
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(content)))
    with open(torrent_path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    t = TorrentFile(torrent_path)
    check(t.ti.files().num_files() == fs.num_files(), 'unexpected pad files in v1 torrent')
    return t


def torrent_file_paths(t, save_path):
    fs = t.ti.files()
    return [(os.path.join(save_path, fs.file_path(i)), fs.file_size(i)) for i in range(fs.num_files())]


def verified_pieces(t, save_path):
    """How many pieces of torrent `t` under `save_path` match their SHA-1 (missing bytes = zero)."""
    files = torrent_file_paths(t, save_path)
    plen = t.piece_length
    good = 0
    buf = bytearray()
    piece = 0
    for path, size in files:
        try:
            f = open(path, 'rb')
        except OSError:
            f = None
        left = size
        while left:
            want = min(plen - len(buf), left)
            data = f.read(want) if f else b''
            if len(data) < want:
                data = data + bytes(want - len(data))
            buf += data
            left -= want
            if len(buf) == plen:
                if hashlib.sha1(buf).digest() == bytes(t.ti.hash_for_piece(piece)):
                    good += 1
                piece += 1
                buf = bytearray()
        if f:
            f.close()
    if buf:
        if hashlib.sha1(buf).digest() == bytes(t.ti.hash_for_piece(piece)):
            good += 1
    return good


def compare_trees(src, dst):
    """Byte-for-byte comparison of every file under src with the same path under dst.

    Raises TestFailure naming the first difference; also fails on extra files in dst."""
    problems = []
    src_files = set()
    for dirpath, _dirs, files in os.walk(src):
        for fn in files:
            rel = os.path.relpath(os.path.join(dirpath, fn), src)
            src_files.add(rel)
            a = os.path.join(src, rel)
            b = os.path.join(dst, rel)
            if not os.path.isfile(b):
                problems.append(f'missing {rel}')
                continue
            sa, sb = os.path.getsize(a), os.path.getsize(b)
            if sa != sb:
                problems.append(f'{rel}: size {sb}, expected {sa}')
                continue
            with open(a, 'rb') as fa, open(b, 'rb') as fb:
                off = 0
                while True:
                    x = fa.read(MIB)
                    y = fb.read(MIB)
                    if x != y:
                        i = next(k for k in range(min(len(x), len(y))) if x[k] != y[k]) \
                            if len(x) == len(y) else min(len(x), len(y))
                        problems.append(f'{rel}: first difference at byte {off + i}')
                        break
                    if not x:
                        break
                    off += len(x)
    for dirpath, _dirs, files in os.walk(dst):
        for fn in files:
            rel = os.path.relpath(os.path.join(dirpath, fn), dst)
            if rel not in src_files:
                problems.append(f'extra file {rel}')
    check(not problems, 'downloaded tree differs: ' + '; '.join(problems[:10]))
    return len(src_files)


# ----------------------------------------------------------------------------------------------
# tracker

class Tracker:
    def __init__(self, proc, port, h=None, info_hashes=()):
        self.proc = proc
        self.port = port
        self._h = h
        self._info_hashes = list(info_hashes)
        self.http_url = f'http://127.0.0.1:{port}/announce'
        self.udp_url = f'udp://127.0.0.1:{port}/announce'

    def scrape(self, info_hash):
        """(complete, incomplete) for info_hash (20 bytes), via HTTP scrape."""
        url = f'http://127.0.0.1:{self.port}/scrape?info_hash=' + urllib.parse.quote_from_bytes(info_hash)
        with urllib.request.urlopen(url, timeout=5) as r:
            d = lt.bdecode(r.read())
        st = (d or {}).get(b'files', {}).get(info_hash)
        if not st:
            return 0, 0
        return st.get(b'complete', 0), st.get(b'incomplete', 0)

    def restart(self):
        """A fresh opentracker on the same port: forgets every peer (new swarm, same torrent)."""
        self.proc.stop()
        fresh = start_opentracker(self._h, self._info_hashes, self.port)
        self.proc = fresh.proc

    def wait_seeders(self, info_hash, n, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            c, _ = self.scrape(info_hash)
            if c >= n:
                log(f'tracker sees {c} seeder(s)')
                return
            if time.monotonic() > deadline:
                raise TestFailure(f'tracker saw {c} seeder(s), expected {n}, after {timeout} s')
            time.sleep(0.3)


def start_opentracker(h, info_hashes, port=None):
    """opentracker on 127.0.0.1, TCP (HTTP) and UDP on one `port` (default: a free one; pass
    h.free_port() reserved earlier when the .torrent must name the tracker first).

    Debian's opentracker is built in whitelist mode: only the listed info hashes are tracked.
    It chroots to -d, so the whitelist file lives inside that dir and -w names it from there."""
    d = h.mkdir('tracker')
    with open(os.path.join(d, 'whitelist'), 'w') as f:
        for ih in info_hashes:
            f.write((ih.hex() if isinstance(ih, bytes) else ih) + '\n')
    port = port or h.free_port('127.0.0.1')
    p = h.spawn('opentracker', ['/usr/bin/opentracker', '-i', '127.0.0.1', '-p', str(port),
                                '-P', str(port), '-d', d, '-w', '/whitelist'], cwd=d,
                ip='127.0.0.1', port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                break
        except OSError:
            if not p.alive() or time.monotonic() > deadline:
                raise TestFailure('opentracker did not start')
            time.sleep(0.1)
    return Tracker(p, port, h, info_hashes)


# ----------------------------------------------------------------------------------------------
# seeders

# tessera arguments for tests whose hand-made peers (peers/hostile_peer.py, liar_peer.py,
# bad_hashes_peer.py) speak plaintext BEP 3 only: with the default MSE attempt first, their first
# connection would be the MSE exchange they cannot read (test_encryption covers MSE).
PLAINTEXT = ['--encryption', 'disabled']


def start_lt_seed(h, t, save_path, upload_limit=0, recheck=False, name='lt_seed', enc=None, connect=None,
                  transport=None):
    """enc: lt_seed.py --enc (plaintext | forced); connect: ip:port it dials itself; transport:
    lt_seed.py --transport (utp | both)."""
    ip = h.next_ip()
    port = h.free_port(ip)
    argv = [PYTHON, '-u', os.path.join(PEERS_DIR, 'lt_seed.py'), '--torrent', t.path,
            '--save-path', save_path, '--ip', ip, '--port', str(port),
            '--upload-limit', str(upload_limit)]
    if recheck:
        argv.append('--recheck')
    if enc:
        argv += ['--enc', enc]
    if connect:
        argv += ['--connect', connect]
    if transport:
        argv += ['--transport', transport]
    p = h.spawn(name, argv, ip=ip, port=port)
    p.kind = 'libtorrent'
    return p


def lt_seed_uploaded(p):
    m = p.last_match(r'lt_seed: uploaded (\d+)')
    return int(m.group(1)) if m else 0


def _json_rpc(url, payload, headers=None, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                 headers={'Content-Type': 'application/json', **(headers or {})})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def _aria2_argv(h, name, ip, port, directory):
    """aria2c options shared by the seeder and the leecher: one address, TCP only, no LPD/PEX.

    --interface binds its listen socket and its outgoing connections to `ip`. aria2c sends UDP
    tracker announces only through its DHT socket ("udp is not supported yet" otherwise), so
    DHT is on, with a routing table file of our own that starts empty and no entry points: it
    never contacts a DHT node, and announces over UDP from `ip`."""
    dht_port = h.free_port(ip)
    return ['aria2c', '-V', f'--dir={directory}', f'--interface={ip}', f'--listen-port={port}',
            '--enable-dht=true', f'--dht-listen-port={dht_port}',
            f'--dht-file-path={h.path(name + ".dht.dat")}', '--enable-dht6=false',
            '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--file-allocation=none',
            '--allow-overwrite=true', '--auto-file-renaming=false', '--bt-max-peers=0',
            '--console-log-level=notice', '--enable-color=false', '--disable-ipv6=true',
            f'--stop-with-process={os.getpid()}']


def start_aria2_seed(h, t, save_path, upload_limit=0, name='aria2_seed'):
    """aria2c seeding forever (--seed-ratio=0.0, no --seed-time), hashing the data first (-V).

    --interface binds both its listen socket and its outgoing connections to its 127.0.0.x.
    Its JSON-RPC listens on 127.0.0.1:<p.extra['rpc_port']> (aria2_uploaded reads it)."""
    ip = h.next_ip()
    port = h.free_port(ip)
    rpc_port = h.free_port('127.0.0.1')
    argv = _aria2_argv(h, name, ip, port, save_path) + [
        '--seed-ratio=0.0', '--bt-seed-unverified=false',
        f'--max-overall-upload-limit={upload_limit}', '--summary-interval=5',
        '--enable-rpc=true', '--rpc-listen-all=false', f'--rpc-listen-port={rpc_port}', t.path]
    p = h.spawn(name, argv, ip=ip, port=port)
    p.kind = 'aria2'
    p.extra['rpc_port'] = rpc_port
    return p


def aria2_status(p):
    """aria2.tellActive of a running aria2c: list of dicts (uploadLength, completedLength ...)."""
    url = f'http://127.0.0.1:{p.extra["rpc_port"]}/jsonrpc'
    r = _json_rpc(url, {'jsonrpc': '2.0', 'id': '1', 'method': 'aria2.tellActive',
                        'params': [['gid', 'status', 'uploadLength', 'completedLength',
                                    'totalLength', 'numSeeders', 'connections']]})
    return r.get('result', [])


def aria2_uploaded(p):
    return sum(int(x.get('uploadLength', 0)) for x in aria2_status(p))


def aria2_wait_seeding(p, t, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        try:
            st = aria2_status(p)
            if st and int(st[0]['completedLength']) == t.total_size:
                return
        except OSError:
            pass
        if not p.alive():
            raise TestFailure(f'{p.name} exited with {p.returncode()}')
        if time.monotonic() > deadline:
            raise TestFailure(f'{p.name} not seeding after {timeout} s')
        time.sleep(0.3)


class Transmission:
    """transmission-daemon (foreground) with its own config dir, driven over its JSON RPC."""

    def __init__(self, h, download_dir, upload_limit_kib=0, name='transmission', encryption=0, utp=False):
        """encryption: settings.json's 0 (tolerated), 1 (preferred) or 2 (required); utp: uTP on."""
        self.ip = h.next_ip()
        self.port = h.free_port(self.ip)
        self.rpc_port = h.free_port('127.0.0.1')
        self.url = f'http://127.0.0.1:{self.rpc_port}/transmission/rpc'
        self.session_id = ''
        cfg = h.mkdir(f'{name}-config')
        settings = {
            'bind-address-ipv4': self.ip,
            'bind-address-ipv6': '::1',
            'peer-port': self.port,
            'peer-port-random-on-start': False,
            'port-forwarding-enabled': False,
            'utp-enabled': utp,
            'dht-enabled': False,
            'lpd-enabled': False,
            'pex-enabled': False,
            'encryption': encryption,
            'rpc-enabled': True,
            'rpc-bind-address': '127.0.0.1',
            'rpc-port': self.rpc_port,
            'rpc-whitelist': '127.0.0.1',
            'rpc-whitelist-enabled': True,
            'rpc-host-whitelist-enabled': False,
            'rpc-authentication-required': False,
            'download-dir': download_dir,
            'incomplete-dir-enabled': False,
            'watch-dir-enabled': False,
            'ratio-limit-enabled': False,
            'idle-seeding-limit-enabled': False,
            'speed-limit-up-enabled': bool(upload_limit_kib),
            'speed-limit-up': upload_limit_kib or 100,
            'speed-limit-down-enabled': False,
            'alt-speed-enabled': False,
            'peer-limit-global': 200,
            'peer-limit-per-torrent': 100,
            'start-added-torrents': True,
            'message-level': 2,
            'umask': 18,
        }
        with open(os.path.join(cfg, 'settings.json'), 'w') as f:
            json.dump(settings, f, indent=1)
        self.proc = h.spawn(name, ['transmission-daemon', '-f', '-g', cfg], ip=self.ip, port=self.port)
        self.proc.kind = 'transmission'
        deadline = time.monotonic() + 15
        while True:
            try:
                self.rpc('session-get')
                break
            except OSError:
                if not self.proc.alive() or time.monotonic() > deadline:
                    raise TestFailure('transmission-daemon RPC did not come up')
                time.sleep(0.2)

    def rpc(self, method, **arguments):
        """One RPC call, with the X-Transmission-Session-Id handshake (409 -> retry)."""
        body = {'method': method, 'arguments': arguments}
        for _ in range(3):
            try:
                r = _json_rpc(self.url, body, {'X-Transmission-Session-Id': self.session_id})
                if r.get('result') != 'success':
                    raise TestFailure(f'transmission {method}: {r.get("result")}')
                return r.get('arguments', {})
            except urllib.error.HTTPError as e:
                if e.code == 409:
                    self.session_id = e.headers.get('X-Transmission-Session-Id', '')
                    continue
                raise
        raise TestFailure('transmission RPC session id handshake failed')

    def add(self, t):
        with open(t.path, 'rb') as f:
            meta = base64.b64encode(f.read()).decode()
        r = self.rpc('torrent-add', metainfo=meta, paused=False)
        tor = r.get('torrent-added') or r.get('torrent-duplicate')
        self.tid = tor['id']
        self.rpc('torrent-verify', ids=[self.tid])
        return self.tid

    def status(self, fields=('status', 'percentDone', 'uploadedEver', 'peers', 'peersConnected',
                             'haveValid', 'error', 'errorString', 'trackerStats')):
        r = self.rpc('torrent-get', ids=[self.tid], fields=list(fields))
        return r['torrents'][0]

    def wait_seeding(self, timeout=120):
        """Until verified complete and seeding (status 6)."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status()
            if st['status'] == 6 and st['percentDone'] == 1:
                return
            if time.monotonic() > deadline:
                raise TestFailure(f'transmission not seeding after {timeout} s: {st}')
            time.sleep(0.3)


# ----------------------------------------------------------------------------------------------
# leechers (all print the tessera CLI contract lines, except aria2c)

def tessera_state_dir_args(h, out_dir, extra=()):
    """['--state-dir', DIR] unless `extra` already has a --state-dir: every tessera the harness
    starts keeps its resume data in the test's work dir, never in the shared
    ~/.local/state/tessera (a resume file left there by another test or run would change what a
    fresh download finds). DIR is `<work dir>/state/<out_dir relative to the work dir, / -> _>-state`
    (STATE_SUBDIR), keyed by the download directory, so a tessera restarted on the same
    directory (test_resume, test_crash_resume) finds the resume data of the one before, as a
    user's would."""
    if any(str(a) == '--state-dir' or str(a).startswith('--state-dir=') for a in extra):
        return []
    rel = os.path.relpath(os.path.abspath(out_dir), h.workdir)
    if rel.startswith('..'):
        rel = 'ext-' + hashlib.sha1(os.path.abspath(out_dir).encode()).hexdigest()[:12]
    return ['--state-dir', h.path(STATE_SUBDIR, rel.replace(os.sep, '_') + '-state')]


def tessera_interface_args(ip, extra=()):
    """['--interface', ip] unless `extra` already has an --interface. tessera dials loopback peers
    heard from trackers, the DHT, LSD and PEX only when its own listen interface is a loopback
    address (docs/hardening.md); every swarm here is on loopback."""
    if any(str(a) == '--interface' or str(a).startswith('--interface=') for a in extra):
        return []
    return ['--interface', ip]


def start_leecher(h, kind, t, out_dir, tessera=None, peers=(), timeout=600, name=None, extra=(),
                  wrap=()):
    """Start a leecher of `kind` (tessera | aria2 | libtorrent) downloading t into out_dir.

    wrap: argv prefix, e.g. ['/usr/bin/time', '-o', path, ...]."""
    os.makedirs(out_dir, exist_ok=True)
    name = name or f'{kind}_leech'
    if kind == 'tessera':
        ip = '127.0.0.1'
        port = h.free_port(ip)
        # --no-lsd: test_lsd_libtorrent covers LSD. --interface (tessera_interface_args): peers on
        # loopback from trackers, the DHT and PEX are dialled only when tessera is on loopback.
        argv = [tessera, 'download', t.path, '-o', out_dir, '--port', str(port), '--no-lsd']
        argv += tessera_interface_args(ip, extra)
        for pe in peers:
            argv += ['--peer', pe]
        argv += list(extra) + tessera_state_dir_args(h, out_dir, extra)
    elif kind == 'libtorrent':
        ip = h.next_ip()
        port = h.free_port(ip)
        argv = [PYTHON, '-u', os.path.join(PEERS_DIR, 'lt_leech.py'), '--torrent', t.path,
                '--save-path', out_dir, '--ip', ip, '--port', str(port), '--timeout', str(timeout)]
        for pe in peers:
            argv += ['--peer', pe]
    elif kind == 'aria2':
        ip = h.next_ip()
        port = h.free_port(ip)
        argv = _aria2_argv(h, name, ip, port, out_dir) + [
            '--seed-time=0', '--summary-interval=1', f'--bt-stop-timeout={int(timeout)}', t.path]
    else:
        raise ValueError(kind)
    p = h.spawn(name, list(wrap) + argv, ip=ip, port=port)
    p.kind = kind
    return p


def leecher_checked(p, timeout=60):
    """(H, N) from the `checked H/N pieces already present` line (tessera, lt_leech)."""
    m = p.wait_for(r'checked (\d+)/(\d+) pieces already present', timeout, fail_if_exit=False)
    return int(m.group(1)), int(m.group(2))


def leecher_downloaded(p):
    """Payload bytes from the final `complete ...: downloaded <bytes> bytes` line, or None."""
    m = p.last_match(r'complete .*downloaded (\d+) bytes')
    return int(m.group(1)) if m else None


def leecher_progress(p, t, out_dir):
    """Fraction done in [0, 1]: from the last `progress` line (its `pct%`, else an `H/N`),
    ignoring `progress checking ...` lines; for aria2c, which prints none, from the allocated
    bytes under out_dir (it writes sparse files with --file-allocation=none). Never from disk
    usage for the others: a client that preallocates would look done at once."""
    m = p.last_match(r'^progress\s+(?!checking).*')
    if m:
        line = m.group(0)
        mp = re.search(r'(\d+(?:\.\d+)?)%', line)
        if mp:
            return float(mp.group(1)) / 100.0
        mh = re.search(r'(\d+)/(\d+)', line)
        if mh and int(mh.group(2)):
            return int(mh.group(1)) / int(mh.group(2))
    if getattr(p, 'kind', '') != 'aria2':
        return 0.0
    used = 0
    for dirpath, _dirs, files in os.walk(out_dir):
        for fn in files:
            try:
                used += os.stat(os.path.join(dirpath, fn)).st_blocks * 512
            except OSError:
                pass
    return min(1.0, used / max(1, t.total_size))


def wait_leecher(p, timeout):
    """Wait for the leecher to exit 0 within timeout; raise TestFailure otherwise."""
    rc = p.wait(timeout)
    check(rc is not None, f'{p.name} did not finish within {timeout} s')
    check(rc == 0, f'{p.name} exited with code {rc}')
    return time.monotonic() - p.started


# ----------------------------------------------------------------------------------------------
# tessera with global options and a working directory of its own (hostile-peer tests)

def start_tessera_download(h, tessera, t, out_dir, peers=(), log_level=None, cwd=None,
                           name='tessera_leech', extra=()):
    """`tessera [--log-level L] download t -o out_dir --port P [--peer X]... [extra]`, run in `cwd`
    (default: a fresh empty dir `<name>-cwd` in the work dir, so files written outside out_dir
    show up there). stdout and stderr go to the process log. Returns the Proc (kind 'tessera')."""
    os.makedirs(out_dir, exist_ok=True)
    if cwd is None:
        cwd = h.mkdir(f'{name}-cwd')
    port = h.free_port('127.0.0.1')
    argv = [tessera]
    if log_level:
        argv += ['--log-level', log_level]
    # --no-lsd: test_lsd_libtorrent covers LSD; --interface: see tessera_interface_args.
    argv += ['download', t.path, '-o', out_dir, '--port', str(port), '--no-lsd']
    argv += tessera_interface_args('127.0.0.1', extra)
    for pe in peers:
        argv += ['--peer', pe]
    argv += list(extra) + tessera_state_dir_args(h, out_dir, extra)
    p = h.spawn(name, argv, cwd=cwd, ip='127.0.0.1', port=port)
    p.kind = 'tessera'
    p.extra['cwd'] = cwd
    return p


def start_tessera_on(h, tessera, t, out, port, name, verb='download', extra=()):
    """`tessera --log-level info VERB t -o out` listening on 127.0.0.1:port with no DHT, no LSD and
    no peer to dial: it waits to be dialled (VERB download) or seeds out (VERB seed)."""
    os.makedirs(out, exist_ok=True)
    argv = [tessera, '--log-level', 'info', verb, t.path, '-o', out, '--port', str(port),
            '--no-lsd', '--no-dht', '--interface', '127.0.0.1'] + list(extra)
    argv += tessera_state_dir_args(h, out, extra)
    p = h.spawn(name, argv, ip='127.0.0.1', port=port)
    p.kind = 'tessera'
    return p


def time_wrap(path):
    """argv prefix timing a process with /usr/bin/time into `path` (read back by read_time)."""
    return ['/usr/bin/time', '-f', 'TIME %e %U %S %M', '-o', path]


def read_time(path):
    """(wall s, CPU s = user + sys, max RSS KiB) from a time_wrap file."""
    with open(path) as f:
        parts = [x for x in f.read().split('\n') if x.startswith('TIME ')][-1].split()
    return float(parts[1]), float(parts[2]) + float(parts[3]), int(parts[4])


def same_file(a, b):
    """True when the two files hold the same bytes (read 4 MiB at a time)."""
    with open(a, 'rb') as x, open(b, 'rb') as y:
        while True:
            p, q = x.read(1 << 22), y.read(1 << 22)
            if p != q:
                return False
            if not p:
                return True


def snapshot_files(root, skip=()):
    """Set of relative paths of every file and directory under root, except those under any of
    the absolute paths in `skip`."""
    out = set()
    skip = [os.path.abspath(s) for s in skip]
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.abspath(os.path.join(dirpath, d)) not in skip]
        for n in dirs + files:
            full = os.path.join(dirpath, n)
            if os.path.abspath(full) in skip:
                continue
            out.add(os.path.relpath(full, root))
    return out


# ----------------------------------------------------------------------------------------------
# mixed swarm (test_mixed_swarm.py): leechers that keep serving and report per-peer rates

def start_aria2_leech_rpc(h, t, out_dir, seed_minutes=0.0, timeout=120, name='aria2_leech'):
    """aria2c leecher with JSON-RPC on 127.0.0.1:<p.extra['rpc_port']>, so aria2_status,
    aria2_uploaded and aria2_peers can read it while it runs. After completion it seeds for
    `seed_minutes` (fractional minutes; 0 = exit on completion), then exits 0."""
    os.makedirs(out_dir, exist_ok=True)
    ip = h.next_ip()
    port = h.free_port(ip)
    rpc_port = h.free_port('127.0.0.1')
    argv = _aria2_argv(h, name, ip, port, out_dir) + [
        f'--seed-time={seed_minutes}', '--summary-interval=1', f'--bt-stop-timeout={int(timeout)}',
        '--enable-rpc=true', '--rpc-listen-all=false', f'--rpc-listen-port={rpc_port}', t.path]
    p = h.spawn(name, argv, ip=ip, port=port)
    p.kind = 'aria2'
    p.extra['rpc_port'] = rpc_port
    return p


def aria2_peers(p):
    """aria2.getPeers of every active download of a running aria2c: list of dicts with ip, port,
    downloadSpeed (bytes/s from that peer), uploadSpeed (bytes/s to it), seeder ..."""
    url = f'http://127.0.0.1:{p.extra["rpc_port"]}/jsonrpc'
    out = []
    for st in aria2_status(p):
        r = _json_rpc(url, {'jsonrpc': '2.0', 'id': '2', 'method': 'aria2.getPeers',
                            'params': [st['gid']]})
        out.extend(r.get('result', []))
    return out


def tracker_peer_list(tracker, info_hash, source_ip='127.0.0.254'):
    """The peers opentracker hands out for info_hash, as a list of 'ip:port', by one HTTP announce
    sent from `source_ip` (a 127.0.0.x no client uses) with port 1, followed by a `stopped`
    announce that removes this fake peer again. Only call it after the clients' first announces:
    a client announcing in between may be handed 127.0.0.x:1 (it would get a refused connection)."""
    import http.client
    peer_id = b'-XX0000-' + os.urandom(6).hex().encode()[:12]
    q = lambda ev: ('/announce?info_hash=' + urllib.parse.quote_from_bytes(info_hash) +
                    '&peer_id=' + urllib.parse.quote_from_bytes(peer_id) +
                    f'&port=1&uploaded=0&downloaded=0&left=1&compact=1&numwant=200&event={ev}')
    peers = []
    for ev in ('started', 'stopped'):
        c = http.client.HTTPConnection('127.0.0.1', tracker.port, timeout=5,
                                       source_address=(source_ip, 0))
        try:
            c.request('GET', q(ev))
            body = c.getresponse().read()
        finally:
            c.close()
        if ev == 'started':
            d = lt.bdecode(body) or {}
            raw = d.get(b'peers', b'')
            if isinstance(raw, bytes):
                for i in range(0, len(raw) - len(raw) % 6, 6):
                    peers.append(f'{socket.inet_ntoa(raw[i:i + 4])}:{int.from_bytes(raw[i + 4:i + 6], "big")}')
            else:
                for e in raw:
                    peers.append(f'{e[b"ip"].decode()}:{e[b"port"]}')
    return [x for x in peers if not x.startswith(f'{source_ip}:')]


# ----------------------------------------------------------------------------------------------
# tessera's daemon and the Transmission clients that drive it

def start_tessera_daemon(h, tessera, name='tessera_daemon', config_dir=None, download_dir=None,
                         settings=None, extra=(), rpc_port=None):
    """`tessera daemon` on 127.0.0.1: RPC and peer ports free ones (or `rpc_port`), no DHT and no
    LSD (nothing leaves loopback), peers on 127.0.0.1. `settings` are merged into the config
    dir's settings.json (kept across restarts: pass the same config_dir). Waits for the
    "RPC on" line; p.extra['rpc'] is "127.0.0.1:PORT", p.extra['url'] the RPC URL."""
    config_dir = config_dir or h.mkdir(f'{name}-config')
    download_dir = download_dir or h.mkdir(f'{name}-downloads')
    path = os.path.join(config_dir, 'settings.json')
    s = {}
    if os.path.exists(path):
        with open(path) as f:
            s = json.load(f)
    s.update({'dht-enabled': False, 'lpd-enabled': False, 'bind-address-ipv4': '127.0.0.1',
              'download-dir': download_dir})
    s.update(settings or {})
    with open(path, 'w') as f:
        json.dump(s, f)
    rpc_port = rpc_port or h.free_port('127.0.0.1')
    peer_port = h.free_port('127.0.0.1')
    argv = [tessera, 'daemon', '--config-dir', config_dir, '--rpc-port', str(rpc_port),
            '--port', str(peer_port)] + list(extra)
    p = h.spawn(name, argv, ip='127.0.0.1', port=rpc_port)
    p.kind = 'tessera'
    p.wait_for(r'tessera daemon: RPC on', 60)
    p.extra.update(rpc=f'127.0.0.1:{rpc_port}', url=f'http://127.0.0.1:{rpc_port}/transmission/rpc',
                   config_dir=config_dir, download_dir=download_dir, rpc_port=rpc_port)
    return p


def transmission_remote(daemon, *args, auth=None, timeout=60):
    """Runs Debian's transmission-remote 3.00 against `daemon` (a Proc with extra['rpc']);
    returns (exit code, stdout + stderr)."""
    argv = ['transmission-remote', daemon.extra['rpc']]
    if auth:
        argv += ['-n', auth]
    argv += list(args)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def remote_ok(daemon, *args, auth=None):
    """transmission-remote that must succeed; returns its output."""
    rc, out = transmission_remote(daemon, *args, auth=auth)
    check(rc == 0, f'transmission-remote {" ".join(args)}: exit {rc}: {out}')
    return out


def remote_list(daemon, auth=None):
    """`transmission-remote -l` parsed: {id: {'done': '100%', 'have': '301.0 kB', 'status': ..., 'name': ...}}."""
    out = remote_ok(daemon, '-l', auth=auth)
    rows = {}
    rx = re.compile(r'^\s*(\d+)\*?\s+(n/a|\d+%)\s+(None|[\d.]+ \w+)\s+(.+?)\s+([\d.]+)\s+([\d.]+)\s+'
                    r'(None|Inf|[\d.]+)\s+(Up & Down|Downloading|Seeding|Idle|Stopped|Finished|Queued|'
                    r'Will Verify|Verifying|Unknown)\s+(.*)$')
    for line in out.splitlines():
        m = rx.match(line)
        if m:
            rows[int(m.group(1))] = {'done': m.group(2), 'have': m.group(3), 'eta': m.group(4),
                                     'status': m.group(8), 'name': m.group(9).strip()}
    check('Sum:' in out, f'transmission-remote -l: no Sum line: {out}')
    return rows


def wait_remote(daemon, what, pred, timeout=120, auth=None):
    """Polls remote_list until pred(rows) holds; returns the rows."""
    deadline = time.monotonic() + timeout
    while True:
        rows = remote_list(daemon, auth=auth)
        if pred(rows):
            return rows
        if time.monotonic() > deadline:
            raise TestFailure(f'{what}: not within {timeout} s; last list: {rows}\n{daemon.tail()}')
        time.sleep(0.3)


def wait_port(ip, port, timeout=15):
    """Waits until a TCP server accepts on ip:port."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((ip, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TestFailure(f'nothing accepts on {ip}:{port} after {timeout} s')
            time.sleep(0.05)
