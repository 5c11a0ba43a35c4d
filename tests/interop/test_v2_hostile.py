#!/usr/bin/env python3
"""Hostile peers in v2 swarms (issue 12, test 3): a peer sending a bad block or bad hashes in a v2
torrent is identified exactly and banned.

1. Bad block: a v2-only single-file torrent, an honest rate-limited libtorrent seeder and a peer
   (peers/liar_peer.py) that answers the first request of each piece with that block corrupted and
   never sends a whole piece, so failed pieces hold blocks from both. tessera asks a v2 peer for the
   failed piece's block hashes (BEP 52 `hash request`, base layer 0, proved up to the piece's
   node in the piece layer) and bans the sender of the block whose SHA-256 differs. Checks: the
   download completes with identical data; one ban, of the liar; never the honest seeder.
2. Bad hashes: tessera downloads a v2-only multi-file torrent by v2 magnet (no piece layers in the
   metadata) from an honest libtorrent seeder and a peer (peers/bad_hashes_peer.py) that answers
   every hash request with random hashes. Checks: the liar is asked, banned for hashes that do not
   verify, the layers come from the honest seeder, the download completes, the seeder is not banned.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402
from test_v2_magnet import make_kind_torrent, v2_magnet  # noqa: E402

TIMEOUT = 90


def bad_block(h, args):
    piece = 256 * H.KIB
    total = 8 * H.MIB + 40000
    src_parent = h.mkdir('seed')
    src = os.path.join(src_parent, 'payload.bin')
    H.make_payload(src_parent, [('payload.bin', total)], seed=71)
    ti, v2 = make_kind_torrent(src, h.path('payload.torrent'), piece, 'v2')
    t = H.TorrentFile(h.path('payload.torrent'))
    honest = H.start_lt_seed(h, t, src_parent, upload_limit=2 * H.MIB, recheck=True, name='lt_honest')
    liar_ip = h.next_ip()
    liar_port = h.free_port(liar_ip)
    liar = h.spawn('liar_peer', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'liar_peer.py'),
                                 '--ip', liar_ip, '--port', str(liar_port), '--info-hash', v2[:40],
                                 '--num-pieces', str(ti.num_pieces()), '--piece-length', str(piece),
                                 '--data', src, '--timeout', str(TIMEOUT + 60)],
                   ip=liar_ip, port=liar_port)
    honest.wait_for(r'lt_seed: seeding', 60)
    liar.wait_for(r'liar_peer listening', 10)
    out = h.path('out')
    leech = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out,
                                     peers=[f'{liar_ip}:{liar_port}', f'{honest.ip}:{honest.port}'],
                                     log_level='info', name='tessera_bad_block', extra=H.PLAINTEXT)
    rc = leech.wait(TIMEOUT)
    lines = leech.lines()
    bans = [l for l in lines if 'banning' in l]
    H.check(not [l for l in bans if honest.ip in l], f'tessera banned the honest seeder: {bans}')
    H.check(rc == 0, f'tessera exited with {rc}')
    n = H.compare_trees(src_parent, out)
    asked = [l for l in lines if 'asking' in l and 'block hashes of failed piece' in l]
    mixed = [l for l in lines if 'failed the hash check' in l and liar_ip in l and honest.ip in l]
    H.log(f'bad block: {n} file(s) identical; {len(mixed)} failed piece(s) with blocks from both, '
          f'{len(asked)} block-hash request(s), bans: {[b.strip() for b in bans]}')
    H.check(mixed, 'no failed piece had blocks from both peers: the test proves nothing')
    H.check(len(bans) == 1 and liar_ip in bans[0], f'expected one ban, of the liar {liar_ip}: {bans}')
    H.check('SHA-256 differs from the verified block hash' in bans[0],
            f'the liar was not banned by its block hash (BEP 52): {bans[0].strip()}')
    honest.stop()
    liar.stop()


def bad_hashes(h, args):
    piece = 32 * H.KIB
    src = h.path('magnet', 'payload')
    # Ten files of several pieces each: ten piece layers to fetch, so both peers are asked.
    H.make_payload(src, [(f'f{i}.bin', 5 * piece + 1000 * i + 7) for i in range(10)], seed=73)
    ti, v2 = make_kind_torrent(src, h.path('magnet.torrent'), piece, 'v2')
    t = H.TorrentFile(h.path('magnet.torrent'))
    honest = H.start_lt_seed(h, t, h.path('magnet'), recheck=True, name='lt_honest_magnet')
    bad_ip = h.next_ip()
    bad_port = h.free_port(bad_ip)
    bad = h.spawn('bad_hashes_peer', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'bad_hashes_peer.py'),
                                      '--ip', bad_ip, '--port', str(bad_port), '--info-hash', v2[:40],
                                      '--timeout', str(TIMEOUT + 60)], ip=bad_ip, port=bad_port)
    honest.wait_for(r'lt_seed: seeding', 60)
    bad.wait_for(r'bad_hashes_peer listening', 10)
    out = h.path('magnet-out')
    os.makedirs(out, exist_ok=True)
    port = h.free_port('127.0.0.1')
    argv = [args.tessera, 'download', v2_magnet(v2, ti.name()), '-o', out, '--port', str(port), '--no-lsd',
            '--no-dht', '--state-dir', h.mkdir('magnet-state'), '--peer', f'{bad_ip}:{bad_port}',
            '--peer', f'{honest.ip}:{honest.port}'] + H.PLAINTEXT + H.tessera_interface_args('127.0.0.1', ())
    leech = h.spawn('tessera_bad_hashes', argv, ip='127.0.0.1', port=port)
    leech.kind = 'tessera'
    rc = leech.wait(TIMEOUT)
    lines = leech.lines()
    bans = [l for l in lines if 'banning' in l]
    H.check(not [l for l in bans if honest.ip in l], f'tessera banned the honest seeder: {bans}')
    H.check(rc == 0, f'tessera exited with {rc}')
    n = H.compare_trees(src, os.path.join(out, ti.name()))
    answered = [l for l in bad.lines() if ' answered: ' in l]
    H.log(f'bad hashes: {n} files identical; the bad peer answered {len(answered)} request(s); '
          f'bans: {[b.strip() for b in bans]}')
    H.check(answered, 'the bad peer was never asked for hashes: the test proves nothing')
    H.check(len(bans) == 1 and bad_ip in bans[0] and 'hashes that do not verify' in bans[0],
            f'expected one ban, of the bad peer {bad_ip} for its hashes: {bans}')


def body(h, args):
    H.check(args.tessera and os.access(args.tessera, os.X_OK), f'tessera binary not found: {args.tessera!r}')
    bad_block(h, args)
    bad_hashes(h, args)


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_v2_hostile', body, a)
