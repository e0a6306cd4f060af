import type { ChatButton, ChatMessage } from '../../chat/chat-message.js';
import type { LobbyModel } from '../../chat/lobby.js';
import type { FormField } from '../../chat/resource-form.js';

/** The lobby's buttons and the console's own commands, as /help lists them. */
export const SESSION_COMMANDS: readonly { usage: string; description: string }[] = [
  { usage: '/add <type> <name> key=value …', description: 'Add a resource to the current session (plans by itself)' },
  { usage: '/edit <name> key=value …', description: 'Change a resource: the keys given replace theirs, key= unsets one (plans by itself); /edit <name> alone shows its form' },
  { usage: '/remove <name>', description: 'Remove a resource from the current session (plans by itself; refused while others refer to it)' },
  { usage: '/plan [session]', description: 'Plan again' },
  { usage: '/approve [session] [plan=<id>]', description: 'Approve & Deploy the plan shown last (or the plan named), streaming the apply' },
  { usage: '/withdraw [session]', description: 'Withdraw your approval of the plan while it waits for more approvals' },
  { usage: '/refresh [session]', description: 'Show the lobby again' },
  { usage: '/cancel [session]', description: 'Cancel the session' },
  { usage: '/change [session]', description: "Open a new change of the session's deployment, starting from its current resources" },
  { usage: '/destroy [session]', description: "Plan the teardown of the session's deployment, shown as a lobby to approve; /destroy deployment:<name> for one by name (an expiry reminder's Destroy now)" },
  { usage: '/reconcile <deployment>', description: "Plan a change that puts a drifted deployment back to its declared config (a drift notice's Reconcile), shown as a lobby to approve" },
  { usage: '/dismiss <deployment>', description: "Acknowledge a deployment's drift until it changes (a drift notice's Dismiss)" },
  { usage: '/extend [deployment] [by]', description: "Move a deployment's expiry later (by the project's default TTL, or e.g. 2h); the current session's deployment without a name" },
  { usage: '/session <id>', description: 'Switch the current session' },
  { usage: '/types [type]', description: 'List resource types and their fields; with a type, its form (reference fields with the names they may take)' },
  { usage: '/help', description: 'This list' },
  { usage: '/exit', description: 'Leave (also Ctrl-D)' },
];

/** A chat message as terminal text. */
export function renderMessage(message: ChatMessage): string {
  const mark = message.tone === 'error' ? '✖ ' : message.tone === 'success' ? '✔ ' : message.tone === 'warning' ? '⚠ ' : '';
  const lines = message.title ? [`${mark}${message.title}`, ...message.lines.map((line) => `  ${line}`)] : message.lines.map((line) => `${mark}${line}`);
  for (const field of message.fields ?? []) lines.push(`  ${field.name}: ${field.value}`);
  if (message.page) lines.push(`  (page ${message.page.index}/${message.page.count}${message.page.index < message.page.count ? ` — add page:${message.page.index + 1}` : ''})`);
  if (message.buttons?.length) lines.push(`  ${message.buttons.map((button) => `${button.label}: ${buttonCommand(button)}`).join(' · ')}`);
  return lines.join('\n');
}

/** The console command a message's button stands for ("/reconcile d1"). */
export function buttonCommand(button: ChatButton): string {
  switch (button.action) {
    case 'dismiss-drift':
      return `/dismiss ${button.target}`;
    case 'destroy-now':
      return `/destroy deployment:${button.target}`;
    default:
      return `/${button.action} ${button.target}`;
  }
}

/** The plan line with the plan's id, which /approve plan=<id> names: "Plan: 1 to add, … (plan abc123)". */
export function withPlanId(lines: string[], lobby: LobbyModel): string[] {
  if (!lobby.plan) return lines;
  const at = lines.findIndex((line) => line.startsWith('Plan: '));
  if (at < 0) return [...lines, `Plan id: ${lobby.plan.id}`];
  return lines.map((line, index) => (index === at ? `${line} (plan ${lobby.plan!.id})` : line));
}

/** One field of a form as a console line: key, label, what it takes (a reference: the names it may take), default or current value. */
export function formLine(field: FormField, current?: string): string {
  const takes =
    field.kind === 'reference'
      ? field.candidates === undefined
        ? `name of a ${field.target}`
        : field.candidates.length
          ? `one of ${field.candidates.join(', ')} (${field.target})`
          : `name of a ${field.target}; this deployment has none yet`
      : field.kind === 'choice'
        ? (field.choices ?? []).join(' | ')
        : (field.placeholder ?? field.kind);
  const value = field.secret ? (current === undefined ? '' : ' · secret, never shown: give it again with any edit') : current !== undefined ? ` · now ${current}` : field.defaultValue !== undefined ? ` · default ${field.defaultValue}` : '';
  return `${field.id}=… — ${field.label}${field.required ? ' (required)' : ''}: ${takes}${value}`;
}

/** What the lobby's buttons are as commands: "Next: /add … · /approve". */
export function nextSteps(lobby: LobbyModel): string {
  const steps: string[] = [];
  if (lobby.actions.add) steps.push('/add <type> <name> key=value');
  if (lobby.actions.edit) steps.push('/edit <name> key=value');
  if (lobby.actions.remove) steps.push('/remove <name>');
  if (lobby.actions.approve) steps.push('/approve');
  if (lobby.actions.cancel) steps.push('/cancel');
  if (lobby.actions.change) steps.push('/change');
  if (lobby.actions.destroy) steps.push('/destroy');
  return steps.length ? `Next: ${steps.join(' · ')}` : '';
}

/** "Plan: 2 to add, 1 to change, 0 to destroy." → 3 */
export function countChanges(summary: string): number {
  const match = /(\d+) to add, (\d+) to change, (\d+) to destroy/.exec(summary);
  return match ? Number(match[1]) + Number(match[2]) + Number(match[3]) : 0;
}

/**
 * What /approve says before it asks the kernel: that it applies, or — with
 * more approvals needed after this one — that it records one of how many.
 */
export function approvingLine(lobby: LobbyModel, planId: string | undefined, planned: number): string {
  const { approvals, sessionId } = lobby;
  if (approvals && approvals.given.length + 1 < approvals.required) {
    return `Approving ${planId ? `plan ${planId}` : 'the plan'} of ${sessionId} (approval ${approvals.given.length + 1} of ${approvals.required})…`;
  }
  return `Approving ${sessionId} and applying ${planId ? `plan ${planId}` : 'its plan'} (${planned} change${planned === 1 ? '' : 's'})…`;
}
