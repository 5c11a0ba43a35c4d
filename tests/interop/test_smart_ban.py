#!/usr/bin/env python3
"""Smart ban (issue 9, item 7): an honest libtorrent seeder and a corrupting peer share the swarm,
and pieces are assembled from both.

The honest seeder (peers/lt_seed.py) is rate-limited, so tessera keeps few requests in flight to
it and its pieces stay open long enough for the other peer to be asked for blocks of them. The
corrupting peer (peers/liar_peer.py) answers the first request of each piece with that block,
8 bytes inverted, and chokes for 50 ms after every request, so it sends at most one block of
each piece: every piece it touches fails, every such piece has blocks from both, and it is never
the only sender of a piece.

Before the smart ban, every peer that sent a block of a failed piece got a strike and three
strikes meant a ban: the honest seeder shared every failure, was banned at the third, and with
both peers banned the download stalled. Now nobody is punished for a failure of a piece from
several peers; the piece is fetched again from one peer, and when it passes, the peer whose
block differs from the verified one is banned.

Checks: tessera completes with identical files; its log shows hash failures of pieces with blocks
from both peers; one ban, of the liar, for a block that differs from the verified piece; none of
the honest seeder, which served the whole payload; the liar saw one connection, closed at the
ban, long before tessera exited.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 256 * H.KIB             # 16 blocks per piece
TOTAL = 8 * H.MIB + 40000       # 33 pieces, the last one short but of 3 blocks
HONEST_LIMIT = 2 * H.MIB        # bytes/s: about 4 s for the payload
TIMEOUT = 60                    # the download, seconds


def body(h, args):
    src_parent = h.mkdir('seed')
    src = os.path.join(src_parent, 'payload.bin')
    H.make_payload(src_parent, [('payload.bin', TOTAL)], seed=47)
    t = H.make_torrent(src, h.path('payload.torrent'), [], PIECE)

    honest = H.start_lt_seed(h, t, src_parent, upload_limit=HONEST_LIMIT, name='lt_honest')
    liar_ip = h.next_ip()
    liar_port = h.free_port(liar_ip)
    liar = h.spawn('liar_peer', [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'liar_peer.py'),
                                 '--ip', liar_ip, '--port', str(liar_port), '--info-hash', t.info_hash_hex,
                                 '--num-pieces', str(t.num_pieces), '--piece-length', str(t.piece_length),
                                 '--data', src, '--timeout', str(TIMEOUT + 60)],
                   ip=liar_ip, port=liar_port)
    honest.wait_for(r'lt_seed: seeding', 30)
    liar.wait_for(r'liar_peer listening', 10)
    H.log(f'{t.num_pieces} pieces of {PIECE} bytes; honest seeder {honest.ip} at {HONEST_LIMIT} B/s, '
          f'liar {liar_ip}')

    out = h.path('out')
    peers = [f'{liar_ip}:{liar_port}', f'{honest.ip}:{honest.port}']
    leech = H.start_tessera_download(h, os.path.abspath(args.tessera), t, out, peers=peers,
                                     log_level='info', extra=H.PLAINTEXT)
    rc = leech.wait(TIMEOUT)
    exit_wall = time.time()
    lines = leech.lines()
    honest_bans = [l for l in lines if 'banning' in l and honest.ip in l]
    H.check(not honest_bans, f'tessera banned the honest seeder: {honest_bans[0].strip() if honest_bans else ""}')
    H.check(rc is not None, f'tessera did not finish within {TIMEOUT} s')
    H.check(rc == 0, f'tessera exited with code {rc}')
    n = H.compare_trees(src_parent, out)
    H.log(f'{n} file(s) identical after {time.monotonic() - leech.started:.1f} s')

    fails = [l for l in lines if 'failed the hash check' in l]
    mixed = [l for l in fails if liar_ip in l and honest.ip in l]
    bans = [l for l in lines if 'banning' in l]
    lies = len([l for l in liar.lines() if ' lied: ' in l])
    H.log(f'the liar sent {lies} corrupt block(s); tessera logged {len(fails)} hash failure(s), '
          f'{len(mixed)} of pieces with blocks from both peers, {len(bans)} ban(s)')
    for l in mixed[:2] + bans:
        H.log('  ' + l.strip())
    H.check(mixed, 'no failed piece had blocks from both peers: the test proves nothing')
    H.check(len(bans) == 1 and liar_ip in bans[0], f'expected one ban, of the liar {liar_ip}: {bans}')
    H.check(re.search(r'differs from the verified piece', bans[0]),
            f'the liar was not banned by comparing its block with the verified piece: {bans[0].strip()}')

    time.sleep(0.6)  # one more stats line from the honest seeder
    honest_up = H.lt_seed_uploaded(honest)
    H.log(f'honest seeder uploaded {honest_up} bytes')
    H.check(honest_up >= t.total_size, f'the honest seeder served only {honest_up} bytes')
    # tessera dials from 127.0.0.1; the honest seeder may dial the liar too (it learns it by PEX).
    conns = {l.split()[2] for l in liar.lines() if ' accepted from 127.0.0.1:' in l}
    accepted = [l for l in liar.lines() if ' accepted from 127.0.0.1:' in l]
    closed = [l for l in liar.lines() if ' closed by remote ' in l and l.split()[2] in conns]
    H.check(len(accepted) == 1, f'tessera connected {len(accepted)} times to the liar: a banned peer '
            'must not be dialled again')
    H.check(len(closed) == 1, 'tessera kept its connection to the liar open')
    closed_at = float(closed[0].split(' at ')[1].split(',')[0])
    H.check(closed_at < exit_wall - 0.5, 'tessera only dropped the liar when it exited, not at the ban')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    if a.leecher != 'tessera':
        print('test_smart_ban checks tessera only (--leecher tessera)')
        sys.exit(2)
    H.run_test('test_smart_ban', body, a)
