#!/usr/bin/env python3
"""Interop (issue 4, test 4): tessera and libtorrent find each other through local service
discovery (BEP 14) alone: a .torrent with no tracker, the DHT off on both sides, no --peer.

A libtorrent seeder with LSD on listens on its own 127.0.0.x, so libtorrent joins the group and
multicasts on `lo` only; `tessera download --interface 127.0.0.y --no-dht` multicasts on `lo`
only too (an IPv4 listen address is its multicast interface, IPv4 group only). Both use the real
group 239.192.152.143:6771 (libtorrent has no other). Checked: tessera downloads every file byte
for byte; libtorrent logged tessera's announce (with tessera's listen port); tessera logged a
peer from libtorrent's announce; eth0's transmit counter did not move (nothing left the host).

Exit 77 (ctest: skipped) with a SKIP line when this sandbox cannot multicast on loopback, which a
probe checks first; the tessera-to-tessera session test (LsdSession in test_session) covers the
feature then.
"""
import os
import re
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 2 * H.MIB + 777
GROUP = '239.192.152.143'
SKIP_CODE = 77


def loopback_multicast_problem(ip_from, ip_to):
    """'' when a datagram sent to the group via ip_from reaches a socket that joined it on ip_to
    (a spare port, not 6771); else why not."""
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        r.bind((GROUP, 0))
        port = r.getsockname()[1]
        r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton(ip_to))
        w.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ip_from))
        w.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        w.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        w.sendto(b'probe', (GROUP, port))
        if not select.select([r], [], [], 1.0)[0]:
            return f'a datagram sent to {GROUP} via {ip_from} did not reach a member on {ip_to} within 1 s'
        r.recvfrom(64)
        return ''
    except OSError as e:
        return f'multicast on loopback failed: {e}'
    finally:
        r.close()
        w.close()


def eth0_tx_packets():
    """Packets transmitted on eth0 so far (None when there is no eth0)."""
    try:
        with open('/sys/class/net/eth0/statistics/tx_packets') as f:
            return int(f.read())
    except OSError:
        return None


def make_trackerless(h):
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=41)
    fs = lt.file_storage()
    lt.add_files(fs, src)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, os.path.dirname(src))
    path = h.path('lsd.torrent')
    with open(path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    t = H.TorrentFile(path)
    H.check(len(list(t.ti.trackers())) == 0, 'the torrent has a tracker')
    return src, t


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    ip_lt = h.next_ip()
    ip_ts = h.next_ip()
    why = loopback_multicast_problem(ip_lt, ip_ts) or loopback_multicast_problem(ip_ts, ip_lt)
    if why:
        print(f'SKIP test_lsd_libtorrent: this sandbox cannot multicast on loopback ({why}); '
              f'LsdSession in test_session covers LSD between two tessera sessions', flush=True)
        h.close()
        sys.exit(SKIP_CODE)
    tx_before = eth0_tx_packets()

    src, t = make_trackerless(h)
    port_lt = h.free_port(ip_lt)
    seed = h.spawn('lt_lsd_seed', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_discovery_seed.py'), '--mode', 'lsd',
                                   '--ip', ip_lt, '--port', str(port_lt),
                                   '--torrent', t.path, '--save-path', os.path.dirname(src)],
                   ip=ip_lt, port=port_lt)
    seed.wait_for(r'lt_lsd_seed: seeding 1', 30)

    # No tracker, no DHT, no --peer: only LSD can name the seeder. --interface keeps tessera's
    # multicast on lo (IPv4 group only). A few seconds of seeding after the download let tessera
    # hear libtorrent's next announce (every 2 s) too.
    out = h.path('out')
    port_ts = h.free_port(ip_ts)
    leech = h.spawn('tessera_leech', [args.tessera, '--log-level', 'debug', 'download', t.path, '-o', out,
                                      '--interface', ip_ts, '--port', str(port_ts), '--no-dht',
                                      '--seed', '--seed-time', '6'],
                    ip=ip_ts, port=port_ts)
    leech.kind = 'tessera'
    leech.wait_for(r'complete payload', 60)
    secs = time.monotonic() - leech.started
    H.wait_leecher(leech, 30)
    n = H.compare_trees(src, os.path.join(out, t.name))
    H.log(f'{n} files identical, {t.total_size} bytes in {secs:.1f} s, found through LSD only')

    # Both directions of discovery worked: libtorrent heard tessera's announce (its listen port),
    # and tessera heard libtorrent's (its peer line names libtorrent's address and port).
    seed.wait_for(rf'{re.escape(ip_ts)}:{port_ts}.*local service discovery', 10)
    H.log(f'libtorrent logged tessera\'s LSD announce from {ip_ts}:{port_ts}')
    H.check(leech.last_match(r'lsd: on group port 6771 via ' + re.escape(ip_ts) + r' \(IPv4\)'),
            'tessera did not start LSD on its interface, IPv4 only')
    H.check(leech.last_match(rf'lsd: peer {re.escape(ip_lt)}:{port_lt} for {t.info_hash_hex}'),
            f'tessera never logged libtorrent\'s LSD announce from {ip_lt}:{port_lt}')
    H.log(f'tessera logged libtorrent\'s LSD announce from {ip_lt}:{port_lt}')

    tx_after = eth0_tx_packets()
    if tx_before is not None:
        # Other processes on this host may send on eth0 meanwhile; ours send nothing. A small
        # bound keeps the check meaningful without making it flaky.
        H.log(f'eth0 transmitted {tx_after - tx_before} packets during the test')
        H.check(tx_after - tx_before < 5, f'eth0 sent {tx_after - tx_before} packets during the test')


if __name__ == '__main__':
    args = H.common_args(__doc__).parse_args()
    H.run_test('test_lsd_libtorrent', body, args)
