// A Map that refuses changes after construction. Object.freeze does not stop Map.set, and a loaded
// configuration shared by every subsystem must not change under them.

export class FrozenMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [key, value] of entries) super.set(key, value);
    Object.freeze(this);
  }

  override set(key: K, _value: V): this {
    throw new TypeError(`Cannot set ${String(key)}: this map is read-only`);
  }

  override delete(key: K): boolean {
    throw new TypeError(`Cannot delete ${String(key)}: this map is read-only`);
  }

  override clear(): void {
    throw new TypeError('Cannot clear: this map is read-only');
  }
}
