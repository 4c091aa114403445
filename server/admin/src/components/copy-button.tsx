import { useEffect, useState } from 'react';

/** Copies text (computed at click time) and says so for two seconds, also to screen readers. */
export function CopyButton({
  text,
  label,
  className = 'button',
}: {
  text: () => string;
  label: string;
  className?: string;
}) {
  const [status, setStatus] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (status === 'idle') return;
    const timer = setTimeout(() => setStatus('idle'), 2000);
    return () => clearTimeout(timer);
  }, [status]);

  const copy = async () => {
    const value = text();
    try {
      await navigator.clipboard.writeText(value);
      setStatus('copied');
    } catch {
      // Clipboard access needs a secure context or permission; fall back to a selection copy.
      const area = document.createElement('textarea');
      area.value = value;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.append(area);
      area.select();
      const ok = document.execCommand('copy');
      area.remove();
      setStatus(ok ? 'copied' : 'failed');
    }
  };

  return (
    <button
      type="button"
      className={className}
      onClick={() => void copy()}
      data-copied={status === 'copied' || undefined}
    >
      <span aria-live="polite">
        {status === 'copied' ? 'Link copied' : status === 'failed' ? 'Copy failed' : label}
      </span>
    </button>
  );
}
