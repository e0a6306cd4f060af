import type { Kernel } from '../kernel.js';

/** A chat front end (Discord, console, …); every rule lives in the kernel, adapters render and ask. */
export interface ChatAdapter {
  readonly id: string;
  /** Whether this adapter is configured to run (e.g. a bot token is present). */
  enabled?(): boolean;
  start(kernel: Kernel): Promise<void>;
  stop(): Promise<void>;
  /**
   * For adapters that can finish by themselves (the console when its input
   * ends): resolves then. Adapters without it run until the process stops.
   */
  readonly closed?: Promise<void>;
}
