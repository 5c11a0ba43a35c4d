#!/usr/bin/env python3
"""libtorrent leecher of a magnet link for interop tests: one 127.0.0.x address, TCP only.

Adds --magnet (a v1, v2 `urn:btmh:` or hybrid magnet), dials every --peer, fetches the metadata and
the data into --save-path, and exits 0 when every piece is there, printing
`lt_magnet_leech: complete <name>: <bytes> bytes`; exit 4 on --timeout. With a v2 magnet the info
dictionary carries no piece layers: libtorrent asks its peers for them with BEP 52 hash requests.
"""
import argparse
import os
import signal
import sys
import time

import libtorrent as lt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_alerts import AlertWaiter  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--magnet', required=True)
    ap.add_argument('--save-path', required=True)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--peer', action='append', default=[], help='IP:PORT to connect to directly')
    ap.add_argument('--timeout', type=float, default=300)
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
        'ssrf_mitigation': False,
        'alert_mask': int(lt.alert.category_t.error_notification | lt.alert.category_t.status_notification),
    })
    atp = lt.parse_magnet_uri(args.magnet)
    atp.save_path = args.save_path
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    waiter = AlertWaiter(ses)
    h = ses.add_torrent(atp)
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    next_dial = 0.0
    next_progress = 0.0
    while not stop and time.monotonic() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.hash_failed_alert,
                              lt.metadata_received_alert)):
                print(f'lt_magnet_leech: alert {a.what()}: {a.message()}', flush=True)
        st = h.status()
        now = time.monotonic()
        if st.num_peers == 0 and now >= next_dial:
            for p in args.peer:
                ip, port = p.rsplit(':', 1)
                h.connect_peer((ip, int(port)))
            next_dial = now + 1.0
        if st.has_metadata and st.is_seeding:
            ti = h.torrent_file()
            print(f'lt_magnet_leech: complete {ti.name()}: {ti.total_size()} bytes in {now - t0:.3f} s, '
                  f'downloaded {st.total_payload_download} bytes', flush=True)
            return 0
        if now >= next_progress:
            print(f'progress {st.num_pieces} pieces {100.0 * st.progress:.1f}% peers {st.num_peers} '
                  f'metadata {st.has_metadata} state {st.state}', flush=True)
            next_progress = now + 0.5
        waiter.wait(0.05)
    print('lt_magnet_leech: ' + ('interrupted' if stop else 'timeout'), flush=True)
    return 130 if stop else 4


if __name__ == '__main__':
    sys.exit(main())
