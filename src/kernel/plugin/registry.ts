import { pluginFailed } from '../errors.js';

/** A contribution and the plugin that made it, so errors can name the plugin. */
export interface Contribution<T> {
  readonly pluginId: string;
  readonly item: T;
}

/** Contributions of one kind, by key; empty when nothing is registered. */
export class Registry<T> {
  private readonly byKey = new Map<string, Contribution<T>>();

  constructor(
    readonly kind: string,
    private readonly keyOf: (item: T) => string,
    contributions: readonly Contribution<T>[] = [],
  ) {
    for (const contribution of contributions) this.add(contribution);
  }

  /** Adds a contribution; a duplicate key names both plugins. */
  add(contribution: Contribution<T>): void {
    const key = this.keyOf(contribution.item);
    const existing = this.byKey.get(key);
    if (existing) {
      throw pluginFailed(
        contribution.pluginId,
        `registers ${this.kind} "${key}", which plugin "${existing.pluginId}" already registered. Give it another id or load only one of the two plugins`,
        { details: { key, existingPluginId: existing.pluginId } },
      );
    }
    this.byKey.set(key, contribution);
  }

  get(key: string): T | undefined {
    return this.byKey.get(key)?.item;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The id of the plugin that contributed `key`. */
  pluginOf(key: string): string | undefined {
    return this.byKey.get(key)?.pluginId;
  }

  list(): T[] {
    return [...this.byKey.values()].map((contribution) => contribution.item);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  entries(): Contribution<T>[] {
    return [...this.byKey.values()];
  }
}
