// The tables `sluice consumer-groups` prints, in Kafka 2.7's kafka-consumer-groups.sh layout: columns
// left-aligned and padded to a minimum width (wider when a value is longer), one space apart, '-' for a
// value that is not known, each table after an empty line. Scripts that parse Kafka's output parse these.

/** Kafka's placeholder for a missing value. */
export const MISSING = '-';

/** Kafka's minimum width of the variable columns (group, topic, consumer id, host, client id). */
const MIN_COLUMN_WIDTH = 15;

/** One line: each value left-aligned in its width (Java's %-Ns); `undefined` width: not padded. */
export function formatRow(widths: ReadonlyArray<number | undefined>, values: readonly string[]): string {
  return values
    .map((value, i) => (widths[i] === undefined ? value : value.padEnd(widths[i] as number)))
    .join(' ');
}

function widthOf(values: readonly string[], minimum = MIN_COLUMN_WIDTH): number {
  return Math.max(minimum, ...values.map((v) => v.length));
}

function text(value: string | number | undefined): string {
  return value === undefined ? MISSING : String(value);
}

/** A row of --describe --offsets: a partition the group owns or has an offset for. */
export interface OffsetRow {
  group: string;
  topic: string;
  partition: number;
  currentOffset?: number;
  logEndOffset?: number;
  consumerId?: string;
  host?: string;
  clientId?: string;
}

export const OFFSETS_HEADER = [
  'GROUP',
  'TOPIC',
  'PARTITION',
  'CURRENT-OFFSET',
  'LOG-END-OFFSET',
  'LAG',
  'CONSUMER-ID',
  'HOST',
  'CLIENT-ID',
] as const;

/** The lag of a partition: known only when both its committed offset and its log end are. */
export function lagOf(row: Pick<OffsetRow, 'currentOffset' | 'logEndOffset'>): number | undefined {
  if (row.currentOffset === undefined || row.logEndOffset === undefined) return undefined;
  return row.logEndOffset - row.currentOffset;
}

/** --describe [--offsets]: a leading empty line, the header, one line per partition. */
export function formatOffsets(rows: readonly OffsetRow[]): string {
  const cells = rows.map((r) => [
    r.group,
    r.topic,
    String(r.partition),
    text(r.currentOffset),
    text(r.logEndOffset),
    text(lagOf(r)),
    text(r.consumerId),
    text(r.host),
    text(r.clientId),
  ]);
  const widths = [
    widthOf(cells.map((c) => c[0] as string)),
    widthOf(cells.map((c) => c[1] as string)),
    10,
    15,
    15,
    15,
    widthOf(cells.map((c) => c[6] as string)),
    widthOf(cells.map((c) => c[7] as string)),
    undefined,
  ];
  return `\n${[OFFSETS_HEADER, ...cells].map((c) => `${formatRow(widths, c)}\n`).join('')}`;
}

/** A row of --describe --members. */
export interface MemberRow {
  group: string;
  consumerId: string;
  groupInstanceId: string | null;
  host: string;
  clientId: string;
  assignment: ReadonlyArray<{ topic: string; partitions: readonly number[] }>;
}

/**
 * --describe --members: GROUP-INSTANCE-ID appears when some member has one (static membership);
 * `verbose` adds each member's partitions as `topic(0,1,2), other(0)`.
 */
export function formatMembers(rows: readonly MemberRow[], verbose: boolean): string {
  const withInstanceId = rows.some((r) => r.groupInstanceId !== null);
  const line = (r: {
    group: string;
    consumerId: string;
    instance: string;
    host: string;
    clientId: string;
    count: string;
    assignment: string;
  }) => [
    r.group,
    r.consumerId,
    ...(withInstanceId ? [r.instance] : []),
    r.host,
    r.clientId,
    r.count,
    ...(verbose ? [r.assignment] : []),
  ];
  const header = line({
    group: 'GROUP',
    consumerId: 'CONSUMER-ID',
    instance: 'GROUP-INSTANCE-ID',
    host: 'HOST',
    clientId: 'CLIENT-ID',
    count: '#PARTITIONS',
    assignment: 'ASSIGNMENT',
  });
  const cells = rows.map((r) =>
    line({
      group: r.group,
      consumerId: r.consumerId,
      instance: r.groupInstanceId ?? MISSING,
      host: r.host,
      clientId: r.clientId,
      count: String(r.assignment.reduce((n, tp) => n + tp.partitions.length, 0)),
      assignment:
        r.assignment.length === 0
          ? MISSING
          : [...r.assignment]
              .sort((a, b) => a.topic.localeCompare(b.topic))
              .map((tp) => `${tp.topic}(${[...tp.partitions].sort((a, b) => a - b).join(',')})`)
              .join(', '),
    }),
  );
  const column = (i: number, minimum = MIN_COLUMN_WIDTH) =>
    widthOf(
      cells.map((c) => c[i] as string),
      minimum,
    );
  const widths: Array<number | undefined> = withInstanceId
    ? [column(0), column(1), column(2, 17), column(3), column(4), 15]
    : [column(0), column(1), column(2), column(3), 15];
  // Kafka pads #PARTITIONS and ends the line with a space; ASSIGNMENT, when shown, is not padded.
  widths.push(undefined);
  const render = (c: string[]) => (verbose ? formatRow(widths, c) : `${formatRow(widths, c)} `);
  return `\n${[header, ...cells].map((c) => `${render(c)}\n`).join('')}`;
}

/** A row of --describe --state. */
export interface StateRow {
  group: string;
  coordinator: { id: number; host: string; port: number };
  assignor: string;
  state: string;
  members: number;
}

/**
 * --describe --state: the coordinator as `host:port (id)`, a blank ASSIGNMENT-STRATEGY for a group with
 * no members; the group and coordinator columns are at least 25 wide here, as Kafka prints them.
 */
export function formatState(rows: readonly StateRow[]): string {
  const cells = rows.map((r) => [
    r.group,
    `${r.coordinator.host}:${r.coordinator.port} (${r.coordinator.id})`,
    r.assignor,
    r.state,
    String(r.members),
  ]);
  const widths = [
    widthOf(
      cells.map((c) => c[0] as string),
      25,
    ),
    widthOf(
      cells.map((c) => c[1] as string),
      25,
    ),
    20,
    15,
    undefined,
  ];
  const header = ['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'];
  return `\n${[header, ...cells].map((c) => `${formatRow(widths, c)}\n`).join('')}`;
}

/** --list --state: each group with its state. */
export function formatGroupStates(groups: ReadonlyArray<{ groupId: string; state: string }>): string {
  const widths = [widthOf(groups.map((g) => g.groupId)), undefined];
  return [['GROUP', 'STATE'], ...groups.map((g) => [g.groupId, g.state])]
    .map((c) => `${formatRow(widths, c)}\n`)
    .join('');
}

/** --reset-offsets: the planned (or, with --execute, committed) offsets, in Kafka's fixed widths. */
export function formatNewOffsets(
  rows: ReadonlyArray<{ group: string; topic: string; partition: number; offset: number }>,
): string {
  const widths = [30, 30, 10, 15];
  return `\n${[
    ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
    ...rows.map((r) => [r.group, r.topic, String(r.partition), String(r.offset)]),
  ]
    .map((c) => `${formatRow(widths, c)}\n`)
    .join('')}`;
}
