import { useState, type FormEvent } from 'react';
import { useRecorder } from '@reprise/react';
import { signedUpProperties } from '../../../shared/app.js';

export function SignUp() {
  const { track } = useRecorder();
  const [done, setDone] = useState(false);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    track('signed-up', signedUpProperties(event.currentTarget));
    setDone(true);
  };
  if (done) return <p role="status">Thanks for signing up! Check your inbox.</p>;
  return (
    <section>
      <h1>Sign up</h1>
      <form onSubmit={onSubmit} className="form">
        <label>
          Name <input name="name" autoComplete="name" required />
        </label>
        <label>
          E-mail <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="new-password" required />
        </label>
        <label>
          Card number <input name="card" inputMode="numeric" autoComplete="cc-number" required />
        </label>
        <label>
          Plan
          <select name="plan" defaultValue="team">
            <option value="solo">Solo</option>
            <option value="team">Team</option>
          </select>
        </label>
        <button type="submit">Create account</button>
      </form>
    </section>
  );
}
