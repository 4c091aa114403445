import { useEffect, type ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { isAdmin } from './api.js';
import { useAuth } from './auth.js';
import { Loading } from './components/states.js';
import { releaseEarlyPlaybackOffItsPage } from './early-playback.js';
import { AccessPage } from './pages/access.js';
import { AccountPage } from './pages/account.js';
import { AuditPage } from './pages/audit.js';
import { LoginPage } from './pages/login.js';
import { NotFoundPage } from './pages/not-found.js';
import { SessionPage } from './pages/session.js';
import { SessionsPage } from './pages/sessions.js';
import { SettingsPage } from './pages/settings.js';
import { SetupPage } from './pages/setup.js';

export function App() {
  const { pathname } = useLocation();
  useEffect(() => releaseEarlyPlaybackOffItsPage(pathname), [pathname]);
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/" element={<Navigate to="/sessions" replace />} />
      <Route
        path="/sessions"
        element={
          <Authenticated title="Sessions">
            <SessionsPage />
          </Authenticated>
        }
      />
      <Route
        path="/sessions/:id"
        element={
          <Authenticated title="Session" wide>
            <SessionPage />
          </Authenticated>
        }
      />
      <Route
        path="/audit"
        element={
          <Authenticated title="Audit log" admin>
            <AuditPage />
          </Authenticated>
        }
      />
      <Route
        path="/settings"
        element={
          <Authenticated title="Settings" admin>
            <SettingsPage />
          </Authenticated>
        }
      />
      <Route
        path="/access"
        element={
          <Authenticated title="Users and tokens" admin>
            <AccessPage />
          </Authenticated>
        }
      />
      <Route
        path="/account"
        element={
          <Authenticated title="Your account">
            <AccountPage />
          </Authenticated>
        }
      />
      <Route
        path="*"
        element={
          <Authenticated title="Not found">
            <NotFoundPage />
          </Authenticated>
        }
      />
    </Routes>
  );
}

/** Pages behind the login: shows the shell, or sends to /login remembering where to come back. */
function Authenticated({
  children,
  title,
  admin = false,
  wide = false,
}: {
  children: ReactNode;
  title: string;
  admin?: boolean;
  wide?: boolean;
}) {
  const { me, loggedOut } = useAuth();
  const location = useLocation();
  useEffect(() => {
    document.title = `${title} · Reprise`;
  }, [title]);
  if (me === undefined) return <Loading label="Checking your login…" />;
  if (me === null) {
    if (loggedOut) return <Navigate to="/login" replace />;
    const back = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/login?next=${encodeURIComponent(back)}`} replace />;
  }
  return (
    <Shell wide={wide}>
      {admin && !isAdmin(me) ? (
        <div className="page">
          <h1>{title}</h1>
          <p className="muted">Only project admins can see this page. Ask an admin for access.</p>
        </div>
      ) : (
        children
      )}
    </Shell>
  );
}

function Shell({ children, wide }: { children: ReactNode; wide: boolean }) {
  const { me, logout } = useAuth();
  const navigate = useNavigate();
  const admin = isAdmin(me ?? null);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/sessions" className="brand" aria-label="Reprise, sessions">
          <span className="brand-mark" aria-hidden="true">
            <svg viewBox="0 0 32 32" width="22" height="22">
              <rect width="32" height="32" rx="8" fill="currentColor" />
              <path d="M12 9v14l11-7z" fill="#fff" />
            </svg>
          </span>
          Reprise
        </NavLink>
        <nav aria-label="Main" className="nav">
          <NavLink to="/sessions">Sessions</NavLink>
          {admin ? <NavLink to="/audit">Audit log</NavLink> : null}
          {admin ? <NavLink to="/access">Users and tokens</NavLink> : null}
          {admin ? <NavLink to="/settings">Settings</NavLink> : null}
        </nav>
        <div className="topbar-user">
          <NavLink to="/account" className="user-name" title="Your account">
            {me?.username}
          </NavLink>
          <button
            type="button"
            className="button button-quiet"
            onClick={() => void logout().then(() => navigate('/login', { replace: true }))}
          >
            Log out
          </button>
        </div>
      </header>
      <main id="main" className={wide ? 'main main-wide' : 'main'} tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
