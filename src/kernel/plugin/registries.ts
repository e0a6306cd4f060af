import type { ChatAdapter } from './chat-adapter.js';
import type { CloudProvider } from './cloud-provider.js';
import type { CostEstimator } from './cost-estimator.js';
import type { PolicyValidator } from './policy-validator.js';
import type { Registry } from './registry.js';
import type { ResourceType } from './resource-type.js';
import { token } from './token.js';

/** The registries the kernel builds from every plugin's contributions. */
export const ProviderRegistry = token<Registry<CloudProvider>>('registry.providers');
export const ResourceTypeRegistry = token<Registry<ResourceType>>('registry.resource-types');
export const PolicyValidatorRegistry = token<Registry<PolicyValidator>>('registry.policy-validators');
export const CostEstimatorRegistry = token<Registry<CostEstimator>>('registry.cost-estimators');

/** The registries of everything plugins contributed. */
export interface KernelRegistries {
  readonly providers: Registry<CloudProvider>;
  readonly resourceTypes: Registry<ResourceType>;
  readonly policyValidators: Registry<PolicyValidator>;
  readonly costEstimators: Registry<CostEstimator>;
  readonly chatAdapters: Registry<ChatAdapter>;
}
