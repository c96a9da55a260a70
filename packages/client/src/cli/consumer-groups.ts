// `sluice consumer-groups`: Kafka 2.7's kafka-consumer-groups.sh, same flags, same output. Lists groups,
// describes their offsets and lag, members or state, resets a group's offsets (only while it has no
// active members: --dry-run shows the plan, --execute commits it) and deletes groups. Output columns
// are in consumer-groups-output.ts, the reset arithmetic in offset-reset.ts.
import type { Admin, OffsetSpec } from '../admin.ts';
import type { GroupDescription, GroupState } from '../group-admin.ts';
import { type FlagSpec, formatHelp, intFlag, type ParsedFlags, parseFlags, UsageError } from './args.ts';
import { connectFromFlags } from './connect.ts';
import {
  formatGroupStates,
  formatMembers,
  formatNewOffsets,
  formatOffsets,
  formatState,
  type OffsetRow,
} from './consumer-groups-output.ts';
import type { CommandIO } from './io.ts';
import { parseIsoDateTime, parseIsoDuration } from './iso-time.ts';
import {
  type OffsetLookups,
  type PlannedOffset,
  parseTopicScope,
  partitionKey,
  planReset,
  type ResetStrategy,
  type TopicPartitionRef,
} from './offset-reset.ts';

/** Kafka's --timeout default: how long the tool waits for the cluster's answers. */
const DEFAULT_TIMEOUT_MS = 5_000;

export const SPECS: FlagSpec[] = [
  {
    name: 'bootstrap-server',
    value: '<String: server to connect to>',
    description:
      'REQUIRED: A broker to connect to (host:port of its GRPC listener; several separated by commas).',
  },
  { name: 'list', description: 'List all consumer groups.' },
  {
    name: 'describe',
    description:
      "Describe consumer groups and list their offset lag (number of messages not yet processed). With --members or --state instead of the default --offsets, describe the group's members or state.",
  },
  {
    name: 'delete',
    description: 'Delete consumer groups, with their offsets (only groups with no active members).',
  },
  {
    name: 'reset-offsets',
    description:
      'Reset the offsets of consumer groups with no active members. Needs a scope (--all-topics or --topic) and one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --by-duration, --to-datetime; --dry-run (the default) shows the new offsets, --execute commits them.',
  },
  {
    name: 'group',
    value: '<String: consumer group>',
    description: 'The consumer group to act on; may be given more than once.',
    repeatable: true,
  },
  { name: 'all-groups', description: 'Act on every consumer group.' },
  {
    name: 'topic',
    value: '<String: topic>',
    description:
      'With --reset-offsets: a topic whose offsets to reset, every partition (topic) or some (topic:0,1,2); may be given more than once.',
    repeatable: true,
  },
  { name: 'all-topics', description: 'With --reset-offsets: every topic the group has offsets for.' },
  {
    name: 'offsets',
    description:
      'With --describe (the default): every partition the group owns or has an offset for, with its lag.',
  },
  { name: 'members', description: "With --describe: the group's members and how many partitions each owns." },
  {
    name: 'state',
    value: '<String: states, optional>',
    description:
      "With --describe: the group's coordinator, assignor, state and member count. With --list: each group's state; a comma-separated list of states (e.g. Stable,Empty) lists only those.",
  },
  {
    name: 'to-earliest',
    description: 'With --reset-offsets: to the earliest offset of each partition.',
  },
  { name: 'to-latest', description: 'With --reset-offsets: to the latest offset (the log end).' },
  { name: 'to-current', description: 'With --reset-offsets: to the committed offset (the log end if none).' },
  {
    name: 'to-offset',
    value: '<Long: offset>',
    description: "With --reset-offsets: to this offset (kept within each partition's earliest and latest).",
  },
  {
    name: 'shift-by',
    value: '<Long: number-of-offsets>',
    description: 'With --reset-offsets: the committed offset moved by n (negative: back).',
  },
  {
    name: 'by-duration',
    value: '<String: duration>',
    description:
      "With --reset-offsets: to the first offset at or after now minus the duration. Format: 'PnDTnHnMnS' (ISO-8601).",
  },
  {
    name: 'to-datetime',
    value: '<String: datetime>',
    description:
      "With --reset-offsets: to the first offset at or after the date-time. Format: 'YYYY-MM-DDTHH:mm:SS.sss', UTC unless a zone follows (Z, +01:00).",
  },
  {
    name: 'dry-run',
    description: 'With --reset-offsets: only print the new offsets (the default).',
  },
  { name: 'execute', description: 'With --reset-offsets: commit the new offsets.' },
  {
    name: 'timeout',
    value: '<Long: timeout (ms)>',
    description: 'How long to wait for the cluster to answer, in milliseconds.',
    default: String(DEFAULT_TIMEOUT_MS),
  },
  { name: 'help', description: 'Print usage information.' },
  {
    name: 'verbose',
    description:
      "Print stack traces on errors; with --describe --members, also each member's partitions (ASSIGNMENT).",
  },
];

export const CONSUMER_GROUPS_HELP = formatHelp(
  "List, describe, reset and delete consumer groups (Kafka's kafka-consumer-groups.sh). Exactly one of --list, --describe, --reset-offsets, --delete.",
  SPECS,
);

const ACTIONS = ['list', 'describe', 'delete', 'reset-offsets'] as const;
type Action = (typeof ACTIONS)[number];

const STRATEGY_FLAGS = [
  'to-datetime',
  'by-duration',
  'to-earliest',
  'to-latest',
  'shift-by',
  'to-current',
  'to-offset',
] as const;

const GROUP_STATES: readonly GroupState[] = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
];

const DRY_RUN_WARNING =
  // Word for word, the missing space after "missing." included: scripts may match on it.
  'WARN: No action will be performed as the --execute option is missing.' +
  'In a future major release, the default behavior of this command will be to prompt the user before ' +
  'executing the reset rather than doing a dry run. You should add the --dry-run option explicitly ' +
  'if you are scripting this command and want to keep the current default behavior without prompting.\n';

/**
 * Kafka's --state takes an optional value (`--list --state Stable,Empty`); the flag parser knows only
 * switches and valued flags, so the value, when there is one, is taken out here first.
 */
export function splitStateFlag(args: readonly string[]): { args: string[]; state?: string | true } {
  const rest: string[] = [];
  let state: string | true | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--state') {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        state = next;
        i++;
      } else state = true;
    } else if (arg.startsWith('--state=')) state = arg.slice('--state='.length);
    else rest.push(arg);
  }
  return state === undefined ? { args: rest } : { args: rest, state };
}

/** `Stable,empty` -> ['Stable', 'Empty'], case-insensitive as Kafka's ConsumerGroupState.parse. */
export function parseStates(text: string): GroupState[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const state = GROUP_STATES.find((g) => g.toLowerCase() === s.toLowerCase());
      if (!state) throw new UsageError(`Invalid state '${s}': expected one of ${GROUP_STATES.join(', ')}`);
      return state;
    });
}

/** The reset strategy the flags name (exactly one). */
export function resetStrategyOf(flags: ParsedFlags, nowMs: number): ResetStrategy {
  const given = STRATEGY_FLAGS.filter((f) => flags.has(f));
  if (given.length !== 1) {
    throw new UsageError(
      `Option --reset-offsets takes exactly one of: ${STRATEGY_FLAGS.map((f) => `--${f}`).join(', ')}`,
    );
  }
  switch (given[0]) {
    case 'to-earliest':
      return { kind: 'earliest' };
    case 'to-latest':
      return { kind: 'latest' };
    case 'to-current':
      return { kind: 'current' };
    case 'to-offset': {
      const offset = intFlag(flags, 'to-offset') as number;
      if (offset < 0) throw new UsageError(`Option --to-offset: '${offset}' is not an offset`);
      return { kind: 'offset', offset };
    }
    case 'shift-by':
      return { kind: 'shift', by: intFlag(flags, 'shift-by') as number };
    case 'by-duration':
      return { kind: 'timestamp', timestampMs: nowMs - parseIsoDuration(flags.get('by-duration') as string) };
    default:
      return { kind: 'timestamp', timestampMs: parseIsoDateTime(flags.get('to-datetime') as string) };
  }
}

/** Kafka's option checks: which flags go with which action. */
export function checkFlags(flags: ParsedFlags, state: string | true | undefined): Action {
  const actions = ACTIONS.filter((a) => flags.has(a));
  if (actions.length !== 1) {
    throw new UsageError(
      'Command must include exactly one action: --list, --describe, --delete, --reset-offsets',
    );
  }
  const action = actions[0] as Action;
  const onlyWith = (flag: string, allowed: readonly Action[]) => {
    if ((flags.has(flag) || (flag === 'state' && state !== undefined)) && !allowed.includes(action)) {
      throw new UsageError(
        `Option --${flag} can only be used with ${allowed.map((a) => `--${a}`).join(' or ')}`,
      );
    }
  };
  onlyWith('members', ['describe']);
  onlyWith('offsets', ['describe']);
  onlyWith('state', ['describe', 'list']);
  onlyWith('topic', ['reset-offsets']);
  onlyWith('all-topics', ['reset-offsets']);
  onlyWith('dry-run', ['reset-offsets']);
  onlyWith('execute', ['reset-offsets']);
  for (const strategy of STRATEGY_FLAGS) onlyWith(strategy, ['reset-offsets']);
  onlyWith('group', ['describe', 'delete', 'reset-offsets']);
  onlyWith('all-groups', ['describe', 'delete', 'reset-offsets']);
  if (action !== 'list' && flags.has('group') === flags.has('all-groups')) {
    throw new UsageError(`Option --${action} takes one of these options: --group, --all-groups`);
  }
  if (action === 'describe') {
    const modes = ['members', 'offsets'].filter((m) => flags.has(m)).length + (state !== undefined ? 1 : 0);
    if (modes > 1)
      throw new UsageError(
        'Option --describe takes at most one of these options: --members, --offsets, --state',
      );
    if (typeof state === 'string') throw new UsageError('Option --state takes no value with --describe');
  }
  if (action === 'reset-offsets') {
    if (flags.has('dry-run') && flags.has('execute')) {
      throw new UsageError('Option --reset-offsets only accepts one of --execute and --dry-run');
    }
    if (flags.has('topic') === flags.has('all-topics')) {
      throw new UsageError('One of the reset scopes should be defined: --all-topics, --topic.');
    }
  }
  return action;
}

export async function consumerGroupsCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const split = splitStateFlag(args);
  const flags = parseFlags(split.args, SPECS);
  if (flags.has('help')) {
    io.out(CONSUMER_GROUPS_HELP);
    return 0;
  }
  if (flags.positional.length > 0) throw new UsageError(`Unrecognized argument: ${flags.positional[0]}`);
  const action = checkFlags(flags, split.state);
  const timeoutMs = intFlag(flags, 'timeout') ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs <= 0) throw new UsageError(`Option --timeout: '${timeoutMs}' must be positive`);
  // Checked before connecting, so that a bad value fails at once.
  const strategy = action === 'reset-offsets' ? resetStrategyOf(flags, Date.now()) : undefined;
  const scopes = flags.all('topic').map(parseTopicScope);
  const client = connectFromFlags(flags, { allowZookeeper: false });
  try {
    const admin = client.admin({ timeoutMs });
    if (action === 'list') return await list(admin, split.state, io);
    const groups = flags.has('all-groups') ? await consumerGroupIds(admin) : unique(flags.all('group'));
    switch (action) {
      case 'describe': {
        const mode = flags.has('members') ? 'members' : split.state !== undefined ? 'state' : 'offsets';
        return await describe(admin, groups, mode, flags.has('verbose'), io);
      }
      case 'delete':
        return await deleteGroups(admin, groups, io);
      default: {
        if (!flags.has('dry-run') && !flags.has('execute')) io.err(DRY_RUN_WARNING);
        return await resetOffsets(admin, groups, strategy as ResetStrategy, scopes, flags.has('execute'), io);
      }
    }
  } finally {
    await client.close();
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Groups of consumers ('consumer'), and groups that only ever committed offsets (''), as Kafka lists. */
async function consumerGroupIds(admin: Admin): Promise<string[]> {
  const groups = await admin.listGroups();
  return groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId);
}

async function list(admin: Admin, state: string | true | undefined, io: CommandIO): Promise<number> {
  const states = typeof state === 'string' ? parseStates(state) : [];
  const groups = (await admin.listGroups({ states })).filter(
    (g) => g.protocolType === 'consumer' || g.protocolType === '',
  );
  if (state === undefined) io.out(groups.map((g) => `${g.groupId}\n`).join(''));
  else io.out(formatGroupStates(groups));
  return 0;
}

/**
 * Kafka's notes on a group's state (on stderr): none for a stable group, a warning while it rebalances.
 * Returns false for a group that does not exist (nothing more to print).
 */
function noteState(group: GroupDescription, io: CommandIO): boolean {
  switch (group.state) {
    case 'Dead':
      io.err(`Error: Consumer group '${group.groupId}' does not exist.\n`);
      return false;
    case 'Empty':
      io.err(`\nConsumer group '${group.groupId}' has no active members.\n`);
      return true;
    case 'PreparingRebalance':
    case 'CompletingRebalance':
      io.err(`\nWarning: Consumer group '${group.groupId}' is rebalancing.\n`);
      return true;
    default:
      return true;
  }
}

async function describe(
  admin: Admin,
  groups: readonly string[],
  mode: 'offsets' | 'members' | 'state',
  verbose: boolean,
  io: CommandIO,
): Promise<number> {
  let code = 0;
  for (const groupId of groups) {
    const [group] = await admin.describeGroups([groupId]);
    if (!group || !noteState(group, io)) {
      code = 1;
      continue;
    }
    if (mode === 'state') {
      io.out(
        formatState([
          {
            group: groupId,
            coordinator: group.coordinator,
            assignor: group.assignor,
            state: group.state,
            members: group.members.length,
          },
        ]),
      );
    } else if (mode === 'members') {
      if (group.members.length > 0) {
        io.out(
          formatMembers(
            group.members.map((m) => ({
              group: groupId,
              consumerId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              host: m.host,
              clientId: m.clientId,
              assignment: m.assignment,
            })),
            verbose,
          ),
        );
      }
    } else {
      const rows = await offsetRows(admin, group);
      if (rows.length > 0) io.out(formatOffsets(rows));
    }
  }
  return code;
}

/**
 * One row per partition a member owns (members with the most partitions first), then one per partition
 * the group has an offset for but no member owns; each with its log end offset (the high watermark).
 */
export async function offsetRows(admin: Admin, group: GroupDescription): Promise<OffsetRow[]> {
  const committed = await admin.listGroupOffsets(group.groupId);
  const committedByKey = new Map(committed.map((c) => [partitionKey(c), c.offset]));
  const count = (m: GroupDescription['members'][number]) =>
    m.assignment.reduce((n, tp) => n + tp.partitions.length, 0);
  const rows: OffsetRow[] = [];
  const owned = new Set<string>();
  for (const member of group.members.filter((m) => count(m) > 0).sort((a, b) => count(b) - count(a))) {
    for (const { topic, partitions } of member.assignment) {
      for (const partition of partitions) {
        const key = partitionKey({ topic, partition });
        owned.add(key);
        const offset = committedByKey.get(key);
        rows.push({
          group: group.groupId,
          topic,
          partition,
          ...(offset !== undefined ? { currentOffset: offset } : {}),
          consumerId: member.memberId,
          host: member.host,
          clientId: member.clientId,
        });
      }
    }
  }
  for (const c of committed) {
    if (owned.has(partitionKey(c))) continue;
    rows.push({ group: group.groupId, topic: c.topic, partition: c.partition, currentOffset: c.offset });
  }
  const ends = await offsetsOf(admin, rows, 'latest', { tolerant: true });
  for (const row of rows) {
    const end = ends.get(partitionKey(row));
    if (end !== undefined && end >= 0) row.logEndOffset = end;
  }
  return rows;
}

/**
 * Offsets of many partitions by one spec, keyed `topic-partition`. `tolerant`: a partition whose lookup
 * fails (a deleted topic) is left out, so the table shows '-' for it as Kafka's does.
 */
async function offsetsOf(
  admin: Admin,
  partitions: readonly TopicPartitionRef[],
  spec: OffsetSpec,
  options: { tolerant: boolean } = { tolerant: false },
): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (partitions.length === 0) return result;
  const requests = partitions.map((p) => ({ topic: p.topic, partition: p.partition, spec }));
  if (!options.tolerant) {
    for (const r of await admin.listOffsets(requests)) result.set(partitionKey(r), r.offset);
    return result;
  }
  const settled = await Promise.allSettled(requests.map((r) => admin.listOffsets([r])));
  for (const s of settled) {
    if (s.status === 'fulfilled' && s.value[0]) result.set(partitionKey(s.value[0]), s.value[0].offset);
  }
  return result;
}

async function deleteGroups(admin: Admin, groups: readonly string[], io: CommandIO): Promise<number> {
  const results = await admin.deleteGroups(groups);
  const quoted = (ids: readonly string[]) => ids.map((g) => `'${g}'`).join(', ');
  const succeeded = results.filter((r) => r.error === undefined).map((r) => r.groupId);
  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length === 0) {
    io.out(`Deletion of requested consumer groups (${quoted(succeeded)}) was successful.\n`);
    return 0;
  }
  io.err('Error: Deletion of some consumer groups failed:\n');
  for (const f of failed) {
    io.err(`* Group '${f.groupId}' could not be deleted due to: ${f.error?.name}: ${f.error?.message}\n`);
  }
  if (succeeded.length > 0)
    io.out(`\nThese consumer groups were deleted successfully: ${quoted(succeeded)}\n`);
  return 1;
}

async function resetOffsets(
  admin: Admin,
  groups: readonly string[],
  strategy: ResetStrategy,
  scopes: ReadonlyArray<{ topic: string; partitions?: number[] }>,
  execute: boolean,
  io: CommandIO,
): Promise<number> {
  let code = 0;
  const planned: Array<PlannedOffset & { group: string }> = [];
  for (const groupId of groups) {
    const [group] = await admin.describeGroups([groupId]);
    // A group the coordinator does not know ('Dead') has no members either: its offsets can be set.
    if (group && group.state !== 'Empty' && group.state !== 'Dead') {
      io.err(
        `Error: Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.state}.\n`,
      );
      code = 1;
      continue;
    }
    const committed = await admin.listGroupOffsets(groupId);
    const partitions =
      scopes.length === 0
        ? committed.map((c) => ({ topic: c.topic, partition: c.partition }))
        : await scopePartitions(admin, scopes);
    const lookups: OffsetLookups = {
      earliest: (tps) => offsetsOf(admin, tps, 'earliest'),
      latest: (tps) => offsetsOf(admin, tps, 'latest'),
      forTimestamp: (tps, timestamp) => offsetsOf(admin, tps, { timestamp }),
      committed: new Map(committed.map((c) => [partitionKey(c), c.offset])),
    };
    const plan = await planReset(partitions, strategy, lookups);
    for (const warning of plan.warnings) io.err(`[${new Date().toISOString()}] WARN ${warning}\n`);
    const offsets = [...plan.offsets].sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    );
    if (execute && offsets.length > 0) await admin.alterGroupOffsets(groupId, offsets);
    planned.push(...offsets.map((o) => ({ ...o, group: groupId })));
  }
  if (planned.length > 0 || code === 0) io.out(formatNewOffsets(planned));
  return code;
}

/** The partitions --topic names: those listed (topic:0,1) or every partition of the topic. */
async function scopePartitions(
  admin: Admin,
  scopes: ReadonlyArray<{ topic: string; partitions?: number[] }>,
): Promise<TopicPartitionRef[]> {
  const result: TopicPartitionRef[] = [];
  for (const scope of scopes) {
    const [info] = await admin.describeTopics([scope.topic]);
    const existing = info?.partitions.map((p) => p.partition) ?? [];
    for (const partition of scope.partitions ?? existing) {
      if (!existing.includes(partition)) {
        throw new Error(`Topic ${scope.topic} has no partition ${partition}`);
      }
      result.push({ topic: scope.topic, partition });
    }
  }
  const seen = new Set<string>();
  return result.filter((tp) => !seen.has(partitionKey(tp)) && seen.add(partitionKey(tp)));
}
