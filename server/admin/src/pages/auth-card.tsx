import { useEffect, type ReactNode } from 'react';

/** The centred card the login and setup pages share. */
export function AuthCard({ title, intro, children }: { title: string; intro?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Reprise`;
  }, [title]);
  return (
    <main className="auth-screen">
      <div className="auth-card">
        <div className="auth-brand" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="36" height="36">
            <rect width="32" height="32" rx="8" fill="currentColor" />
            <path d="M12 9v14l11-7z" fill="#fff" />
          </svg>
          <span>Reprise</span>
        </div>
        <h1>{title}</h1>
        {intro ? <div className="auth-intro">{intro}</div> : null}
        {children}
      </div>
    </main>
  );
}
