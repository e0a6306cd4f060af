/** The states of a deployment: nothing applied yet, live, or torn down. */
export const DeploymentStatus = {
  NEW: 'NEW',
  ACTIVE: 'ACTIVE',
  DESTROYED: 'DESTROYED',
} as const;
export type DeploymentStatus = (typeof DeploymentStatus)[keyof typeof DeploymentStatus];
