#!/usr/bin/env python3
"""libtorrent seeder for interop tests: one process, one 127.0.0.x address, TCP only (--transport
utp: uTP only; both: either).

Seeds a v1 torrent whose data is already in --save-path, announces to the torrent's trackers and
runs until killed (SIGTERM/SIGINT/SIGKILL) or until --timeout seconds. Prints, flushed, one line
`lt_seed: uploaded <payload bytes> peers <n>` every --stats-interval seconds (with --enc, followed
by `rc4 <n> plain <n>`: the connected peers by libtorrent's rc4_encrypted flag), so a harness can
read how much it served. With --connect ip:port it also dials that peer itself (connect_peer),
again every second while it has no peer, as an honest peer that wants in keeps trying.
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


ENC = {
    # --enc: (out_enc_policy, in_enc_policy, allowed_enc_level)
    'default': ('pe_disabled', 'pe_enabled', 'pe_both'),  # plain handshakes out, either in
    'plaintext': ('pe_disabled', 'pe_disabled', 'pe_plaintext'),  # no MSE at all, both ways
    'forced': ('pe_forced', 'pe_forced', 'pe_rc4'),  # MSE with RC4 only, both ways
}


def settings_for(ip, port, upload_limit, enc='default', transport='tcp'):
    out_pol, in_pol, level = ENC[enc]
    utp = transport in ('utp', 'both')
    tcp = transport in ('tcp', 'both')
    return {
        'listen_interfaces': f'{ip}:{port}',
        'outgoing_interfaces': ip,
        'enable_incoming_utp': utp,
        'enable_outgoing_utp': utp,
        'enable_incoming_tcp': tcp,
        'enable_outgoing_tcp': tcp,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        # Default: plain BitTorrent handshakes (the peers under test may not speak MSE); --enc
        # changes it.
        'out_enc_policy': int(getattr(lt.enc_policy, out_pol)),
        'in_enc_policy': int(getattr(lt.enc_policy, in_pol)),
        'allowed_enc_level': int(getattr(lt.enc_level, level)),
        'upload_rate_limit': upload_limit,
        'download_rate_limit': 0,
        'unchoke_slots_limit': 16,
        'connections_limit': 200,
        'announce_to_all_trackers': True,
        'announce_to_all_tiers': True,
        'ssrf_mitigation': False,
        'alert_mask': int(lt.alert.category_t.error_notification
                          | lt.alert.category_t.status_notification
                          | lt.alert.category_t.tracker_notification),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save-path', required=True)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--upload-limit', type=int, default=0, help='bytes/s, 0 = unlimited')
    ap.add_argument('--recheck', action='store_true', help='hash the data instead of seed_mode')
    ap.add_argument('--stats-interval', type=float, default=0.5)
    ap.add_argument('--timeout', type=float, default=3600)
    ap.add_argument('--connect', help='ip:port of a peer to dial (again every second while no peer)')
    ap.add_argument('--enc', choices=sorted(ENC), default='default',
                    help='MSE/PE policy; the stats line then counts peers by encryption')
    ap.add_argument('--transport', choices=['tcp', 'utp', 'both'], default='tcp',
                    help='peer transports, both directions (utp: uTP only, BEP 29)')
    args = ap.parse_args()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    ses = lt.session(settings_for(args.ip, args.port, args.upload_limit, args.enc, args.transport))
    if args.upload_limit:
        # Loopback peers fall in libtorrent's local peer class, which is exempt from the global
        # rate limit; put every address in the global class so the limit applies.
        f = lt.ip_filter()
        f.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
        ses.set_peer_class_filter(f)
    waiter = AlertWaiter(ses)
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = args.save_path
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    if not args.recheck:
        atp.flags |= lt.torrent_flags.seed_mode
    h = ses.add_torrent(atp)
    print(f'lt_seed: listening {args.ip}:{args.port} info_hash {atp.ti.info_hash()}', flush=True)

    deadline = time.monotonic() + args.timeout
    next_stats = 0.0
    next_connect = 0.0
    connect_to = None
    if args.connect:
        chost, cport = args.connect.rsplit(':', 1)
        connect_to = (chost, int(cport))
    seeding_said = False
    while not stop and time.monotonic() < deadline:
        for a in ses.pop_alerts():
            if isinstance(a, (lt.tracker_error_alert, lt.tracker_reply_alert,
                              lt.listen_failed_alert, lt.listen_succeeded_alert,
                              lt.torrent_error_alert, lt.file_error_alert)):
                print(f'lt_seed: alert {a.what()}: {a.message()}', flush=True)
        st = h.status()
        if not seeding_said and st.is_seeding:
            print('lt_seed: seeding', flush=True)
            seeding_said = True
        now = time.monotonic()
        if connect_to and st.num_peers == 0 and now >= next_connect:
            h.connect_peer(connect_to)
            print(f'lt_seed: connect_peer {args.connect}', flush=True)
            next_connect = now + 1.0
        if now >= next_stats:
            line = f'lt_seed: uploaded {st.total_payload_upload} peers {st.num_peers}'
            if args.transport != 'tcp':
                utp = sum(1 for pi in h.get_peer_info() if pi.flags & UTP_SOCKET)
                line += f' utp {utp}'
            if args.enc != 'default':
                peers = h.get_peer_info()
                rc4 = sum(1 for pi in peers if pi.flags & lt.peer_info.rc4_encrypted)
                line += f' rc4 {rc4} plain {len(peers) - rc4}'
            print(line, flush=True)
            next_stats = now + args.stats_interval
        waiter.wait(0.1)
    st = h.status()
    print(f'lt_seed: uploaded {st.total_payload_upload} peers {st.num_peers}', flush=True)
    print('lt_seed: exiting', flush=True)


if __name__ == '__main__':
    sys.exit(main())
