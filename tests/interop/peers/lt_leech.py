#!/usr/bin/env python3
"""libtorrent leecher for interop tests and the swarm bench: TCP only, one 127.0.0.x address.

Downloads a torrent into --save-path and exits 0 once every piece is verified. Its stdout follows
the tessera CLI contract, so the harness parses every leecher the same way:
  lt_leech: checked H/N pieces already present
  progress <done>/<N> pieces <pct>% ...
  lt_leech: complete <name>: <size> bytes in <secs> s, downloaded <bytes> bytes
Exit codes: 0 done, 4 timeout, 130 on SIGINT/SIGTERM.
"""
import argparse
import os
import signal
import sys
import time

import libtorrent as lt

# peer_info::utp_socket (libtorrent 2.0's 17_bit, between i2p_socket and ssl_socket; rc4_encrypted
# is 19_bit), which the Python binding does not name.
UTP_SOCKET = 1 << 17

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lt_alerts import AlertWaiter  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save-path', required=True)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--peer', action='append', default=[], help='IP:PORT to connect to directly')
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('--progress-interval', type=float, default=0.5)
    ap.add_argument('--download-limit', type=int, default=0, help='bytes/s, 0 = unlimited')
    ap.add_argument('--skip-all', action='store_true',
                    help='every file at priority 0: it downloads nothing and stays a leecher '
                         '(announcing left > 0) until killed or --timeout')
    ap.add_argument('--transport', choices=['tcp', 'utp'], default='tcp',
                    help='peer transport, both directions (utp: uTP only, BEP 29)')
    ap.add_argument('--no-pex', action='store_true',
                    help='no ut_pex (BEP 11): learn no peers from others, so dial none of them')
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    settings = {
        'listen_interfaces': f'{args.ip}:{args.port}',
        'outgoing_interfaces': args.ip,
        'enable_incoming_utp': args.transport == 'utp',
        'enable_outgoing_utp': args.transport == 'utp',
        'enable_incoming_tcp': args.transport == 'tcp',
        'enable_outgoing_tcp': args.transport == 'tcp',
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'out_enc_policy': int(lt.enc_policy.pe_disabled),
        'in_enc_policy': int(lt.enc_policy.pe_enabled),
        'ssrf_mitigation': False,
        'announce_to_all_trackers': True,
        'announce_to_all_tiers': True,
        'alert_mask': int(lt.alert.category_t.error_notification
                          | lt.alert.category_t.status_notification
                          | lt.alert.category_t.connect_notification),
        'download_rate_limit': args.download_limit,
    }
    if args.no_pex:  # the default plugins but ut_pex
        ses = lt.session(settings, 0)
        ses.add_extension('ut_metadata')
        ses.add_extension('smart_ban')
    else:
        ses = lt.session(settings)
    ti = lt.torrent_info(args.torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = args.save_path
    if args.skip_all:
        atp.file_priorities = [0] * ti.num_files()
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    t0 = time.monotonic()
    waiter = AlertWaiter(ses)
    h = ses.add_torrent(atp)
    n = ti.num_pieces()

    checked_said = False
    connected = False
    next_progress = 0.0
    next_peers = 0.0
    peers_seen = {}
    deadline = t0 + args.timeout
    while not stop and time.monotonic() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert, lt.listen_failed_alert,
                              lt.peer_disconnected_alert)):
                print(f'lt_leech: alert {a.what()}: {a.message()}', flush=True)
        st = h.status()
        if not checked_said and st.state not in (lt.torrent_status.checking_files,
                                                 lt.torrent_status.checking_resume_data):
            print(f'lt_leech: checked {st.num_pieces}/{n} pieces already present', flush=True)
            checked_said = True
            for p in args.peer:
                ip, port = p.rsplit(':', 1)
                h.connect_peer((ip, int(port)))
        now = time.monotonic()
        if now >= next_peers:
            for pi in h.get_peer_info():
                peers_seen[f'{pi.ip[0]}:{pi.ip[1]}'] = (pi.client, pi.total_download,
                                                       bool(pi.flags & UTP_SOCKET))
            next_peers = now + 1.0
        if checked_said and st.num_pieces == n:
            secs = now - t0
            for pi in h.get_peer_info():
                peers_seen[f'{pi.ip[0]}:{pi.ip[1]}'] = (pi.client, pi.total_download,
                                                       bool(pi.flags & UTP_SOCKET))
            for ep, (client, down, utp) in sorted(peers_seen.items()):
                print(f'lt_leech: peer {ep} client {client!r} downloaded {down}'
                      f' transport {"utp" if utp else "tcp"}', flush=True)
            print(f'progress {n}/{n} pieces 100.0% peers {st.num_peers}', flush=True)
            print(f'lt_leech: complete {ti.name()}: {ti.total_size()} bytes in {secs:.3f} s, '
                  f'downloaded {st.total_payload_download} bytes', flush=True)
            return 0
        if now >= next_progress:
            print(f'progress {st.num_pieces}/{n} pieces {100.0 * st.num_pieces / n:.1f}% '
                  f'peers {st.num_peers} rate {st.download_payload_rate} B/s '
                  f'uploaded {st.total_payload_upload}', flush=True)
            next_progress = now + args.progress_interval
        waiter.wait(0.05)
    if stop:
        print('lt_leech: interrupted', flush=True)
        return 130
    print('lt_leech: timeout', flush=True)
    return 4


if __name__ == '__main__':
    sys.exit(main())
