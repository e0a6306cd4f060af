import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { parseObjectText } from '../kernel/arguments.js';
import { CloudEngineError } from '../kernel/errors.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { formatTable } from './table.js';

interface CreateOptions extends OutputOptions {
  provider: string;
  settings?: string;
}

/** `cloud-engine projects` (what you can read) and `projects create` (global admins). */
export function registerProjectsCommand(program: Command, runtime: CliRuntime): void {
  const projects = withJsonOption(program.command('projects').description('List the projects you can read, with provider and your access level.')).action(
    async (options: OutputOptions) => {
      runtime.exitCode = await runCommand(runtime.io, options, (ctx) => listProjects(ctx));
    },
  );
  withJsonOption(
    projects
      .command('create')
      .description('Create a project (global admins); you become its admin.')
      .argument('<id>', 'project id: lowercase letters, digits and dashes')
      .requiredOption('--provider <provider>', 'cloud provider: sandbox, aws, google, …')
      .option('--settings <json|@file>', 'provider settings as JSON, or @path of a JSON or YAML file'),
  ).action(async (id: string, options: CreateOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const settings = options.settings === undefined ? undefined : await readSettings(options.settings);
      const project = await ctx.kernel.projects.create({ id, provider: options.provider, createdBy: ctx.user, settings });
      if (ctx.json) ctx.result({ project: { id: project.id, provider: project.provider, settings: project.settings, createdBy: project.createdBy, createdAt: project.createdAt.toISOString() } });
      ctx.say(`Created project ${project.id} (${project.provider}); ${ctx.user} administers it.`);
    });
  });
}

async function listProjects(ctx: CliContext): Promise<void> {
  const { access, projects } = ctx.kernel;
  const globalAdmin = access.isGlobalAdmin(ctx.user);
  const rows = [];
  for (const id of await access.projectsFor(ctx.user, 'read')) {
    const project = await projects.get(id);
    const level = await access.levelOf(ctx.user, id);
    // A global admin's level comes from configuration, not a grant, so it never expires.
    const own = globalAdmin ? undefined : (await access.list(id)).find((grant) => grant.userId === ctx.user);
    rows.push({ id, provider: project.provider, level, expiresAt: own?.expiresAt?.toISOString() ?? null });
  }
  if (ctx.json) {
    ctx.result({ user: ctx.user, globalAdmin, projects: rows });
    return;
  }
  if (rows.length === 0) {
    ctx.say(`${ctx.user} cannot read any project. Ask a project admin for access: cloud-engine grant ${ctx.user} <project> deploy`);
    return;
  }
  const table = formatTable(
    ['PROJECT', 'PROVIDER', 'ACCESS', 'EXPIRES'],
    rows.map((row) => [row.id, row.provider, globalAdmin ? 'admin (global)' : (row.level ?? '-'), row.expiresAt ?? '-']),
  );
  for (const line of table) ctx.say(line);
}

/** `--settings '{"region":"eu-west-1"}'` or `--settings @settings.yaml`. */
async function readSettings(value: string): Promise<Record<string, unknown>> {
  let text = value;
  let where = '--settings';
  let yaml = false;
  if (value.startsWith('@')) {
    const path = value.slice(1);
    where = path;
    yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
    text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new CloudEngineError('INVALID_INPUT', `Cannot read settings file ${path}: ${(error as Error).message}.`, { field: 'settings', value: path });
    });
  }
  return parseObjectText(text, 'settings', { format: yaml ? 'yaml' : 'json', where });
}
