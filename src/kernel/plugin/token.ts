/** A typed service token; `T` is carried only at compile time. */
export type Token<T> = symbol & { readonly __type?: T };

/** Declares a token for a contract, beside the interface it stands for. */
export function token<T>(name: string): Token<T> {
  return Symbol.for(`cloud-engine.${name}`) as Token<T>;
}
