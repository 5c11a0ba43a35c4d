#!/usr/bin/env python3
"""Interop (issue 12): BEP 52 hash messages on the wire, with v2 magnets (`urn:btmh:`), whose info
dictionary carries no piece layers: the downloader must ask its peers for them.

1. tessera downloads a v2-only and a hybrid torrent by v2 magnet from a libtorrent seeder
   (`--peer`): metadata over ut_metadata (checked against the SHA-256 info-hash), the piece layers
   by `hash request`s, every piece verified against them; files identical.
2. A libtorrent leecher given a v2 magnet with tessera's address downloads a v2-only torrent from
   `tessera seed`: tessera answers its hash requests; files identical.
Multi-file payloads of odd sizes; every address on loopback; every wait bounded.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 3 * H.MIB + 12345


def make_kind_torrent(content, torrent_path, piece_size, kind):
    """A v2-only (`v2`) or hybrid (`hybrid`) .torrent of `content`, made by libtorrent, no trackers."""
    fs = lt.file_storage()
    lt.add_files(fs, content)
    flags = lt.create_torrent.v2_only if kind == 'v2' else 0
    ct = lt.create_torrent(fs, piece_size, flags=flags)
    ct.set_creator('tessera interop harness')
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(content)))
    with open(torrent_path, 'wb') as f:
        f.write(lt.bencode(ct.generate()))
    ti = lt.torrent_info(torrent_path)
    v2 = ti.info_hashes().v2.to_bytes().hex()
    H.check(len(v2) == 64 and v2 != '0' * 64, f'{kind} torrent without a v2 info-hash')
    return ti, v2


def v2_magnet(v2_hex, name):
    return f'magnet:?xt=urn:btmh:1220{v2_hex}&dn={name}'


def tessera_from_libtorrent(h, args, kind, seed):
    src = h.path(kind, 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=seed)
    ti, v2 = make_kind_torrent(src, h.path(f'{kind}.torrent'), PIECE, kind)
    t = H.TorrentFile(h.path(f'{kind}.torrent'))
    seeder = H.start_lt_seed(h, t, h.path(kind), recheck=True, name=f'lt_seed_{kind}')
    seeder.wait_for(r'lt_seed: seeding', 60)
    out = h.path(f'{kind}-out')
    os.makedirs(out, exist_ok=True)
    port = h.free_port('127.0.0.1')
    state = h.mkdir(f'{kind}-state')
    argv = [args.tessera, '--log-level', 'debug', 'download', v2_magnet(v2, ti.name()), '-o', out, '--port', str(port), '--no-lsd',
            '--no-dht', '--state-dir', state, '--peer', f'{seeder.ip}:{seeder.port}']
    argv += H.tessera_interface_args('127.0.0.1', ())
    leech = h.spawn(f'tessera_{kind}_magnet', argv, ip='127.0.0.1', port=port)
    leech.kind = 'tessera'
    secs = H.wait_leecher(leech, 180)
    n = H.compare_trees(src, os.path.join(out, ti.name()))
    layers = len(re.findall(r'peer [0-9.:]+: hashes layer', leech.text()))
    if kind == 'v2':  # a hybrid's pieces verify by SHA-1 meanwhile; a v2-only one needs its layers
        H.check(layers > 0, 'no piece layer came by `hashes`')
    H.log(f'{kind} by v2 magnet: {n} files ({ti.total_size()} bytes) from libtorrent in {secs:.1f} s, '
          f'{layers} `hashes` replies')
    seeder.stop()


def libtorrent_from_tessera(h, args):
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=53)
    ti, v2 = make_kind_torrent(src, h.path('seed.torrent'), PIECE, 'v2')
    seed_port = h.free_port('127.0.0.1')
    seeder = h.spawn('tessera_seed', [args.tessera, '--log-level', 'debug', 'seed', h.path('seed.torrent'), '-d', h.path('seed'),
                                      '--port', str(seed_port), '--interface', '127.0.0.1', '--no-lsd', '--no-dht',
                                      '--state-dir', h.mkdir('seed-state')],
                     ip='127.0.0.1', port=seed_port)
    m = seeder.wait_for(r'checked (\d+)/(\d+) pieces already present', 60)
    H.check(m.group(1) == m.group(2), f'seeder verified only {m.group(1)}/{m.group(2)} pieces')
    seeder.wait_for(r'tessera: seeding .* on port \d+', 10)
    ip = h.next_ip()
    port = h.free_port(ip)
    out = h.mkdir('lt-out')
    leech = h.spawn('lt_magnet_leech', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_magnet_leech.py'),
                                        '--magnet', v2_magnet(v2, ti.name()), '--save-path', out,
                                        '--ip', ip, '--port', str(port), '--peer', f'127.0.0.1:{seed_port}',
                                        '--timeout', '150'], ip=ip, port=port)
    leech.kind = 'libtorrent'
    secs = H.wait_leecher(leech, 180)
    H.check(not leech.last_match(r'hash_failed'), 'libtorrent failed a piece from tessera')
    n = H.compare_trees(src, os.path.join(out, ti.name()))
    answered = len(re.findall(r'answering hash request', seeder.text()))
    H.check(answered > 0, 'tessera answered no hash request (libtorrent needs the piece layers)')
    H.log(f'libtorrent by v2 magnet from tessera seed: {n} files in {secs:.1f} s, {answered} hash requests answered')


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    tessera_from_libtorrent(h, args, 'v2', 61)
    tessera_from_libtorrent(h, args, 'hybrid', 62)
    libtorrent_from_tessera(h, args)


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_v2_magnet', body, a)
