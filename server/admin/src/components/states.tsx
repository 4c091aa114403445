import type { ReactNode } from 'react';
import type { RequestState } from '../use-request.js';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorNotice({
  title = 'Something went wrong',
  message,
  action,
}: {
  title?: string;
  message: string;
  action?: ReactNode;
}) {
  return (
    <div className="notice notice-error" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {action}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <svg aria-hidden="true" viewBox="0 0 48 48" width="40" height="40">
        <rect x="6" y="10" width="36" height="28" rx="4" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M20 19v10l9-5z" fill="currentColor" />
      </svg>
      <strong>{title}</strong>
      {children ? <div className="state-hint">{children}</div> : null}
    </div>
  );
}

/**
 * What a page shows for a request (`useRequest`): its error under `errorTitle`, a spinner labelled
 * `loadingLabel` while it loads, then what `children` makes of the answer.
 */
export function RequestView<T>({
  request,
  errorTitle,
  loadingLabel,
  children,
}: {
  request: RequestState<T>;
  errorTitle: string;
  loadingLabel: string;
  children: (data: T) => ReactNode;
}) {
  if (request.status === 'error') return <ErrorNotice title={errorTitle} message={request.error.message} />;
  if (request.status === 'loading') return <Loading label={loadingLabel} />;
  return children(request.data);
}
