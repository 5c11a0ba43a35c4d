// The General tab: what the torrent is (hash, size, pieces, creator, comment, dates, where it is
// saved, magnet link) and how it went (have/verified, ratio, transferred, time seeding, error).
// Each value carries data-field=<the torrent-get field it shows>.
import { useState } from 'preact/hooks';
import { formatBytes, formatDate, formatDuration, formatPercent, formatRatio, statusText } from '../format.js';
import { Loading } from './loading.jsx';

function Row({ label, field, children, class: cls }) {
  return (
    <div class={`d-field ${cls || ''}`}>
      <dt>{label}</dt>
      <dd data-field={field}>{children}</dd>
    </div>
  );
}

async function copyText(text) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* not a secure context, or refused: fall back below */
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'offscreen';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

function Magnet({ link }) {
  const [copied, setCopied] = useState('');
  if (!link) return null;
  return (
    <div class="magnet">
      <code class="magnet-link" data-field="magnetLink">{link}</code>
      <button
        type="button"
        class="d-btn"
        data-action="copy-magnet"
        onClick={async () => setCopied((await copyText(link)) ? 'Copied' : 'Copy failed: select the link and copy it')}
      >
        Copy
      </button>
      <span class="copy-status" role="status">{copied}</span>
    </div>
  );
}

export function GeneralTab({ data, error, torrent }) {
  const loading = <Loading data={data} error={error} />;
  if (!data) return loading;
  // The live figures from the list (moved by the stream) win over this tab's last reply.
  const t = { ...data, ...pickLive(torrent) };
  const noMetadata = t.metadataPercentComplete !== undefined && t.metadataPercentComplete < 1;
  const verified = t.sizeWhenDone ? t.haveValid / t.sizeWhenDone : 0;
  return (
    <div class="d-general">
      {error && <p class="details-error" role="alert">{error}</p>}
      {t.error ? (
        <p class="torrent-error" role="alert">
          <strong>Error: </strong>
          <span data-field="errorString">{t.errorString}</span>
        </p>
      ) : null}
      <h3 class="section-title">Transfer</h3>
      <dl class="d-fields">
        <Row label="State" field="status">{statusText(t)}</Row>
        <Row label="Have" field="haveValid">
          {noMetadata
            ? `Fetching the metadata (${formatPercent(t.metadataPercentComplete)})`
            : `${formatBytes(t.haveValid)} of ${formatBytes(t.sizeWhenDone)} verified (${formatPercent(verified)})`}
          {t.haveUnchecked ? `, ${formatBytes(t.haveUnchecked)} unverified` : ''}
        </Row>
        <Row label="Downloaded" field="downloadedEver">
          {formatBytes(t.downloadedEver)}
          {t.corruptEver ? ` (${formatBytes(t.corruptEver)} corrupt)` : ''}
        </Row>
        <Row label="Uploaded" field="uploadedEver">{formatBytes(t.uploadedEver)}</Row>
        <Row label="Ratio" field="uploadRatio">{formatRatio(t.uploadRatio)}</Row>
        <Row label="Time downloading" field="secondsDownloading">{formatDuration(t.secondsDownloading)}</Row>
        <Row label="Time seeding" field="secondsSeeding">{formatDuration(t.secondsSeeding)}</Row>
      </dl>
      <h3 class="section-title">Torrent</h3>
      <dl class="d-fields">
        <Row label="Info hash" field="hashString" >{t.hashString}</Row>
        <Row label="Size" field="totalSize">
          {noMetadata ? 'Unknown until the metadata arrives' : formatBytes(t.totalSize)}
          {t.fileCount !== undefined && !noMetadata ? ` in ${t.fileCount} file${t.fileCount === 1 ? '' : 's'}` : ''}
        </Row>
        <Row label="Wanted" field="sizeWhenDone">{formatBytes(t.sizeWhenDone)}</Row>
        <Row label="Pieces" field="pieceCount">
          {t.pieceCount ? (
            <>
              {t.pieceCount.toLocaleString()} × <span data-field="pieceSize">{formatBytes(t.pieceSize)}</span>
            </>
          ) : (
            '–'
          )}
        </Row>
        <Row label="Private" field="isPrivate">{t.isPrivate ? 'Yes (no DHT, no PEX, no LSD)' : 'No'}</Row>
        <Row label="Creator" field="creator">{t.creator || '–'}</Row>
        <Row label="Comment" field="comment" class="d-comment">{t.comment || '–'}</Row>
        <Row label="Created" field="dateCreated">{formatDate(t.dateCreated) || '–'}</Row>
        <Row label="Added" field="addedDate">{formatDate(t.addedDate) || '–'}</Row>
        <Row label="Completed" field="doneDate">{formatDate(t.doneDate) || '–'}</Row>
        <Row label="Last activity" field="activityDate">{formatDate(t.activityDate) || '–'}</Row>
        <Row label="Saved in" field="downloadDir" class="d-mono-value">{t.downloadDir}</Row>
        {t.labels?.length ? <Row label="Labels" field="labels">{t.labels.join(', ')}</Row> : null}
      </dl>
      <h3 class="section-title">Magnet link</h3>
      <Magnet link={t.magnetLink} />
    </div>
  );
}

const LIVE = ['status', 'haveValid', 'sizeWhenDone', 'downloadedEver', 'uploadedEver', 'uploadRatio',
  'error', 'errorString', 'activityDate', 'downloadDir', 'totalSize', 'name', 'labels', 'doneDate'];

function pickLive(t) {
  const out = {};
  if (!t) return out;
  for (const k of LIVE) if (t[k] !== undefined) out[k] = t[k];
  return out;
}
