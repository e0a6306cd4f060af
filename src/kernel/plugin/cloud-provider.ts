import type { Construct } from 'constructs';
import type { z } from 'zod';

/** What a provider's configuration step receives for one session stack. */
export interface ProviderSynthContext<S> {
  readonly projectId: string;
  readonly sessionId: string;
  /** The project's settings for this provider, validated by `settingsSchema`. */
  readonly settings: S;
}

/** A cloud (or the local sandbox) that resource types deploy into. */
export interface CloudProvider<S = any> {
  /** Short id used in commands and resource type names (`aws`, `google`, `sandbox`). */
  readonly id: string;
  readonly displayName: string;
  /**
   * Schema of the provider's keys in a project's settings. Never accept
   * credentials here: providers read them from the environment.
   */
  readonly settingsSchema: z.ZodType<S>;
  /** Adds the Terraform provider block(s) to the stack. */
  configure(scope: Construct, ctx: ProviderSynthContext<S>): void;
  /** Extra environment for terraform processes (endpoints, profile); never persisted. */
  environment?(settings: S): Record<string, string>;
}
