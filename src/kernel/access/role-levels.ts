import type { Database } from '../persistence/database.js';
import { ProjectEntity } from '../persistence/entities/project.entity.js';
import { accessRules } from './access-settings.js';
import { levelAtLeast, type AccessLevel } from './authorizer.js';
import { currentMemberRoles, mappedLevel } from './member-roles.js';

/**
 * The level a project's `access.roles` mapping gives a user through the chat
 * roles they hold in the interaction being handled; read at every check, so
 * a role taken away stops counting at once. Nothing outside an interaction.
 */
export class RoleLevels {
  constructor(private readonly db: Database) {}

  async of(userId: string, projectId: string): Promise<{ level: AccessLevel; roleId: string } | null> {
    const roles = currentMemberRoles(userId);
    if (roles.length === 0) return null;
    const project = await this.db.manager.findOne(ProjectEntity, { where: { id: projectId }, select: { id: true, settings: true } });
    if (!project) return null;
    return mappedLevel(accessRules(project.settings?.access).roles, roles);
  }

  /** Projects whose mapping gives `userId`, through the roles held in this interaction, at least `level`. */
  async projectsFor(userId: string, level: AccessLevel): Promise<string[]> {
    const roles = currentMemberRoles(userId);
    if (roles.length === 0) return [];
    const projects = await this.db.manager.find(ProjectEntity, { select: { id: true, settings: true }, order: { id: 'ASC' } });
    return projects.filter((project) => levelAtLeast(mappedLevel(accessRules(project.settings?.access).roles, roles)?.level, level)).map((project) => project.id);
  }
}
