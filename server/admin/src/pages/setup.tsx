import { useEffect, useState, type FormEvent } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { useAuth } from '../auth.js';
import { MIN_PASSWORD_LENGTH } from '../../../src/access/password-rules.js';
import { Field, USERNAME_INPUT } from '../components/field.js';
import { Loading } from '../components/states.js';
import { AuthCard } from './auth-card.js';

/** The one-time link reads `/setup#token=...` (kept out of logs and Referer) or `/setup?token=...`. */
function tokenFrom(hash: string, search: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? new URLSearchParams(search).get('token');
}

export function SetupPage() {
  const { me, setup } = useAuth();
  const location = useLocation();
  const [token] = useState(() => tokenFrom(location.hash, location.search));
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  // The token is read once; keep it out of the address bar, history and any later Referer.
  useEffect(() => {
    if (window.location.hash || window.location.search) window.history.replaceState(null, '', '/setup');
  }, []);

  if (me === undefined) return <Loading label="Checking your login…" />;
  if (done || me) return <Navigate to="/sessions" replace />;

  if (!token) {
    return (
      <AuthCard title="Set up Reprise">
        <p className="form-error" role="alert">
          This address has no setup token. Open the full link the collector printed in its log when it started without
          users (it ends with <code>#token=…</code>).
        </p>
        <p className="auth-footnote">
          Already set up? <Link to="/login">Log in</Link>.
        </p>
      </AuthCard>
    );
  }

  const mismatch = confirm !== '' && confirm !== password;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password.length < MIN_PASSWORD_LENGTH) {
      setError(`Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
      return;
    }
    if (password !== confirm) {
      setError('The two passwords differ. Type the same password twice.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      await setup(token, username.trim(), password);
      setDone(true);
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
      setBusy(false);
    }
  };

  return (
    <AuthCard
      title="Create the first admin"
      intro={<p>This one-time link creates the administrator of this collector. It stops working once used.</p>}
    >
      <form className="form" onSubmit={(event) => void submit(event)}>
        <Field {...USERNAME_INPUT} value={username} onChange={(event) => setUsername(event.target.value)} />
        <Field
          label="Password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          autoFocus
          value={password}
          aria-describedby="password-hint"
          onChange={(event) => setPassword(event.target.value)}
          hint={
            <small id="password-hint">
              At least {MIN_PASSWORD_LENGTH} characters. A passphrase of a few words works well.
            </small>
          }
        />
        <Field
          label="Repeat the password"
          name="confirm-password"
          type="password"
          autoComplete="new-password"
          required
          value={confirm}
          aria-invalid={mismatch || undefined}
          onChange={(event) => setConfirm(event.target.value)}
          hint={mismatch ? <small className="field-error">The passwords differ.</small> : null}
        />
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Creating…' : 'Create admin and log in'}
        </button>
      </form>
    </AuthCard>
  );
}
