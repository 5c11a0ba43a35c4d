#!/usr/bin/env python3
"""Interop test: kill -9 at random moments during a download, restart, finish (issue 5, "Resume,
crash safety").

A 48 MiB multi-file torrent (256 KiB pieces) is seeded by libtorrent at 3 MiB/s, so the transfer
takes ~16 s. tessera downloads it with its own --state-dir and is killed with SIGKILL 3 or 4
times, at random moments spread over the download (the moments come from a seed printed first;
`--seed S` or TESSERA_CRASH_SEED=S replays a run), then restarted on the same download and state
directories, and finally left to finish. Before one randomly chosen restart the resume file is
replaced by random bytes. Checks:
  (a) the downloaded files are byte-identical to the source;
  (b) right after each kill, every piece the resume file claims hashes correctly on disk (the
      resume file never claims a piece that is not fully on disk: the crash-safety property),
      and the restarted tessera reports `checked H/N` with H = the pieces that verify on disk
      (>= the claimed ones), so no verified piece is downloaded again; after the garbage resume
      file it logs that the file is corrupt, checks everything and still finds all of them;
  (c) the seeder uploads at most total_size + kills * PER_KILL_WASTE + FINAL_SLACK bytes, and
      each kill loses at most PER_KILL_WASTE (what the seeder sent minus what verifies on disk).
After completion the resume file claims every piece."""
import hashlib
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import libtorrent as lt  # noqa: E402  (harness made sure it imports)

PIECE = 256 * H.KIB
TOTAL = 48 * H.MIB + 77777
RATE = 3 * H.MIB          # seeder upload limit, bytes/s: ~16 s for the whole payload
# What one kill may cost: data the seeder sent that the restarted tessera does not find verified
# on disk. That is the blocks of pieces still incomplete at the kill, complete pieces still in
# the hash/write queue, and bytes in the loopback socket buffers. One rate-limited seeder serves
# tessera's requests in order, so only a few pieces are incomplete at a time, and the seeder
# sends no faster than RATE, so the buffers and queues hold well under a second of transfer.
# 4 MiB = 16 pieces = 1.3 s at RATE: generous for that, yet a restart that fetched verified
# pieces again (e.g. only trusting the resume file, saved every 5 s = up to 15 MiB at RATE, and
# not hashing what arrived after the last save) would exceed it.
PER_KILL_WASTE = 4 * H.MIB
FINAL_SLACK = 4 * PIECE   # endgame duplicates at the end of the last run
KILL_WINDOW = (0.08, 0.88)  # kill moments spread over this part of the transfer (seeder bytes)


def resume_file_pieces(path, t, out_dir, planted=None):
    """Set of piece indices the resume file at `path` claims; None when there is no file, or
    when it is still `planted`, the garbage this test wrote (a run killed before its first save).

    Fails the test when the file is not a well-formed tessera resume file for this torrent:
    it is written atomically, so a kill must never leave a torn one behind."""
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except FileNotFoundError:
        return None
    if planted is not None and raw == planted:
        return None
    d = lt.bdecode(raw)
    H.check(isinstance(d, dict), f'resume file {path} ({len(raw)} bytes) is not a bencoded dictionary')
    H.check(d.get(b'file-format') == b'tessera resume data', f'resume file {path}: file-format {d.get(b"file-format")!r}')
    H.check(d.get(b'info-hash') == t.info_hash, f'resume file {path} is for another info-hash')
    H.check(d.get(b'num-pieces') == t.num_pieces, f'resume file {path}: num-pieces {d.get(b"num-pieces")}')
    H.check(os.path.normpath(d.get(b'save-path', b'').decode()) == os.path.normpath(out_dir),
            f'resume file {path}: save-path {d.get(b"save-path")!r}, expected {out_dir}')
    bits = d.get(b'pieces', b'')
    H.check(len(bits) == (t.num_pieces + 7) // 8, f'resume file {path}: bitfield of {len(bits)} bytes')
    claimed = set()
    for i in range(t.num_pieces):
        if bits[i // 8] & (0x80 >> (i % 8)):
            claimed.add(i)
    return claimed


def pieces_on_disk(t, save_path):
    """Set of piece indices of `t` under `save_path` whose SHA-1 matches (missing bytes = zero)."""
    fs = t.ti.files()
    plen = t.piece_length
    good = set()
    buf = bytearray()
    piece = 0

    def finish(b, p):
        if hashlib.sha1(b).digest() == bytes(t.ti.hash_for_piece(p)):
            good.add(p)

    for i in range(fs.num_files()):
        path, size = os.path.join(save_path, fs.file_path(i)), fs.file_size(i)
        try:
            f = open(path, 'rb')
        except OSError:
            f = None
        left = size
        while left:
            want = min(plen - len(buf), left)
            data = f.read(want) if f else b''
            buf += data + bytes(want - len(data))
            left -= want
            if len(buf) == plen:
                finish(buf, piece)
                piece += 1
                buf = bytearray()
        if f:
            f.close()
    if buf:
        finish(buf, piece)
    return good


def wait_seeder_bytes(seeder, leech, target, deadline):
    """Until the seeder has uploaded >= target bytes; False when `leech` finished first."""
    while H.lt_seed_uploaded(seeder) < target:
        if not leech.alive():
            return False
        H.check(time.monotonic() < deadline, f'seeder at {H.lt_seed_uploaded(seeder)} bytes, '
                f'waiting for {target}, past the deadline')
        time.sleep(0.05)
    return True


def settled_upload(seeder):
    """The seeder's upload counter once it stops moving (it prints one every 0.5 s)."""
    last = H.lt_seed_uploaded(seeder)
    for _ in range(20):
        time.sleep(0.6)
        now = H.lt_seed_uploaded(seeder)
        if now == last:
            return now
        last = now
    return last


def body(h, args):
    seed = args.seed if args.seed is not None else int(os.environ.get('TESSERA_CRASH_SEED', '0')) or \
        random.SystemRandom().randrange(1, 1 << 31)
    rng = random.Random(seed)
    H.log(f'random seed {seed} (replay: --seed {seed})')

    seed_dir = h.path('seed')
    src = os.path.join(seed_dir, 'payload')
    H.make_payload(src, H.multi_file_layout(TOTAL, PIECE), seed=55, fast=True)
    port = h.free_port('127.0.0.1')
    t = H.make_torrent(src, h.path('payload.torrent'), [f'http://127.0.0.1:{port}/announce'], PIECE)
    tracker = H.start_opentracker(h, [t.info_hash], port)
    seeder = H.start_lt_seed(h, t, seed_dir, upload_limit=RATE)
    seeder.wait_for(r'lt_seed: seeding', 30)
    tracker.wait_seeders(t.info_hash, 1, 30)
    n = t.num_pieces

    kills = rng.choice([3, 4])
    lo, hi = KILL_WINDOW
    width = (hi - lo) / kills
    targets = [lo + width * (i + rng.uniform(0.15, 0.85)) for i in range(kills)]
    delays = [rng.uniform(0.0, 0.5) for _ in range(kills)]
    garbage_before = rng.randrange(kills)  # the restart after this kill finds a garbage resume file
    H.log(f'{kills} kills at seeder progress ' + ', '.join(f'{x:.0%}+{d:.2f}s' for x, d in zip(targets, delays))
          + f'; garbage resume file before restart {garbage_before + 1}')

    out = h.path('out')
    state = h.path('tessera-state')
    resume_file = os.path.join(state, t.info_hash_hex + '.resume')
    # No DHT: the tracker is the only peer source, nothing but loopback is ever contacted.
    extra = ['--state-dir', state, '--no-dht']
    t0 = time.monotonic()
    deadline = t0 + 120
    run = H.start_tessera_download(h, args.tessera, t, out, name='tessera_run1', extra=extra, log_level='info')
    waste_before = 0
    planted = None  # the garbage resume file written, until a run replaces it
    for k in range(kills):
        reached = wait_seeder_bytes(seeder, run, targets[k] * t.total_size, deadline)
        H.check(reached, f'run {k + 1} exited with {run.returncode()} before kill {k + 1}; lower RATE')
        time.sleep(delays[k])
        H.check(run.alive(), f'run {k + 1} exited with {run.returncode()} before kill {k + 1}')
        run.kill9()
        # What is on disk and what the resume file claims, at the moment of the crash.
        claimed = resume_file_pieces(resume_file, t, out, planted)
        on_disk = pieces_on_disk(t, out)
        up = settled_upload(seeder)
        H.log(f'kill {k + 1} at {time.monotonic() - t0:.1f} s: resume file claims '
              f'{"no file" if claimed is None else len(claimed)}, {len(on_disk)}/{n} pieces verify '
              f'on disk, seeder uploaded {up} bytes')
        claimed_file = claimed
        claimed = claimed or set()
        bad = sorted(claimed - on_disk)
        H.check(not bad, f'kill {k + 1}: the resume file claims {len(bad)} pieces that do not verify '
                f'on disk (first {bad[:10]})')
        H.check(len(on_disk) < n, f'kill {k + 1}: the download was already complete; lower RATE')
        # Everything the seeder sent that is not verified on disk is lost, whatever kill lost it.
        on_disk_bytes = sum(t.ti.piece_size(p) for p in on_disk)
        waste = up - on_disk_bytes
        H.log(f'kill {k + 1}: {waste - waste_before} bytes lost by this kill, {waste} in all')
        H.check(waste - waste_before <= PER_KILL_WASTE,
                f'kill {k + 1} lost {waste - waste_before} bytes > {PER_KILL_WASTE}')
        waste_before = waste

        garbage = k == garbage_before
        if garbage:
            junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
            os.makedirs(state, exist_ok=True)
            with open(resume_file, 'wb') as f:
                f.write(junk)
            planted = junk
            H.log(f'replaced the resume file with {len(junk)} random bytes')
        # Restarts download in order: files finished before a save then stay untouched, so their
        # claimed pieces are trusted on the next restart without hashing (the stamp rule is
        # exercised, not only the hashing of everything).
        run = H.start_tessera_download(h, args.tessera, t, out, name=f'tessera_run{k + 2}',
                                       extra=extra + ['--sequential'], log_level='info')
        have, n2 = H.leecher_checked(run, 60)
        vouch = run.last_match(r'resume data vouches for (\d+) pieces, (\d+) to re-verify')
        H.log(f'run {k + 2}: checked {have}/{n2}' + (f'; resume data trusted for {vouch.group(1)}, '
              f'{vouch.group(2)} claimed pieces re-verified' if vouch else '; resume data not used'))
        # The restart must have used the resume file (else this test would only test hashing).
        if claimed_file is not None and not garbage:
            H.check(vouch is not None, f'run {k + 2} did not use the resume file')
            H.check(int(vouch.group(1)) + int(vouch.group(2)) == len(claimed),
                    f'run {k + 2}: resume data trusted {vouch.group(1)} + re-verified {vouch.group(2)} '
                    f'pieces, the file claims {len(claimed)}')
        if garbage and vouch is not None:
            raise H.TestFailure(f'run {k + 2} trusted a garbage resume file: {vouch.group(0)}')
        H.check(n2 == n, f'run {k + 2}: checked line says N = {n2}, the torrent has {n} pieces')
        H.check(have >= len(claimed), f'run {k + 2}: {have} pieces present < {len(claimed)} claimed at the kill')
        H.check(have == len(on_disk), f'run {k + 2}: {have} pieces present, but {len(on_disk)} verify on '
                f'disk: {len(on_disk) - have} verified pieces would be downloaded again')
        if garbage:
            H.check(run.last_match(r'resume data .* is corrupt') is not None,
                    f'run {k + 2} did not report the garbage resume file as corrupt')

    secs = H.wait_leecher(run, max(10.0, deadline - time.monotonic()))
    H.log(f'last run finished in {secs:.1f} s; {time.monotonic() - t0:.1f} s since the first start')
    H.compare_trees(src, os.path.join(out, t.name))
    final = resume_file_pieces(resume_file, t, out)
    H.check(final is not None and len(final) == n,
            f'after completion the resume file claims {None if final is None else len(final)}/{n} pieces')
    up = settled_upload(seeder)
    limit = t.total_size + kills * PER_KILL_WASTE + FINAL_SLACK
    H.log(f'seeder uploaded {up} bytes for a {t.total_size}-byte payload: {up - t.total_size} extra, '
          f'limit {limit - t.total_size}')
    H.check(up <= limit, f'seeder uploaded {up} bytes > {limit} (payload {t.total_size}, {kills} kills)')
    leftovers = sorted(x for x in os.listdir(state) if x != t.info_hash_hex + '.resume')
    if leftovers:
        H.log(f'note: other files in the state dir: {leftovers}')


if __name__ == '__main__':
    ap = H.common_args(__doc__)
    ap.add_argument('--seed', type=int, default=None, help='random seed of the kill moments (default: random)')
    a = ap.parse_args()
    if a.leecher != 'tessera':
        print('SKIP test_crash_resume: it reads tessera resume files; --leecher tessera only')
        sys.exit(77)
    H.run_test('test_crash_resume', body, a)
