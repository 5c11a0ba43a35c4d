#!/usr/bin/env python3
"""`tessera` verbs that drive a daemon, against a real daemon speaking Transmission's RPC (3.00):
add (a .torrent, a magnet, a URL the daemon fetches, --select, --paused, a duplicate), list (the table parsed: names, sizes, percent,
status), info, files, stop, start, verify, reannounce, set (limits, ratio, wanted files,
priorities), session and session --set, stats, remove and remove --delete-data (the data file
gone), IDs by number and by info-hash prefix, unknown IDs; then HTTP basic auth against a daemon
that requires it: 401 without credentials is a clear error; --auth, TESSERA_AUTH and ~/.netrc
each work; a wrong password is a clear error.

The daemon under test is a parameter (--daemon): a function that starts one on loopback in the
test's work dir and returns its RPC URL. By default the same scripted session, with the same
expected results, runs against transmission-daemon 3.00 (the reference) and against tessera's own
daemon (issue 10, test 3): the protocol is the contract."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PIECE = 32 * H.KIB
ALPHA_SIZE = 1234567          # "1.23 MB" in Transmission's 1000-based units
BETA_TOTAL = 3 * H.MIB + 4321


# ----------------------------------------------------------------------------------------------
# daemons under test: start(h, name, download_dir, auth) -> RPC URL; auth = (user, password) or None

def start_transmission(h, name, download_dir, auth=None):
    """transmission-daemon 3.00 in the foreground on 127.0.0.1, its own config dir, no DHT, LPD,
    PEX, uTP or port mapping (nothing leaves loopback)."""
    if not shutil.which('transmission-daemon'):
        print('SKIP test_remote_verbs: transmission-daemon is not installed')
        sys.exit(77)
    ip = h.next_ip()
    peer_port = h.free_port(ip)
    rpc_port = h.free_port('127.0.0.1')
    cfg = h.mkdir(f'{name}-config')
    settings = {
        'bind-address-ipv4': ip, 'bind-address-ipv6': '::1', 'peer-port': peer_port,
        'peer-port-random-on-start': False, 'port-forwarding-enabled': False, 'utp-enabled': False,
        'dht-enabled': False, 'lpd-enabled': False, 'pex-enabled': False,
        'rpc-enabled': True, 'rpc-bind-address': '127.0.0.1', 'rpc-port': rpc_port,
        'rpc-whitelist': '127.0.0.1', 'rpc-whitelist-enabled': True, 'rpc-host-whitelist-enabled': False,
        'rpc-authentication-required': auth is not None,
        'download-dir': download_dir, 'incomplete-dir-enabled': False, 'watch-dir-enabled': False,
        'ratio-limit-enabled': False, 'idle-seeding-limit-enabled': False, 'speed-limit-up-enabled': False,
        'speed-limit-down-enabled': False, 'alt-speed-enabled': False, 'start-added-torrents': True,
        'message-level': 2, 'umask': 18,
    }
    if auth:
        settings['rpc-username'], settings['rpc-password'] = auth
    with open(os.path.join(cfg, 'settings.json'), 'w') as f:
        json.dump(settings, f, indent=1)
    p = h.spawn(name, ['transmission-daemon', '-f', '-g', cfg], ip=ip, port=peer_port)
    url = f'http://127.0.0.1:{rpc_port}/transmission/rpc'
    wait_rpc_up(p, url)
    return url


def start_tessera(h, name, download_dir, auth=None):
    """tessera's own daemon on 127.0.0.1 (harness.start_tessera_daemon: no DHT, LSD; peers on
    127.0.0.1), its own config dir."""
    extra = ['--rpc-username', auth[0], '--rpc-password', auth[1]] if auth else []
    p = H.start_tessera_daemon(h, TESSERA, name=name, download_dir=download_dir, extra=extra,
                               settings={'pex-enabled': False})
    return p.extra['url']


TESSERA = None  # the tessera binary (body sets it): the verbs' and tessera daemon's
DAEMONS = {'transmission': start_transmission, 'tessera': start_tessera}


def wait_rpc_up(p, url, timeout=20):
    """Until the RPC port answers HTTP (any status: 409, 401 ...)."""
    import urllib.error
    import urllib.request
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            H.check(p.alive(), f'{p.name} exited with {p.returncode()}')
            H.check(time.monotonic() < deadline, f'{p.name}: RPC at {url} did not come up in {timeout} s')
            time.sleep(0.2)


# ----------------------------------------------------------------------------------------------
# running the verbs

class Verbs:
    """Runs `tessera VERB ... --rpc URL` with a clean environment: HOME is an empty directory of
    the test (no ~/.netrc unless a test writes one) and TESSERA_AUTH is unset unless given."""

    def __init__(self, h, tessera, url, home='home'):
        self.h = h
        self.tessera = tessera
        self.url = url
        self.home = h.mkdir(home)

    def run(self, *argv, env=None, auth=None):
        e = {k: v for k, v in os.environ.items() if k != 'TESSERA_AUTH'}
        e['HOME'] = self.home
        e.update(env or {})
        cmd = [self.tessera, *argv, '--rpc', self.url] + (['--auth', auth] if auth else [])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=90, env=e)
        H.log(f'$ tessera {" ".join(argv)} -> exit {r.returncode}')
        return r

    def ok(self, *argv, **kw):
        r = self.run(*argv, **kw)
        H.check(r.returncode == 0 and r.stderr == '',
                f'tessera {" ".join(argv)}: exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}')
        return r.stdout

    def error(self, *argv, contains, **kw):
        """Expects exit 1 and one line `tessera: error: ...` containing `contains`."""
        r = self.run(*argv, **kw)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        H.check(r.returncode == 1, f'tessera {" ".join(argv)}: exit {r.returncode}, expected 1; stderr: {r.stderr!r}')
        H.check(len(lines) == 1 and lines[0].startswith('tessera: error: ') and contains in lines[0],
                f'tessera {" ".join(argv)}: expected one error line containing {contains!r}, got {r.stderr!r}')
        H.check(r.stdout == '', f'tessera {" ".join(argv)}: printed {r.stdout!r} besides the error')
        H.log(f'  {lines[0]}')
        return lines[0]


LIST_RE = re.compile(r'^\s*(\d+)(\*?)\s+(\S+%|n/a)\s+(\S+ \S+)\s+(Done|--|Unknown|\S+)\s+(\S+ \S+/s)\s+(\S+ \S+/s)'
                     r'\s+(\S+)\s+(Stopped|Verify queued|Verifying|Download queued|Downloading|Seed queued|Seeding)'
                     r'\s+(.+)$')


def parse_list(out):
    """{id: row dict} from `tessera list`, and the Sum row's (have, up, down)."""
    lines = out.splitlines()
    H.check(lines and lines[0].split() == ['ID', 'Done', 'Have', 'ETA', 'Up', 'Down', 'Ratio', 'Status', 'Name'],
            f'list: unexpected header:\n{out}')
    rows = {}
    total = None
    for line in lines[1:]:
        if line.startswith('Sum:'):
            m = re.match(r'^Sum:\s+(\S+ \S+)\s+(\S+ \S+/s)\s+(\S+ \S+/s)$', line)
            H.check(m, f'list: bad Sum line {line!r}')
            total = m.groups()
            continue
        m = LIST_RE.match(line)
        H.check(m, f'list: cannot parse row {line!r}\n{out}')
        rows[int(m.group(1))] = {'error': m.group(2) == '*', 'done': m.group(3), 'have': m.group(4),
                                 'eta': m.group(5), 'up': m.group(6), 'down': m.group(7), 'ratio': m.group(8),
                                 'status': m.group(9), 'name': m.group(10)}
    H.check(total is not None, f'list: no Sum line:\n{out}')
    # Columns line up: every line's Status column starts at the header's.
    col = lines[0].index('Status')
    for line in lines[1:]:
        if not line.startswith('Sum:'):
            H.check(line[col:].split()[0] in ('Stopped', 'Verify', 'Verifying', 'Download', 'Downloading', 'Seed',
                                              'Seeding'), f'list: Status column not aligned in {line!r}')
    return rows, total


def parse_fields(out):
    """{key: value} of `Key: value` lines (info, stats, session)."""
    fields = {}
    for line in out.splitlines():
        m = re.match(r'^\s*([^:]+?):\s+(.*)$', line)
        if m:
            fields.setdefault(m.group(1), m.group(2))
    return fields


def parse_files(out):
    """[(index, done, priority, get, size, name)] from `tessera files`."""
    lines = out.splitlines()
    H.check(len(lines) >= 2 and lines[1].split() == ['#', 'Done', 'Priority', 'Get', 'Size', 'Name'],
            f'files: unexpected header:\n{out}')
    rows = []
    for line in lines[2:]:
        m = re.match(r'^\s*(\d+)\s+(\S+)\s+(Low|Normal|High)\s+(Yes|No)\s+(\S+ \S+)\s+(.+)$', line)
        H.check(m, f'files: cannot parse {line!r}')
        rows.append((int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)))
    return lines[0], rows


def si_size(n):
    """Transmission's 1000-based size text (as remote_format.cpp writes it)."""
    if n < 1000:
        return f'{n} B'
    v = n / 1000
    units = ['kB', 'MB', 'GB', 'TB', 'PB']
    u = 0
    while v >= 999.95 and u + 1 < len(units):
        v /= 1000
        u += 1
    return f'{v:.2f} {units[u]}' if v < 99.995 else f'{v:.1f} {units[u]}'


def wait_status(v, tid, status, done=None, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        rows, _ = parse_list(v.ok('list'))
        row = rows.get(tid)
        if row and row['status'] == status and (done is None or row['done'] == done):
            return rows
        H.check(time.monotonic() < deadline, f'torrent {tid} not {status} {done or ""} after {timeout} s: {row}')
        time.sleep(0.3)


def compare_with_transmission_remote(v, rows):
    """`transmission-remote -l` (3.00) sees the same IDs, Done, Have and names as `tessera list`."""
    if not shutil.which('transmission-remote'):
        H.log('transmission-remote not installed: list not compared with it')
        return
    u = urllib.parse.urlsplit(v.url)
    r = subprocess.run(['transmission-remote', f'{u.hostname}:{u.port}', '-l'], capture_output=True, text=True,
                       timeout=60, env={**os.environ, 'HOME': v.home})
    H.check(r.returncode == 0, f'transmission-remote -l: exit {r.returncode}: {r.stderr}')
    theirs = {}
    for line in r.stdout.splitlines()[1:]:
        m = re.match(r'^\s*(\d+)\*?\s+(\S+%|n/a)\s+(None|\S+ \S+)\s+\S+\s+\S+\s+\S+\s+\S+\s+'
                     r'(?:Up & Down|Will Verify|\S+)\s+(.+)$', line)
        if m:
            theirs[int(m.group(1))] = (m.group(2), '0 B' if m.group(3) == 'None' else m.group(3), m.group(4))
    ours = {i: (row['done'], row['have'], row['name']) for i, row in rows.items()}
    H.check(theirs == ours, f'transmission-remote -l:\n{r.stdout}\ndiffers from tessera list: {ours}')
    H.log(f'transmission-remote -l agrees: {theirs}')


def added(out):
    m = re.match(r'^(added|already there): ID (\d+)  ([0-9a-f]{40})  (.+)$', out.strip())
    H.check(m, f'add: unexpected output {out!r}')
    return m.group(1), int(m.group(2)), m.group(3), m.group(4)


# ----------------------------------------------------------------------------------------------

def scripted_session(h, v, dl, alpha, beta, delta):
    # add: a .torrent whose data is there, and one with --select and --paused.
    kind, a_id, a_hash, a_name = added(v.ok('add', alpha.path))
    H.check((kind, a_hash, a_name) == ('added', alpha.info_hash_hex, 'alpha.bin'), f'add alpha: {kind} {a_hash} {a_name}')
    kind, b_id, b_hash, b_name = added(v.ok('add', beta.path, '--select', '0,2', '--paused', '-o', dl))
    H.check((kind, b_hash, b_name) == ('added', beta.info_hash_hex, 'beta'), f'add beta: {kind} {b_hash} {b_name}')
    kind, dup_id, _, _ = added(v.ok('add', alpha.path))
    H.check(kind == 'already there' and dup_id == a_id, f'a duplicate add is reported: {kind} {dup_id}')
    # A magnet and a URL go to the daemon as `filename`: it keeps the magnet waiting for its
    # metadata (no peers here) and fetches the .torrent from the URL itself.
    magnet_hash = '5' * 40
    kind, m_id, m_hash, m_name = added(v.ok('add', f'magnet:?xt=urn:btih:{magnet_hash}&dn=gamma', '--paused'))
    H.check((kind, m_hash, m_name) == ('added', magnet_hash, 'gamma'), f'add magnet: {kind} {m_hash} {m_name}')
    rows, _ = parse_list(v.ok('list'))
    H.check((rows[m_id]['done'], rows[m_id]['have'], rows[m_id]['name']) == ('n/a', '0 B', 'gamma'),
            f'list of a magnet without metadata: {rows[m_id]}')
    served = h.mkdir('served')
    shutil.copy(delta.path, os.path.join(served, 'delta.torrent'))
    web_port = h.free_port()
    web = h.spawn('http_server', [H.PYTHON, '-m', 'http.server', '--bind', '127.0.0.1', '--directory', served,
                                  str(web_port)])
    wait_rpc_up(web, f'http://127.0.0.1:{web_port}/')
    kind, d_id, d_hash, d_name = added(v.ok('add', f'http://127.0.0.1:{web_port}/delta.torrent', '--paused'))
    H.check((kind, d_hash, d_name) == ('added', delta.info_hash_hex, 'delta.bin'), f'add URL: {kind} {d_hash} {d_name}')
    H.check(v.ok('remove', str(m_id), d_hash[:8]) == f'removed: {m_id}, {d_id}\n', 'remove magnet and URL torrent')
    web.stop()
    v.error('add', f'http://127.0.0.1:{web_port}/delta.torrent', '--select', '0', contains='a URL is fetched by the daemon')

    v.error('add', beta.path, '--select', '0,9', contains='--select: file 9 does not exist')
    v.error('add', 'magnet:?xt=urn:btih:' + '1' * 40, '--select', '1', contains='--select needs a .torrent file')
    v.error('add', h.path('missing.torrent'), contains='missing.torrent: no such file')
    v.error('add', alpha.path, '-o', 'relative/dir', contains='must be an absolute path')

    # verify (by info-hash prefix), then list: exact names, sizes, percent, status.
    H.check(v.ok('verify', a_hash[:10].upper()) == f'verifying: {a_id}\n', 'verify output')
    rows = wait_status(v, a_id, 'Seeding', '100%')
    a, b = rows[a_id], rows[b_id]
    H.check((a['done'], a['have'], a['eta'], a['name']) == ('100%', '1.23 MB', 'Done', 'alpha.bin'), f'list alpha: {a}')
    H.check((b['done'], b['have'], b['status'], b['name']) == ('0%', '0 B', 'Stopped', 'beta'), f'list beta: {b}')
    _, total = parse_list(v.ok('list'))
    H.check(total[0] == '1.23 MB', f'list Sum have: {total}')
    compare_with_transmission_remote(v, rows)
    listed = json.loads(v.ok('list', '--json'))
    names = sorted((t['id'], t['name'], t['hashString']) for t in listed['torrents'])
    H.check(names == sorted([(a_id, 'alpha.bin', a_hash), (b_id, 'beta', b_hash)]), f'list --json: {names}')

    # info
    info = parse_fields(v.ok('info', str(a_id)))
    expect = {'ID': str(a_id), 'Name': 'alpha.bin', 'Hash': a_hash, 'State': 'Seeding', 'Percent Done': '100%',
              'Location': dl, 'Total size': '1.23 MB (1.23 MB wanted)', 'Have': '1.23 MB (1.23 MB verified)',
              'Piece count': str(alpha.num_pieces), 'Piece size': '32.0 KiB', 'Download limit': 'Unlimited'}
    for k, want in expect.items():
        H.check(info.get(k) == want, f'info {k}: {info.get(k)!r}, expected {want!r}')

    # files: --select 0,2 left 1 and 3 unwanted.
    fs = beta.ti.files()
    title, files = parse_files(v.ok('files', b_hash[:8]))
    H.check(title == f'beta ({fs.num_files()} files):', f'files title {title!r}')
    want = [(i, '0%', 'Normal', 'Yes' if i in (0, 2) else 'No', si_size(fs.file_size(i)), fs.file_path(i))
            for i in range(fs.num_files())]
    H.check(files == want, f'files:\n{files}\nexpected\n{want}')

    # stop / start
    H.check(v.ok('stop', str(a_id)) == f'stopped: {a_id}\n', 'stop output')
    wait_status(v, a_id, 'Stopped')
    H.check(v.ok('start', a_hash[:12]) == f'started: {a_id}\n', 'start output')
    wait_status(v, a_id, 'Seeding', '100%')
    H.check(v.ok('reannounce', str(a_id)) == f'reannouncing: {a_id}\n', 'reannounce output')

    # set: limits, ratio, priority; wanted files and file priorities.
    H.check(v.ok('set', str(a_id), '--download-limit', '100', '--upload-limit', '50', '--ratio', '2',
                 '--priority', 'low') == f'set: {a_id}\n', 'set output')
    info = parse_fields(v.ok('info', str(a_id)))
    for k, want in {'Download limit': '100.0 kB/s', 'Upload limit': '50.00 kB/s', 'Ratio limit': '2.00',
                    'Bandwidth priority': 'Low'}.items():
        H.check(info.get(k) == want, f'after set, info {k}: {info.get(k)!r}, expected {want!r}')
    v.ok('set', str(a_id), '--download-limit', 'unlimited', '--ratio', 'unlimited')
    info = parse_fields(v.ok('info', str(a_id)))
    H.check((info.get('Download limit'), info.get('Upload limit'), info.get('Ratio limit')) ==
            ('Unlimited', '50.00 kB/s', 'Unlimited'), f'after set unlimited: {info}')
    v.ok('set', str(b_id), '--want', '1', '--skip', '2', '--priority', 'high:0', '--priority', 'low:1')
    _, files = parse_files(v.ok('files', str(b_id)))
    H.check([(f[2], f[3]) for f in files][:3] == [('High', 'Yes'), ('Low', 'Yes'), ('Normal', 'No')],
            f'files after set: {files}')
    v.error('set', str(a_id), contains='nothing to set')
    v.error('set', str(a_id), '--download-limit', 'fast', contains='not a whole number of kB/s')
    v.error('set', str(a_id), '--priority', 'urgent', contains="'urgent' is not high, normal or low")

    # session and session --set
    out = v.ok('session', '--set', 'speed-limit-down=321', '--set', 'speed-limit-down-enabled=true')
    H.check(parse_fields(out) == {'speed-limit-down': '321', 'speed-limit-down-enabled': 'true'}, f'session --set: {out!r}')
    session = json.loads(v.ok('session', '--json'))
    H.check(session['speed-limit-down'] == 321 and session['speed-limit-down-enabled'] is True, 'session-get after set')
    fields = parse_fields(v.ok('session'))
    H.check(fields.get('speed-limit-down') == '321' and fields.get('download-dir') == dl, f'session: {fields}')
    H.check(fields.get('rpc-version') == '16' or 'tessera' in fields.get('version', ''), f'session version: {fields}')
    v.error('session', '--set', 'speed-limit-dwn=5', contains='no such session key')
    v.error('session', '--set', 'version=9', contains='read-only')
    v.error('session', '--set', 'novalue', contains='expected KEY=VALUE')

    # stats
    stats = parse_fields(v.ok('stats'))
    H.check(stats.get('Torrents', '').startswith('2 ('), f'stats: {stats}')
    H.check(set(stats) >= {'Uploaded', 'Downloaded', 'Ratio', 'Duration', 'Sessions'}, f'stats fields: {stats}')
    H.check('cumulative-stats' in json.loads(v.ok('stats', '--json')), 'stats --json')

    # unknown IDs
    v.error('info', '99', contains='no torrent with ID 99')
    v.error('stop', 'f' * 39 if not a_hash.startswith('f') and not b_hash.startswith('f') else '0' * 39,
            contains='no torrent whose info-hash starts with')
    v.error('files', 'xyz', contains="'xyz' is neither a torrent ID nor an info-hash prefix")
    v.error('remove', str(a_id), '77', contains='no torrent with ID 77')

    # remove keeps the data; remove --delete-data deletes it.
    data = os.path.join(dl, 'alpha.bin')
    H.check(v.ok('remove', str(b_id), str(a_id)) == f'removed: {b_id}, {a_id}\n', 'remove output')
    rows, _ = parse_list(v.ok('list'))
    H.check(rows == {}, f'after remove: {rows}')
    H.check(os.path.getsize(data) == ALPHA_SIZE, f'{data} changed by remove without --delete-data')
    _, a_id, _, _ = added(v.ok('add', alpha.path))
    wait_status(v, a_id, 'Seeding', '100%')
    H.check(v.ok('remove', '--delete-data', a_hash[:6]) == f'removed with their data: {a_id}\n', 'remove --delete-data')
    deadline = time.monotonic() + 30
    while os.path.exists(data):
        H.check(time.monotonic() < deadline, f'{data} still there 30 s after remove --delete-data')
        time.sleep(0.2)
    rows, _ = parse_list(v.ok('list'))
    H.check(rows == {}, f'after removing both: {rows}')


def auth_session(h, start, tessera, dl, alpha, name='daemon-auth'):
    url = start(h, name, dl, auth=('u', 'p'))
    v = Verbs(h, tessera, url, home=f'home-{name}')  # its own ~ (the ~/.netrc below)
    v.error('list', contains='401 Unauthorized: the daemon wants a user and password')
    v.error('list', auth='u:wrong', contains='401 Unauthorized: user or password refused')
    v.error('list', auth='nocolon', contains='--auth: expected USER:PASSWORD')
    rows, _ = parse_list(v.ok('list', auth='u:p'))
    H.check(rows == {}, f'list with --auth: {rows}')
    _, tid, thash, _ = added(v.ok('add', alpha.path, '--paused', env={'TESSERA_AUTH': 'u:p'}))
    H.check(thash == alpha.info_hash_hex, 'add with TESSERA_AUTH')
    with open(os.path.join(v.home, '.netrc'), 'w') as f:
        f.write('machine example.invalid login x password y\n'
                'machine 127.0.0.1\n  login u\n  password p\n')
    os.chmod(os.path.join(v.home, '.netrc'), 0o600)
    rows, _ = parse_list(v.ok('list'))
    H.check(sorted(rows) == [tid] and rows[tid]['name'] == 'alpha.bin', f'list with ~/.netrc: {rows}')
    # --auth wins over ~/.netrc.
    v.error('list', auth='u:bad', contains='user or password refused')


def start_fake_rpc(h, name, tls=None):
    """peers/fake_rpc.py on 127.0.0.1 (HTTPS when tls = (cert, key)); returns its base URL."""
    port = h.free_port()
    argv = [H.PYTHON, os.path.join(H.PEERS_DIR, 'fake_rpc.py'), '--port', str(port)]
    if tls:
        argv += ['--cert', tls[0], '--key', tls[1]]
    p = h.spawn(name, argv)
    p.wait_for(r'fake_rpc: listening on', timeout=20)
    return f'{"https" if tls else "http"}://127.0.0.1:{port}'


def client_edge_cases(h, tessera):
    """What transmission-daemon never does: the client's bounds and its clear errors."""
    base = start_fake_rpc(h, 'fake_rpc')
    v = Verbs(h, tessera, base)
    for path, contains in (('/always409', 'the daemon kept answering 409 (session id refused 3 times)'),
                           ('/no-session-id', '409 Conflict without a usable X-Transmission-Session-Id'),
                           ('/not-json', 'the reply is not a JSON object'),
                           ('/wrong-tag', "the reply's tag does not match the request's"),
                           ('/error-result', 'session-get: no fields specified'),
                           ('/huge', 'the reply is larger than 64 MiB'),
                           ('/digest', '401 Unauthorized: the daemon wants a user and password'),
                           ('/forbidden', '403 Forbidden: the daemon refuses this client'),
                           ('/misdirected', '421 Misdirected Request'),
                           ('/nowhere', 'HTTP 404 Not Found')):
        v.url = base + path
        v.error('session', contains=contains)

    v.url = base + '/silent'
    t0 = time.monotonic()
    v.error('session', '--timeout', '1.5', contains='reading the reply: timed out')
    H.check(1.4 < time.monotonic() - t0 < 10, f'--timeout 1.5 took {time.monotonic() - t0:.1f} s')
    v.error('session', '--timeout', '0', contains='--timeout: expected seconds')

    # Credentials from --auth, TESSERA_AUTH and the URL go with the first request; those of
    # ~/.netrc only after a Basic challenge (this server never sends one).
    v.url = base + '/ok'
    H.check(json.loads(v.ok('session', '--json')) == {'authorization': '', 'method': 'session-get'}, 'no credentials')
    H.check(json.loads(v.ok('session', '--json', auth='a:b'))['authorization'] == 'Basic YTpi', '--auth up front')
    H.check(json.loads(v.ok('stats', '--json', env={'TESSERA_AUTH': 'a:b'})) ==
            {'authorization': 'Basic YTpi', 'method': 'session-stats'}, 'TESSERA_AUTH up front')
    v.url = base.replace('http://', 'http://a:b@') + '/ok'
    H.check(json.loads(v.ok('session', '--json'))['authorization'] == 'Basic YTpi', 'credentials in the URL')
    v.url = base + '/ok'
    netrc = os.path.join(v.home, '.netrc')
    with open(netrc, 'w') as f:
        f.write('machine 127.0.0.1 login a password b\n')
    H.check(json.loads(v.ok('session', '--json'))['authorization'] == '', 'netrc credentials sent unasked')
    v.url = base + '/digest'
    v.error('session', contains="the daemon asks for an authentication scheme other than Basic ('Digest realm=")
    os.remove(netrc)

    # HTTPS: the certificate is checked against the system's CAs (SSL_CERT_FILE adds ours).
    cert, key = h.path('cert.pem'), h.path('key.pem')
    r = subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                        '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
                        '-addext', 'subjectAltName=IP:127.0.0.1'], capture_output=True, text=True)
    H.check(r.returncode == 0, f'openssl req: {r.stderr}')
    v.url = start_fake_rpc(h, 'fake_rpc_tls', tls=(cert, key)) + '/ok'
    v.error('session', contains='TLS handshake with 127.0.0.1:')
    H.check(json.loads(v.ok('session', '--json', env={'SSL_CERT_FILE': cert}))['method'] == 'session-get',
            'https with a trusted certificate')


def body(h, args):
    global TESSERA
    tessera = TESSERA = args.tessera
    dl = h.mkdir('dl')
    src = h.mkdir('src')
    alpha_src = os.path.join(src, 'alpha.bin')
    H.make_payload(src, [('alpha.bin', ALPHA_SIZE)], seed=11)
    alpha = H.make_torrent(alpha_src, h.path('alpha.torrent'), [], PIECE)
    shutil.copy(alpha_src, os.path.join(dl, 'alpha.bin'))
    beta_src = os.path.join(src, 'beta')
    H.make_payload(beta_src, H.multi_file_layout(BETA_TOTAL, PIECE), seed=12)
    beta = H.make_torrent(beta_src, h.path('beta.torrent'), [], PIECE)
    H.make_payload(src, [('delta.bin', 100000)], seed=13)
    delta = H.make_torrent(os.path.join(src, 'delta.bin'), h.path('delta.torrent'), [], PIECE)

    # Clear errors before any daemon: a bad URL, nothing listening.
    v0 = Verbs(h, tessera, 'ftp://127.0.0.1/x')
    v0.error('list', contains='only http:// and https:// URLs are supported')
    v0.url = f'http://127.0.0.1:{h.free_port()}/transmission/rpc'
    v0.error('list', contains='connecting to 127.0.0.1')

    client_edge_cases(h, tessera)

    # The same scripted session, with the same expected results, against each daemon.
    for kind in (sorted(DAEMONS) if args.daemon == 'all' else [args.daemon]):
        start = DAEMONS[kind]
        kind_dl = h.mkdir(f'dl-{kind}')
        shutil.copy(alpha_src, os.path.join(kind_dl, 'alpha.bin'))
        url = start(h, f'daemon-{kind}', kind_dl)
        H.log(f'--- scripted session against {kind}')
        scripted_session(h, Verbs(h, tessera, url), kind_dl, alpha, beta, delta)
        auth_session(h, start, tessera, h.mkdir(f'dl-auth-{kind}'), alpha, name=f'daemon-auth-{kind}')


if __name__ == '__main__':
    ap = H.common_args(__doc__)
    ap.add_argument('--daemon', choices=sorted(DAEMONS) + ['all'], default='all',
                    help='the daemon the verbs drive (default: each in turn)')
    H.run_test('test_remote_verbs', body, ap.parse_args())
