/**
 * A real vendor's cheapest read-only call, for `palisade providers check`: it resolves with
 * what it saw, or throws the same typed provider failure (Denied, Unavailable, …) the
 * vendor's actions would, naming the permission or scope when one is missing.
 */
export interface Checkable {
  check(): Promise<string>;
}

export function isCheckable(provider: object): provider is Checkable {
  return typeof (provider as Partial<Checkable>).check === 'function';
}
