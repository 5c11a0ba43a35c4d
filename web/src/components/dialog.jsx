// The shared modal dialog: a backdrop, role=dialog with aria-modal, labelled by its title; focus
// moves into it on open (the first [data-autofocus] element, else the first field, else the dialog),
// Tab and Shift+Tab stay inside, Escape closes, and focus returns where it was on close.
import { useEffect, useRef } from 'preact/hooks';
import { Icon } from './icons.jsx';

let nextId = 0;
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * props: kind (data-dialog), title, onClose, children, footer (buttons), wide (a larger dialog),
 * onSubmit (the dialog is a form: Enter in a field submits), scrollFocusable (the body takes the
 * focus, for scrolling by keyboard a body with nothing focusable in it).
 */
export function Dialog({ kind, title, onClose, children, footer, wide = false, onSubmit, describedBy, scrollFocusable = false }) {
  const ref = useRef(null);
  const titleId = useRef(`dialog-title-${++nextId}`).current;

  useEffect(() => {
    const before = document.activeElement;
    const el = ref.current;
    const first = el.querySelector('[data-autofocus]') || el.querySelector('input:not([type=hidden]), select, textarea') || el.querySelector(FOCUSABLE);
    (first || el).focus();
    return () => {
      // Back where the user was; when that is gone (a menu's item), to the list.
      if (before && before.isConnected && before !== document.body && typeof before.focus === 'function') before.focus();
      else document.querySelector('[role=grid]')?.focus();
    };
  }, []);

  function onKeyDown(e) {
    if (e.key === 'Escape') {
      e.stopPropagation();
      e.preventDefault();
      onClose();
      return;
    }
    if (e.key !== 'Tab') return;
    const items = [...ref.current.querySelectorAll(FOCUSABLE)].filter((x) => x.offsetParent !== null);
    if (!items.length) {
      e.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && (document.activeElement === first || document.activeElement === ref.current)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  const body = (
    <>
      <div class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="icon-button" aria-label="Close" title="Close (Esc)" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      <div class="dialog-body" tabIndex={scrollFocusable ? 0 : undefined}>
        {children}
      </div>
      {footer && <div class="dialog-foot">{footer}</div>}
    </>
  );

  return (
    <div class="backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        class={`dialog${wide ? ' wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={describedBy}
        data-dialog={kind}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        {onSubmit ? (
          <form
            class="dialog-form"
            onSubmit={(e) => {
              e.preventDefault();
              onSubmit();
            }}
          >
            {body}
          </form>
        ) : (
          body
        )}
      </div>
    </div>
  );
}

/** The usual footer: Cancel and a confirm button (type=submit when the dialog is a form). */
export function ConfirmFooter({ onClose, confirmLabel = 'OK', danger = false, busy = false, disabled = false, submit = true, onConfirm }) {
  return (
    <>
      <button type="button" class="button" data-action="cancel" onClick={onClose} data-autofocus={danger ? '' : undefined}>
        Cancel
      </button>
      <button
        type={submit ? 'submit' : 'button'}
        class={`button ${danger ? 'danger' : 'primary'}`}
        data-action="confirm"
        disabled={busy || disabled}
        onClick={submit ? undefined : onConfirm}
      >
        {busy ? 'Working…' : confirmLabel}
      </button>
    </>
  );
}
