// Kafka's text checkpoint files: a version line "0", a line with the entry count, then one entry per
// line (recovery-point-offset-checkpoint and friends: "topic partition offset"; leader-epoch-checkpoint:
// "epoch startOffset"). A write is atomic: temp file, fsync, rename over the old one, fsync the
// directory, so a crash leaves either the old or the new file, never a mix.
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TEMP_FILE_SUFFIX } from './log-files.ts';

export const CHECKPOINT_VERSION = 0;

/** A checkpoint file that exists but cannot be parsed. */
export class CheckpointFormatError extends Error {
  constructor(path: string, detail: string) {
    super(`Malformed checkpoint file ${path}: ${detail}`);
    this.name = 'CheckpointFormatError';
  }
}

export async function writeCheckpointFile(path: string, entries: readonly string[]): Promise<void> {
  const text = `${CHECKPOINT_VERSION}\n${entries.length}\n${entries.map((line) => `${line}\n`).join('')}`;
  const temp = path + TEMP_FILE_SUFFIX;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(dirname(path));
}

/** The entry lines of a checkpoint file, or null when the file does not exist. */
export async function readCheckpointFile(path: string): Promise<string[] | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0]?.trim() !== String(CHECKPOINT_VERSION)) {
    throw new CheckpointFormatError(path, `unknown version line ${JSON.stringify(lines[0] ?? '')}`);
  }
  const count = Number(lines[1]?.trim());
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new CheckpointFormatError(path, `bad entry count ${JSON.stringify(lines[1] ?? '')}`);
  }
  const entries = lines.slice(2);
  if (entries.length !== count) {
    throw new CheckpointFormatError(path, `expected ${count} entries, found ${entries.length}`);
  }
  return entries;
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** Writes "topic partition offset" lines (recovery points, high watermarks, log start offsets). */
export async function writeOffsetCheckpoint(path: string, offsets: Iterable<PartitionOffset>): Promise<void> {
  const lines: string[] = [];
  for (const { topic, partition, offset } of offsets) lines.push(`${topic} ${partition} ${offset}`);
  await writeCheckpointFile(path, lines);
}

/** Offsets keyed by "<topic>-<partition>"; an empty map when the file does not exist. */
export async function readOffsetCheckpoint(path: string): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  const entries = await readCheckpointFile(path);
  if (entries === null) return result;
  for (const line of entries) {
    const fields = line.trim().split(/\s+/);
    const partition = Number(fields[1]);
    const offset = Number(fields[2]);
    if (
      fields.length !== 3 ||
      !Number.isSafeInteger(partition) ||
      !Number.isSafeInteger(offset) ||
      offset < 0
    ) {
      throw new CheckpointFormatError(path, `bad entry ${JSON.stringify(line)}`);
    }
    result.set(`${fields[0]}-${partition}`, offset);
  }
  return result;
}

export async function removeIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** fsync a directory so that a rename or unlink in it survives a crash of the machine. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
