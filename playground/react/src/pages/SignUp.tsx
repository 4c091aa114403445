import { useState, type FormEvent } from 'react';
import { useRecorder } from '@reprise/react';
import { SIGN_UP_FIELDS, signedUpProperties } from '../../../shared/app.js';

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
            {field.kind === 'select' ? (
              <select name={field.name} defaultValue={field.selected}>
                {field.options.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </select>
            ) : (
              <input
                name={field.name}
                type={field.type}
                inputMode={field.inputmode}
                autoComplete={field.autocomplete}
                required
              />
            )}
          </label>
        ))}
        <button type="submit">Create account</button>
      </form>
    </section>
  );
}
