import type { InputHTMLAttributes, ReactNode } from 'react';

/** A labelled input, the form row of the sign-in pages; `hint` stands under the input. */
export function Field({
  label,
  hint,
  ...input
}: { label: string; hint?: ReactNode } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="field">
      <span>{label}</span>
      <input {...input} />
      {hint}
    </label>
  );
}
