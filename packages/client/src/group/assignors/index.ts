// The assignors a Sluice consumer can name in partition.assignment.strategy, by Kafka's protocol names.

import type { PartitionAssignor } from '../assignor.ts';
import { RangeAssignor } from './range.ts';
import { RoundRobinAssignor } from './round-robin.ts';
import { StickyAssignor } from './sticky.ts';

export { RangeAssignor } from './range.ts';
export { RoundRobinAssignor } from './round-robin.ts';
export { StickyAssignor } from './sticky.ts';

/** Kafka 2.7's default partition.assignment.strategy: [RangeAssignor]. */
export const DEFAULT_ASSIGNOR_NAMES: readonly string[] = Object.freeze(['range']);

/** Every built-in assignor name, in no particular preference. */
export const ASSIGNOR_NAMES: readonly string[] = Object.freeze(['range', 'roundrobin', 'sticky']);

/** A new instance of the built-in assignor with Kafka's protocol name `name`; undefined if none. */
export function assignorByName(name: string): PartitionAssignor | undefined {
  switch (name) {
    case 'range':
      return new RangeAssignor();
    case 'roundrobin':
      return new RoundRobinAssignor();
    case 'sticky':
      return new StickyAssignor();
    default:
      return undefined;
  }
}
