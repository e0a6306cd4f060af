import type { ChatCommandDefinition } from '../chat-command.js';
import { cloudAdminCancelCommand } from './cloud-admin-cancel.command.js';
import { cloudAdminListCommand } from './cloud-admin-list.command.js';
import { cloudCancelCommand } from './cloud-cancel.command.js';
import { cloudCreateProjectCommand } from './cloud-create-project.command.js';
import { cloudDashboardCommand } from './cloud-dashboard.command.js';
import { cloudDeployCommand } from './cloud-deploy.command.js';
import { cloudDriftCommand } from './cloud-drift.command.js';
import { cloudGrantCommand } from './cloud-grant.command.js';
import { cloudAccessCommand } from './cloud-access.command.js';
import { cloudRequestAccessCommand } from './cloud-request-access.command.js';
import { cloudListCommand } from './cloud-list.command.js';
import { cloudProjectsCommand } from './cloud-projects.command.js';
import { cloudQuotaCommand } from './cloud-quota.command.js';
import { cloudRevokeCommand } from './cloud-revoke.command.js';
import { cloudSetQuotaCommand } from './cloud-set-quota.command.js';
import { cloudStatsCommand } from './cloud-stats.command.js';

/**
 * The chat commands, in the order adapters list them (Discord's
 * registration, the console's /help). Listed here explicitly: a command file
 * not named here is not a command.
 */
export const CHAT_COMMANDS: readonly ChatCommandDefinition[] = [
  cloudDeployCommand,
  cloudListCommand,
  cloudQuotaCommand,
  cloudProjectsCommand,
  cloudCancelCommand,
  cloudGrantCommand,
  cloudRevokeCommand,
  cloudRequestAccessCommand,
  cloudAccessCommand,
  cloudCreateProjectCommand,
  cloudSetQuotaCommand,
  cloudAdminListCommand,
  cloudAdminCancelCommand,
  cloudStatsCommand,
  cloudDriftCommand,
  cloudDashboardCommand,
];
