#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { runDemo } from '../cli/demo.js';
import { createKernel } from '../kernel/kernel.js';
import { isCloudEngineError } from '../kernel/errors.js';
import { consoleUserId } from '../cli/demo.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('cloud-engine')
  .description('Deploy cloud infrastructure from chat: plan first, approve, apply.')
  .version(version);

program
  .command('start')
  .description('Start Cloud Engine: the configured chat adapters, or the sandbox demo when none is configured.')
  .action(async () => {
    const kernel = await createKernel();
    const adapters = kernel.registries.chatAdapters.list().filter((adapter) => !adapter.enabled || adapter.enabled());
    if (adapters.length > 0) {
      const started = await kernel.startChatAdapters();
      kernel.logger.info({ adapters: started }, 'chat adapters started');
      const stop = () => void kernel.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    await kernel.close();
    process.exitCode = await runDemo();
  });

program
  .command('demo')
  .description('Deploy a sandbox VM and bucket through the API on the embedded default, streaming the output.')
  .option('--boot-seconds <n>', 'how long the demo VM takes to boot', (value) => Number.parseInt(value, 10), 3)
  .action(async (options: { bootSeconds: number }) => {
    process.exitCode = await runDemo({ bootSeconds: options.bootSeconds });
  });

program
  .command('synth')
  .description('Print the Terraform JSON a session synthesizes to, without running terraform.')
  .argument('<session-id>')
  .action(async (sessionId: string) => {
    const kernel = await createKernel();
    try {
      const { config } = await kernel.orchestrator.synthesize(sessionId, consoleUserId());
      process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    } finally {
      await kernel.close();
    }
  });

program.parseAsync().catch((error: unknown) => {
  if (isCloudEngineError(error)) {
    process.stderr.write(`${error.code}: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
});
