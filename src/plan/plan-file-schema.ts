/**
 * The JSON Schema of a tracking-plan file (docs/tracking-plans.md): what
 * parse-plan.ts holds a plan file to before it compiles it. Each payload a
 * plan declares (a track event's data, page data, identify attributes,
 * group attributes) is itself a JSON Schema of the subset Tributary checks on
 * the wire: top-level properties with a type and optional constraints.
 */

/** The property types a plan may declare; a datetime is a string with format date-time. */
export const PROPERTY_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;

/** The string formats a plan may require (ajv-formats' full definitions). */
export const STRING_FORMATS = ['date-time', 'date', 'time', 'email', 'uri', 'uuid', 'hostname', 'ipv4', 'ipv6'] as const;

const property = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: PROPERTY_TYPES },
    description: { type: 'string' },
    enum: { type: 'array', minItems: 1, uniqueItems: true, items: { type: ['string', 'number', 'boolean'] } },
    pattern: { type: 'string' },
    format: { enum: STRING_FORMATS },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    minLength: { type: 'integer', minimum: 0 },
    maxLength: { type: 'integer', minimum: 0 },
  },
} as const;

const payload = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { const: 'object' },
    description: { type: 'string' },
    properties: { type: 'object', additionalProperties: property },
    required: { type: 'array', uniqueItems: true, items: { type: 'string' } },
    additionalProperties: { type: 'boolean' },
  },
} as const;

/** A plan file's schema. */
export const PLAN_FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version'],
  properties: {
    version: { type: 'string', minLength: 1, maxLength: 64 },
    description: { type: 'string' },
    allowUnplannedEvents: { type: 'boolean' },
    allowUnplannedProperties: { type: 'boolean' },
    track: { type: 'object', additionalProperties: payload },
    page: payload,
    identify: payload,
    group: payload,
  },
} as const;
