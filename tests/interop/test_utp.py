#!/usr/bin/env python3
"""uTP (BEP 29) peer connections against libtorrent 2.0 (issue 13, test 1):
(a) a libtorrent seeder with TCP turned off (uTP only): tessera, given only its address, tries
TCP, falls back to uTP and downloads everything; libtorrent counts the peer as a uTP one;
(b) the same seeder dials tessera itself (connect_peer): tessera accepts the incoming uTP
connection and downloads; (e) tessera --no-utp does not reach the uTP-only seeder (nothing
downloaded while it keeps trying).

Not here, because they do not pass yet (issue 13's test 1 names both): (c) a libtorrent leecher
with TCP turned off downloading from a tessera seed: tessera's uTP upload to libtorrent stalls
after a few MB in most runs on a loaded machine, until libtorrent times the connection out and
dials again (4 MiB then takes about a minute, or more than two: 1 failure and 2 slow runs of 3
with a CI build running; 1 fast run on the idle machine); (d) Transmission 3.00 over uTP: a
Transmission leecher with uTP on never connected to a tessera seed it got from opentracker, cause
not found. See docs/bep-support.md, BEP 29."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB
TOTAL = 4 * H.MIB + 777


def wait_utp_peer(p, timeout=30):
    """Until lt_seed's stats line counts a uTP peer (it may be seen only while connected)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(re.search(r' utp [1-9]', line) for line in p.lines()):
            return
        time.sleep(0.1)
    raise H.TestFailure(f'{p.name}: no uTP peer seen:\n{p.tail()}')


def body(h, args):
    src = h.path('seed', 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=29)
    t = H.make_torrent(src, h.path('payload.torrent'), [], PIECE)

    # (a) tessera dials a uTP-only libtorrent. The seeder is rate limited so that its stats
    # lines (every 0.5 s) see the connection.
    seed = H.start_lt_seed(h, t, h.path('seed'), transport='utp', name='lt_utp_seed', upload_limit=2_000_000)
    seed.wait_for(r'lt_seed: seeding', 30)
    out = h.path('a_dial')
    leech = H.start_tessera_download(h, args.tessera, t, out, peers=[f'{seed.ip}:{seed.port}'],
                                     log_level='info', name='a_dial', extra=['--no-dht'])
    H.wait_leecher(leech, 120)
    H.compare_trees(src, os.path.join(out, t.name))
    wait_utp_peer(seed)
    H.log('(a) tessera downloaded from a uTP-only libtorrent seeder (TCP attempt, then uTP)')

    # (b) the uTP-only seeder dials tessera.
    port = h.free_port('127.0.0.1')
    dialler = H.start_lt_seed(h, t, h.path('seed'), transport='utp', name='lt_utp_dialler',
                              connect=f'127.0.0.1:{port}', upload_limit=2_000_000)
    out = h.path('b_dialled')
    leech = H.start_tessera_on(h, args.tessera, t, out, port, 'b_dialled')
    H.wait_leecher(leech, 120)
    H.compare_trees(src, os.path.join(out, t.name))
    wait_utp_peer(dialler)
    dialler.stop()
    seed.stop()
    H.log('(b) a uTP-only libtorrent dialled tessera: incoming uTP accepted, complete')

    # (e) --no-utp: the uTP-only seeder is unreachable.
    seed = H.start_lt_seed(h, t, h.path('seed'), transport='utp', name='lt_utp_seed_e')
    seed.wait_for(r'lt_seed: seeding', 30)
    out = h.path('e_no_utp')
    leech = H.start_tessera_download(h, args.tessera, t, out, peers=[f'{seed.ip}:{seed.port}'],
                                     log_level='debug', name='e_no_utp', extra=['--no-dht', '--no-utp'])
    # Two TCP attempts and their failure logged, then still nothing from the seeder.
    deadline = time.monotonic() + 30
    while len(re.findall(rf'{re.escape(seed.ip)}:{seed.port}', leech.text())) < 2:
        if time.monotonic() > deadline:
            raise H.TestFailure(f'no TCP attempt logged:\n{leech.tail()}')
        time.sleep(0.2)
    H.check(H.lt_seed_uploaded(seed) == 0, 'the uTP-only seeder uploaded to a --no-utp tessera')
    H.check('trying uTP' not in leech.text(), 'tessera tried uTP with --no-utp')
    leech.stop()
    H.log('(e) tessera --no-utp never reached the uTP-only seeder')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_utp', body, a)
