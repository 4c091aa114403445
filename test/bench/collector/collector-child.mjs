// The collector as the CLI runs it, from its TypeScript sources (run under tsx with the
// @reprise/source condition, as scripts/bench.mjs does). Same thread-pool size as bin/reprise-collector.js.
process.env.UV_THREADPOOL_SIZE ??= '16';

if (process.env.BENCH_LOG_SEAL === 'none') {
  // The bench's measure of what sealing log records costs (issue 13: at most 10 %): the same
  // record layout and the same copies, without AES-GCM. Never a collector setting.
  const { LogCipher } = await import('../../../server/src/log/cipher.ts');
  const NONCE = 12;
  const TAG = 16;
  LogCipher.prototype.seal = function (plaintext, key, reserve = 0, skip = 0) {
    const body = plaintext.subarray(skip);
    const out = Buffer.alloc(reserve + key.header.byteLength + NONCE + body.byteLength + TAG);
    key.header.copy(out, reserve);
    out.set(body, reserve + key.header.byteLength + NONCE);
    return out;
  };
  LogCipher.prototype.openSync = function (payload) {
    const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const at = 6 + bytes[5] + NONCE;
    return Buffer.from(bytes.subarray(at, bytes.byteLength - TAG));
  };
}

const { main } = await import('../../../server/src/cli.ts');
main(process.argv.slice(2), process.env).catch((error) => {
  console.error(error);
  process.exit(1);
});
