// One kernel start-up, measured from inside a fresh node process:
//   node startup-child.js <dataDir>
// Prints a `ready` JSON line as soon as createKernel resolves (the parent times
// spawn → that line), then a `result` line after idling.
const bootMs = performance.now();
const dataDir = process.argv[2]!;
const idleMs = Number(process.argv[3] ?? 2000);
const t0 = performance.now();
const { createKernel } = await import('../../src/index.js');
const t1 = performance.now();
const kernel = await createKernel({ logLevel: 'silent', dataDir, env: {}, admins: ['admin'] });
const t2 = performance.now();
const rssReady = process.memoryUsage().rss;
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await new Promise((resolve) => setTimeout(resolve, idleMs));
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    result: {
      bootMs,
      importMs: t1 - t0,
      createKernelMs: t2 - t1,
      readyMs: t2,
      rssReadyMiB: rssReady / 2 ** 20,
      rssIdleMiB: mem.rss / 2 ** 20,
      heapUsedMiB: mem.heapUsed / 2 ** 20,
      externalMiB: mem.external / 2 ** 20,
    },
  })}\n`,
);
await kernel.close();
