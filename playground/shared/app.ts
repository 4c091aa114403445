/*
 * What the three playgrounds share. They are one app written in React, Vue and Angular (test/e2e's
 * playground-scenarios.ts holds them to the same contract), so what is not a framework's idiom is
 * written once, here: the fake API's users, the pages of the nav, the sign-up form's controls and
 * what it may record, the settings page's copy and secrets. The apps import this folder by a relative
 * path (it is no package; `vite.ts` beside this file is the React and Vue builds' config), serve its
 * `public/` as their public folder, and list it as an input of their turbo builds.
 */

export interface User {
  id: string;
  name: string;
  role: string;
  city: string;
}

/**
 * The playgrounds record request and response headers and bodies (off by default) so the replay's
 * network details have something to show: the fake API's answer is public demo data. An app turns
 * them on only where its requests carry nothing personal, or with `redact` patterns for what does.
 */
export const PLAYGROUND_NETWORK = { captureHeaders: true, captureBodies: true } as const;

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

/** One control of the sign-up form, inside its label: an input or a select. */
export type SignUpField = SignUpInput | SignUpSelect;

/** An input, `required`. What the recorder does with it follows from `type` (a password never leaves the page). */
export interface SignUpInput {
  kind: 'input';
  label: string;
  name: string;
  autocomplete: string;
  type?: 'email' | 'password';
  inputmode?: 'numeric';
}

/** A select: its options and the one selected at first. */
export interface SignUpSelect {
  kind: 'select';
  label: string;
  name: string;
  options: ReadonlyArray<{ value: string; label: string }>;
  selected: string;
}

/** The sign-up form's controls, in order; each app renders them in its own idiom, then the submit button. */
export const SIGN_UP_FIELDS: readonly SignUpField[] = [
  { kind: 'input', label: 'Name', name: 'name', autocomplete: 'name' },
  { kind: 'input', label: 'E-mail', name: 'email', autocomplete: 'email', type: 'email' },
  { kind: 'input', label: 'Password', name: 'password', autocomplete: 'new-password', type: 'password' },
  { kind: 'input', label: 'Card number', name: 'card', autocomplete: 'cc-number', inputmode: 'numeric' },
  {
    kind: 'select',
    label: 'Plan',
    name: 'plan',
    options: [
      { value: 'solo', label: 'Solo' },
      { value: 'team', label: 'Team' },
    ],
    selected: 'team',
  },
];

/**
 * The settings page's copy, and what it shows in its masked panel (replayed as asterisks) and its
 * blocked one (not recorded at all). test/e2e's playground scenarios check that none of
 * `credentials` and `blockedNote` reaches a recording, and that `plan` does.
 */
export const SETTINGS_PAGE = {
  heading: 'Settings',
  plan: 'Your plan: Team, billed monthly.',
  credentialsHeading: 'API credentials',
  credentials: ['Live key: rk_live_5up3r53cr3tK3y', 'Recovery phrase: velvet orbit lantern'],
  blockedNote: 'Internal notes the recording never shows.',
} as const;
