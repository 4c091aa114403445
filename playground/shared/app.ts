/*
 * What the three playgrounds share. They are one app written in React, Vue and Angular (test/e2e's
 * playground-scenarios.ts holds them to the same contract), so what is not a framework's idiom is
 * written once, here: the fake API's users, the pages of the nav, the sign-up form and what it may
 * record, the settings page's secrets. The apps import this folder by a relative path (it is no
 * package; `vite.ts` beside this file is the React and Vue builds' config), serve its `public/` as
 * their public folder, and list it as an input of their turbo builds.
 */

export interface User {
  id: string;
  name: string;
  role: string;
  city: string;
}

/**
 * The fake API: `public/api/users.json`, a static file served with the app (by Vite in dev, by any
 * static server once built). `baseUrl` is where the app is served from, ending in `/`.
 */
export async function fetchUsers(baseUrl: string): Promise<User[]> {
  const response = await fetch(`${baseUrl}api/users.json`);
  if (!response.ok) throw new Error(`GET users.json answered ${response.status}`);
  return (await response.json()) as User[];
}

/**
 * The pages the header's nav links to. `exact`: marked active on its own path only (Home, below
 * which every page is); the Vue app marks every link so (its router's `linkExactActiveClass`).
 */
export const NAV_LINKS: ReadonlyArray<{ path: string; label: string; exact: boolean }> = [
  { path: '/', label: 'Home', exact: true },
  { path: '/users', label: 'Users', exact: false },
  { path: '/signup', label: 'Sign up', exact: false },
  { path: '/settings', label: 'Settings', exact: false },
];

/** What the `signed-up` event keeps of the sign-up form: the plan, never what was typed. */
export function signedUpProperties(form: HTMLFormElement): { plan: string } {
  return { plan: String(new FormData(form).get('plan')) };
}

/**
 * One input of the sign-up form. What the recorder does with it follows from `type` (a password
 * never leaves the page).
 */
export interface SignUpField {
  label: string;
  name: string;
  autocomplete: string;
  type?: 'email' | 'password';
  inputmode?: 'numeric';
}

/** The sign-up form's inputs, in order; each app renders them in its own idiom, all `required`. */
export const SIGN_UP_FIELDS: readonly SignUpField[] = [
  { label: 'Name', name: 'name', autocomplete: 'name' },
  { label: 'E-mail', name: 'email', autocomplete: 'email', type: 'email' },
  { label: 'Password', name: 'password', autocomplete: 'new-password', type: 'password' },
  { label: 'Card number', name: 'card', autocomplete: 'cc-number', inputmode: 'numeric' },
];

/** The sign-up form's `plan` select: its options and the one selected at first. */
export const PLANS: ReadonlyArray<{ value: string; label: string }> = [
  { value: 'solo', label: 'Solo' },
  { value: 'team', label: 'Team' },
];
export const DEFAULT_PLAN = 'team';

/**
 * What the settings page shows in its masked panel (replayed as asterisks) and its blocked one (not
 * recorded at all). test/e2e's playground scenarios check that none of it reaches a recording.
 */
export const SETTINGS_SECRETS = {
  credentials: ['Live key: rk_live_5up3r53cr3tK3y', 'Recovery phrase: velvet orbit lantern'],
  blockedNote: 'Internal notes the recording never shows.',
} as const;
