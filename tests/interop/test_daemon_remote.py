#!/usr/bin/env python3
"""Debian's transmission-remote 3.00 drives `tessera daemon` unchanged (issue 10, test 1): with a
real tracker (opentracker) and real seeders (libtorrent), `-a` of a .torrent and of a magnet
downloads both with verified data; `-l`, `-t N -i`, `-f`, `-g`/`-G`, `-ph`/`-pl`, `-S`/`-s`, `-v`,
`--reannounce`, `-d`/`-u` with and without `-t`, `-si`, `-st`, `-it`, `-td`/`-tr`, `-ic`, `-pi`, `--move`, `-r` and
`-rad` each do what they say, `-a URL` fetches the .torrent over HTTP, and their outputs are parsed and checked. The daemon is then
restarted with a password: both torrents come back (state and tracker edits survive a restart), `-l` without
credentials fails with the 401, `-n user:pass` works."""
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 64 * H.KIB


def field(text, name):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(name + ':'):
            return line[len(name) + 1:].strip()
    raise H.TestFailure(f'no "{name}:" line in:\n{text}')


def file_rows(text):
    """`-f` output -> [(index, done, priority, get, name)]."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[0].endswith(':') and parts[0][:-1].isdigit():
            rows.append((int(parts[0][:-1]), parts[1], parts[2], parts[3], parts[-1]))
    return rows


def body(h, args):
    src = h.mkdir('seed')
    H.make_payload(os.path.join(src, 'alpha'), H.multi_file_layout(3 * H.MIB + 4321, PIECE), seed=1)
    H.make_payload(os.path.join(src, 'beta'), H.multi_file_layout(1 * H.MIB + 77, PIECE), seed=2)
    trk_port = h.free_port('127.0.0.1')
    announce = f'http://127.0.0.1:{trk_port}/announce'
    ta = H.make_torrent(os.path.join(src, 'alpha'), h.path('alpha.torrent'), [announce], PIECE)
    tb = H.make_torrent(os.path.join(src, 'beta'), h.path('beta.torrent'), [announce], PIECE)
    H.start_opentracker(h, [ta.info_hash, tb.info_hash], port=trk_port)
    H.start_lt_seed(h, ta, src, name='lt_seed_alpha')
    H.start_lt_seed(h, tb, src, name='lt_seed_beta')

    config = h.mkdir('daemon-config')
    dl = h.mkdir('daemon-downloads')
    d = H.start_tessera_daemon(h, args.tessera, config_dir=config, download_dir=dl)

    out = H.remote_ok(d, '-a', ta.path)
    H.check('responded: "success"' in out, f'-a file: {out}')
    rows = H.wait_remote(d, 'alpha downloaded', lambda r: r.get(1, {}).get('done') == '100%')
    H.check(rows[1]['name'] == 'alpha', f'-l name: {rows}')
    magnet = f'magnet:?xt=urn:btih:{tb.info_hash_hex}&dn=beta&tr={urllib.parse.quote(announce, safe="")}'
    H.remote_ok(d, '-a', magnet)
    rows = H.wait_remote(d, 'beta downloaded by magnet',
                         lambda r: r.get(2, {}).get('done') == '100%' and r[2]['name'] == 'beta')
    H.check(rows[1]['have'].endswith('MB') and rows[2]['have'].endswith('MB'), f'-l Have: {rows}')
    H.compare_trees(os.path.join(src, 'alpha'), os.path.join(dl, 'alpha'))
    H.compare_trees(os.path.join(src, 'beta'), os.path.join(dl, 'beta'))
    H.log(f'-l after both downloads: {rows}')

    # -a URL: the daemon fetches the .torrent (a duplicate of alpha here: success, no new row);
    # a URL that answers 404 is an error naming it.
    web_port = h.free_port('127.0.0.1')
    h.spawn('http_server', [H.PYTHON, '-m', 'http.server', '--bind', '127.0.0.1', str(web_port),
                            '--directory', h.path()], ip='127.0.0.1', port=web_port)
    H.wait_port('127.0.0.1', web_port)
    out = H.remote_ok(d, '-a', f'http://127.0.0.1:{web_port}/alpha.torrent')
    H.check('responded: "success"' in out, f'-a URL: {out}')
    H.check(sorted(H.remote_list(d)) == [1, 2], 'a duplicate added by URL made a new torrent')
    rc, out = H.transmission_remote(d, '-a', f'http://127.0.0.1:{web_port}/missing.torrent')
    H.check(rc != 0 and 'HTTP status 404' in out, f'-a of a 404 URL: exit {rc}: {out}')

    info = H.remote_ok(d, '-t', '1', '-i')
    H.check(field(info, 'Name') == 'alpha', info)
    H.check(field(info, 'Hash') == ta.info_hash_hex, info)
    H.check(field(info, 'Percent Done') == '100%', info)
    H.check(field(info, 'Location') == dl, info)
    H.check(field(info, 'Piece Count') == str(ta.num_pieces), info)
    H.check(field(info, 'Total size').startswith('3.15 MB'), info)  # 3 MiB + 4321 B in 1000-based units
    H.check(field(info, 'Magnet').startswith(f'magnet:?xt=urn:btih:{ta.info_hash_hex}'), info)

    files = file_rows(H.remote_ok(d, '-t', '1', '-f'))
    expected = sorted(os.path.relpath(os.path.join(dp, f), src)
                      for dp, _, fs in os.walk(os.path.join(src, 'alpha')) for f in fs)
    H.check(sorted(r[4] for r in files) == expected, f'-f names: {files} vs {expected}')
    H.check(all(r[1] == '100%' and r[2] == 'Normal' and r[3] == 'Yes' for r in files), f'-f: {files}')
    H.remote_ok(d, '-t', '1', '-G', '0', '-ph', '1', '-pl', '2')
    files = file_rows(H.remote_ok(d, '-t', '1', '-f'))
    H.check(files[0][3] == 'No' and files[1][2] == 'High' and files[2][2] == 'Low', f'-G/-ph/-pl: {files}')
    H.remote_ok(d, '-t', '1', '-g', 'all', '-pn', 'all')
    files = file_rows(H.remote_ok(d, '-t', '1', '-f'))
    H.check(all(r[2] == 'Normal' and r[3] == 'Yes' for r in files), f'-g all / -pn all: {files}')

    H.remote_ok(d, '-t', '2', '-S')
    H.wait_remote(d, '-S stops', lambda r: r[2]['status'] == 'Stopped', timeout=20)
    H.remote_ok(d, '-t', '2', '-s')
    H.wait_remote(d, '-s starts', lambda r: r[2]['status'] != 'Stopped', timeout=20)
    H.remote_ok(d, '-t', '1', '-v')
    H.wait_remote(d, 'verify ends complete', lambda r: r[1]['done'] == '100%' and r[1]['status'] != 'Verifying')
    H.check('success' in H.remote_ok(d, '-t', '1', '--reannounce'), 'reannounce')

    H.remote_ok(d, '-d', '100', '-u', '50')
    si = H.remote_ok(d, '-si')
    H.check(field(si, 'RPC version') == '16', si)
    H.check(field(si, 'Daemon version').startswith('3.00 (tessera'), si)
    H.check(field(si, 'Download speed limit').startswith('100 kB/s'), si)
    H.check(field(si, 'Upload speed limit').startswith('50 kB/s'), si)
    H.check(field(si, 'Download directory') == dl, si)
    H.remote_ok(d, '-D', '-U')
    si = H.remote_ok(d, '-si')
    H.check(field(si, 'Download speed limit').startswith('Unlimited'), si)
    H.remote_ok(d, '-t', '1', '-d', '40')
    H.check(field(H.remote_ok(d, '-t', '1', '-i'), 'Download Limit') == '40 kB/s', 'per-torrent -d')
    st = H.remote_ok(d, '-st')
    H.check('Started 1 times' in st and field(st, 'Downloaded') != 'None', st)
    it = H.remote_ok(d, '-t', '1', '-it')
    H.check(f'Tracker 0: http://127.0.0.1:{trk_port}' in it, f'-it: {it}')
    # -td / -tr: torrent-set trackerAdd / trackerRemove; ids stay with their trackers.
    # (-it prints each tracker's `host`: scheme, host and port.)
    edited = f'http://localhost:{trk_port}/announce'
    H.remote_ok(d, '-t', '1', '-td', edited)
    it = H.remote_ok(d, '-t', '1', '-it')
    H.check(f'Tracker 0: http://127.0.0.1:{trk_port}' in it and f'Tracker 1: http://localhost:{trk_port}' in it,
            f'-td: {it}')
    rc, out = H.transmission_remote(d, '-t', '1', '-td', 'ftp://127.0.0.1/announce')
    H.check(rc != 0 and 'invalid argument' in out, f'-td of an ftp URL: exit {rc}: {out}')
    H.remote_ok(d, '-t', '1', '-tr', '0')
    it = H.remote_ok(d, '-t', '1', '-it')
    H.check('Tracker 0:' not in it and f'Tracker 1: http://localhost:{trk_port}' in it, f'-tr: {it}')
    # -ic: torrent-get `pieces` (base64 of the have-bitfield), printed as 0/1 per piece.
    ic = H.remote_ok(d, '-t', '1', '-ic')
    bits = ''.join(c for c in ic if c in '01')
    H.check(bits == '1' * ta.num_pieces, f'-ic of a complete torrent: {ic}')
    pi = H.remote_ok(d, '-t', '1', '-pi')
    H.check(pi.splitlines()[0].startswith('Address'), f'-pi: {pi}')

    # Restart with a password: the torrents come back; credentials are required.
    d.stop()
    d = H.start_tessera_daemon(h, args.tessera, name='tessera_daemon_auth', config_dir=config, download_dir=dl,
                               extra=['--rpc-username', 'user', '--rpc-password', 'pass word'])
    rc, out = H.transmission_remote(d, '-l')
    H.check(rc != 0 and '401' in out, f'-l without credentials: exit {rc}: {out}')
    rc, out = H.transmission_remote(d, '-l', auth='user:wrong')
    H.check(rc != 0 and '401' in out, f'-l with a wrong password: exit {rc}: {out}')
    with open(os.path.join(config, 'settings.json')) as f:
        H.check('pass word' not in f.read(), 'the password is stored in clear')
    auth = 'user:pass word'
    rows = H.wait_remote(d, 'both torrents back after the restart',
                         lambda r: r.get(1, {}).get('done') == '100%' and r.get(2, {}).get('done') == '100%',
                         auth=auth)
    H.check({rows[1]['name'], rows[2]['name']} == {'alpha', 'beta'}, f'after restart: {rows}')
    alpha_id = 1 if rows[1]['name'] == 'alpha' else 2
    beta_id = 3 - alpha_id
    it = H.remote_ok(d, '-t', str(alpha_id), '-it', auth=auth)
    H.check('Tracker 0:' not in it and f'Tracker 1: http://localhost:{trk_port}' in it,
            f'tracker edits after the restart: {it}')

    moved = h.mkdir('moved')
    H.remote_ok(d, '-t', str(alpha_id), '--move', moved, auth=auth)
    H.check(field(H.remote_ok(d, '-t', str(alpha_id), '-i', auth=auth), 'Location') == moved, '--move location')
    H.compare_trees(os.path.join(src, 'alpha'), os.path.join(moved, 'alpha'))
    H.check(not os.path.exists(os.path.join(dl, 'alpha')), '--move left the old copy')

    H.remote_ok(d, '-t', str(beta_id), '-r', auth=auth)
    H.remote_ok(d, '-t', str(alpha_id), '-rad', auth=auth)
    H.wait_remote(d, 'both removed', lambda r: not r, timeout=20, auth=auth)
    H.check(os.path.exists(os.path.join(dl, 'beta')), '-r deleted the data')
    deadline = time.monotonic() + 20
    while os.path.exists(os.path.join(moved, 'alpha')) and time.monotonic() < deadline:
        time.sleep(0.2)
    H.check(not os.path.exists(os.path.join(moved, 'alpha')), '-rad kept the data')


if __name__ == '__main__':
    a = H.common_args(__doc__).parse_args()
    H.run_test('test_daemon_remote', body, a)
