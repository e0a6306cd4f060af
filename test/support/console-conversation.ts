import { PassThrough } from 'node:stream';
import type { Kernel } from '../../src/kernel/kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import { ConsoleChat } from '../../src/plugins/console/console-chat.js';

/** Pipes `script` into a console chat on `kernel` as `userId` (as a piped, non-interactive run) and returns everything it printed. */
export async function converse(kernel: Kernel, userId: string, script: string[]): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const running = new ConsoleChat(chatApiOf(kernel), { input, output, userId, interactive: false }).run();
  input.end(`${script.join('\n')}\n`);
  await running;
  return printed;
}
