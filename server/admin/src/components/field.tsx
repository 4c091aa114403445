import type { InputHTMLAttributes, ReactNode } from 'react';

/**
 * A labelled input, the form row of the admin pages; `hint` stands under the input, and `layout`
 * adds the stylesheet's row variants (`field-compact`, `field-grow`, `field-narrow`).
 */
/** The username input of the sign-in pages (login, first admin). */
export const USERNAME_INPUT = {
  label: 'Username',
  name: 'username',
  autoComplete: 'username',
  required: true,
} as const;

export function Field({
  label,
  hint,
  layout,
  ...input
}: { label: string; hint?: ReactNode; layout?: string } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className={layout ? `field ${layout}` : 'field'}>
      <span>{label}</span>
      <input {...input} />
      {hint}
    </label>
  );
}

/** A select's options, each choice's value and the label it shows. */
export function Options({ choices }: { choices: readonly { value: string; label: string }[] }) {
  return choices.map((choice) => (
    <option key={choice.value} value={choice.value}>
      {choice.label}
    </option>
  ));
}
