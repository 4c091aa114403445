import { useState, type FormEvent } from 'react';
import { useRecorder } from '@reprise/react';
import { DEFAULT_PLAN, PLANS, SIGN_UP_FIELDS, signedUpProperties } from '../../../shared/app.js';

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
        {SIGN_UP_FIELDS.map((field) => (
          <label key={field.name}>
            {`${field.label} `}
            <input
              name={field.name}
              type={field.type}
              inputMode={field.inputmode}
              autoComplete={field.autocomplete}
              required
            />
          </label>
        ))}
        <label>
          Plan
          <select name="plan" defaultValue={DEFAULT_PLAN}>
            {PLANS.map((plan) => (
              <option key={plan.value} value={plan.value}>
                {plan.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Create account</button>
      </form>
    </section>
  );
}
