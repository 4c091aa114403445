import type { ReactNode } from 'react';

/** A page's title above what `children` say of it, and the page's `actions` on the right. */
export function PageHeader({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {children}
      </div>
      {actions}
    </div>
  );
}
