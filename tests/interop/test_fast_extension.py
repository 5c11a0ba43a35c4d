#!/usr/bin/env python3
"""Fast Extension (BEP 6) against libtorrent 2.0, with libtorrent's own peer log as the witness:
(1) a libtorrent seed sends have_all and tessera (which sends have_none, being empty) takes it as
the full set: the download completes and tessera logs the have_all; (2) a libtorrent leecher
dialling `tessera seed` receives tessera's have_all and exactly the canonical allowed-fast set for
its /24 (BEP 6's algorithm, recomputed here) and completes; (3) a libtorrent seed with no upload
slots never unchokes tessera but sends its allowed-fast set, and tessera downloads, verifies and
verifies every one of those pieces while choked."""
import hashlib
import os
import re
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
TOTAL = 2 * H.MIB + 777  # 65 pieces
TESSERA_SET_SIZE = 10    # peer_connection_settings::allowed_fast_set_size


def allowed_fast_set(ip, info_hash_hex, num_pieces, k):
    """BEP 6's canonical set, written here from the BEP's text (not from tessera's code)."""
    a = [int(x) for x in ip.split('.')]
    x = bytes([a[0], a[1], a[2], 0]) + bytes.fromhex(info_hash_hex)
    out = []
    while len(out) < min(k, num_pieces):
        x = hashlib.sha1(x).digest()
        for i in range(5):
            if len(out) >= k:
                break
            idx = struct.unpack('>I', x[4 * i:4 * i + 4])[0] % num_pieces
            if idx not in out:
                out.append(idx)
    return out


def start_lt_fast(h, t, save_path, seed, choke_all=False, connect=None, name='lt_fast'):
    ip = h.next_ip()
    port = h.free_port(ip)
    argv = [H.PYTHON, '-u', os.path.join(H.PEERS_DIR, 'lt_fast_peer.py'), '--torrent', t.path,
            '--save-path', save_path, '--ip', ip, '--port', str(port)]
    if seed:
        argv.append('--seed')
    if choke_all:
        argv.append('--choke-all')
    if connect:
        argv += ['--connect', connect]
    p = h.spawn(name, argv, ip=ip, port=port)
    p.kind = 'libtorrent'
    p.wait_for(r'lt_fast: listening', 30)
    return p


def logged(p, direction, event):
    """The argument lists of libtorrent's peer-log lines `direction event [ args ]`."""
    pat = re.compile(re.escape(direction) + r' ' + event + r' \[ ?([^\]]*)\]')
    return [m.group(1).strip() for m in (pat.search(line) for line in p.lines()) if m]


def verified_set(t, save_path):
    """The indices of the pieces of `t` under `save_path` that match their SHA-1."""
    data = bytearray()
    for path, size in H.torrent_file_paths(t, save_path):
        try:
            with open(path, 'rb') as f:
                chunk = f.read(size)
        except OSError:
            chunk = b''
        data += chunk + bytes(size - len(chunk))
    plen = t.piece_length
    return {i for i in range(t.num_pieces)
            if hashlib.sha1(data[i * plen:(i + 1) * plen]).digest() == bytes(t.ti.hash_for_piece(i))}


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.1)
    raise H.TestFailure(f'timed out after {timeout} s waiting for {what}')


def body(h, args):
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=61)
    t = H.make_torrent(src, h.path('payload.torrent'), [], PIECE)
    n = t.num_pieces

    # (1) libtorrent seed -> tessera: have_all in place of the bitfield.
    seed = start_lt_fast(h, t, h.path('seed'), seed=True, name='lt_seed_fast')
    out1 = h.path('out1')
    leech = H.start_tessera_download(h, args.tessera, t, out1, peers=[f'{seed.ip}:{seed.port}'],
                                     log_level='debug', name='tessera_leech1')
    H.wait_leecher(leech, 120)
    H.compare_trees(src, os.path.join(out1, t.name))
    H.check(leech.last_match(r'peer \S+: have_all') is not None, 'tessera did not log a have_all')
    H.check(logged(seed, '==>', 'HAVE_ALL'), 'libtorrent sent no have_all')
    H.check(logged(seed, '<==', 'HAVE_NONE'), 'tessera (empty) did not send have_none')
    H.check(not logged(seed, '<==', 'BITFIELD'), 'tessera sent a bitfield to a fast peer')
    seed.stop()
    H.log('(1) libtorrent have_all taken as the full set; tessera sent have_none')

    # (2) tessera seed -> libtorrent leecher: have_all and the canonical allowed-fast set.
    seed_port = h.free_port('127.0.0.1')
    tseed = h.spawn('tessera_seed', [args.tessera, 'seed', t.path, '-d', h.path('seed'),
                                     '--port', str(seed_port), '--interface', '127.0.0.1', '--no-lsd'],
                    ip='127.0.0.1', port=seed_port)
    tseed.wait_for(r'tessera: seeding .* on port \d+', 60)
    lt_leech = start_lt_fast(h, t, h.mkdir('out2'), seed=False,
                             connect=f'127.0.0.1:{seed_port}', name='lt_leech_fast')
    lt_leech.wait_for(rf'lt_fast: pieces {n}/{n}', 120)
    H.compare_trees(src, os.path.join(h.path('out2'), t.name))
    H.check(logged(lt_leech, '<==', 'HAVE_ALL'), 'libtorrent did not receive a have_all from tessera')
    H.check(not logged(lt_leech, '<==', 'BITFIELD'), 'tessera sent a bitfield besides have_all')
    got = [int(x) for x in logged(lt_leech, '<==', 'ALLOWED_FAST')]
    want = allowed_fast_set(lt_leech.ip, t.info_hash_hex, n, TESSERA_SET_SIZE)
    H.check(got == want, f'allowed-fast set from tessera {got}, BEP 6 gives {want}')
    lt_leech.stop()
    tseed.stop()
    H.log(f'(2) libtorrent got tessera\'s have_all and allowed-fast set {got}')

    # (3) a libtorrent seed that never unchokes: tessera still gets its allowed-fast pieces.
    choker = start_lt_fast(h, t, h.path('seed'), seed=True, choke_all=True, name='lt_seed_choking')
    out3 = h.path('out3')
    leech3 = H.start_tessera_download(h, args.tessera, t, out3, peers=[f'{choker.ip}:{choker.port}'],
                                      log_level='debug', name='tessera_leech3')
    wait_until(lambda: len(logged(choker, '==>', 'ALLOWED_FAST')) >= 1, 30, 'libtorrent allowed_fast')

    # tessera announces nothing to a seed (it has every piece): the pieces on disk are the witness.
    def has_the_set():
        allowed = {int(x) for x in logged(choker, '==>', 'ALLOWED_FAST')}
        return allowed and allowed <= verified_set(t, out3)
    wait_until(has_the_set, 60, 'tessera to verify every allowed-fast piece')
    allowed = sorted(int(x) for x in logged(choker, '==>', 'ALLOWED_FAST'))
    H.check(not logged(choker, '==>', 'UNCHOKE'), 'the choking libtorrent seed unchoked tessera')
    H.check(leech3.alive(), 'tessera exited although it cannot complete')
    got3 = sorted(verified_set(t, out3))
    H.check(got3 == allowed, f'tessera has pieces {got3}, only the allowed-fast {allowed} were served')

    def lt_uploaded():
        m = choker.last_match(r'lt_fast: pieces \d+/\d+ uploaded (\d+)')
        return int(m.group(1)) if m else 0
    # Its stats line comes every 0.5 s; the pieces came from it (the only peer), so it must say so.
    wait_until(lambda: lt_uploaded() >= (len(allowed) - 1) * PIECE, 10, 'libtorrent to count the upload')
    lt_up = lt_uploaded()
    H.log(f'(3) choked by libtorrent, tessera fetched its allowed-fast pieces {allowed} ({lt_up} bytes)')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_fast_extension', body, a)
