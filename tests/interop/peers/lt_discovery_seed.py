#!/usr/bin/env python3
"""A libtorrent seeder found through one peer-discovery mechanism only, for the trackerless
interop tests: the DHT (--mode dht, bootstrapping from --bootstrap and announcing the torrent) or
local service discovery (--mode lsd, BEP 14 multicast on its loopback address). Everything else is
off (no uTP, no UPnP/NAT-PMP, no tracker). Prints `lt_<mode>_seed: seeding 1 uploaded N peers P`
every second, and the discovery alerts it sees (`lt_dht_seed: incoming ...` for DHT queries,
`lt_lsd_seed: <alert>: ...` for LSD); runs until SIGTERM or --timeout."""
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
    ap.add_argument('--mode', choices=['dht', 'lsd'], required=True)
    ap.add_argument('--ip', required=True)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--torrent', required=True)
    ap.add_argument('--save-path', required=True)
    ap.add_argument('--bootstrap', default='', help='HOST:PORT of the DHT node to join (--mode dht)')
    ap.add_argument('--timeout', type=float, default=300)
    a = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    settings = {
        # An IPv6 --ip ('::1') is written [::1]:port.
        'listen_interfaces': (f'[{a.ip}]' if ':' in a.ip else a.ip) + f':{a.port}', 'outgoing_interfaces': a.ip,
        'enable_incoming_utp': False, 'enable_outgoing_utp': False,
        'enable_dht': a.mode == 'dht', 'enable_lsd': a.mode == 'lsd',
        'enable_upnp': False, 'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'out_enc_policy': int(lt.enc_policy.pe_disabled), 'in_enc_policy': int(lt.enc_policy.pe_enabled),
        'alert_mask': int(lt.alert.category_t.all_categories),
    }
    if a.mode == 'dht':
        settings.update({
            'dht_bootstrap_nodes': '',
            'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
            'dht_prefer_verified_node_ids': False, 'dht_enforce_node_id': False,
            'dht_ignore_dark_internet': False, 'dht_aggressive_lookups': True,
            'dht_announce_interval': 3,
        })
    else:
        settings['local_service_announce_interval'] = 2  # so that tessera hears it soon
    s = lt.session(settings)
    if a.mode == 'dht':
        host, port = a.bootstrap.rsplit(':', 1)
        s.add_dht_node((host.strip('[]'), int(port)))
    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(a.torrent)
    atp.save_path = a.save_path
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    atp.flags |= lt.torrent_flags.seed_mode
    waiter = AlertWaiter(s)
    h = s.add_torrent(atp)
    name = f'lt_{a.mode}_seed'
    print(f'{name}: listening {a.ip}:{a.port}', flush=True)
    end = time.monotonic() + a.timeout
    next_stats = 0.0
    while not stop and time.monotonic() < end:
        now = time.monotonic()
        if now >= next_stats:
            st = h.status()
            print(f'{name}: seeding {int(st.is_seeding)} uploaded {st.total_payload_upload} peers {st.num_peers}',
                  flush=True)
            next_stats = now + 1
        waiter.wait(0.2)
        for al in s.pop_alerts():
            if a.mode == 'dht' and isinstance(al, (lt.dht_announce_alert, lt.dht_get_peers_alert)):
                print(f'{name}: incoming {al.message()}', flush=True)
            elif a.mode == 'lsd' and ('LSD' in al.message() or 'local service discovery' in al.message()):
                print(f'{name}: {type(al).__name__}: {al.message()}', flush=True)
    print(f'{name}: exiting', flush=True)


if __name__ == '__main__':
    main()
