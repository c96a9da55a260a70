// Counts what a fault-injection run did to uniquely numbered records: acknowledged (the producer got an
// offset), lost (acknowledged but not read back), duplicated (read more than once), unexpected (read but
// never sent). Records are values "<prefix>-<n>".
export interface CheckResult {
  acknowledged: number;
  lost: number[];
  duplicated: number[];
  unexpected: string[];
}

export class Checker {
  readonly prefix: string;
  readonly #sent = new Set<number>();
  readonly #acknowledged = new Set<number>();
  #next = 0;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** The next record's value; it counts as sent. */
  next(): { n: number; value: string } {
    const n = this.#next++;
    this.#sent.add(n);
    return { n, value: `${this.prefix}-${n}` };
  }

  acknowledge(n: number): void {
    this.#acknowledged.add(n);
  }

  get acknowledgedCount(): number {
    return this.#acknowledged.size;
  }

  check(readValues: readonly string[]): CheckResult {
    const seen = new Map<number, number>();
    const unexpected: string[] = [];
    for (const value of readValues) {
      const match = value.startsWith(`${this.prefix}-`)
        ? Number(value.slice(this.prefix.length + 1))
        : Number.NaN;
      if (!Number.isSafeInteger(match) || !this.#sent.has(match)) {
        unexpected.push(value);
        continue;
      }
      seen.set(match, (seen.get(match) ?? 0) + 1);
    }
    return {
      acknowledged: this.#acknowledged.size,
      lost: [...this.#acknowledged].filter((n) => !seen.has(n)).sort((a, b) => a - b),
      duplicated: [...seen].filter(([, count]) => count > 1).map(([n]) => n),
      unexpected,
    };
  }
}
