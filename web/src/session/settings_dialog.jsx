// The settings dialog: the session's settings the daemon applies (session-get, docs/rpc.md
// "session-get / session-set keys"), grouped; only the keys the daemon returns are shown. Inputs
// are checked as typed; Save sends session-set with only the keys that changed, and shows the
// daemon's error if it refuses.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { rpc } from '../rpc.js';
import { store, changed } from '../store.js';
import { closeDialog } from '../ui.js';
import { Dialog } from '../components/dialog.jsx';
import { NOT_SUPPORTED, SECTIONS, parse, toText, validate } from './settings_schema.js';

export function SettingsDialog({ onClose = closeDialog }) {
  const [initial, setInitial] = useState(() => (store.session && 'download-dir' in store.session ? store.session : null));
  const [form, setForm] = useState(null);
  const [errors, setErrors] = useState({});
  const [problem, setProblem] = useState('');
  const [saving, setSaving] = useState(false);
  const [touched, setTouched] = useState({});

  useEffect(() => {
    let gone = false;
    rpc('session-get')
      .then((s) => {
        if (gone) return;
        setInitial(s);
        store.session = s;
        changed();
      })
      .catch((e) => !gone && setProblem(e.message));
    return () => {
      gone = true;
    };
  }, []);

  // The form starts from the daemon's values; a refetch only fills fields not edited yet.
  useEffect(() => {
    if (!initial) return;
    setForm((prev) => {
      const next = {};
      for (const sec of SECTIONS) {
        for (const row of sec.rows) {
          if (row.key in initial) next[row.key] = row.kind === 'bool' ? !!initial[row.key] : toText(initial[row.key]);
          if (row.enable && row.enable in initial) next[row.enable] = !!initial[row.enable];
        }
      }
      if (prev) for (const k of Object.keys(touched)) if (k in prev) next[k] = prev[k];
      return next;
    });
  }, [initial]);

  const rows = useMemo(
    () => (initial ? SECTIONS.map((s) => ({ ...s, rows: s.rows.filter((r) => r.key in initial) })).filter((s) => s.rows.length) : []),
    [initial],
  );

  const set = (key, value, row) => {
    setForm((f) => ({ ...f, [key]: value }));
    setTouched((t) => ({ ...t, [key]: true }));
    if (row && row.kind !== 'bool') setErrors((e) => ({ ...e, [key]: validate(row, value) }));
  };

  const save = async () => {
    if (!form || saving) return;
    const bad = {};
    const patch = {};
    for (const sec of rows) {
      for (const row of sec.rows) {
        if (row.kind === 'bool') {
          if (form[row.key] !== !!initial[row.key]) patch[row.key] = form[row.key];
        } else {
          const err = validate(row, form[row.key]);
          if (err) bad[row.key] = err;
          else if (parse(row, form[row.key]) !== initial[row.key]) patch[row.key] = parse(row, form[row.key]);
        }
        if (row.enable && row.enable in initial && form[row.enable] !== !!initial[row.enable]) patch[row.enable] = form[row.enable];
      }
    }
    setErrors(bad);
    if (Object.keys(bad).length) {
      setProblem('Some values need a correction.');
      document.getElementById(`setting-${Object.keys(bad)[0]}`)?.focus();
      return;
    }
    if (!Object.keys(patch).length) {
      onClose();
      return;
    }
    setSaving(true);
    setProblem('');
    try {
      await rpc('session-set', patch);
      const s = await rpc('session-get');
      store.session = s;
      changed();
      onClose();
    } catch (e) {
      setProblem(`The daemon did not take the settings: ${e.message}`);
      setSaving(false);
    }
  };

  const unsupported = initial ? NOT_SUPPORTED.filter(([k]) => k in initial && !initial[k]).map(([, l]) => l) : [];
  const footer = (
    <>
      <p class="form-error" role="alert">{problem}</p>
      <button type="button" class="button" data-action="cancel" onClick={onClose}>Cancel</button>
      <button type="submit" class="button primary" data-action="confirm" disabled={!form || saving}>
        {saving ? 'Saving…' : 'Save'}
      </button>
    </>
  );
  return (
    <Dialog kind="settings" title="Settings" onClose={onClose} footer={footer} onSubmit={save} wide>
      {!form ? (
        <p class="muted">{problem ? '' : 'Loading the settings…'}</p>
      ) : (
        <div class="settings-grid">
          {rows.map((sec) => (
            <fieldset class="settings-section" key={sec.title}>
              <legend>{sec.title}</legend>
              {sec.rows.map((row) => (
                <SettingRow key={row.key} row={row} form={form} error={errors[row.key]} set={set} has={(k) => k in initial} />
              ))}
            </fieldset>
          ))}
          {unsupported.length ? (
            <p class="muted settings-note">Not in tessera yet: {unsupported.join(', ')}.</p>
          ) : null}
        </div>
      )}
    </Dialog>
  );
}

function SettingRow({ row, form, error, set, has }) {
  const id = `setting-${row.key}`;
  const errId = `${id}-error`;
  const noteId = `${id}-note`;
  const describedBy = [error ? errId : '', row.note ? noteId : ''].filter(Boolean).join(' ') || undefined;
  if (row.kind === 'bool') {
    return (
      <div class="ss-setting ss-check">
        <input type="checkbox" id={id} data-setting={row.key} checked={!!form[row.key]} onChange={(e) => set(row.key, e.target.checked, row)} />
        <label for={id}>{row.label}</label>
      </div>
    );
  }
  const enable = row.enable && has(row.enable) ? row.enable : null;
  const unit = row.unit;
  const input = (
    <input
      id={id}
      data-setting={row.key}
      type="text"
      inputMode={row.kind === 'int' ? 'numeric' : row.kind === 'real' ? 'decimal' : undefined}
      class={row.kind === 'path' ? 'ss-path' : 'ss-num'}
      value={form[row.key]}
      spellcheck={false}
      autocomplete="off"
      aria-invalid={error ? 'true' : 'false'}
      aria-describedby={describedBy}
      aria-label={enable ? `${row.label}${unit ? ` (${unit})` : ''}` : undefined}
      onInput={(e) => set(row.key, e.target.value, row)}
    />
  );
  return (
    <div class={`ss-setting ss-value${row.kind === 'path' ? ' ss-wide' : ''}`}>
      {enable ? (
        <span class="ss-check">
          <input type="checkbox" id={`${id}-on`} data-setting={enable} checked={!!form[enable]} onChange={(e) => set(enable, e.target.checked)} />
          <label for={`${id}-on`}>{row.label}</label>
        </span>
      ) : (
        <label for={id}>{row.label}</label>
      )}
      <span class="input-unit">
        {input}
        {unit && <span class="ss-unit" aria-hidden={enable ? 'true' : undefined}>{unit}</span>}
      </span>
      {row.note && <p class="muted ss-note" id={noteId}>{row.note}</p>}
      {error && <p class="field-problem" id={errId}>{error}</p>}
    </div>
  );
}
