import type { Plugin } from '../kernel/plugin/define-plugin.js';
import { awsPlugin } from '../providers/aws.plugin.js';
import { googlePlugin } from '../providers/google.plugin.js';
import { sandboxPlugin } from '../providers/sandbox.plugin.js';
import { costPlugin } from './cost/cost.plugin.js';
import { consolePlugin } from './console/console.plugin.js';
import { discordPlugin } from './discord/discord.plugin.js';
import { policiesPlugin } from './policies/policies.plugin.js';

/** Plugins every kernel loads unless told not to; registered explicitly, never discovered. */
export const builtinPlugins: readonly Plugin[] = [sandboxPlugin, awsPlugin, googlePlugin, policiesPlugin, costPlugin, consolePlugin, discordPlugin];
