import type { FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api.js';
import { useAuth } from '../auth.js';
import { ConfirmButton } from '../components/confirm-button.js';
import { FormMessages, useFormAction } from '../components/form-action.js';
import { Field, NEW_PASSWORD_INPUT, NEW_PASSWORD_RULE } from '../components/field.js';

/** The viewer's own account: change the password, end every login on every device. */
export function AccountPage() {
  const { me, expire } = useAuth();
  const navigate = useNavigate();
  const { error, done, run, fail } = useFormAction();
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    if (data.get('newPassword') !== data.get('repeat')) return fail('The two new passwords differ.');
    return run(async () => {
      await api.changePassword(String(data.get('currentPassword')), String(data.get('newPassword')));
      form.reset();
      return 'Password changed. Your other logins have ended.';
    });
  };
  return (
    <div className="page">
      <h1>Your account</h1>
      <p className="muted">Logged in as {me?.username}.</p>
      <section className="section" aria-labelledby="password-title">
        <h2 id="password-title">Change password</h2>
        <form
          className="form"
          aria-label="Change password"
          onSubmit={(event) => void submit(event)}
          style={{ maxWidth: 360 }}
        >
          <Field
            label="Current password"
            name="currentPassword"
            type="password"
            required
            autoComplete="current-password"
          />
          <Field label={`New password (${NEW_PASSWORD_RULE})`} name="newPassword" {...NEW_PASSWORD_INPUT} />
          <Field label="New password again" name="repeat" {...NEW_PASSWORD_INPUT} />
          <button type="submit" className="button button-primary">
            Change password
          </button>
          <FormMessages error={error} done={done} />
        </form>
      </section>
      <section className="section" aria-labelledby="everywhere-title">
        <h2 id="everywhere-title">Log out everywhere</h2>
        <p className="muted small">Ends your login on every browser and device, this one included.</p>
        <ConfirmButton
          className="button"
          label="Log out everywhere"
          confirmLabel="End every login"
          onConfirm={async () => {
            await api.logoutEverywhere();
            expire();
            navigate('/login', { replace: true });
          }}
        />
      </section>
    </div>
  );
}
