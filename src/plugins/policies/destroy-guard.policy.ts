import { z } from 'zod';
import type { PolicyValidator, PolicyViolation } from '../../kernel/plugin/policy-validator.js';

const ID = 'destroy-guard';

/** Settings of `destroy-guard`; left out, both destroys and replacements are refused. */
export const destroyGuardSettingsSchema = z
  .strictObject({
    allowDestroy: z.boolean({ error: 'allowDestroy must be true or false' }).default(false),
    allowReplace: z.boolean({ error: 'allowReplace must be true or false' }).default(false),
  })
  .optional();

/** Parsed settings of `destroy-guard`. */
export type DestroyGuardSettings = NonNullable<z.output<typeof destroyGuardSettingsSchema>>;

/**
 * Refuses plans that destroy or replace resources the user did not ask to
 * (a config change that forces replacement, a delete nobody requested)
 * unless the project allows it; on by default. Removing a resource in a
 * change is asked for and passes, and so do deliberate teardowns.
 */
export const destroyGuardPolicy: PolicyValidator<DestroyGuardSettings | undefined> = {
  id: ID,
  description: 'Refuses plans that destroy or replace resources unless the project allows it.',
  settingsSchema: destroyGuardSettingsSchema,

  validatePlan({ plan, project, settings, operation, requestedDeletes = [] }): PolicyViolation[] {
    // A teardown is the point of destroySession, approved like any plan; the guard is for deletes hidden in changes.
    if (operation === 'destroy') return [];
    const allowDestroy = settings?.allowDestroy ?? false;
    const allowReplace = settings?.allowReplace ?? false;
    const violations: PolicyViolation[] = [];
    for (const change of plan.resource_changes ?? []) {
      // Data sources are only read; terraform never destroys them.
      if (change.mode === 'data') continue;
      const actions = change.change.actions;
      if (!actions.includes('delete')) continue;
      // The user removed this resource from the deployment: the destroy is the change they asked for.
      if (requestedDeletes.includes(change.address) && !actions.includes('create')) continue;
      if (actions.includes('create')) {
        if (allowReplace) continue;
        const forcedBy = replacePaths(change.change.replace_paths);
        violations.push({
          code: 'REPLACE_DENIED',
          address: change.address,
          message: `${change.address} would be destroyed and created again${forcedBy ? ` because ${forcedBy} changed` : ''}, and project ${project.id} does not allow replacing resources. Keep ${forcedBy ?? 'the attributes that force replacement'} as they are, or ask an admin to set settings.policies["${ID}"].allowReplace to true.`,
        });
      } else if (!allowDestroy) {
        violations.push({
          code: 'DESTROY_DENIED',
          address: change.address,
          message: `${change.address} would be destroyed, and project ${project.id} does not allow destroying resources. Keep the resource, or ask an admin to set settings.policies["${ID}"].allowDestroy to true.`,
        });
      }
    }
    return violations;
  },
};

/** `[["triggers_replace"], ["boot_disk", 0, "image"]]` → "triggers_replace, boot_disk.0.image" */
function replacePaths(paths: unknown[] | undefined): string | undefined {
  const names = (paths ?? []).filter(Array.isArray).map((path) => path.map(String).join('.')).filter((name) => name !== '');
  return names.length > 0 ? names.join(', ') : undefined;
}
