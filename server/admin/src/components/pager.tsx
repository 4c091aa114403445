import type { ReactNode } from 'react';

/**
 * The buttons under a paged list, one to the page before and one to the page after (disabled where
 * there is none, `onPrevious` or `onNext` left out), with what the page holds between them.
 */
export function Pager({
  label,
  previousLabel,
  nextLabel,
  onPrevious,
  onNext,
  children,
}: {
  /** The nav's accessible name: `Pages of …`. */
  label: string;
  previousLabel: string;
  nextLabel: string;
  onPrevious?: () => void;
  onNext?: () => void;
  children: ReactNode;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button" disabled={!onPrevious} onClick={onPrevious}>
        {`← ${previousLabel}`}
      </button>
      {children}
      <button type="button" className="button" disabled={!onNext} onClick={onNext}>
        {`${nextLabel} →`}
      </button>
    </nav>
  );
}
