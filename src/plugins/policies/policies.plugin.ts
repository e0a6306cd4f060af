import { definePlugin } from '../../kernel/plugin/define-plugin.js';
import { allowedValuesPolicy } from './allowed-values.policy.js';
import { costLimitPolicy } from './cost-limit.policy.js';
import { destroyGuardPolicy } from './destroy-guard.policy.js';
import { createRequiredTagsPolicy, taggableTypes, type TagField } from './required-tags.policy.js';

/** The built-in policies: allowed values, required tags, cost limits and the destroy guard, each configured per project. */
export const policiesPlugin = definePlugin({
  id: 'policies',
  register(ctx) {
    // Read from the registered types' schemas once every plugin has registered, so any type that has tags is covered.
    let taggable: ReadonlyMap<string, TagField> | undefined;
    ctx.addPolicyValidator(allowedValuesPolicy);
    ctx.addPolicyValidator(createRequiredTagsPolicy(() => (taggable ??= taggableTypes(ctx.resourceTypes.list()))));
    ctx.addPolicyValidator(costLimitPolicy);
    ctx.addPolicyValidator(destroyGuardPolicy);
  },
});

export default policiesPlugin;
