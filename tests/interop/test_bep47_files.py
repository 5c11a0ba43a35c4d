#!/usr/bin/env python3
"""BEP 47 on disk: executable files and symlinks, from a torrent libtorrent made.

libtorrent's create_torrent (flag `symlinks`) makes a v1 torrent of `pkg/`: `bin/tool`
(executable, attr x), `data`, and two symlinks: `links/tool` -> `../bin/tool` (libtorrent writes
`symlink path` as the link's own components, "..", "bin", "tool") and `latest` -> `bin`. A
libtorrent seeder serves it; `tessera download` fetches it. Then:
  - bin/tool and data are identical to the seeder's; bin/tool has the execute bits where it has
    read bits (mode 0755 before the umask), data has none;
  - links/tool is a symlink with the text `../bin/tool`, latest one with `bin`, both resolving
    inside the download (to pkg/bin/tool and pkg/bin);
  - `tessera check` of the result exits 0 with every file complete, links included.
"""
import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

PIECE = 16 * H.KIB
TIMEOUT = 60


def make_linked_torrent(h):
    src = h.mkdir('seed')
    pkg = os.path.join(src, 'pkg')
    H.make_payload(pkg, [('bin/tool', 100_003), ('data', 50_000)], seed=47)
    os.chmod(os.path.join(pkg, 'bin', 'tool'), 0o755)
    os.makedirs(os.path.join(pkg, 'links'))
    os.symlink('../bin/tool', os.path.join(pkg, 'links', 'tool'))
    os.symlink('bin', os.path.join(pkg, 'latest'))
    fs = lt.file_storage()
    lt.add_files(fs, pkg, flags=lt.create_torrent.symlinks)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only | lt.create_torrent.symlinks)
    lt.set_piece_hashes(ct, src)
    path = h.path('pkg.torrent')
    with open(path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    return src, H.TorrentFile(path)


def body(h, args):
    H.check(args.leecher == 'tessera', 'this test is about tessera: --leecher tessera only')
    src, t = make_linked_torrent(h)
    seed = H.start_lt_seed(h, t, src)
    seed.wait_for(r'lt_seed: seeding', 30)
    out = h.mkdir('out')
    p = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, peers=[f'{seed.ip}:{seed.port}'])
    rc = p.wait(TIMEOUT)
    H.check(rc == 0, f'tessera download: exit {rc}; last lines:\n{p.tail(10)}')

    pkg = os.path.join(out, 'pkg')
    for rel in ('bin/tool', 'data'):
        with open(os.path.join(src, 'pkg', rel), 'rb') as a, open(os.path.join(pkg, rel), 'rb') as b:
            H.check(a.read() == b.read(), f'{rel} differs from the seeder\'s')
    umask = os.umask(0)
    os.umask(umask)
    tool_mode = stat.S_IMODE(os.stat(os.path.join(pkg, 'bin', 'tool')).st_mode)
    H.check(tool_mode == 0o755 & ~umask, f'bin/tool mode {tool_mode:o}, expected {0o755 & ~umask:o}')
    data_mode = stat.S_IMODE(os.stat(os.path.join(pkg, 'data')).st_mode)
    H.check(data_mode & 0o111 == 0, f'data mode {data_mode:o} has execute bits')
    for rel, text, resolved in (('links/tool', '../bin/tool', 'bin/tool'), ('latest', 'bin', 'bin')):
        link = os.path.join(pkg, rel)
        H.check(os.path.islink(link), f'{rel} is not a symlink')
        H.check(os.readlink(link) == text, f'{rel} -> {os.readlink(link)!r}, expected {text!r}')
        H.check(os.path.realpath(link) == os.path.realpath(os.path.join(pkg, resolved)),
                f'{rel} resolves to {os.path.realpath(link)}')
    H.log(f'bin/tool mode {tool_mode:o}; links/tool -> ../bin/tool, latest -> bin')

    c = subprocess.run([args.tessera, 'check', t.path, '-d', out, '--json'], capture_output=True, text=True,
                       timeout=60)
    H.check(c.returncode == 0, f'tessera check: exit {c.returncode}\n{c.stdout}{c.stderr}')
    states = {f['path']: f['state'] for f in json.loads(c.stdout)['files']}
    H.check(all(s == 'complete' for s in states.values()), f'check states: {states}')


if __name__ == '__main__':
    H.run_test('test_bep47_files', body, H.common_args(__doc__).parse_args())
