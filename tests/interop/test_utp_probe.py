#!/usr/bin/env python3
"""uTP (BEP 29) against libtorrent 2.0: a libtorrent seeder with TCP turned off (uTP only, in this
process, on 127.0.0.61) and tessera's uTP stack in the utp_probe helper (tests/interop/tools,
127.0.0.62). The probe connects over uTP, exchanges BitTorrent handshakes (BEP 3) and must print
libtorrent's handshake for our info-hash and its bitfield with every piece set; then it requests
the first 8 blocks of piece 0 and the SHA-1 of what arrived must match the file's bytes.
Reverse: a libtorrent leecher (uTP only, 127.0.0.63) dials the probe listening on 127.0.0.62; the
probe must read libtorrent's handshake for the info-hash, answer with a full bitfield and receive
libtorrent's interested.

utp_probe is found next to the tessera binary (<build>/tests/utp_probe) or given by --utp-probe.
Loopback only. Exit 77 (skip) without python3-libtorrent."""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402,F401  (re-executes under the system Python, which has libtorrent)

try:
    import libtorrent as lt
except ImportError:
    print('SKIP test_utp_probe: python3-libtorrent is not installed')
    sys.exit(77)

SEED_IP = '127.0.0.61'
PROBE_IP = '127.0.0.62'
LEECH_IP = '127.0.0.63'
PIECE = 256 * 1024
TOTAL = 3 * PIECE + 12345
BLOCKS = 8


def make_torrent(d):
    data = bytes((i * 131 + (i >> 9)) & 0xff for i in range(TOTAL))
    path = os.path.join(d, 'utp_payload.bin')
    with open(path, 'wb') as f:
        f.write(data)
    fs = lt.file_storage()
    lt.add_files(fs, path)
    ct = lt.create_torrent(fs, PIECE, flags=lt.create_torrent.v1_only)
    lt.set_piece_hashes(ct, d)
    ti = lt.torrent_info(lt.bencode(ct.generate()))
    return ti, data


def utp_only_session(ip):
    return lt.session({
        'listen_interfaces': f'{ip}:0',
        'outgoing_interfaces': ip,
        'enable_incoming_tcp': False, 'enable_outgoing_tcp': False,
        'enable_incoming_utp': True, 'enable_outgoing_utp': True,
        'enable_dht': False, 'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
        'in_enc_policy': int(lt.enc_policy.pe_enabled), 'out_enc_policy': int(lt.enc_policy.pe_disabled),
        'alert_mask': int(lt.alert.category_t.status_notification | lt.alert.category_t.error_notification),
    })


def reverse(probe, ti, info_hash, d):
    """libtorrent dials the listening probe over uTP. Returns a list of failures."""
    leech_dir = os.path.join(d, 'leech')
    os.makedirs(leech_dir)
    p = subprocess.Popen([probe, '--bind', PROBE_IP, '--listen-port', '0', '--info-hash', info_hash,
                          '--pieces', str(ti.num_pieces()), '--timeout', '60'],
                         stdout=subprocess.PIPE, text=True)
    first = p.stdout.readline().strip()
    if not first.startswith('listening='):
        p.kill()
        return [f'probe did not listen: {first!r}']
    port = int(first.split('=', 1)[1])
    ses = utp_only_session(LEECH_IP)
    h = ses.add_torrent({'ti': ti, 'save_path': leech_dir})
    h.connect_peer((PROBE_IP, port))
    try:
        out, _ = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    print(out, end='')
    kv = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    failures = []
    if p.returncode != 0:
        failures.append(f'listening probe exited {p.returncode}')
    if kv.get('handshake_info_hash') != info_hash:
        failures.append(f"libtorrent's handshake info-hash {kv.get('handshake_info_hash')!r} != {info_hash}")
    if kv.get('first_message_id') != '2':
        failures.append(f"libtorrent's first message {kv.get('first_message_id')!r}, not interested (2)")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tessera', default='')
    ap.add_argument('--utp-probe', default='')
    args = ap.parse_args()
    probe = args.utp_probe or (
        os.path.join(os.path.dirname(os.path.dirname(args.tessera)), 'tests', 'utp_probe') if args.tessera else '')
    if not (probe and os.access(probe, os.X_OK)):
        print(f'FAIL test_utp_probe: utp_probe not found ({probe!r}): build it or pass --utp-probe')
        return 1
    with tempfile.TemporaryDirectory() as d:
        ti, data = make_torrent(d)
        ses = utp_only_session(SEED_IP)
        h = ses.add_torrent({'ti': ti, 'save_path': d, 'flags': lt.torrent_flags.seed_mode})
        deadline = time.time() + 30
        port = 0
        while time.time() < deadline and not (port and h.status().is_seeding):
            for a in ses.pop_alerts():
                if isinstance(a, lt.listen_succeeded_alert) and a.socket_type == lt.socket_type_t.utp:
                    port = a.port
            time.sleep(0.05)
        if not port:
            print('FAIL test_utp_probe: libtorrent reported no uTP listen socket')
            return 1
        info_hash = str(ti.info_hashes().v1)
        out = subprocess.run([probe, '--bind', PROBE_IP, '--peer', f'{SEED_IP}:{port}', '--info-hash', info_hash,
                              '--blocks', str(BLOCKS), '--timeout', '60'],
                             capture_output=True, text=True, timeout=90)
        print(out.stdout, end='')
        print(out.stderr, end='', file=sys.stderr)
        kv = dict(line.split('=', 1) for line in out.stdout.splitlines() if '=' in line)
        failures = []
        if out.returncode != 0:
            failures.append(f'utp_probe exited {out.returncode}')
        if kv.get('handshake_protocol') != 'BitTorrent protocol':
            failures.append(f"handshake protocol {kv.get('handshake_protocol')!r}")
        if kv.get('handshake_info_hash') != info_hash:
            failures.append(f"handshake info-hash {kv.get('handshake_info_hash')!r} != {info_hash}")
        if kv.get('first_message_id') != '5':
            failures.append(f"first message id {kv.get('first_message_id')!r}, not a bitfield (5)")
        if kv.get('first_message_bits_set') != str(ti.num_pieces()):
            failures.append(f"bitfield has {kv.get('first_message_bits_set')!r} bits set, not {ti.num_pieces()}")
        want = hashlib.sha1(data[:BLOCKS * 16384]).hexdigest()
        if kv.get('blocks_sha1') != want:
            failures.append(f"blocks SHA-1 {kv.get('blocks_sha1')!r} != {want}")
        print(f'libtorrent uploaded {h.status().total_payload_upload} payload bytes')
        failures += reverse(probe, ti, info_hash, d)
        if failures:
            print('FAIL test_utp_probe: ' + '; '.join(failures))
            return 1
    print('PASS test_utp_probe: libtorrent (uTP only) handshake, bitfield and 8 verified blocks over tessera uTP; '
          'libtorrent dialling tessera uTP: handshake and interested')
    return 0


if __name__ == '__main__':
    sys.exit(main())
