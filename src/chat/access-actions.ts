import type { AccessDecision, AccessRequestView } from '../kernel/access/access-requests.js';
import type { AccessLevel } from '../kernel/access/authorizer.js';
import { levelAtLeast } from '../kernel/access/authorizer.js';
import { describeValue, invalidInput } from '../kernel/errors.js';
import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import { accessOverview, decisionLine, type Mention } from './access-messages.js';
import type { ChatMessage } from './chat-message.js';

/**
 * Access requests as chat's buttons and commands use them, the same in every
 * adapter: ask, decide (Approve / Deny), ask again for a grant ending soon
 * (Request extension), and the overview of `/cloud-access`. The kernel
 * decides who may; this only calls it and words the answer.
 */
export class AccessActions {
  constructor(private readonly api: ChatApi) {}

  request(userId: string, input: { projectId: string; level: string; duration: string; reason: string }): Promise<AccessRequestView> {
    return this.api.access.request({ ...input, userId, level: input.level as AccessLevel });
  }

  /** Approve or Deny; the kernel refuses non-admins, one's own approval, and a request already decided (naming by whom). */
  async decide(requestId: string, userId: string, decision: AccessDecision, mention?: Mention): Promise<{ request: AccessRequestView; line: string }> {
    const request = await this.api.access.decide(requestId, userId, decision);
    return { request, line: decisionLine(request, mention) };
  }

  /** Request extension: `<project>/<level>/<duration>` from a grant's expiry notice, asked again as a request. */
  async extend(userId: string, target: string): Promise<AccessRequestView> {
    const [projectId, level, duration] = target.split('/');
    if (!projectId || !level || !duration) throw invalidInput('target', `expected <project>/<level>/<duration>; received ${describeValue(target)}`, { value: target });
    return this.request(userId, { projectId, level, duration, reason: 'Extension of a grant ending soon (Request extension).' });
  }

  /** `/cloud-access`: grants (everyone's for readers, one's own otherwise) and the requests the viewer may see. */
  async overview(projectId: string, viewerId: string, mention?: Mention): Promise<ChatMessage> {
    const requests = await this.api.access.requests(projectId, viewerId);
    const level = await this.api.access.levelOf(viewerId, projectId);
    const grants = (await this.api.access.list(projectId)).filter((grant) => levelAtLeast(level, 'read') || grant.userId === viewerId);
    return accessOverview({ projectId, grants, requests, admin: levelAtLeast(level, 'admin'), now: this.api.lifecycle.now(), mention });
  }
}
