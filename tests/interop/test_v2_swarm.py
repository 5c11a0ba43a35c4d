#!/usr/bin/env python3
"""BEP 52 swarms: v2 and hybrid torrents found through opentracker and the DHT, with v1-only and
v2-capable clients in one swarm.

A hybrid torrent is two swarms for trackers and the DHT: its v1 info-hash and its SHA-256
info-hash truncated to 20 bytes. Every tracker here is opentracker (whitelist mode: both hashes
are listed); every peer is on its own 127.0.0.x.

(a) hybrid, libtorrent seeds: a python3-libtorrent seeder announces both hashes; `tessera
    download` (no --peer) finds it through the tracker and downloads; files byte-identical.
(b) hybrid, tessera seeds: `tessera seed` is the only seeder; opentracker must count it as a seed
    under both hashes (so it announced both). A v1-only member of the swarm (python3-libtorrent
    given only the v1 magnet link: v1 swarm, v1 handshake, the info dictionary over ut_metadata
    from tessera) downloads it, then a python3-libtorrent leecher of the .torrent does, each alone
    with tessera: tessera uploaded at least two copies, both files trees identical.

    Not aria2 nor Transmission 3.00, the v1-only clients on this machine: neither can join any
    hybrid swarm. aria2 1.36 computes the info-hash of its re-encoding of the info dictionary,
    which drops every key "" (the file entries of a BEP 52 `file tree`), so it announces and
    handshakes with a hash no one else knows (from a .torrent and also after a v1 magnet's
    metadata: checked against tessera here); Transmission 3.00 refuses to parse a hybrid
    .torrent.
(c) v2-only, libtorrent seeds: announced under the truncated v2 hash only; tessera finds the
    seeder through the tracker and downloads.
(d) v2-only, trackerless: a libtorrent DHT node A and a libtorrent seeder announcing the torrent
    to A; `tessera download --dht-bootstrap A` finds it through get_peers on the truncated v2 hash
    and downloads; A logs tessera's announce_peer for that hash.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402
from test_dht_node import LT_DHT, raw_get_peers, wait  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 6 * H.MIB + 12_345
TIMEOUT = 180
LT_DHT_SEED = os.path.join(H.PEERS_DIR, 'lt_discovery_seed.py')


class Made:
    """A v2 or hybrid .torrent: its TorrentFile and its swarms' 20-byte hashes."""

    def __init__(self, src, t):
        self.src = src
        self.t = t
        ih = t.ti.info_hashes()
        self.v1 = bytes.fromhex(str(ih.v1)) if ih.has_v1() else None
        self.v2 = bytes.fromhex(str(ih.v2))[:20] if ih.has_v2() else None  # truncated (BEP 52)
        self.swarms = [x for x in (self.v1, self.v2) if x]


def make(h, name, kind, trackers, seed):
    """Payload <name>/payload (several files of odd sizes, so a hybrid has padding files) and a
    libtorrent-made .torrent of `kind` ('v2' or 'hybrid') announcing to `trackers`."""
    src = h.path(name, 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=seed)
    fs = lt.file_storage()
    lt.add_files(fs, src)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v2_only if kind == 'v2' else 0)
    for url in trackers:
        ct.add_tracker(url, 0)
    ct.set_creator('tessera interop harness')
    lt.set_piece_hashes(ct, os.path.dirname(src))
    path = h.path(f'{name}.torrent')
    with open(path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    m = Made(src, H.TorrentFile(path))
    H.check(m.v2 is not None and (m.v1 is not None) == (kind == 'hybrid'), f'{name}: not a {kind} torrent')
    return m


def tessera_leech(h, args, m, name, extra=()):
    out = h.path(f'out-{name}')
    p = H.start_leecher(h, 'tessera', m.t, out, tessera=args.tessera, name=f'tessera-{name}', extra=extra)
    secs = H.wait_leecher(p, TIMEOUT)
    n = H.compare_trees(m.src, os.path.join(out, m.t.name))
    H.check(not os.path.exists(os.path.join(out, m.t.name, '.pad')), f'{name}: padding files written')
    H.log(f'{name}: tessera downloaded {n} files, identical, in {secs:.1f} s')
    return p


def case_a(h, args, tracker, m):
    """Hybrid seeded by libtorrent, tessera leeches through the tracker."""
    seed = H.start_lt_seed(h, m.t, os.path.dirname(m.src), name='lt_seed-a')
    seed.wait_for(r'lt_seed: seeding', 60)
    for ih in m.swarms:  # libtorrent announces both hashes of a hybrid
        tracker.wait_seeders(ih, 1, 30)
    tessera_leech(h, args, m, 'a')
    seed.stop()


# A libtorrent leecher given only a hybrid's v1 magnet link (btih and the tracker): it knows the
# v1 hash alone, so it joins the v1 swarm, handshakes with the v1 hash and fetches the info
# dictionary over ut_metadata, as a v1-only client would.
LT_MAGNET_LEECH = r"""
import sys, time
import libtorrent as lt
magnet, save, ip, port, timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
ses = lt.session({'listen_interfaces': f'{ip}:{port}', 'outgoing_interfaces': ip,
                  'enable_incoming_utp': False, 'enable_outgoing_utp': False, 'enable_dht': False,
                  'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
                  'allow_multiple_connections_per_ip': True, 'ssrf_mitigation': False,
                  'out_enc_policy': int(lt.enc_policy.pe_disabled), 'in_enc_policy': int(lt.enc_policy.pe_enabled)})
atp = lt.parse_magnet_uri(magnet)
assert atp.info_hashes.has_v1() and not atp.info_hashes.has_v2(), 'not a v1 magnet'
atp.save_path = save
atp.flags &= ~lt.torrent_flags.auto_managed
atp.flags &= ~lt.torrent_flags.paused
h = ses.add_torrent(atp)
print('lt_magnet: added', atp.info_hashes.v1, flush=True)
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    st = h.status()
    if st.is_seeding:
        print(f'lt_magnet: complete, downloaded {st.total_payload_download} bytes', flush=True)
        sys.exit(0)
    time.sleep(0.2)
sys.exit(4)
"""


def start_lt_v1_magnet(h, m, tracker, out):
    os.makedirs(out, exist_ok=True)
    ip = h.next_ip()
    port = h.free_port(ip)
    magnet = f'magnet:?xt=urn:btih:{m.v1.hex()}&dn={m.t.name}&tr={tracker.http_url}'
    p = h.spawn('lt_v1_magnet-b', [H.PYTHON, '-c', LT_MAGNET_LEECH, magnet, out, ip, str(port), str(TIMEOUT)],
                ip=ip, port=port)
    p.kind = 'libtorrent'
    return p


def case_b(h, args, tracker, m):
    """Hybrid seeded by tessera alone; aria2 (v1) then libtorrent leech."""
    seed_port = h.free_port('127.0.0.1')
    seeder = h.spawn('tessera_seed-b', [args.tessera, 'seed', m.t.path, '-d', os.path.dirname(m.src),
                                        '--port', str(seed_port), '--interface', '127.0.0.1', '--no-lsd']
                     + H.tessera_state_dir_args(h, h.path('seed-b')),
                     ip='127.0.0.1', port=seed_port)
    mc = seeder.wait_for(r'checked (\d+)/(\d+) pieces already present', 60)
    H.check(mc.group(1) == mc.group(2), f'tessera verified only {mc.group(1)}/{mc.group(2)} pieces')
    # The only seeder, counted in both swarms: tessera announced the v1 and the truncated v2 hash.
    for ih in m.swarms:
        tracker.wait_seeders(ih, 1, 30)
    H.log('opentracker counts tessera as a seed under the v1 and the truncated v2 hash')
    # One after the other, so each gets every piece from tessera: a v1-only member of the swarm
    # (a libtorrent leecher that knows only the v1 magnet), then a libtorrent leecher of the
    # .torrent (both swarms).
    for kind in ('v1 magnet', '.torrent'):
        out = h.path('out-b-' + kind.replace(' ', '-').strip('.'))
        if kind == 'v1 magnet':
            p = start_lt_v1_magnet(h, m, tracker, out)
        else:
            p = H.start_leecher(h, 'libtorrent', m.t, out, name='lt_torrent-b', timeout=TIMEOUT)
        secs = H.wait_leecher(p, TIMEOUT)
        n = H.compare_trees(m.src, os.path.join(out, m.t.name))
        H.check(not os.path.exists(os.path.join(out, m.t.name, '.pad')), f'b: {kind}: padding files written')
        H.log(f'b: libtorrent ({kind}) downloaded {n} files from tessera, identical, in {secs:.1f} s')
    H.check(seeder.alive(), f'tessera seed exited early with {seeder.returncode()}')
    seeder.signal_group(signal.SIGINT)
    rc = seeder.wait(20)
    H.check(rc == 0, f'tessera seed exited with {rc} after SIGINT')
    mu = seeder.last_match(r'tessera: seeded .*uploaded (\d+) bytes')
    H.check(mu is not None, 'no `seeded ... uploaded <bytes> bytes` summary line')
    up = int(mu.group(1))
    payload = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(m.src) for f in fs)  # no padding
    H.check(up >= 2 * payload, f'tessera uploaded {up} bytes, less than two copies ({2 * payload})')
    H.log(f'b: tessera uploaded {up} bytes ({up / payload:.2f} copies) to both leechers')


def case_c(h, args, tracker, m):
    """v2-only seeded by libtorrent, tessera leeches through the tracker (truncated v2 hash)."""
    seed = H.start_lt_seed(h, m.t, os.path.dirname(m.src), name='lt_seed-c')
    seed.wait_for(r'lt_seed: seeding', 60)
    tracker.wait_seeders(m.v2, 1, 30)
    tessera_leech(h, args, m, 'c')
    seed.stop()


def case_d(h, args, m):
    """v2-only, trackerless: found through the DHT under the truncated v2 hash."""
    ip_a = h.next_ip()
    port_a = h.free_port(ip_a)
    a = h.spawn('lt_dht_a', [H.PYTHON, '-c', LT_DHT, '--ip', ip_a, '--port', str(port_a), '--timeout', '600'],
                ip=ip_a, port=port_a)
    a.wait_for(r'lt_dht: listening', 20)
    ip_s = h.next_ip()
    port_s = h.free_port(ip_s)
    s = h.spawn('lt_dht_seed-d', [H.PYTHON, '-u', LT_DHT_SEED, '--mode', 'dht', '--ip', ip_s, '--port', str(port_s),
                                  '--bootstrap', f'{ip_a}:{port_a}', '--torrent', m.t.path,
                                  '--save-path', os.path.dirname(m.src)], ip=ip_s, port=port_s)
    s.wait_for(r'lt_dht_seed: seeding 1', 30)
    wait(lambda: f'{ip_s}:{port_s}' in raw_get_peers((ip_a, port_a), m.v2), 60,
         f'the DHT node A does not hand out the seeder {ip_s}:{port_s} for the truncated v2 hash')
    p = tessera_leech(h, args, m, 'd', extra=['--dht-bootstrap', f'{ip_a}:{port_a}'])
    a.wait_for(rf'incoming dht announce: [0-9.]+:{p.port} \(?{m.v2.hex()}', 10)
    H.log('d: A logged tessera\'s announce_peer under the truncated v2 hash')
    s.stop()
    a.stop()


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    H.check(args.leecher == 'tessera', 'this test is about tessera: --leecher tessera only')
    port = h.free_port('127.0.0.1')
    url = f'http://127.0.0.1:{port}/announce'
    hybrid_a = make(h, 'hybrid-a', 'hybrid', [url], 41)
    hybrid_b = make(h, 'hybrid-b', 'hybrid', [url], 42)
    v2_c = make(h, 'v2-c', 'v2', [url], 43)
    v2_d = make(h, 'v2-d', 'v2', [], 44)
    tracker = H.start_opentracker(h, hybrid_a.swarms + hybrid_b.swarms + v2_c.swarms, port)
    if 'a' in args.cases:
        case_a(h, args, tracker, hybrid_a)
    if 'b' in args.cases:
        case_b(h, args, tracker, hybrid_b)
    if 'c' in args.cases:
        case_c(h, args, tracker, v2_c)
    if 'd' in args.cases:
        case_d(h, args, v2_d)


if __name__ == '__main__':
    ap = H.common_args(__doc__)
    ap.add_argument('--cases', default='abcd', help='which of the cases a, b, c, d to run (default: all)')
    H.run_test('test_v2_swarm', body, ap.parse_args())
