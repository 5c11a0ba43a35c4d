// A minimal modal dialog for the settings and statistics dialogs, until the shared Dialog of
// components/dialog.jsx lands (the lead unifies them): a backdrop, role=dialog with aria-modal and
// its title as label, data-dialog=KIND, focus moved in on open and back on close, Tab kept inside,
// Escape and the backdrop close it.
import { useEffect, useRef } from 'preact/hooks';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function DialogShell({ kind, title, onClose, children, footer, wide = false, onSubmit }) {
  const box = useRef(null);
  const titleId = `dialog-title-${kind}`;

  useEffect(() => {
    const before = document.activeElement;
    const first = box.current?.querySelector('[data-autofocus]') || box.current?.querySelector(FOCUSABLE);
    (first || box.current)?.focus();
    return () => {
      if (before && document.contains(before)) before.focus?.();
    };
  }, []);

  const onKeyDown = (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = [...box.current.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  const Body = onSubmit ? 'form' : 'div';
  const bodyProps = onSubmit
    ? { noValidate: true, onSubmit: (e) => { e.preventDefault(); onSubmit(); } }
    : {};
  return (
    <div class="u2-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div class={`u2-dialog${wide ? ' ss-wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId}
        data-dialog={kind} ref={box} tabIndex={-1} onKeyDown={onKeyDown}>
        <Body class="u2-dialog-form" {...bodyProps}>
          <div class="u2-dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" class="u2-dialog-x" aria-label="Close" onClick={onClose}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
          <div class="u2-dialog-body" tabIndex={0}>{children}</div>
          {footer && <div class="u2-dialog-foot">{footer}</div>}
        </Body>
      </div>
    </div>
  );
}
