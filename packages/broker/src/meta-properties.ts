// <log.dir>/meta.properties, Kafka's format: the broker id and cluster id this log dir belongs to.
// It keeps a generated broker id across restarts and stops a broker from starting on another
// cluster's or another broker's data.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface MetaProperties {
  brokerId: number;
  clusterId: string | null;
}

export const META_PROPERTIES_FILE = 'meta.properties';

export async function readMetaProperties(logDir: string): Promise<MetaProperties | null> {
  let text: string;
  try {
    text = await readFile(join(logDir, META_PROPERTIES_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    if (eq > 0) values.set(trimmed.slice(0, eq).trim(), trimmed.slice(eq + 1).trim());
  }
  const brokerId = Number(values.get('broker.id'));
  if (!Number.isInteger(brokerId))
    throw new Error(`${join(logDir, META_PROPERTIES_FILE)} has no valid broker.id`);
  return { brokerId, clusterId: values.get('cluster.id') ?? null };
}

export async function writeMetaProperties(logDir: string, meta: MetaProperties): Promise<void> {
  const lines = ['#', `#${new Date().toString()}`, 'version=0', `broker.id=${meta.brokerId}`];
  if (meta.clusterId !== null) lines.push(`cluster.id=${meta.clusterId}`);
  const path = join(logDir, META_PROPERTIES_FILE);
  const temp = `${path}.tmp`;
  await writeFile(temp, `${lines.join('\n')}\n`, { flush: true });
  await rename(temp, path);
}

/**
 * The broker id recorded across all log dirs: null when none has one; an error when they disagree
 * (Kafka refuses to start with "Stored brokerId ... doesn't match").
 */
export async function storedBrokerId(logDirs: readonly string[]): Promise<number | null> {
  let found: number | null = null;
  for (const dir of logDirs) {
    const meta = await readMetaProperties(dir);
    if (meta === null) continue;
    if (found !== null && found !== meta.brokerId) {
      throw new Error(
        `Log dirs disagree on broker.id (${found} and ${meta.brokerId} in ${dir}/meta.properties)`,
      );
    }
    found = meta.brokerId;
  }
  return found;
}
