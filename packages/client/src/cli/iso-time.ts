// ISO-8601 durations and date-times as Kafka's tools read them: `--by-duration PnDTnHnMn.nS` (Java's
// Duration.parse: days, hours, minutes, seconds with a fraction, each signed, letters in either case)
// and `--to-datetime YYYY-MM-DDTHH:mm:SS.sss[zone]` (no zone: UTC, as Kafka's Utils.getDateTime).
import { UsageError } from './args.ts';

const DURATION =
  /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

const MS_PER_SECOND = 1_000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;

/** `PnDTnHnMn.nS` in milliseconds (fractions of a millisecond dropped). */
export function parseIsoDuration(text: string): number {
  const match = DURATION.exec(text);
  // At least one part, and a 'T' must be followed by one (Java rejects "P" and "PT").
  const tIndex = text.toUpperCase().indexOf('T');
  if (!match || match.slice(2, 6).every((part) => part === undefined) || tIndex === text.length - 1) {
    throw new UsageError(
      `Invalid duration '${text}': expected the ISO-8601 form PnDTnHnMnS, e.g. PT10M or P1DT2H`,
    );
  }
  const [, sign, days, hours, minutes, seconds, fraction] = match;
  const number = (part: string | undefined) => (part === undefined ? 0 : Number(part));
  const secondsSign = seconds?.startsWith('-') ? -1 : 1;
  const fractionMs = fraction ? Number(fraction.padEnd(9, '0').slice(0, 3)) * secondsSign : 0;
  const ms =
    number(days) * MS_PER_DAY +
    number(hours) * MS_PER_HOUR +
    number(minutes) * MS_PER_MINUTE +
    number(seconds) * MS_PER_SECOND +
    fractionMs;
  if (!Number.isSafeInteger(ms)) throw new UsageError(`Invalid duration '${text}': too large`);
  return sign === '-' ? -ms : ms;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** `YYYY-MM-DDTHH:mm:SS.sss` with an optional zone (Z, +hh, +hh:mm, +hhmm); milliseconds since the epoch. */
export function parseIsoDateTime(text: string): number {
  const match = DATE_TIME.exec(text);
  if (!match) {
    throw new UsageError(
      `Invalid date-time '${text}': expected YYYY-MM-DDTHH:mm:SS.sss, optionally with a zone (Z, +01:00)`,
    );
  }
  const [, year, month, day, hour, minute, second, millis, zone] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [y, mo, d, h, mi, s] = fields;
  const ms = Number((millis ?? '0').padEnd(3, '0'));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls over out-of-range fields (Feb 30 -> Mar 2); Kafka's parser rejects them.
  const check = new Date(utc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new UsageError(`Invalid date-time '${text}': no such date or time`);
  }
  return utc - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  return sign * (hours * MS_PER_HOUR + minutes * MS_PER_MINUTE);
}
