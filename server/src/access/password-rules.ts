/**
 * The password rule the server enforces (access-store.ts) and the admin app's forms state and check
 * first: one file with no Node imports, so that both the server and the browser app import it.
 */
export const MIN_PASSWORD_LENGTH = 12;
/** Refuse absurd inputs before spending memory on hashing them. */
export const MAX_PASSWORD_LENGTH = 1_024;
