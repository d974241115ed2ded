/**
 * Dates as ClickHouse's basic input format reads them into DateTime64(3, 'UTC')
 * columns. The sink writes four per event, so the common case (years 0 to
 * 9999) is formatted with integer arithmetic instead of `toISOString()`.
 */

const DAY_MS = 86_400_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** The civil date of a count of days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted). */
function civil(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** `2026-11-20 10:15:30.250` for an instant given in milliseconds since the epoch (fractions truncated, as `new Date()` does). */
export function msToDateTime64(ms: number): string {
  const t = Math.trunc(ms);
  const days = Math.floor(t / DAY_MS);
  const [year, month, day] = civil(days);
  if (!(year >= 0 && year <= 9999)) return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
  let rest = t - days * DAY_MS;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  return `${year < 1000 ? `000${year}`.slice(-4) : year}-${pad2(month)}-${pad2(day)} ${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(millis)}`;
}

/** `2026-11-20 10:15:30.250`: the instant in UTC, to the millisecond. */
export const toDateTime64 = (date: Date): string => msToDateTime64(date.getTime());
