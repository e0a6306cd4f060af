import type { AccessRequestView } from '../kernel/access/access-requests.js';
import type { AccessGrant } from '../kernel/access/access-service.js';
import type { KernelEventMap } from '../kernel/events/kernel-events.js';
import type { ChatButton, ChatMessage } from './chat-message.js';
import { formatRemaining } from './expiry.js';

/** How an adapter names a person in text: Discord `<@id>`, the console the id itself. */
export type Mention = (userId: string) => string;
const plain: Mention = (userId) => userId;

/** A time as chat shows it: "2026-12-07 14:05 UTC". */
export function whenText(at: Date): string {
  return `${at.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}

/** The buttons that decide a request: `access-approve` / `access-deny` on its id. */
export function decisionButtons(request: AccessRequestView, who = ''): ChatButton[] {
  const suffix = who ? ` ${who}` : '';
  return [
    { action: 'access-approve', target: request.id, label: `Approve${suffix}`, style: 'primary' },
    { action: 'access-deny', target: request.id, label: `Deny${suffix}`, style: 'danger' },
  ];
}

/** "deploy on web for 2h (an approval grants 1h, the project's maximum)". */
function asked(request: AccessRequestView): string {
  const capped = request.cappedTo ? ` (an approval grants ${request.cappedTo}, the project's maximum)` : '';
  return `${request.level} on ${request.projectId} for ${request.duration}${capped}`;
}

/** A request as posted for the project's admins, with Approve and Deny. */
export function requestCard(request: AccessRequestView, mention: Mention = plain): ChatMessage {
  return {
    title: `Access request ${request.id}`,
    lines: [`${mention(request.userId)} asks for ${asked(request)}.`, `Unanswered, it lapses at ${whenText(request.expiresAt)}.`],
    fields: [{ name: 'Reason', value: request.reason }],
    tone: 'info',
    ephemeral: false,
    buttons: decisionButtons(request),
  };
}

/** What became of a request, for the requester and the request's card. */
export function decisionLine(request: AccessRequestView, mention: Mention = plain): string {
  switch (request.state) {
    case 'APPROVED': {
      const capped = request.cappedTo ? ` (capped at the project's maximum; ${request.duration} was asked)` : '';
      return `✅ Approved by ${mention(request.decidedBy!)}: ${mention(request.userId)} has ${request.level} on ${request.projectId} for ${request.grantDuration}, until ${whenText(request.grantExpiresAt!)}${capped}.`;
    }
    case 'DENIED':
      return request.decidedBy === request.userId
        ? `↩️ Withdrawn by ${mention(request.userId)}: ${request.level} on ${request.projectId}.`
        : `❌ Denied by ${mention(request.decidedBy!)}: ${mention(request.userId)}'s request for ${request.level} on ${request.projectId}.`;
    case 'EXPIRED':
      return `⌛ Lapsed unanswered: ${mention(request.userId)}'s request for ${request.level} on ${request.projectId} (ask again with /cloud-request-access).`;
    default:
      return `⏳ Pending: ${mention(request.userId)} asks for ${asked(request)}.`;
  }
}

/** The Request extension button of a grant ending soon: the same level for as long again. */
export function extensionButton(event: KernelEventMap['access.grantExpiring']): ChatButton {
  return { action: 'access-extend', target: `${event.projectId}/${event.level}/${extensionDuration(event.durationMs)}`, label: 'Request extension', style: 'primary' };
}

/** A grant ending soon, told to its holder. */
export function grantExpiringLine(event: KernelEventMap['access.grantExpiring']): string {
  return `⏰ Your ${event.level} access to ${event.projectId} ends in ${formatRemaining(event.remaining)} (at ${whenText(event.expiresAt)}). Request extension asks its admins for ${extensionDuration(event.durationMs)} more.`;
}

/** An extension asks for as long as the grant ran, in whole minutes (at least 1m). */
export function extensionDuration(durationMs: number): string {
  const minutes = Math.max(1, Math.round(durationMs / 60_000));
  return minutes % 1440 === 0 ? `${minutes / 1440}d` : minutes % 60 === 0 ? `${minutes / 60}h` : `${minutes}m`;
}

/** `/cloud-access`: the project's grants with their expiry, and the requests the viewer may see; buttons for the first pending ones (admins). */
export function accessOverview(input: {
  projectId: string;
  grants: readonly AccessGrant[];
  requests: readonly AccessRequestView[];
  admin: boolean;
  now: Date;
  mention?: Mention;
}): ChatMessage {
  const mention = input.mention ?? plain;
  const grants = input.grants.filter((grant) => !grant.expired);
  const pending = input.requests.filter((request) => request.state === 'PENDING');
  const grantLines = grants.map(
    (grant) => `${mention(grant.userId)} · ${grant.level} · ${grant.expiresAt ? `ends in ${formatRemaining(grant.expiresAt.getTime() - input.now.getTime())} (${whenText(grant.expiresAt)})` : 'until revoked'}`,
  );
  const requestLines = pending.map((request) => `\`${request.id}\` ${mention(request.userId)} asks for ${asked(request)} — ${request.reason.replace(/\s+/g, ' ').slice(0, 120)}`);
  const buttons = input.admin ? pending.slice(0, 2).flatMap((request) => decisionButtons(request, request.userId.slice(0, 40))) : [];
  return {
    title: `Access to ${input.projectId}`,
    lines: [
      grants.length ? `Grants (${grants.length}):` : 'No grants.',
      ...grantLines,
      pending.length ? `Pending requests (${pending.length}):` : 'No pending requests.',
      ...requestLines,
      ...(input.admin && pending.length > 2 ? ['The buttons decide the two newest; the others are posted where requests go (or: cloud-engine access approve <id>).'] : []),
    ],
    tone: 'info',
    ephemeral: true,
    ...(buttons.length ? { buttons } : {}),
  };
}
