/**
 * The contract module: the validator of records and what it needs (limits,
 * reason codes, clock correction). Everything here is pure.
 */
export { DEFAULT_LIMITS, type ValidationLimits } from './limits';
export { Reason, type ReasonCode } from './reasons';
export { clockSkewMs, correctTimestamp } from './clock';
export { validateRecord, type ValidationContext } from './validate-record';
export { decodeRecord, type DecodedRecord } from './decode-record';
