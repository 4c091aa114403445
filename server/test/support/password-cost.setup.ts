import { setScryptParams } from '../../src/access/passwords.js';

/**
 * New password hashes cost N=2^17 (128 MiB, seconds on this shared test machine); tests that are
 * not about the cost hash at N=2^14. `access-limits.test.ts` sets the real cost back to check it.
 */
setScryptParams({ N: 2 ** 14, r: 8, p: 1 });
