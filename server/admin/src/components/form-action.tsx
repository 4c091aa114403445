import { useState } from 'react';

/**
 * One action of a form or a row: runs it, and keeps what to tell the user, the server's words on
 * failure or the action's own on success.
 */
export function useFormAction() {
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const run = async (action: () => Promise<string | void>) => {
    setError(undefined);
    setDone(undefined);
    try {
      const message = await action();
      if (message) setDone(message);
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    }
  };
  return { error, done, run, fail: setError };
}

export function FormMessages({ error, done }: { error?: string | undefined; done?: string | undefined }) {
  return (
    <>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {done ? <p role="status">{done}</p> : null}
    </>
  );
}

export function ProjectSelect({ projects }: { projects: string[] }) {
  return (
    <label className="field">
      Project
      <select name="project">
        {projects.map((project) => (
          <option key={project}>{project}</option>
        ))}
      </select>
    </label>
  );
}
