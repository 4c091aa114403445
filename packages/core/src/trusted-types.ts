/**
 * Under Trusted Types (a CSP with `require-trusted-types-for 'script'`) a script's or a worker's
 * URL may not be a plain string. The URLs Reprise loads itself (its own files beside its script,
 * or `delivery.workerUrl`) go through a policy named `reprise`. The policy lets any URL through,
 * so it stays private to the file that made it: no other code on the page can reach it. Where the
 * CSP lists the policies it allows (`trusted-types`), it has to list `reprise` and
 * `'allow-duplicates'` (each Reprise file makes its own); otherwise the URL stays a string and the
 * browser says why it refused it.
 */
// A TrustedScriptURL, typed as the string it stands for: the sinks take either.
type ScriptUrlPolicy = { createScriptURL(url: string): string };
type PolicyFactory = {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): ScriptUrlPolicy;
};

let policy: ScriptUrlPolicy | null | undefined;

export function trustedScriptUrl(url: string): string {
  const factory = (globalThis as { trustedTypes?: PolicyFactory }).trustedTypes;
  if (policy === undefined && factory) {
    try {
      policy = factory.createPolicy('reprise', { createScriptURL: (value) => value });
    } catch {
      policy = null;
    }
  }
  return policy ? policy.createScriptURL(url) : url;
}
