#!/usr/bin/env python3
"""A Python client, Debian's python3-transmissionrpc (the library FlexGet-era scripts use), drives
`tessera daemon` (issue 10, test 4): it connects (session-get: version, rpc-version), adds a
.torrent whose data is already in the download dir, lists it with every field it knows for RPC 16,
sees it reach 100% and seeding, renames its folder (torrent-rename-path), stops it, reads the session statistics, and removes it with its
data; then the same against a daemon with a password, with and without credentials."""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB


def wait_torrent(c, tid, what, pred, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        t = c.get_torrent(tid)
        if pred(t):
            return t
        H.check(time.monotonic() < deadline, f'{what}: not within {timeout} s (status {t.status}, '
                                             f'{t.percentDone})')
        time.sleep(0.2)


def body(h, args):
    try:
        import transmissionrpc
    except ImportError:
        raise H.TestFailure('python3-transmissionrpc is not installed (scripts/setup.sh installs it)')
    src = h.mkdir('src')
    H.make_payload(os.path.join(src, 'gamma'), H.multi_file_layout(2 * H.MIB + 5, PIECE), seed=5)

    t = H.make_torrent(os.path.join(src, 'gamma'), h.path('gamma.torrent'), [], PIECE)
    dl = h.mkdir('downloads')
    shutil.copytree(os.path.join(src, 'gamma'), os.path.join(dl, 'gamma'))
    d = H.start_tessera_daemon(h, args.tessera, download_dir=dl)
    port = d.extra['rpc_port']

    c = transmissionrpc.Client('127.0.0.1', port=port)
    H.check(c.rpc_version == 16, f'rpc_version {c.rpc_version}')
    session = c.get_session()
    H.check(session.version.startswith('3.00 (tessera'), f'version {session.version}')
    H.check(session.download_dir == dl, f'download_dir {session.download_dir}')

    added = c.add_torrent('file://' + t.path)
    H.check(added.hashString == t.info_hash_hex, f'added {added.hashString}')
    listed = c.get_torrents()
    H.check(len(listed) == 1 and listed[0].name == 'gamma', f'get_torrents: {listed}')
    H.check(listed[0].totalSize == t.total_size, f'totalSize {listed[0].totalSize} vs {t.total_size}')
    names = sorted(f['name'] for f in listed[0].files().values())
    H.check(names == sorted('gamma/' + rel for rel, _ in H.multi_file_layout(2 * H.MIB + 5, PIECE)),
            f'files: {names}')
    tid = listed[0].id
    wait_torrent(c, tid, 'seeding from disk', lambda x: x.percentDone == 1 and x.status == 'seeding')
    # torrent-rename-path of the top folder: renamed on disk and in the torrent, still seeding.
    renamed = c.rename_torrent_path(tid, 'gamma', 'delta')
    H.check(tuple(renamed) == ('gamma', 'delta'), f'rename_torrent_path answered {renamed}')
    H.check(os.path.isdir(os.path.join(dl, 'delta')) and not os.path.exists(os.path.join(dl, 'gamma')),
            f'after the rename: {sorted(os.listdir(dl))}')
    t_renamed = wait_torrent(c, tid, 'seeding after the rename', lambda x: x.status == 'seeding')
    H.check(t_renamed.name == 'delta', f'name after the rename: {t_renamed.name}')
    c.stop_torrent(tid)
    wait_torrent(c, tid, 'stopped', lambda x: x.status == 'stopped')
    stats = c.session_stats()
    H.check(stats.torrentCount == 1 and stats.pausedTorrentCount == 1, f'session_stats: {stats}')
    c.remove_torrent(tid, delete_data=True)
    H.check(c.get_torrents() == [], 'removed torrent still listed')
    readme = os.path.join(dl, 'delta', 'docs', 'readme.txt')
    deadline = time.monotonic() + 20
    while os.path.exists(readme) and time.monotonic() < deadline:
        time.sleep(0.1)
    H.check(not os.path.exists(readme), 'remove_torrent(delete_data=True) kept the data')

    d.stop()
    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_auth', config_dir=d.extra['config_dir'],
                               download_dir=dl, extra=['--rpc-username', 'flex', '--rpc-password', 'get'])
    port = d.extra['rpc_port']
    try:
        transmissionrpc.Client('127.0.0.1', port=port, user='flex', password='wrong')
        raise H.TestFailure('a wrong password was accepted')
    except transmissionrpc.TransmissionError as e:
        H.log(f'wrong password refused: {e}')
    c = transmissionrpc.Client('127.0.0.1', port=port, user='flex', password='get')
    H.check(c.get_torrents() == [], 'a torrent came back after its removal')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_python_client', body, a)
