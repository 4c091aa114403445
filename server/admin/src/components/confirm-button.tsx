import { useState } from 'react';

/**
 * A destructive action in two clicks: the first arms the button (its label says what will
 * happen), the second does it. No modal dialog, so keyboard and screen reader users get the same flow.
 */
export function ConfirmButton({
  label,
  confirmLabel,
  onConfirm,
  className = 'button button-small',
}: {
  label: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  className?: string;
}) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <span className="confirm">
      <button
        type="button"
        className={armed ? `${className} button-danger` : className}
        disabled={busy}
        onClick={() => {
          if (!armed) return setArmed(true);
          setBusy(true);
          void onConfirm().finally(() => {
            setBusy(false);
            setArmed(false);
          });
        }}
      >
        {armed ? confirmLabel : label}
      </button>
      {armed && !busy ? (
        <button type="button" className="button button-small button-quiet" onClick={() => setArmed(false)}>
          Cancel
        </button>
      ) : null}
    </span>
  );
}
