#!/usr/bin/env python3
"""BEP 52 downloads: tessera fetches v2-only and hybrid torrents from a python3-libtorrent seeder.

Each case is a multi-file payload of odd sizes (an empty file, a one-byte file, files ending
mid-piece, files of whole pieces), a .torrent made by libtorrent's create_torrent (`v2_only`, or
hybrid: both hashes, BEP 47 padding) or by `tessera create`, at 16 KiB, 64 KiB and 4 MiB pieces.
A libtorrent seeder (`peers/lt_seed.py --recheck`: it verifies the data first) serves it;
`tessera download <.torrent> --peer <seeder>` must exit 0 with every file byte-identical to the
seeder's, no padding file on disk, and libtorrent's own recheck of the download complete.

Cases are (label, kind, piece size, layout, creator); `how` says how tessera is given the
torrent: today the .torrent file (`torrent`); the v2 magnet case joins here later.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402
sys.path.insert(0, H.PEERS_DIR)
from lt_alerts import AlertWaiter  # noqa: E402

TIMEOUT = 120
KIB, MIB = H.KIB, H.MIB

SMALL = [('a.bin', 100_003), ('empty', 0), ('sub/one', 1), ('sub/c.dat', 70_000), ('d.bin', 3 * 16 * KIB)]
LARGE = [('big.bin', 9 * MIB + 12_345), ('small.txt', 777), ('sub/whole.bin', 4 * MIB), ('sub/tail.bin', 1_234_567)]

CASES = [
    ('v2-16k', 'v2', 16 * KIB, SMALL, 'libtorrent'),
    ('hybrid-16k', 'hybrid', 16 * KIB, SMALL, 'libtorrent'),
    ('v2-4m', 'v2', 4 * MIB, LARGE, 'libtorrent'),
    ('hybrid-4m', 'hybrid', 4 * MIB, LARGE, 'libtorrent'),
    ('v2-64k-tessera', 'v2', 64 * KIB, SMALL, 'tessera'),
    ('hybrid-64k-tessera', 'hybrid', 64 * KIB, SMALL, 'tessera'),
]


def make_case_torrent(h, args, label, kind, piece, layout, creator):
    """Writes the payload under seed-<label>/<label> and its .torrent; returns (src dir, path)."""
    src = h.mkdir(f'seed-{label}')
    root = os.path.join(src, label)
    H.make_payload(root, layout, seed=len(label) * 7 + piece % 1000)
    path = h.path(f'{label}.torrent')
    if creator == 'tessera':
        r = subprocess.run([args.tessera, 'create', root, f'--{kind}', '--piece-size', str(piece), '-o', path,
                            '--force'], capture_output=True, text=True, timeout=120)
        H.check(r.returncode == 0, f'tessera create {label}: exit {r.returncode}\n{r.stdout}{r.stderr}')
    else:
        fs = lt.file_storage()
        lt.add_files(fs, root)
        flags = lt.create_torrent.v2_only if kind == 'v2' else 0
        ct = lt.create_torrent(fs, piece, flags=flags)
        ct.set_creator('tessera interop harness')
        lt.set_piece_hashes(ct, src)
        with open(path, 'wb') as f:
            f.write(lt.bencode(ct.generate()))
    ti = lt.torrent_info(path)
    ih = ti.info_hashes()
    H.check(ih.has_v2() and ih.has_v1() == (kind == 'hybrid'), f'{label}: not a {kind} torrent')
    return src, path


def lt_recheck_complete(torrent_path, save_path):
    """libtorrent's own verdict on the downloaded files: added without resume data it hashes
    them all; True when every piece verified (it seeds)."""
    ses = lt.session({'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
                      'listen_interfaces': '127.0.0.1:0'})
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(torrent_path)
    atp.save_path = save_path
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    waiter = AlertWaiter(ses)
    th = ses.add_torrent(atp)
    checking = (lt.torrent_status.checking_files, lt.torrent_status.checking_resume_data)
    deadline = time.monotonic() + 60
    st = th.status()
    while time.monotonic() < deadline:
        st = th.status()
        if st.is_seeding:
            return True
        if st.state not in checking and st.state != lt.torrent_status.allocating and st.num_pieces > 0 \
                and st.state == lt.torrent_status.downloading:
            break  # checked, and some piece missing
        waiter.wait(0.1)
        ses.pop_alerts()
    H.log(f'libtorrent recheck: {st.num_pieces}/{atp.ti.num_pieces()} pieces, state {st.state}')
    return False


def run_case(h, args, case, how='torrent'):
    label, kind, piece, layout, creator = case
    src, path = make_case_torrent(h, args, label, kind, piece, layout, creator)
    t = H.TorrentFile(path)
    seed = H.start_lt_seed(h, t, src, recheck=True, name=f'lt_seed-{label}')
    seed.wait_for(r'lt_seed: seeding', 60)
    out = h.mkdir(f'out-{label}')
    H.check(how == 'torrent', f'unknown way to add: {how}')
    p = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, peers=[f'{seed.ip}:{seed.port}'],
                                 name=f'tessera-{label}')
    rc = p.wait(TIMEOUT)
    H.check(rc == 0, f'{label}: tessera download exit {rc}; last lines:\n{p.tail(15)}')
    files = H.compare_trees(os.path.join(src, label), os.path.join(out, label))
    H.check(not os.path.exists(os.path.join(out, label, '.pad')), f'{label}: padding files written')
    H.check(lt_recheck_complete(path, out), f'{label}: libtorrent\'s recheck of the download is incomplete')
    seed.stop()
    H.log(f'{label}: {files} files identical, {t.num_pieces} pieces of {piece // KIB} KiB')


def body(h, args):
    H.check(args.leecher == 'tessera', 'this test is about tessera: --leecher tessera only')
    for case in CASES:
        run_case(h, args, case)


if __name__ == '__main__':
    H.run_test('test_v2_download', body, H.common_args(__doc__).parse_args())
