import type { InputHTMLAttributes, ReactNode } from 'react';
import { MIN_PASSWORD_LENGTH } from '../../../src/access/password-rules.js';

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

/** What a new password needs, as the forms' labels say it. */
export const NEW_PASSWORD_RULE = `${MIN_PASSWORD_LENGTH}+ characters`;

/** A new password's input: the server's length rule, checked by the browser before sending. */
export const NEW_PASSWORD_INPUT = {
  type: 'password',
  autoComplete: 'new-password',
  required: true,
  minLength: MIN_PASSWORD_LENGTH,
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
