import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { dueActionLine } from '../expiry.js';
import { globalAdmin, signedIn } from '../preconditions/index.js';

/** `/cloud-stats`: sessions, plans, deployed resources and terraform load across all projects, and the next due reminders and expiries (global admins). */
export const cloudStatsCommand = defineChatCommand({
  name: 'cloud-stats',
  description: 'Deployment statistics across all projects (global admins)',
  admin: true,
  options: [],
  preconditions: [signedIn, globalAdmin((userId) => `Statistics across all projects are for global admins; ${userId} is not one.`)],
  run: async ({ api, userId }) => {
    const [stats, due] = await Promise.all([api.orchestrator.stats(userId), api.lifecycle.pending()]);
    return message(
      [
        `Sessions: ${stats.sessions} · plans: ${stats.plans} · resources deployed: ${stats.resourcesApplied}`,
        `By state: ${Object.entries(stats.byState).map(([state, count]) => `${state} ${count}`).join(', ') || 'none'}`,
        `By project: ${Object.entries(stats.byProject).map(([project, count]) => `${project} ${count}`).join(', ') || 'none'}`,
        `Terraform: ${stats.terraform.running} running, ${stats.terraform.queued} queued (cap ${stats.terraform.cap})` +
          (stats.terraform.pool
            ? ` · provider pool: ${stats.terraform.pool.processes} processes (${stats.terraform.pool.idle} idle), ${stats.terraform.pool.hits} hits, ${stats.terraform.pool.misses} misses, ${stats.terraform.pool.fallbacks} fallbacks`
            : ' · provider pool off') +
          (stats.jobs ? ` · job queue: ${stats.jobs.waiting} waiting, ${stats.jobs.running} running on workers` : ''),
        due.length ? `Next lifecycle actions (${due.length}):` : 'Next lifecycle actions: none',
        ...due.slice(0, 10).map((action) => `  ${dueActionLine(action)}`),
        ...(due.length > 10 ? [`  … and ${due.length - 10} more`] : []),
      ],
      { title: 'Cloud Engine statistics' },
    );
  },
});
