// Admin requests answer once their effect is visible in the metadata this broker serves (leaders of new
// partitions, a deleted topic gone), as Kafka's admin purgatory does, but never longer than the
// request's timeout.
import type { MetadataView } from '@sluice/coordinator';

/** Resolves true once `ready()` holds, false when `timeoutMs` passes first. */
export async function waitForMetadata(
  metadata: MetadataView,
  ready: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  if (ready()) return true;
  if (timeoutMs <= 0) return false;
  return new Promise<boolean>((resolve) => {
    const finish = (value: boolean): void => {
      clearTimeout(timer);
      metadata.off('change', onChange);
      resolve(value);
    };
    const onChange = (): void => {
      if (ready()) finish(true);
    };
    const timer = setTimeout(() => finish(ready()), timeoutMs);
    metadata.on('change', onChange);
  });
}

/** Every partition of every named topic has a leader. */
export function leadersKnown(metadata: MetadataView, topics: readonly string[]): boolean {
  return topics.every((name) => {
    const topic = metadata.topics.get(name);
    return (
      topic !== undefined &&
      topic.partitions.size > 0 &&
      [...topic.partitions.values()].every((p) => p.leader >= 0)
    );
  });
}
