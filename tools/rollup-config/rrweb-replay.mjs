/**
 * @rrweb/replay's bundle (dist/replay.js) carries two copies of postcss: the one its replayer
 * uses to adapt recorded CSS (`:hover` rules, media queries), and a second one, pulled in by the
 * copy of rrweb-snapshot that rrdom bundles, that nothing reads. Its module-level
 * initialisation (`requirePostcss()`, then `postcss.stringify;` and other property reads) looks
 * like side effects to a bundler, so every bundle that includes the replayer kept about 50 kB
 * of it (16 kB gzip of the player's script tag). This plugin stops that initialisation, and the
 * bundler then drops the copy as dead code.
 *
 * The statement is replaced by one of the same length, so the dependency's source map stays
 * right. @rrweb/replay is pinned to an exact version; if an upgrade changes the statement, the
 * build fails here rather than silently shipping the copy again (or dropping the live one).
 */
const REPLAY_BUNDLE = /[\\/]@rrweb[\\/]replay[\\/]dist[\\/]replay\.js$/;
/** The second copy's initialisation; the live copy's is `requirePostcss$1()`. */
const UNUSED_COPY = 'var postcssExports = requirePostcss();';
const LIVE_COPY = 'var postcssExports$1 = requirePostcss$1();';

/** @returns {import('rollup').Plugin} */
export function dropRrwebUnusedPostcss() {
  return {
    name: 'reprise-drop-rrweb-unused-postcss',
    transform(code, id) {
      if (!REPLAY_BUNDLE.test(id)) return null;
      if (code.split(UNUSED_COPY).length !== 2 || !code.includes(LIVE_COPY))
        this.error(
          `@rrweb/replay's bundle no longer has the unused postcss copy this plugin expects (${UNUSED_COPY}): ` +
            'check the new version by hand, then update or remove tools/rollup-config/rrweb-replay.mjs.',
        );
      const replacement = 'var postcssExports = {};'.padEnd(UNUSED_COPY.length, ' ');
      return { code: code.replace(UNUSED_COPY, replacement), map: null };
    },
  };
}
