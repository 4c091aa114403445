import { useState, type FormEvent } from 'react';
import { Navigate, useSearchParams } from 'react-router';
import { ApiError } from '../api.js';
import { useAuth } from '../auth.js';
import { Field, USERNAME_INPUT } from '../components/field.js';
import { ErrorNotice, Loading } from '../components/states.js';
import { AuthCard } from './auth-card.js';

/** Only same-site paths are followed after login, so a crafted link cannot bounce elsewhere. */
export function safeNext(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') ? value : '/sessions';
}

export function LoginPage() {
  const { me, error: startError, login } = useAuth();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  if (me === undefined) return <Loading label="Checking your login…" />;
  if (me) return <Navigate to={safeNext(params.get('next'))} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username.trim(), password);
    } catch (reason) {
      setError(
        reason instanceof ApiError && reason.status === 401
          ? 'That username and password do not match. Check both and try again.'
          : reason instanceof Error
            ? reason.message
            : String(reason),
      );
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Log in" intro={<p>Watch recorded sessions and see what your users saw.</p>}>
      {startError ? <ErrorNotice title="The collector did not answer" message={startError} /> : null}
      <form
        className="form"
        onSubmit={(event) => void submit(event)}
        aria-describedby={error ? 'login-error' : undefined}
      >
        <Field {...USERNAME_INPUT} autoFocus value={username} onChange={(event) => setUsername(event.target.value)} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {error ? (
          <p id="login-error" className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="auth-footnote">
        First start? The collector printed a one-time setup link in its log. Open it to create the first admin.
      </p>
    </AuthCard>
  );
}
