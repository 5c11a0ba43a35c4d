#!/usr/bin/env python3
"""Issue 9 (item 8): files that were in the download directory before the download.

A libtorrent seeder serves a torrent `home/` holding `.bashrc`, `docs/notes.txt` and `data.bin`.
tessera downloads it with --peer into directories that already hold, where the torrent puts
its files:
  A. an unrelated `home/.bashrc` of the user's;
  B. `home/docs/notes.txt` as a symlink to a file outside the download directory;
  C. both.
Without --overwrite (A, B, C) tessera must exit with code 3 and a one-line error naming the file
and saying why (".. exists and is not part of this download .. pass --overwrite to replace it",
".. is a symbolic link (never followed) ..") before writing anything: the user's .bashrc keeps
its content and mtime, the symlink stays a symlink, its target keeps its content and mtime, and
no other file of the torrent is created. Then C again with --overwrite: the download completes
with files identical to the seeder's; the .bashrc is replaced (that is what --overwrite is for),
the symlink is replaced by a regular file (decided: replaced, never followed), and the file it
pointed at is still untouched.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 16 * H.KIB
LAYOUT = [('.bashrc', 3001), ('docs/notes.txt', 50000), ('data.bin', 2 * H.MIB + 77)]
USER_BASHRC = b'# the user\'s own .bashrc\nexport PATH="$HOME/bin:$PATH"\n'
SECRET = b'a file outside the download directory\n'
TIMEOUT = 60  # seconds for each tessera run


def stat_of(path):
    st = os.lstat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def prepare(h, name, bashrc, symlink):
    """A download dir with the user's files placed where the torrent puts its own."""
    out = h.mkdir(name)
    home = os.path.join(out, 'home')
    os.makedirs(os.path.join(home, 'docs'))
    state = {}
    if bashrc:
        path = os.path.join(home, '.bashrc')
        with open(path, 'wb') as f:
            f.write(USER_BASHRC)
        os.utime(path, ns=(1_500_000_000_123_456_789, 1_500_000_000_123_456_789))
        state['bashrc'] = stat_of(path)
    if symlink:
        os.symlink(h.secret, os.path.join(home, 'docs', 'notes.txt'))
    return out, state


def check_untouched(h, out, state, bashrc, symlink):
    home = os.path.join(out, 'home')
    if bashrc:
        path = os.path.join(home, '.bashrc')
        H.check(read(path) == USER_BASHRC, f'{path}: content changed')
        H.check(stat_of(path) == state['bashrc'], f'{path}: size, mtime or inode changed')
    if symlink:
        link = os.path.join(home, 'docs', 'notes.txt')
        H.check(os.path.islink(link), f'{link} is no longer a symlink')
        H.check(os.readlink(link) == h.secret, f'{link} points elsewhere now')
    H.check(read(h.secret) == SECRET, 'the symlink target outside the download dir changed')
    H.check(stat_of(h.secret) == h.secret_stat, 'the symlink target\'s mtime or inode changed')
    H.check(not os.path.exists(os.path.join(home, 'data.bin')),
            'data.bin was created: tessera wrote before refusing')


def run_tessera(h, args, t, out, seed, name, extra=()):
    # cwd=out (as `tessera download` run in $HOME): the binary's path must not be relative.
    p = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, peers=[f'{seed.ip}:{seed.port}'],
                                 cwd=out, name=name, extra=list(extra))
    rc = p.wait(TIMEOUT)
    H.check(rc is not None, f'{name} did not exit within {TIMEOUT} s')
    return p, rc


def error_line(p):
    lines = [l for l in p.lines() if l.startswith('tessera: error: ')]
    H.check(lines, f'{p.name} printed no "tessera: error:" line; last lines:\n{p.tail(10)}')
    return lines[-1]


def body(h, args):
    H.check(args.leecher == 'tessera', 'this test is about tessera: --leecher tessera only')
    src = h.mkdir('seed')
    H.make_payload(os.path.join(src, 'home'), LAYOUT, seed=91)
    t = H.make_torrent(os.path.join(src, 'home'), h.path('home.torrent'), [], PIECE)
    h.secret = os.path.join(h.mkdir('outside'), 'secret.txt')
    with open(h.secret, 'wb') as f:
        f.write(SECRET)
    os.utime(h.secret, ns=(1_400_000_000_000_000_001, 1_400_000_000_000_000_001))
    h.secret_stat = stat_of(h.secret)

    seed = H.start_lt_seed(h, t, src)
    seed.wait_for(r'lt_seed: seeding', 30)

    cases = [('A', True, False), ('B', False, True), ('C', True, True)]
    dirs = {}
    for name, bashrc, symlink in cases:
        out, state = prepare(h, f'out_{name}', bashrc, symlink)
        dirs[name] = (out, state)
        p, rc = run_tessera(h, args, t, out, seed, f'tessera_{name}')
        H.check(rc == 3, f'case {name}: exit code {rc}, expected 3; last lines:\n{p.tail(10)}')
        line = error_line(p)
        bashrc_path = os.path.join(out, 'home', '.bashrc')
        notes_path = os.path.join(out, 'home', 'docs', 'notes.txt')
        expect = []
        if bashrc:
            expect.append(f'{bashrc_path}: exists and is not part of this download '
                          '(no piece of it verifies); pass --overwrite to replace it')
        if symlink:
            expect.append(f'{notes_path}: is a symbolic link (never followed); pass --overwrite '
                          'to replace it')
        H.check(any(e in line for e in expect),
                f'case {name}: the error does not name the file and why: {line!r}')
        check_untouched(h, out, state, bashrc, symlink)
        H.log(f'case {name}: refused: {line}')

    out, state = dirs['C']
    p, rc = run_tessera(h, args, t, out, seed, 'tessera_C_overwrite', extra=['--overwrite'])
    H.check(rc == 0, f'with --overwrite: exit code {rc}; last lines:\n{p.tail(10)}')
    n = H.compare_trees(os.path.join(src, 'home'), os.path.join(out, 'home'))
    notes = os.path.join(out, 'home', 'docs', 'notes.txt')
    H.check(not os.path.islink(notes), f'{notes} is still a symlink')
    H.check(read(h.secret) == SECRET and stat_of(h.secret) == h.secret_stat,
            'the symlink target outside the download dir was written through')
    H.log(f'with --overwrite: {n} files identical; the symlink was replaced, its target untouched')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_existing_files', body, a)
