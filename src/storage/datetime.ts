/** Dates as ClickHouse's basic input format reads them into DateTime64(3, 'UTC') columns. */

/** `2026-11-20 10:15:30.250`: the instant in UTC, to the millisecond. */
export const toDateTime64 = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');
