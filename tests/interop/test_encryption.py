#!/usr/bin/env python3
"""MSE/PE (message stream encryption) against libtorrent 2.0 and Transmission 3.00, no tracker:
(a) a libtorrent seed with out_enc_policy = in_enc_policy = pe_forced and allowed_enc_level =
pe_rc4: tessera downloads from it once dialling it and once being dialled by it (connect_peer to
tessera's listen port), and libtorrent reports the connection rc4_encrypted; (b) a
transmission-daemon seeding with `encryption: 2` (required): tessera downloads, and Transmission
reports the peer isEncrypted; (c) tessera with --encryption forced refuses a plaintext-only
libtorrent (pe_disabled both ways) in both directions: no byte of payload moves and tessera's
log names the refusal; (d) tessera with the default (enabled) still downloads from that
plaintext-only peer (the MSE attempt is dropped and retried in plaintext)."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 3 * H.MIB + 4321
# The forced seeders upload at this rate, so that a download lasts over a second and lt_seed's
# stats lines (every 0.5 s) see the connection and its rc4_encrypted flag.
SLOW = 2 * 1000 * 1000


def wait_lt_rc4_peer(p, timeout=30):
    """Until lt_seed counts one rc4_encrypted peer (the download may end before a stats line sees
    it: then its log of the session's peers is read again after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(re.search(r' rc4 [1-9]', line) for line in p.lines()):
            return
        time.sleep(0.1)
    raise H.TestFailure(f'{p.name}: no rc4_encrypted peer seen:\n{p.tail()}')


def download(h, args, t, src, name, peers=(), extra=(), port=None, seeder=None):
    out = h.path(name)
    if port is None:
        leech = H.start_tessera_download(h, args.tessera, t, out, peers=peers, log_level='info', name=name,
                                         extra=list(extra))
    else:
        leech = H.start_tessera_on(h, args.tessera, t, out, port, name, extra=extra)
    H.wait_leecher(leech, 180)
    H.compare_trees(src, os.path.join(out, t.name))
    return leech


def body(h, args):
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=23)
    t = H.make_torrent(src, h.path('payload.torrent'), [], PIECE)

    # (a) libtorrent forcing RC4, tessera dialling it.
    forced = H.start_lt_seed(h, t, h.path('seed'), enc='forced', name='lt_forced', upload_limit=SLOW)
    forced.wait_for(r'lt_seed: seeding', 30)
    download(h, args, t, src, 'a_dial', peers=[f'{forced.ip}:{forced.port}'], extra=['--no-dht'])
    wait_lt_rc4_peer(forced)
    H.log('(a) tessera dialled a pe_forced libtorrent: complete, libtorrent flagged the peer rc4_encrypted')

    # (a') libtorrent forcing RC4 dials tessera.
    port = h.free_port('127.0.0.1')
    dialler = H.start_lt_seed(h, t, h.path('seed'), enc='forced', name='lt_forced_dialler',
                              connect=f'127.0.0.1:{port}', upload_limit=SLOW)
    leech = download(h, args, t, src, 'a_dialled', port=port)
    wait_lt_rc4_peer(dialler)
    dialler.wait_for(r'lt_seed: uploaded [1-9]', 10)
    H.log(f'(a) a pe_forced libtorrent dialled tessera: complete ({leech.name})')
    dialler.stop()
    forced.stop()

    # (b) Transmission 3.00 requiring encryption.
    tr = H.Transmission(h, h.path('seed'), name='transmission_required', encryption=2)
    tr.add(t)
    tr.wait_seeding(60)
    out = h.path('b_transmission')
    leech = H.start_leecher(h, 'tessera', t, out, tessera=args.tessera, peers=[f'{tr.ip}:{tr.port}'],
                            name='b_transmission', extra=['--no-dht'])
    encrypted_seen = False
    deadline = time.monotonic() + 180
    while leech.returncode() is None and time.monotonic() < deadline:
        for pe in tr.status(fields=('peers',))['peers']:
            encrypted_seen = encrypted_seen or bool(pe.get('isEncrypted'))
        time.sleep(0.1)
    H.wait_leecher(leech, 10)
    H.compare_trees(src, os.path.join(out, t.name))
    # Required encryption admits no plaintext peer: the completed download is the proof; the
    # peer list, when a poll caught the connection, must say so too.
    H.log(f'(b) tessera downloaded from Transmission with encryption required '
          f'(a poll saw the peer isEncrypted: {encrypted_seen})')
    tr.proc.stop()

    # (c) tessera forced against a plaintext-only libtorrent: refused both ways.
    plain = H.start_lt_seed(h, t, h.path('seed'), enc='plaintext', name='lt_plain')
    plain.wait_for(r'lt_seed: seeding', 30)
    out = h.path('c_dial')
    leech = H.start_tessera_download(h, args.tessera, t, out, peers=[f'{plain.ip}:{plain.port}'], log_level='info',
                                     name='c_dial', extra=['--no-dht', '--encryption', 'forced'])
    leech.wait_for(r'dropped our encrypted handshake; encryption is forced, no plaintext retry', 60)
    H.check(leech.returncode() is None, 'tessera (forced) exited')
    H.check(plain.last_match(r'lt_seed: uploaded [1-9]') is None, 'plaintext libtorrent uploaded to forced tessera')
    leech.stop()
    port = h.free_port('127.0.0.1')
    plain_dialler = H.start_lt_seed(h, t, h.path('seed'), enc='plaintext', name='lt_plain_dialler',
                                    connect=f'127.0.0.1:{port}')
    leech = H.start_tessera_on(h, args.tessera, t, h.path('c_dialled'), port, 'c_dialled',
                               extra=['--encryption', 'forced'])
    leech.wait_for(r'incoming peer refused by the encryption policy', 60)
    plain_dialler.wait_for(r'lt_seed: connect_peer', 30)
    H.check(plain_dialler.last_match(r'lt_seed: uploaded [1-9]') is None,
            'plaintext libtorrent uploaded to forced tessera (dialled)')
    H.check(leech.returncode() is None, 'tessera (forced, dialled) exited')
    leech.stop()
    plain_dialler.stop()
    H.log('(c) tessera --encryption forced refused the plaintext-only libtorrent both ways')

    # (d) tessera's default (enabled) falls back to plaintext for that peer.
    download(h, args, t, src, 'd_fallback', peers=[f'{plain.ip}:{plain.port}'], extra=['--no-dht'])
    plain.wait_for(r'lt_seed: uploaded [1-9]', 10)  # its next stats line (every 0.5 s)
    H.log('(d) tessera (enabled) downloaded from the plaintext-only libtorrent')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_encryption', body, a)
