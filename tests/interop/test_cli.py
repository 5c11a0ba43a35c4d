#!/usr/bin/env python3
"""The command line's contract, with the real binary: `show` agrees with libtorrent on a
.torrent, v1, v2-only and hybrid (BEP 52: both info-hashes, every pieces root); `show` of a hostile .torrent (one path of 50,000 components) fails at once with a clear
error in bounded memory, and `show` never prints a control character from a .torrent; a missing
or malformed .torrent, an unwritable directory and unreachable trackers each give a one-line error
and their exit code; Ctrl+C (SIGINT) during a download exits 130 after announcing `stopped` to a
real tracker (opentracker's scrape count drops back to zero)."""
import os
import re
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 4 * H.MIB + 999


def run(argv, timeout=90):
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def expect_error(args, argv, code, what, timeout=90):
    rc, out, err, secs = run(argv, timeout)
    lines = [l for l in err.splitlines() if l.strip()]
    H.check(rc == code, f'{what}: exit {rc}, expected {code}; stderr: {err!r}')
    H.check(len(lines) >= 1 and lines[-1].startswith('tessera: error: '),
            f'{what}: no one-line error on stderr: {err!r}')
    H.log(f'{what}: exit {rc} after {secs:.1f} s: {lines[-1]}')
    return secs


def bencode(v):
    """Enough bencode for hand-made hostile .torrents (bytes, str, int, list, dict)."""
    if isinstance(v, int):
        return b'i%de' % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b'%d:%s' % (len(v), v)
    if isinstance(v, list):
        return b'l' + b''.join(bencode(x) for x in v) + b'e'
    items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
    return b'd' + b''.join(bencode(k) + bencode(x) for k, x in items) + b'e'


# Address space for `tessera show` of a hostile .torrent: the old parser needed ~2.5 GB for it.
SHOW_ADDRESS_SPACE = 512 * H.MIB


def show_bounded(tessera, path, limit_memory):
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (SHOW_ADDRESS_SPACE, SHOW_ADDRESS_SPACE))
    t0 = time.monotonic()
    # A generous timeout only to end a regression: the run itself takes milliseconds.
    r = subprocess.run([tessera, 'show', path], capture_output=True, timeout=10,
                       preexec_fn=cap if limit_memory else None)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def check_hostile_torrents(h, tessera):
    # ASan/TSan reserve terabytes of address space: RLIMIT_AS cannot be used with them.
    limit = H.sanitizer_of(tessera) is None
    if not limit:
        H.log('sanitized tessera: show runs without RLIMIT_AS')

    # One file whose path has 50,000 components: ~150 KB of .torrent.
    deep = h.path('deep.torrent')
    with open(deep, 'wb') as f:
        f.write(bencode({'announce': 'http://127.0.0.1:1/announce',
                         'info': {'name': 'deep', 'piece length': 16384, 'pieces': b'\0' * 20,
                                  'files': [{'length': 1, 'path': ['a'] * 50000}]}}))
    size = os.path.getsize(deep)
    rc, out, err, secs = show_bounded(tessera, deep, limit)
    err = err.decode(errors='replace')
    lines = [l for l in err.splitlines() if l.strip()]
    H.check(rc == 1, f'show of a 50,000-component path: exit {rc}, expected 1; stderr: {err!r}')
    H.check(len(lines) == 1 and lines[0].startswith('tessera: error: ') and 'more than 100 components' in lines[0],
            f'show of a 50,000-component path: not one clear error line: {err!r}')
    H.log(f'show of a {size // 1024} KiB .torrent with a 50,000-component path: exit {rc} in {secs:.2f} s '
          f'(address space capped at {SHOW_ADDRESS_SPACE // H.MIB} MiB: {limit}): {lines[0]}')

    # Terminal escape sequences in every string show prints.
    esc = h.path('escape.torrent')
    with open(esc, 'wb') as f:
        f.write(bencode({'announce': 'http://127.0.0.1:1/\x1b[2J',
                         'comment': '\x1b]0;pwned\x07 \x9b', 'created by': b'\x1b[31mred\xc2\x9b',
                         'url-list': 'http://127.0.0.1:1/\x1b[5m',
                         'info': {'name': '\x1b[2J', 'piece length': 16384, 'pieces': b'\0' * 20,
                                  'files': [{'length': 1, 'path': ['\x1b[1mbold', 'f\x07']}]}}))
    rc, out, err, _ = show_bounded(tessera, esc, limit)
    H.check(rc == 0, f'show of a torrent full of escapes: exit {rc}; stderr: {err!r}')
    bad = re.findall(rb'[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]', out)
    H.check(not bad, f'show printed control characters {bad!r}:\n{out!r}')
    text = out.decode()
    for expected in ('name:        _[2J', 'comment:     \\x1b]0;pwned\\x07 \\xc2\\x9b',
                     'created by:  \\x1b[31mred\\xc2\\x9b', '_[2J/_[1mbold/f_',
                     'tier 0: http://127.0.0.1:1/\\x1b[2J', 'web seed:    http://127.0.0.1:1/\\x1b[5m'):
        H.check(expected in text, f'show does not print {expected!r}:\n{text}')
    H.log('show of a torrent full of terminal escapes: every control character escaped or replaced')


def check_v2_show(h, tessera, src):
    """show of v2-only and hybrid .torrents libtorrent made from `src`: its info-hashes and the
    pieces root of every file, as libtorrent reads them."""
    import libtorrent as lt
    for label, flags in (('v2-only', lt.create_torrent.v2_only), ('hybrid', 0)):
        fs = lt.file_storage()
        lt.add_files(fs, src)
        ct = lt.create_torrent(fs, PIECE, flags=flags)
        lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(src)))
        path = h.path(f'{label}.torrent')
        with open(path, 'wb') as f:
            f.write(lt.bencode(ct.generate()))
        ti = lt.torrent_info(path)
        rc, out, err, _ = run([tessera, 'show', path])
        H.check(rc == 0, f'show of a {label} torrent exited {rc}: {err}')
        ih = ti.info_hashes()
        H.check(f'info-hash v2: {ih.v2}' in out, f'{label}: show does not print the v2 info-hash {ih.v2}:\n{out}')
        H.check((f'info-hash:   {ih.v1}' in out) == (label == 'hybrid'), f'{label}: v1 info-hash line wrong:\n{out}')
        files = ti.files()
        roots = [files.root(i).to_bytes().hex() for i in range(files.num_files())
                 if not files.file_flags(i) & lt.file_storage.flag_pad_file and files.file_size(i) > 0]
        for root in roots:
            H.check(f'pieces root {root}' in out, f'{label}: show does not print the pieces root {root}:\n{out}')
        H.check('piece layers: present' in out, f'{label}: show does not say the piece layers are present')
        H.log(f'show of a {label} torrent: both hashes as libtorrent has them, {len(roots)} pieces roots')


def body(h, args):
    tessera = args.tessera
    check_hostile_torrents(h, tessera)
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=5)
    check_v2_show(h, tessera, src)
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'http://127.0.0.1:{port}/announce'], PIECE)

    # show: name, info-hash, piece count as libtorrent sees them.
    rc, out, err, _ = run([tessera, 'show', t.path])
    H.check(rc == 0, f'show exited {rc}: {err}')
    H.check(t.info_hash.hex() in out, f'show does not print the info-hash {t.info_hash.hex()}:\n{out}')
    H.check(f'{t.num_pieces} x' in out, f'show does not print {t.num_pieces} pieces:\n{out}')
    H.check(t.name in out, 'show does not print the name')

    # Bad input.
    # --no-lsd on every download here: without --interface, LSD would multicast on the default
    # route's interface.
    expect_error(args, [tessera, 'download', h.path('missing.torrent'), '-o', h.path('o1'), '--no-lsd'],
                 1, 'missing .torrent')
    bad = h.path('bad.torrent')
    with open(bad, 'wb') as f:
        f.write(b'd8:announce3:abc4:infod4:name1:x12:piece lengthi-5eee')
    expect_error(args, [tessera, 'download', bad, '-o', h.path('o2'), '--no-lsd'], 1, 'malformed .torrent')
    blocker = h.path('a-file')
    with open(blocker, 'w') as f:
        f.write('not a directory')
    expect_error(args, [tessera, 'download', t.path, '-o', os.path.join(blocker, 'sub'), '--no-lsd'], 3,
                 'unwritable directory')

    # Every tracker unreachable: a closed HTTP port and a closed UDP port.
    dead = h.free_port('127.0.0.1')
    t_dead = H.make_torrent(src, h.path('dead.torrent'),
                            [f'http://127.0.0.1:{dead}/announce', f'udp://127.0.0.1:{dead}/announce'],
                            PIECE)
    secs = expect_error(args, [tessera, 'download', t_dead.path, '-o', h.path('o3'), '--no-lsd'], 2,
                        'unreachable trackers', timeout=120)
    H.check(secs < 90, f'unreachable trackers took {secs:.0f} s to report')

    # Ctrl+C: a slow seeder keeps the download going; SIGINT must announce `stopped`.
    tracker = H.start_opentracker(h, [t.info_hash], port)
    seeder = H.start_lt_seed(h, t, h.path('seed'), upload_limit=256 * H.KIB)
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 30)
    leech = H.start_leecher(h, 'tessera', t, h.path('o4'), tessera=tessera, timeout=120)
    deadline = time.monotonic() + 30
    while tracker.scrape(t.info_hash)[1] < 1:
        H.check(time.monotonic() < deadline, 'tracker never saw the leecher')
        H.check(leech.alive(), f'leecher exited early with {leech.returncode()}')
        time.sleep(0.2)
    leech.wait_for(r'^progress\s+(?!checking)', 30)
    os.kill(leech.popen.pid, signal.SIGINT)
    rc = leech.wait(30)
    H.check(rc == 130, f'after SIGINT tessera exited with {rc}, expected 130')
    leech.wait_for(r'stopped at', 1, fail_if_exit=False)
    _, incomplete = tracker.scrape(t.info_hash)
    H.check(incomplete == 0, f'tracker still lists {incomplete} leecher(s): `stopped` not announced')
    H.log('SIGINT: exit 130, `stopped` announced')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_cli', body, a)
