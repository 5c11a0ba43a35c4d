#!/usr/bin/env python3
"""libtorrent peer for the Fast Extension (BEP 6) interop test: one process, one 127.0.0.x
address, TCP only, no tracker needed (--connect dials the peer under test).

--seed: the data is in --save-path (seed_mode); otherwise it downloads into --save-path.
--choke-all: no upload slots (unchoke_slots_limit 0), and every address in the global peer class
so loopback peers do not bypass the limit: a peer is served only its allowed-fast pieces.

Prints, flushed: `lt_fast: listening <ip>:<port>`, one `lt_fast: log <line>` per peer-log line
of the BEP 6 messages and of choke/unchoke/bitfield/have, both directions (libtorrent's own
`==> HAVE_ALL`, `<== ALLOWED_FAST [ 3 ]`, ...), and `lt_fast: pieces <have>/<total> uploaded
<bytes>` every --stats-interval seconds. Runs until killed or --timeout.
"""
import argparse
import os
import re
import signal
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_alerts import AlertWaiter  # noqa: E402

LOGGED = re.compile(r'(<==|==>) (HAVE_ALL|HAVE_NONE|ALLOWED_FAST|REJECT_PIECE|SUGGEST_PIECE|'
                    r'UNCHOKE|CHOKE|BITFIELD|HAVE) ')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save-path', required=True)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--seed', action='store_true')
    ap.add_argument('--choke-all', action='store_true')
    ap.add_argument('--connect', help='ip:port of the peer to dial (again every second while none)')
    ap.add_argument('--stats-interval', type=float, default=0.5)
    ap.add_argument('--timeout', type=float, default=600)
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    ses = lt.session({
        'listen_interfaces': f'{args.ip}:{args.port}',
        'outgoing_interfaces': args.ip,
        'enable_incoming_utp': False,
        'enable_outgoing_utp': False,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'out_enc_policy': int(lt.enc_policy.pe_disabled),
        'in_enc_policy': int(lt.enc_policy.pe_enabled),
        'unchoke_slots_limit': 0 if args.choke_all else 8,
        'alert_mask': int(lt.alert.category_t.peer_log_notification
                          | lt.alert.category_t.error_notification
                          | lt.alert.category_t.status_notification),
    })
    if args.choke_all:
        f = lt.ip_filter()
        f.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.save_path
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    if args.seed:
        atp.flags |= lt.torrent_flags.seed_mode
    waiter = AlertWaiter(ses)
    h = ses.add_torrent(atp)
    total = atp.ti.num_pieces()

    def report(a):
        # At once: an alert is freed by the next pop_alerts().
        if isinstance(a, lt.peer_log_alert):
            m = a.message()
            if LOGGED.search(m):
                print(f'lt_fast: log {m}', flush=True)
        elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert)):
            print(f'lt_fast: alert {a.what()}: {a.message()}', flush=True)

    # The listen socket opens asynchronously: say `listening` only once it is open, so that a
    # peer dialled on that line is not refused (and left to its retry back-off).
    listen_deadline = time.monotonic() + 10
    listening = False
    while not listening and time.monotonic() < listen_deadline:
        waiter.wait(0.1)
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert):
                listening = True
            elif isinstance(a, lt.listen_failed_alert):
                print(f'lt_fast: alert {a.what()}: {a.message()}', flush=True)
                return 1
            else:
                report(a)
    # A torrent still loading (checking_resume_data) hangs up on incoming peers: say `listening`
    # only once it downloads or seeds, so that the first dial is not closed at once (and left to
    # the dialler's retry back-off).
    ready = (lt.torrent_status.states.downloading, lt.torrent_status.states.seeding,
             lt.torrent_status.states.finished)
    while h.status().state not in ready and time.monotonic() < listen_deadline:
        waiter.wait(0.1)
        for a in ses.pop_alerts():
            report(a)
    print(f'lt_fast: listening {args.ip}:{args.port}', flush=True)

    connect_to = None
    if args.connect:
        chost, cport = args.connect.rsplit(':', 1)
        connect_to = (chost, int(cport))
    deadline = time.monotonic() + args.timeout
    next_stats = next_connect = 0.0
    while not stop and time.monotonic() < deadline:
        for a in ses.pop_alerts():
            report(a)
        st = h.status()
        now = time.monotonic()
        if connect_to and st.num_peers == 0 and now >= next_connect:
            h.connect_peer(connect_to)
            next_connect = now + 1.0
        if now >= next_stats:
            print(f'lt_fast: pieces {st.num_pieces}/{total} uploaded {st.total_payload_upload}', flush=True)
            next_stats = now + args.stats_interval
        waiter.wait(0.1)
    print('lt_fast: exiting', flush=True)


if __name__ == '__main__':
    sys.exit(main())
