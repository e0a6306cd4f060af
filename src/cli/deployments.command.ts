import type { Command } from 'commander';
import { CloudEngineError, describeValue } from '../kernel/errors.js';
import type { DeploymentView } from '../kernel/deployments/deployment-service.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { deploymentJson, monthlyText } from './session-output.js';
import { formatTable } from './table.js';

interface DeploymentsOptions extends OutputOptions {
  project?: string;
}

/** `cloud-engine deployments`: the deployments of the projects you can read, newest first. */
export function registerDeploymentsCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('deployments')
      .description('List the deployments of the projects you can read, newest first: state, resources, monthly cost and the open change, if any.')
      .option('--project <project>', 'only this project'),
  ).action(async (options: DeploymentsOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const deployments = await ctx.kernel.deployments.list({ projectId: options.project }, ctx.user);
      if (ctx.json) {
        ctx.result({ deployments: deployments.map((deployment) => deploymentJson(deployment, ctx.kernel.redactor)) });
        return;
      }
      if (deployments.length === 0) {
        ctx.say(options.project === undefined ? 'No deployments in the projects you can read.' : `No deployments in project ${options.project}.`);
        return;
      }
      const rows = deployments.map((deployment) => [
        deployment.name,
        deployment.projectId,
        deployment.state,
        String(deployment.version),
        String(deployment.resources.length),
        monthlyText(deployment.monthlyCost),
        deployment.openSessionId ?? '-',
        deployment.expiresAt?.toISOString() ?? '-',
        deployment.updatedAt.toISOString(),
      ]);
      for (const line of formatTable(['DEPLOYMENT', 'PROJECT', 'STATE', 'VERSION', 'RESOURCES', 'MONTHLY', 'OPEN CHANGE', 'EXPIRES', 'UPDATED'], rows)) ctx.say(line);
    });
  });
}

/**
 * A deployment the user can read, by id or name: within `projectId` when
 * given, else among every project the user can read, where a name held by
 * deployments of two projects is refused until `--project` says which.
 */
export async function findDeployment(ctx: CliContext, idOrName: string, projectId?: string): Promise<DeploymentView> {
  if (projectId !== undefined) return ctx.kernel.deployments.get(idOrName, ctx.user, projectId);
  const readable = await ctx.kernel.deployments.list({}, ctx.user);
  const byId = readable.find((deployment) => deployment.id === idOrName);
  if (byId) return byId;
  const named = readable.filter((deployment) => deployment.name === idOrName);
  if (named.length === 1) return named[0]!;
  if (named.length === 0) {
    throw new CloudEngineError(
      'NOT_FOUND',
      `Deployment ${describeValue(idOrName)} is not a deployment id or name in the projects ${ctx.user} can read. List them with: cloud-engine deployments`,
      { field: 'deployment', value: idOrName },
    );
  }
  const projects = named.map((deployment) => deployment.projectId).sort();
  throw new CloudEngineError(
    'INVALID_INPUT',
    `Invalid deployment: ${describeValue(idOrName)} names a deployment in each of projects ${projects.join(', ')}; pass --project <project> to say which.`,
    { field: 'deployment', value: idOrName, details: { projects } },
  );
}
