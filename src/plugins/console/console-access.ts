import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { levelAtLeast } from '../../kernel/access/authorizer.js';
import { invalidInput } from '../../kernel/errors.js';
import { AccessActions } from '../../chat/access-actions.js';
import { decisionLine, extensionButton, grantExpiringLine, requestCard, whenText } from '../../chat/access-messages.js';
import { buttonCommand, renderMessage } from './console-render.js';

/** The console's access commands, as the buttons they stand for elsewhere. */
export const ACCESS_COMMANDS: readonly { usage: string; description: string }[] = [
  { usage: '/access-approve <request>', description: "Approve an access request (a request's Approve; project admins, never your own)" },
  { usage: '/access-deny <request>', description: "Deny an access request (a request's Deny), or withdraw your own" },
  { usage: '/access-extend <project>/<level>/<duration>', description: "Ask for a grant ending soon to go on (its notice's Request extension)" },
];

/**
 * Access requests on the console: requests are printed for the project's
 * admins with the commands that decide them, decisions and lapses for the
 * requester, a grant ending soon for its holder with /access-extend; and
 * the three commands the buttons stand for.
 */
export class ConsoleAccess {
  private readonly actions: AccessActions;

  constructor(
    private readonly api: ChatApi,
    private readonly userId: string,
    private readonly print: (text: string) => void,
  ) {
    this.actions = new AccessActions(api);
  }

  /** Follows the kernel's access events for this console's user; returns how to stop. */
  follow(): (() => void)[] {
    const { events } = this.api;
    const show = (text: () => string | Promise<string | undefined> | undefined) =>
      void Promise.resolve()
        .then(text)
        .then((out) => out && this.print(this.api.redactor.redact(out)), (error: unknown) => this.api.logger.warn({ err: error }, 'access notice not shown'));
    return [
      events.on('access.requested', (event) =>
        show(async () => (event.request.userId !== this.userId && (await this.isAdmin(event.request.projectId)) ? renderMessage(requestCard(event.request)) : undefined)),
      ),
      events.on('access.decided', (event) => show(() => (event.request.userId === this.userId && event.deciderId !== this.userId ? decisionLine(event.request) : undefined))),
      events.on('access.requestExpired', (event) => show(() => (event.request.userId === this.userId ? decisionLine(event.request) : undefined))),
      events.on('access.grantExpiring', (event) =>
        show(() => (event.userId === this.userId ? `${grantExpiringLine(event)}\n  Request extension: ${buttonCommand(extensionButton(event))}` : undefined)),
      ),
    ];
  }

  /** Runs /access-approve, /access-deny or /access-extend; undefined for any other command. */
  async run(name: string, words: readonly string[]): Promise<string | undefined> {
    if (name !== 'access-approve' && name !== 'access-deny' && name !== 'access-extend') return undefined;
    const target = words[0];
    if (!target) throw invalidInput(name === 'access-extend' ? 'target' : 'requestId', `write /${name} ${name === 'access-extend' ? '<project>/<level>/<duration>' : '<request>'}`);
    if (name === 'access-extend') {
      const request = await this.actions.extend(this.userId, target);
      return `✔ Asked for ${request.level} on ${request.projectId} for ${request.duration} more (request ${request.id}); its admins decide. Unanswered, it lapses at ${whenText(request.expiresAt)}.`;
    }
    return (await this.actions.decide(target, this.userId, name === 'access-approve' ? 'approve' : 'deny')).line;
  }

  private async isAdmin(projectId: string): Promise<boolean> {
    return levelAtLeast(await this.api.access.levelOf(this.userId, projectId), 'admin');
  }
}
