import { inject, injectable } from 'inversify';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { Authorizer } from '../access/authorizer.js';
import { CloudEngineError, describeValue, invalidInput, projectNotFound } from '../errors.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { ProjectEntity } from '../persistence/entities/project.entity.js';
import { AccessGrantEntity } from '../persistence/entities/access-grant.entity.js';
import type { CloudProvider } from '../plugin/cloud-provider.js';
import type { Registry } from '../plugin/registry.js';
import { token } from '../plugin/token.js';
import { PROJECT_ID, USER_ID, jsonSize, parseInput, requireFaithfulJson, requirePattern } from '../validation.js';
import { KernelSettingsSchema, splitSettings } from './project-settings.js';
import { PolicyValidatorRegistry, ProviderRegistry } from '../plugin/registries.js';
import type { PolicyValidator } from '../plugin/policy-validator.js';

/** A project as the API returns it. */
export interface Project {
  readonly id: string;
  readonly provider: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdBy: string;
  readonly createdAt: Date;
}

/** The most a project's settings may hold, as JSON: they are read on every plan and shown in chat. */
export const SETTINGS_MAX_BYTES = 64 * 1024;

export interface CreateProjectInput {
  id: string;
  provider: string;
  createdBy: string;
  settings?: Record<string, unknown>;
}

/** Creates and reads projects; settings are validated by the kernel and the project's provider. */
@injectable()
export class ProjectService {
  constructor(
    @inject(DatabaseToken) private readonly db: Database,
    @inject(ProviderRegistry) private readonly providers: Registry<CloudProvider>,
    @inject(PolicyValidatorRegistry) private readonly policies: Registry<PolicyValidator>,
    @inject(Authorizer) private readonly authorizer: Authorizer,
    @inject(AuditLogToken) private readonly audit: AuditLog,
  ) {}

  async create(input: CreateProjectInput): Promise<Project> {
    const id = requirePattern(input?.id, PROJECT_ID, 'id', '1-32 lowercase letters, digits and dashes, starting and ending with a letter or digit (e.g. "web-dev")');
    const createdBy = requirePattern(input.createdBy, USER_ID, 'createdBy', 'a user id of 1-64 letters, digits and ._@:-');
    const provider = this.providers.get(input.provider);
    if (!provider) {
      throw invalidInput('provider', `${JSON.stringify(input.provider)} is not a loaded provider; choose one of ${this.providers.keys().join(', ') || '(none loaded)'}`, {
        value: input.provider,
      });
    }
    const settings = this.validateSettings(provider, input.settings ?? {});
    await this.authorizer.authorize({ userId: createdBy, action: 'project.create', projectId: id });

    const entity: ProjectEntity = Object.assign(new ProjectEntity(), {
      id,
      provider: provider.id,
      settings,
      createdBy,
      createdAt: new Date(),
    });
    await this.db.transaction(async (manager) => {
      if (await manager.existsBy(ProjectEntity, { id })) {
        throw new CloudEngineError('INVALID_INPUT', `Project "${id}" already exists; pick another id.`, { field: 'id', value: id });
      }
      await manager.insert(ProjectEntity, entity);
      await this.audit.record({ actor: createdBy, action: 'project.created', projectId: id, details: { provider: provider.id } }, manager);
      // The creator administers the project they made.
      await manager.insert(AccessGrantEntity, { projectId: id, userId: createdBy, level: 'admin', grantedBy: createdBy, grantedAt: new Date(), expiresAt: null });
      await this.audit.record({ actor: createdBy, action: 'access.granted', projectId: id, details: { userId: createdBy, level: 'admin', expiresAt: null } }, manager);
    });
    return toProject(entity);
  }

  /**
   * Creates a project on behalf of the installation (actor `system`) if it
   * does not exist yet, making `adminUserId` its admin: how a fresh data dir
   * gets its first project without a global admin. Programs only; chat
   * commands go through `create`.
   */
  async bootstrap(input: { id: string; provider: string; adminUserId: string; settings?: Record<string, unknown> }): Promise<{ project: Project; created: boolean }> {
    const existing = await this.db.manager.findOneBy(ProjectEntity, { id: input.id });
    if (existing) return { project: toProject(existing), created: false };
    const id = requirePattern(input.id, PROJECT_ID, 'id', '1-32 lowercase letters, digits and dashes');
    const adminUserId = requirePattern(input.adminUserId, USER_ID, 'adminUserId', 'a user id of 1-64 letters, digits and ._@:-');
    const provider = this.providers.get(input.provider);
    if (!provider) {
      throw invalidInput('provider', `${JSON.stringify(input.provider)} is not loaded`, { value: input.provider });
    }
    const settings = this.validateSettings(provider, input.settings ?? {});
    const entity: ProjectEntity = Object.assign(new ProjectEntity(), { id, provider: provider.id, settings, createdBy: 'system', createdAt: new Date() });
    await this.db.transaction(async (manager) => {
      if (await manager.existsBy(ProjectEntity, { id })) return;
      await manager.insert(ProjectEntity, entity);
      await this.audit.record({ actor: 'system', action: 'project.created', projectId: id, details: { provider: provider.id, bootstrap: true } }, manager);
      await manager.insert(AccessGrantEntity, { projectId: id, userId: adminUserId, level: 'admin', grantedBy: 'system', grantedAt: new Date(), expiresAt: null });
      await this.audit.record({ actor: 'system', action: 'access.granted', projectId: id, details: { userId: adminUserId, level: 'admin', expiresAt: null } }, manager);
    });
    return { project: await this.get(id), created: true };
  }

  async get(id: string): Promise<Project> {
    const entity = typeof id === 'string' ? await this.db.manager.findOneBy(ProjectEntity, { id }) : null;
    if (!entity) {
      throw projectNotFound(id);
    }
    return toProject(entity);
  }

  async list(): Promise<Project[]> {
    const rows = await this.db.manager.find(ProjectEntity, { order: { id: 'ASC' } });
    return rows.map(toProject);
  }

  /** Validates the kernel's keys and the provider's keys; returns the normalized settings. */
  validateSettings(provider: CloudProvider, settings: unknown): Record<string, unknown> {
    if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
      throw invalidInput('settings', 'expected a JSON object such as {"region": "us-east-1"}', { value: settings });
    }
    const size = jsonSize(settings);
    if (size === undefined) {
      throw invalidInput('settings', 'they must be plain JSON (strings, numbers, booleans, lists and objects)');
    }
    if (size > SETTINGS_MAX_BYTES) {
      throw invalidInput('settings', `they are ${size} bytes, more than the ${SETTINGS_MAX_BYTES} bytes a project's settings may hold. Trim them`, {
        details: { limit: SETTINGS_MAX_BYTES, size },
      });
    }
    // Before splitting: copying the keys into the kernel's and the provider's part would drop a "__proto__" key unseen.
    requireFaithfulJson(settings, 'settings');
    const { kernel, provider: own } = splitSettings(settings as Record<string, unknown>);
    const kernelSettings = parseInput(KernelSettingsSchema, kernel, 'settings');
    // The synthesizer writes backend settings into terraform's backend block as they are (unescaped).
    if (kernelSettings.backend) requireNoTemplateSyntax(kernelSettings.backend, 'settings.backend');
    const providerSettings = parseInput(provider.settingsSchema, own, 'settings', `(settings for the ${provider.id} provider)`);
    for (const [id, value] of Object.entries(kernelSettings.policies ?? {})) {
      const validator = this.policies.get(id);
      if (!validator) {
        throw invalidInput(`settings.policies.${id}`, `no policy validator "${id}" is loaded; configure one of ${this.policies.keys().join(', ') || '(none loaded)'}`, { value: id });
      }
      // Validate only; the raw value is stored so defaults can evolve with the validator.
      if (validator.settingsSchema) parseInput(validator.settingsSchema, value, `settings.policies.${id}`);
    }
    return { ...(providerSettings as Record<string, unknown>), ...stripUndefined(kernelSettings) };
  }
}
export const ProjectServiceToken = token<ProjectService>('kernel.projects');

/**
 * Refuses `${`, `%{` (Terraform template syntax) and `#{` (a cdktf token
 * marker) in settings that reach the configuration unescaped: no bucket,
 * table or connection string has them, and Terraform would read them as
 * expressions.
 */
function requireNoTemplateSyntax(value: unknown, field: string): void {
  if (typeof value === 'string') {
    if (/[$%#]\{/.test(value)) {
      throw invalidInput(field, `"\${", "%{" and "#{" would be read as Terraform expressions here, which these settings cannot hold; received ${describeValue(value)}`, { value });
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) requireNoTemplateSyntax(item, `${field}.${key}`);
  }
}

function stripUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined));
}

function toProject(entity: ProjectEntity): Project {
  return { id: entity.id, provider: entity.provider, settings: entity.settings, createdBy: entity.createdBy, createdAt: entity.createdAt };
}
