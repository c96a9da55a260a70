// The partition assignors: Kafka's documented examples, then properties every assignor must keep over
// random groups (every partition to exactly one subscriber, balance, and for sticky, few moves).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type {
  Assignment,
  GroupMember,
  PartitionAssignor,
  TopicPartitions,
} from '../../src/group/assignor.ts';
import {
  ASSIGNOR_NAMES,
  assignorByName,
  DEFAULT_ASSIGNOR_NAMES,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
} from '../../src/group/assignors/index.ts';

interface MemberOptions {
  instanceId?: string;
  owned?: TopicPartitions[];
  /** With `owned`: send it as sticky user data of this generation instead of ownedPartitions. */
  generation?: number;
}

function member(memberId: string, topics: string[], options: MemberOptions = {}): GroupMember {
  const owned = options.owned ?? [];
  const userData =
    options.generation === undefined
      ? null
      : new StickyAssignor().subscriptionUserData(owned, options.generation);
  return {
    memberId,
    groupInstanceId: options.instanceId ?? null,
    subscription: { topics, userData, ownedPartitions: options.generation === undefined ? owned : [] },
  };
}

/** "t0p1"-style names per member, sorted, for readable expectations. */
function flat(result: Map<string, Assignment>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, a] of [...result].sort(([x], [y]) => (x < y ? -1 : 1))) {
    out[id] = a.partitions.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}p${p}`)).sort();
  }
  return out;
}

function countOf(a: Assignment | undefined): number {
  return (a?.partitions ?? []).reduce((n, tp) => n + tp.partitions.length, 0);
}

/** Back to TopicPartitions, as a member would send what it owns next time. */
function owned(a: Assignment | undefined): TopicPartitions[] {
  return (a?.partitions ?? []).map(({ topic, partitions }) => ({ topic, partitions: [...partitions] }));
}

const topics = (n: number, partitions: number): Map<string, number> =>
  new Map(Array.from({ length: n }, (_, i) => [`t${i}`, partitions]));

/** Every partition of a subscribed topic exactly once, to a subscriber; every member has an entry. */
function assertValid(
  members: readonly GroupMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
  result: Map<string, Assignment>,
): void {
  assert.deepEqual(new Set(result.keys()), new Set(members.map((m) => m.memberId)), 'one entry per member');
  const seen = new Set<string>();
  for (const m of members) {
    for (const { topic, partitions } of result.get(m.memberId)!.partitions) {
      assert.ok(m.subscription.topics.includes(topic), `${m.memberId} got unsubscribed ${topic}`);
      for (const p of partitions) {
        assert.ok(
          Number.isInteger(p) && p >= 0 && p < (partitionsPerTopic.get(topic) ?? 0),
          `${topic}p${p} exists`,
        );
        assert.ok(!seen.has(`${topic}p${p}`), `${topic}p${p} assigned twice`);
        seen.add(`${topic}p${p}`);
      }
    }
  }
  for (const [topic, count] of partitionsPerTopic) {
    if (!members.some((m) => m.subscription.topics.includes(topic))) continue;
    for (let p = 0; p < count; p++) assert.ok(seen.has(`${topic}p${p}`), `${topic}p${p} unassigned`);
  }
}

function spread(result: Map<string, Assignment>): number {
  const counts = [...result.values()].map(countOf);
  return Math.max(...counts) - Math.min(...counts);
}

describe('range', () => {
  test("Kafka's example: 2 members, 2 topics of 3 partitions", () => {
    const members = [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])];
    assert.deepEqual(flat(new RangeAssignor().assign(members, topics(2, 3))), {
      C0: ['t0p0', 't0p1', 't1p0', 't1p1'],
      C1: ['t0p2', 't1p2'],
    });
  });

  test('per topic, only its subscribers share it; remainders go to the first', () => {
    const members = [member('c', ['t0']), member('a', ['t0', 't1']), member('b', ['t1'])];
    assert.deepEqual(
      flat(
        new RangeAssignor().assign(
          members,
          new Map([
            ['t0', 5],
            ['t1', 1],
          ]),
        ),
      ),
      {
        a: ['t0p0', 't0p1', 't0p2', 't1p0'],
        b: [],
        c: ['t0p3', 't0p4'],
      },
    );
  });

  test('static members order first, by instance id', () => {
    const members = [
      member('a', ['t']),
      member('z', ['t'], { instanceId: 'i2' }),
      member('y', ['t'], { instanceId: 'i1' }),
    ];
    assert.deepEqual(flat(new RangeAssignor().assign(members, new Map([['t', 3]]))), {
      a: ['tp2'],
      y: ['tp0'],
      z: ['tp1'],
    });
  });

  test('a topic that does not exist gives nothing; the member still has an entry', () => {
    const result = new RangeAssignor().assign([member('a', ['missing'])], new Map());
    assert.deepEqual(flat(result), { a: [] });
    assert.equal(result.get('a')?.userData, null);
  });
});

describe('roundrobin', () => {
  test("Kafka's example: 2 members, 2 topics of 3 partitions", () => {
    const members = [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])];
    assert.deepEqual(flat(new RoundRobinAssignor().assign(members, topics(2, 3))), {
      C0: ['t0p0', 't0p2', 't1p1'],
      C1: ['t0p1', 't1p0', 't1p2'],
    });
  });

  test("Kafka's javadoc example with different subscriptions", () => {
    const members = [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])];
    const partitions = new Map([
      ['t0', 1],
      ['t1', 2],
      ['t2', 3],
    ]);
    assert.deepEqual(flat(new RoundRobinAssignor().assign(members, partitions)), {
      C0: ['t0p0'],
      C1: ['t1p0'],
      C2: ['t1p1', 't2p0', 't2p1', 't2p2'],
    });
  });
});

describe('sticky', () => {
  test('no user data before the first assignment; afterwards V1 with the generation', () => {
    const sticky = new StickyAssignor();
    assert.equal(sticky.subscriptionUserData([], -1), null);
    assert.ok(sticky.subscriptionUserData([], 3) instanceof Buffer);
  });

  test("Kafka's javadoc example: when C1 leaves, C0 and C2 keep everything they had", () => {
    const sticky = new StickyAssignor();
    const before = {
      C0: [
        { topic: 't0', partitions: [0] },
        { topic: 't1', partitions: [1] },
        { topic: 't3', partitions: [0] },
      ],
      C2: [
        { topic: 't1', partitions: [0] },
        { topic: 't2', partitions: [1] },
      ],
    };
    const all = ['t0', 't1', 't2', 't3'];
    const members = [
      member('C0', all, { owned: before.C0, generation: 1 }),
      member('C2', all, { owned: before.C2, generation: 1 }),
    ];
    const result = sticky.assign(members, topics(4, 2));
    assertValid(members, topics(4, 2), result);
    const after = flat(result);
    for (const p of ['t0p0', 't1p1', 't3p0']) assert.ok(after.C0!.includes(p));
    for (const p of ['t1p0', 't2p1']) assert.ok(after.C2!.includes(p));
    assert.deepEqual([after.C0!.length, after.C2!.length], [4, 4]);
  });

  test('a fresh group is balanced; re-running with what members own moves nothing', () => {
    const sticky = new StickyAssignor();
    const all = ['t0', 't1'];
    const first = sticky.assign([member('a', all), member('b', all), member('c', all)], topics(2, 4));
    assert.ok(spread(first) <= 1);
    const again = sticky.assign(
      ['a', 'b', 'c'].map((id) => member(id, all, { owned: owned(first.get(id)), generation: 1 })),
      topics(2, 4),
    );
    assert.deepEqual(flat(again), flat(first));
  });

  test('ownedPartitions (v1 subscription, no user data) is honoured too', () => {
    const members = [member('a', ['t'], { owned: [{ topic: 't', partitions: [3, 2] }] }), member('b', ['t'])];
    assert.deepEqual(flat(new StickyAssignor().assign(members, new Map([['t', 4]]))), {
      a: ['tp2', 'tp3'],
      b: ['tp0', 'tp1'],
    });
  });

  test('a partition claimed twice goes to the newer generation', () => {
    const members = [
      member('a', ['t'], { owned: [{ topic: 't', partitions: [0, 1] }], generation: 2 }),
      member('b', ['t'], { owned: [{ topic: 't', partitions: [1, 2] }], generation: 3 }),
      member('c', ['t'], { owned: [{ topic: 't', partitions: [3] }] }), // no generation: oldest
    ];
    const result = flat(new StickyAssignor().assign(members, new Map([['t', 3]])));
    assert.deepEqual(result, { a: ['tp0'], b: ['tp1'], c: ['tp2'] });
  });

  test('claims on deleted partitions, unsubscribed topics and unreadable user data are ignored', () => {
    const garbage = member('b', ['t']);
    garbage.subscription.userData = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    const members = [
      member('a', ['t'], {
        owned: [
          { topic: 't', partitions: [9] },
          { topic: 'u', partitions: [0] },
        ],
        generation: 1,
      }),
      garbage,
    ];
    const partitions = new Map([
      ['t', 2],
      ['u', 1],
    ]);
    const result = new StickyAssignor().assign(members, partitions);
    assertValid(members, partitions, result);
    assert.deepEqual(flat(result), { a: ['tp0'], b: ['tp1'] });
  });

  test('different subscriptions: constrained partitions first, then balance', () => {
    const members = [member('a', ['t0']), member('b', ['t0', 't1']), member('c', ['t0', 't1', 't2'])];
    const partitions = new Map([
      ['t0', 1],
      ['t1', 2],
      ['t2', 3],
    ]);
    const result = new StickyAssignor().assign(members, partitions);
    assertValid(members, partitions, result);
    assert.deepEqual(flat(result), { a: ['t0p0'], b: ['t1p0', 't1p1'], c: ['t2p0', 't2p1', 't2p2'] });
  });
});

describe('registry', () => {
  test('names as Kafka spells them; the default is Kafka 2.7 range', () => {
    for (const name of ASSIGNOR_NAMES) assert.equal(assignorByName(name)?.name, name);
    assert.equal(assignorByName('cooperative-sticky'), undefined);
    assert.deepEqual(DEFAULT_ASSIGNOR_NAMES, ['range']);
  });
});

// --- properties --------------------------------------------------------------------------------

interface Group {
  partitionsPerTopic: Map<string, number>;
  members: GroupMember[];
}

const TOPIC_NAMES = ['a', 'b', 'c', 'd'];

/** Random topics (1-12 partitions) and 1-7 members, each subscribed to a random non-empty subset. */
const groupArb = (identical: boolean): fc.Arbitrary<Group> =>
  fc
    .record({
      counts: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: TOPIC_NAMES.length }),
      memberCount: fc.integer({ min: 1, max: 7 }),
      subsets: fc.array(fc.subarray(TOPIC_NAMES.concat('missing'), { minLength: 1 }), {
        minLength: 7,
        maxLength: 7,
      }),
      instanceIds: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    })
    .map(({ counts, memberCount, subsets, instanceIds }) => {
      const partitionsPerTopic = new Map(counts.map((n, i) => [TOPIC_NAMES[i]!, n]));
      const all = [...partitionsPerTopic.keys()];
      const members = Array.from({ length: memberCount }, (_, i) =>
        member(
          `m${(i * 7919) % 101}`,
          identical ? all : subsets[i]!,
          instanceIds[i] ? { instanceId: `s${i}` } : {},
        ),
      );
      // As the group leader is told: only subscribed topics that exist.
      for (const t of all)
        if (!members.some((m) => m.subscription.topics.includes(t))) partitionsPerTopic.delete(t);
      return { partitionsPerTopic, members };
    });

const ALL: PartitionAssignor[] = [new RangeAssignor(), new RoundRobinAssignor(), new StickyAssignor()];

/** No single partition can move to a subscriber with at least two fewer: Kafka's sticky balance goal. */
function assertNoImprovingMove(members: readonly GroupMember[], result: Map<string, Assignment>): void {
  for (const [owner, a] of result) {
    for (const { topic } of a.partitions) {
      for (const m of members) {
        if (!m.subscription.topics.includes(topic)) continue;
        assert.ok(
          countOf(result.get(m.memberId)) >= countOf(a) - 1,
          `a ${topic} partition could move from ${owner} to ${m.memberId}`,
        );
      }
    }
  }
}

/** The fewest moves any balanced assignment needs when these members keep their valid claims. */
function minimalMoves(previous: number[], partitionCount: number): number {
  const memberCount = previous.length;
  const floor = Math.floor(partitionCount / memberCount);
  const ceilCount = partitionCount % memberCount;
  const sorted = [...previous].sort((x, y) => y - x);
  return sorted.reduce((moved, n, i) => moved + Math.max(0, n - (floor + (i < ceilCount ? 1 : 0))), 0);
}

describe('assignor properties', () => {
  for (const assignor of ALL) {
    test(`${assignor.name}: every subscribed partition to exactly one subscriber, every member listed`, () => {
      fc.assert(
        fc.property(groupArb(false), ({ members, partitionsPerTopic }) => {
          assertValid(members, partitionsPerTopic, assignor.assign(members, partitionsPerTopic));
        }),
        { numRuns: 300 },
      );
    });
  }

  for (const assignor of ALL.filter((a) => a.name !== 'range')) {
    test(`${assignor.name}: identical subscriptions are balanced within one`, () => {
      fc.assert(
        fc.property(groupArb(true), ({ members, partitionsPerTopic }) => {
          assert.ok(spread(assignor.assign(members, partitionsPerTopic)) <= 1);
        }),
        { numRuns: 300 },
      );
    });
  }

  test('sticky: with different subscriptions no partition can move to a member with two fewer', () => {
    fc.assert(
      fc.property(groupArb(false), ({ members, partitionsPerTopic }) => {
        assertNoImprovingMove(members, new StickyAssignor().assign(members, partitionsPerTopic));
      }),
      { numRuns: 300 },
    );
  });

  test('sticky: from any previous state (conflicting claims, mixed generations) the result is valid', () => {
    fc.assert(
      fc.property(
        groupArb(false),
        fc.array(
          fc.tuple(
            fc.nat(6),
            fc.constantFrom(...TOPIC_NAMES),
            fc.nat(14),
            fc.option(fc.nat(5), { nil: undefined }),
          ),
          {
            maxLength: 30,
          },
        ),
        ({ members, partitionsPerTopic }, claims) => {
          const withClaims = members.map((m, i) => {
            const mine = claims.filter(([who]) => who % members.length === i);
            const ownedList = mine.map(([, topic, p]) => ({ topic, partitions: [p] }));
            const generation = mine[0]?.[3];
            return member(
              m.memberId,
              m.subscription.topics,
              generation === undefined ? { owned: ownedList } : { owned: ownedList, generation },
            );
          });
          const result = new StickyAssignor().assign(withClaims, partitionsPerTopic);
          assertValid(withClaims, partitionsPerTopic, result);
          assertNoImprovingMove(withClaims, result);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('sticky: when a member joins or leaves, staying members move no more than balance needs', () => {
    fc.assert(
      fc.property(groupArb(true), fc.boolean(), fc.nat(), ({ members, partitionsPerTopic }, join, pick) => {
        const sticky = new StickyAssignor();
        const before = sticky.assign(members, partitionsPerTopic);
        const all = [...partitionsPerTopic.keys()];
        let next = members.map((m) =>
          member(m.memberId, all, { owned: owned(before.get(m.memberId)), generation: 1 }),
        );
        if (join) next.push(member('newcomer', all));
        else if (next.length > 1) next = next.filter((_, i) => i !== pick % next.length);
        const after = sticky.assign(next, partitionsPerTopic);
        assertValid(next, partitionsPerTopic, after);
        assert.ok(spread(after) <= 1);

        const total = [...partitionsPerTopic.values()].reduce((x, y) => x + y, 0);
        const stayingBefore = next.map((m) => countOf(before.get(m.memberId)));
        let moved = 0;
        for (const m of next) {
          const kept = new Set(flat(new Map([[m.memberId, after.get(m.memberId)!]]))[m.memberId]);
          const had = flat(
            new Map([[m.memberId, before.get(m.memberId) ?? { partitions: [], userData: null }]]),
          )[m.memberId]!;
          moved += had.filter((p) => !kept.has(p)).length;
        }
        assert.ok(moved <= minimalMoves(stayingBefore, total), `moved ${moved}`);
      }),
      { numRuns: 300 },
    );
  });
});
