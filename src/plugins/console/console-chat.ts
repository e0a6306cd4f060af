import { createInterface } from 'node:readline';
import { isCloudEngineError, CloudEngineError } from '../../kernel/errors.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { ChatCommand, CommandArgs } from '../../chat/chat-command.js';
import { chatCommands } from '../../chat/chat-commands.js';
import { failureReply } from '../../chat/chat-errors.js';
import { errorReply, type ChatReply } from '../../chat/chat-message.js';
import { renderLobbyText, type LobbyModel } from '../../chat/lobby.js';
import { configFields, configFromText, editValues } from '../../chat/resource-form.js';
import { SessionActions } from '../../chat/session-actions.js';
import { DriftActions } from '../../chat/drift-actions.js';
import { ACCESS_COMMANDS, ConsoleAccess } from './console-access.js';
import { expiredLine, expiryFailedLine, reminderLines } from '../../chat/expiry.js';
import { nearest, parseLine, type ParsedLine } from './console-parser.js';
import { SESSION_COMMANDS, approvingLine, countChanges, formLine, nextSteps, renderMessage, withPlanId } from './console-render.js';
import { safeWriter, type SafeWrite } from './safe-output.js';

export interface ConsoleChatOptions {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Who is typing: CLOUD_ENGINE_USER or the OS user. */
  readonly userId: string;
  /** A terminal: show a prompt. Otherwise commands come from a pipe, one per line. */
  readonly interactive: boolean;
}


/**
 * The chat on a terminal or a pipe: the same commands, permissions and
 * messages as Discord, with the lobby as text and its buttons as commands.
 */
export class ConsoleChat {
  private readonly commands: Map<string, ChatCommand>;
  private readonly actions: SessionActions;
  private readonly drift: DriftActions;
  private readonly access: ConsoleAccess;
  private current: string | undefined;
  private exiting = false;
  /** The output, which never throws: a reader that went away must not stop an apply. */
  private readonly write: SafeWrite;
  /** The plan of the lobby last shown for each session: /approve applies that plan and no other. */
  private readonly shownPlans = new Map<string, NonNullable<LobbyModel['plan']>>();

  constructor(
    private readonly api: ChatApi,
    private readonly options: ConsoleChatOptions,
  ) {
    this.actions = new SessionActions(api);
    this.drift = new DriftActions(api);
    this.access = new ConsoleAccess(api, options.userId, (text) => this.print(text));
    this.write = safeWriter(options.output, (error) => api.logger.warn({ err: error }, 'console output closed; commands go on, their output is dropped'));
    this.commands = new Map(chatCommands(api, this.actions).map((command) => [command.name, command]));
  }

  /** Reads commands until the input ends or /exit, running each to completion before the next. */
  async run(): Promise<void> {
    const { project, created } = await this.api.projects.bootstrap({ id: 'sandbox', provider: 'sandbox', adminUserId: this.options.userId });
    this.print(`Cloud Engine console — you are ${this.options.userId}. Type /help for commands.`);
    if (created) this.print(`A "${project.id}" project was created for you (you are its admin). Try: /cloud-deploy project:${project.id}`);
    const lines = createInterface({ input: this.options.input, terminal: false, crlfDelay: Infinity });
    const unsubscribe = [...this.followExpiries(), ...this.access.follow()];
    try {
      this.prompt();
      for await (const line of lines) {
        if (this.options.interactive === false && line.trim() !== '') this.print(`> ${line.trim()}`);
        await this.handle(line);
        if (this.exiting) break;
        this.prompt();
      }
    } finally {
      for (const off of unsubscribe) off();
      lines.close();
    }
  }

  /**
   * Prints the kernel's expiry reminders, with the commands that answer them
   * (/extend, /destroy), its notices that a deployment expired or that its
   * teardown failed (for admins; retried by the kernel), and drift found
   * (/reconcile, /dismiss). Only deployments this user can read are shown.
   */
  private followExpiries(): (() => void)[] {
    const { events } = this.api;
    const readable = (deploymentId: string) => this.api.deployments.get(deploymentId, this.options.userId).then(() => true, () => false);
    const show = (deploymentId: string, text: () => string) =>
      void readable(deploymentId).then((ok) => ok && this.print(this.api.redactor.redact(text())), (error: unknown) => this.api.logger.warn({ err: error }, 'expiry notice not shown'));
    return [
      events.on('deployment.expiring', (event) =>
        show(event.deploymentId, () => ['⏰ ' + reminderLines(event).join(' '), `  Extend: /extend ${event.deploymentId} · Destroy now: /destroy deployment:${event.deploymentId}`].join('\n')),
      ),
      events.on('deployment.expired', (event) => show(event.deploymentId, () => `🗑️ ${expiredLine(event)}`)),
      events.on('deployment.expiryFailed', (event) => show(event.deploymentId, () => `⚠ ${expiryFailedLine(event)}`)),
      events.on('deployment.drifted', (event) => {
        const notice = this.drift.notice(event.drift, { id: event.deploymentId, name: event.name, projectId: event.projectId });
        show(event.deploymentId, () => (notice.kind === 'message' ? renderMessage(notice.message) : ''));
      }),
    ];
  }

  /** Runs one typed line; never throws (errors are printed as the chat shows them). */
  async handle(line: string): Promise<void> {
    let parsed: ParsedLine | undefined;
    try {
      parsed = parseLine(line);
      if (!parsed) return;
      await this.dispatch(parsed);
    } catch (error) {
      this.render(failureReply(error, this.api.logger, 'console command failed', { userId: this.options.userId, line: line.slice(0, 200) }));
    }
  }

  private async dispatch(parsed: ParsedLine): Promise<void> {
    const user = this.options.userId;
    switch (parsed.name) {
      case 'help':
        return this.help();
      case 'exit':
      case 'quit':
        this.exiting = true;
        return;
      case 'types':
        return this.types(parsed.words[0]);
      case 'session':
        this.current = this.requireWord(parsed, 0, 'session id', '/session <id>');
        return this.render({ kind: 'lobby', lobby: await this.actions.lobby(this.current, user) });
      case 'refresh':
        return this.render({ kind: 'lobby', lobby: await this.actions.lobby(this.sessionOf(parsed), user) });
      case 'cancel':
        return this.render({ kind: 'lobby', lobby: await this.actions.cancel(this.sessionOf(parsed), user) });
      case 'plan':
        return this.planAndShow(this.sessionOf(parsed));
      case 'add':
        return this.add(parsed);
      case 'edit':
        return this.edit(parsed);
      case 'remove': {
        const name = this.requireWord(parsed, 0, 'resource name', '/remove <name>');
        const sessionId = this.sessionOf(parsed, 1);
        const { planned } = await this.actions.removeResource(sessionId, user, name, (line) => this.print(`  ${line}`));
        this.print(`Removed ${name} from ${sessionId}; planning…`);
        return this.render({ kind: 'lobby', lobby: await planned });
      }
      case 'change': {
        const lobby = await this.actions.change(this.sessionOf(parsed), user);
        this.current = lobby.sessionId;
        return this.render({ kind: 'lobby', lobby });
      }
      case 'reconcile': {
        const deployment = parsed.options.deployment ?? this.requireWord(parsed, 0, 'deployment', '/reconcile <deployment>');
        this.print(`Planning a change that puts deployment ${deployment} back to its declared config…`);
        const lobby = await this.drift.reconcile((await this.api.deployments.get(deployment, user)).id, user);
        this.current = lobby.sessionId;
        return this.render({ kind: 'lobby', lobby });
      }
      case 'dismiss':
        return this.print(`✔ ${await this.drift.dismiss(parsed.options.deployment ?? this.requireWord(parsed, 0, 'deployment', '/dismiss <deployment>'), user)}`);
      case 'extend': {
        const deployment = parsed.options.deployment ?? parsed.words[0] ?? (await this.currentDeployment());
        const { line } = await this.actions.extend(deployment, user, parsed.options.by ?? parsed.words[1]);
        return this.print(`✔ ${line}`);
      }
      case 'destroy': {
        if (parsed.options.deployment !== undefined) {
          this.print(`Planning the teardown of deployment ${parsed.options.deployment}…`);
          const lobby = await this.actions.destroyDeployment(parsed.options.deployment, user, (line) => this.print(`  ${line}`));
          this.current = lobby.sessionId;
          return this.render({ kind: 'lobby', lobby });
        }
        const sessionId = this.sessionOf(parsed);
        this.print(`Planning the teardown of the deployment of ${sessionId}…`);
        const lobby = await this.actions.destroy(sessionId, user, (line) => this.print(`  ${line}`));
        this.current = lobby.sessionId;
        return this.render({ kind: 'lobby', lobby });
      }
      case 'approve':
        return this.approve(parsed);
      case 'withdraw':
        return this.render({ kind: 'lobby', lobby: await this.actions.withdraw(this.sessionOf(parsed), user) });
      case 'access-approve':
      case 'access-deny':
      case 'access-extend':
        return this.print((await this.access.run(parsed.name, parsed.words))!);
    }
    const command = this.commands.get(parsed.name);
    if (!command) {
      const known = [...this.commands.keys(), ...[...SESSION_COMMANDS, ...ACCESS_COMMANDS].map((item) => item.usage.split(' ')[0]!.slice(1))];
      const guess = nearest(parsed.name, known);
      throw new CloudEngineError('INVALID_INPUT', `Unknown command /${parsed.name}.${guess ? ` Did you mean /${guess}?` : ''} Type /help for the list.`, {
        field: 'command',
        value: parsed.name,
      });
    }
    const reply = await command.run(user, this.argsFor(command, parsed));
    if (reply.kind === 'lobby') this.current = reply.lobby.sessionId;
    this.render(reply);
  }

  private async add(parsed: ParsedLine): Promise<void> {
    const typeName = this.requireWord(parsed, 0, 'resource type', '/add <type> <name> key=value …');
    const name = this.requireWord(parsed, 1, 'resource name', '/add <type> <name> key=value …');
    const values = this.keyValues(parsed, 2);
    const type = this.api.resourceType(typeName);
    const config = type ? configFromText(type, values) : values;
    const sessionId = this.sessionOf(parsed, Infinity);
    const { lobby, planned } = await this.actions.addResource(sessionId, this.options.userId, { type: typeName, name, config }, (line) => this.print(`  ${line}`));
    this.print(`Added ${name} (${typeName}) to ${lobby.sessionId}; planning…`);
    this.render({ kind: 'lobby', lobby: await planned });
  }

  /** /edit <name> key=value …: the keys given over the resource's config, then a plan; /edit <name> alone shows its form. */
  private async edit(parsed: ParsedLine): Promise<void> {
    const name = this.requireWord(parsed, 0, 'resource name', '/edit <name> key=value …');
    const values = this.keyValues(parsed, 1);
    const sessionId = this.sessionOf(parsed, Infinity);
    if (Object.keys(values).length === 0) {
      const { session, resource, type } = await this.actions.resourceToEdit(sessionId, this.options.userId, name);
      const current = editValues(type, resource.config, name);
      const fields = configFields(type, { resources: session.resources, editing: name });
      this.print([`${name} (${type.type}) — change it with /edit ${name} key=value … (key= unsets a field):`, ...fields.map((field) => `  ${formLine(field, current[field.id])}`)].join('\n'));
      return;
    }
    const { planned } = await this.actions.editResource(sessionId, this.options.userId, name, values, (line) => this.print(`  ${line}`));
    this.print(`Changed ${name} in ${sessionId}; planning…`);
    this.render({ kind: 'lobby', lobby: await planned });
  }

  /** `key=value` words from `from` on (and key:value options but session), as typed. */
  private keyValues(parsed: ParsedLine, from: number): Record<string, string> {
    const values: Record<string, string> = Object.fromEntries(Object.entries(parsed.options).filter(([key]) => key !== 'session'));
    for (const word of parsed.words.slice(from)) {
      const at = word.indexOf('=');
      if (at <= 0) throw new CloudEngineError('INVALID_INPUT', `"${word}" is not key=value; write e.g. size=medium.`, { field: 'config', value: word });
      values[word.slice(0, at)] = word.slice(at + 1);
    }
    return values;
  }

  private async planAndShow(sessionId: string): Promise<void> {
    this.print(`Planning ${sessionId}…`);
    this.render({ kind: 'lobby', lobby: await this.actions.plan(sessionId, this.options.userId, (line) => this.print(`  ${line}`)) });
  }

  /**
   * Approves the plan this console last showed for the session, or the one
   * named with plan=<id> (or plan:<id>): if the session was re-planned since
   * (by a change here, in Discord, or by another user), the kernel refuses it
   * as stale and the current lobby is shown, to be read and approved anew.
   */
  private async approve(parsed: ParsedLine): Promise<void> {
    const user = this.options.userId;
    const planWord = parsed.words.find((word) => word.startsWith('plan='));
    const named = parsed.options.plan ?? planWord?.slice('plan='.length);
    if (named === '') throw new CloudEngineError('INVALID_INPUT', 'Missing plan id: write /approve plan=<id>, with the id the lobby shows.', { field: 'plan', value: named });
    const sessionId = this.sessionOf({ ...parsed, words: parsed.words.filter((word) => word !== planWord) });
    const before = await this.actions.lobby(sessionId, user);
    let shown = named === undefined ? this.shownPlans.get(sessionId) : before.plan?.id === named ? before.plan : undefined;
    if (named === undefined && !shown && before.plan) {
      // Never shown here: show it now, so what is applied is what this console printed.
      this.render({ kind: 'lobby', lobby: before });
      shown = before.plan;
    }
    const planId = named ?? shown?.id;
    const planned = countChanges(shown?.summary ?? before.plan?.summary ?? '');
    // A session with no plan to approve gets the kernel's refusal only.
    if (before.actions.approve) this.print(approvingLine(before, planId, planned));
    let done = 0;
    let lobby: LobbyModel;
    try {
      lobby = await this.actions.approve(
        sessionId,
        user,
        (line) => {
          this.print(`  │ ${line}`);
          if (/: (Creation|Modifications|Destruction) complete after /.test(line)) {
            done++;
            this.print(`  ▸ ${done}/${planned} resources done`);
          }
        },
        planId,
      );
    } catch (error) {
      if (!isCloudEngineError(error) || error.code !== 'PLAN_STALE') throw error;
      this.render(errorReply(error));
      this.render({ kind: 'lobby', lobby: await this.actions.lobby(sessionId, user) });
      return;
    }
    this.render({ kind: 'lobby', lobby });
  }

  /** Maps `key:value` options and positional words onto the command's options, typed. */
  private argsFor(command: ChatCommand, parsed: ParsedLine): CommandArgs {
    const args: Record<string, string | number> = {};
    const names = new Set(command.options.map((option) => option.name));
    for (const key of Object.keys(parsed.options)) {
      if (!names.has(key)) {
        throw new CloudEngineError(
          'INVALID_INPUT',
          `/${command.name} has no option "${key}"; its options are ${command.options.map((option) => `${option.name}:`).join(' ') || '(none)'}.`,
          { field: key },
        );
      }
    }
    const positional = [...parsed.words];
    for (const option of command.options) {
      const raw = parsed.options[option.name] ?? (positional.length ? positional.shift() : undefined);
      if (raw === undefined) {
        if (option.required) {
          throw new CloudEngineError('INVALID_INPUT', `Missing ${option.name}: /${command.name} needs ${option.name}:<${option.description.toLowerCase()}>.`, { field: option.name });
        }
        continue;
      }
      if (option.choices && !option.choices.some((choice) => choice.value === raw)) {
        throw new CloudEngineError('INVALID_INPUT', `Invalid ${option.name}: choose one of ${option.choices.map((choice) => choice.value).join(', ')}.`, {
          field: option.name,
          value: raw,
        });
      }
      args[option.name] = option.type === 'integer' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
    }
    if (positional.length) {
      throw new CloudEngineError('INVALID_INPUT', `Unexpected "${positional.join(' ')}" after /${command.name}; use name:value options.`, { field: 'line' });
    }
    return args;
  }

  /** The deployment of the current session, for /extend without a name. */
  private async currentDeployment(): Promise<string> {
    if (!this.current) throw new CloudEngineError('INVALID_INPUT', 'Missing deployment: write /extend <deployment> [by], or open a session of it first.', { field: 'deployment' });
    return (await this.api.orchestrator.getSession(this.current, this.options.userId)).deploymentId;
  }

  private sessionOf(parsed: ParsedLine, wordIndex = 0): string {
    const given = parsed.options.session ?? (Number.isFinite(wordIndex) ? parsed.words[wordIndex] : undefined);
    const sessionId = given ?? this.current;
    if (!sessionId) {
      throw new CloudEngineError('INVALID_STATE', 'No current session: start one with /cloud-deploy project:<id>, or name it (/session <id>).', { field: 'session' });
    }
    this.current = sessionId;
    return sessionId;
  }

  private requireWord(parsed: ParsedLine, index: number, what: string, usage: string): string {
    const word = parsed.words[index];
    if (!word) throw new CloudEngineError('INVALID_INPUT', `Missing ${what}: ${usage}.`, { field: what.replace(/ /g, '_') });
    return word;
  }

  private help(): void {
    const lines = ['Commands (same as in Discord):'];
    for (const command of this.commands.values()) {
      const usage = command.options.map((option) => (option.required ? `${option.name}:<…>` : `[${option.name}:…]`)).join(' ');
      lines.push(`  /${command.name}${usage ? ` ${usage}` : ''} — ${command.description}${command.admin ? ' (admin)' : ''}`);
    }
    lines.push('Session (the lobby buttons):');
    for (const item of [...SESSION_COMMANDS, ...ACCESS_COMMANDS]) lines.push(`  ${item.usage} — ${item.description}`);
    this.print(lines.join('\n'));
  }

  /** Every type with its fields (a reference shown as field→type); with a type, its form for the current session. */
  private async types(typeName: string | undefined): Promise<void> {
    if (typeName !== undefined) {
      const type = this.api.resourceType(typeName);
      if (!type) {
        const known = this.api.resourceTypes().map((candidate) => candidate.type);
        throw new CloudEngineError('INVALID_INPUT', `Unknown resource type ${JSON.stringify(typeName)}; the loaded ones are ${known.join(', ')}.`, { field: 'type', value: typeName });
      }
      const session = this.current ? await this.api.orchestrator.getSession(this.current, this.options.userId).catch(() => undefined) : undefined;
      const fields = configFields(type, session && { resources: session.resources });
      this.print([`${type.type} — ${type.description}`, `  /add ${type.type} <name> key=value …`, ...fields.map((field) => `  ${formLine(field)}`)].join('\n'));
      return;
    }
    const lines: string[] = [];
    for (const type of this.api.resourceTypes()) {
      const fields = configFields(type).map((field) => (field.target ? `${field.id}→${field.target}` : field.id)).join(', ');
      lines.push(`  ${type.type} — ${type.description} [${fields}]`);
    }
    this.print(['Resource types (/types <type> for one form):', ...lines].join('\n'));
  }

  private render(reply: ChatReply): void {
    if (reply.kind === 'lobby') {
      const { lobby } = reply;
      if (lobby.plan) this.shownPlans.set(lobby.sessionId, lobby.plan);
      else this.shownPlans.delete(lobby.sessionId);
      this.print([...withPlanId(renderLobbyText(lobby), lobby), nextSteps(lobby)].filter(Boolean).join('\n'));
      return;
    }
    this.print(renderMessage(reply.message));
  }

  private prompt(): void {
    if (this.options.interactive) this.write('cloud> ');
  }

  private print(text: string): void {
    this.write(`${text}\n`);
  }
}
