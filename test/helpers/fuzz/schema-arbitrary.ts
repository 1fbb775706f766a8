import fc from "fast-check";

/**
 * fast-check arbitraries from the JSON Schemas of the OpenAPI document (the subset `@hono/zod-openapi`
 * writes: type, enum, properties/required, additionalProperties, items, oneOf/anyOf, min/max,
 * lengths, pattern, format). `valid` aims inside the schema; `invalid` breaks it in one place (a
 * wrong type, a missing required field, a value out of range), or sends any JSON at all.
 */
export type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
};

const MAX_DEPTH = 4;
/** Strings in valid inputs stay short: the fuzzer is after parsing and handling, not size limits. */
const SHORT = 24;

const text = (min: number, max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: min, maxLength: max }) },
  );

function stringArb(s: Schema): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? SHORT, min + SHORT));
  if (s.format === "uri")
    return fc
      .webUrl({ withQueryParameters: true })
      .filter((u) => u.length <= (s.maxLength ?? 2048));
  if (s.format === "email")
    return fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 320));
  if (s.format === "date-time")
    return fc
      .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (s.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(s.pattern))
        .filter((v) => v.length >= min && v.length <= (s.maxLength ?? 10_000));
    } catch {
      // a pattern fast-check cannot generate from (a lookahead): plain text, often refused (400)
    }
  }
  return text(min, max);
}

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  let min = s.minimum ?? (integer ? -1_000_000 : -1e9);
  let max = s.maximum ?? (integer ? 1_000_000 : 1e9);
  if (typeof s.exclusiveMinimum === "number") min = s.exclusiveMinimum + (integer ? 1 : 1e-6);
  if (typeof s.exclusiveMaximum === "number") max = s.exclusiveMaximum - (integer ? 1 : 1e-6);
  return integer
    ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

export function valid(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => valid(a, depth)));
  if (s.allOf) return valid(Object.assign({}, ...s.allOf), depth);
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => valid({ ...s, type }, depth)));
  const base = ((): fc.Arbitrary<unknown> => {
    switch (types[0]) {
      case "string":
        return stringArb(s);
      case "integer":
        return numberArb(s, true);
      case "number":
        return numberArb(s, false);
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      case "array": {
        const minLength = s.minItems ?? 0;
        const maxLength = Math.min(s.maxItems ?? 3, minLength + 3);
        if (depth >= MAX_DEPTH && minLength === 0) return fc.constant([]);
        return fc.array(valid(s.items ?? {}, depth + 1), { minLength, maxLength });
      }
      case "object":
        return objectArb(s, depth);
      default:
        // no type: anything JSON
        return fc.jsonValue({ maxDepth: 2 });
    }
  })();
  return s.nullable ? fc.option(base, { nil: null, freq: 8 }) : base;
}

function objectArb(s: Schema, depth: number): fc.Arbitrary<unknown> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, p] of Object.entries(props)) {
    // deep optional objects are left out: they multiply the work and rarely matter
    if (depth >= MAX_DEPTH && !required.has(name)) continue;
    record[name] = valid(p, depth + 1);
  }
  const requiredKeys = [...required].filter((k) => k in record);
  const full = fc.record(record, { requiredKeys });
  // with many optional fields almost every draw sets some that must agree with the team's data
  // (a model id, an environment): the required ones alone get through to the handler more often
  const minimal = fc.record(Object.fromEntries(requiredKeys.map((k) => [k, record[k]])));
  const known = fc.oneof({ weight: 2, arbitrary: full }, { weight: 1, arbitrary: minimal });
  const extra = s.additionalProperties;
  if (extra && typeof extra === "object" && Object.keys(props).length === 0 && depth < MAX_DEPTH) {
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), valid(extra, depth + 1), {
      maxKeys: 3,
    });
  }
  return known;
}

/** A value of the wrong JSON type for `s`. */
function wrongType(s: Schema): fc.Arbitrary<unknown> {
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.string({ maxLength: 8 }),
    number: fc.double({ noNaN: true }),
    integer: fc.integer(),
    boolean: fc.boolean(),
    array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), {
      maxKeys: 3,
    }),
    null: fc.constant(null),
  };
  const others = Object.entries(all)
    .filter(([t]) => !types.includes(t) && !(t === "integer" && types.includes("number")))
    .filter(([t]) => !(t === "null" && s.nullable))
    .map(([, a]) => a);
  return others.length ? fc.oneof(...others) : fc.constant(undefined);
}

/** A value just outside one of `s`'s bounds, when it has any. */
function outOfBounds(s: Schema): fc.Arbitrary<unknown> | undefined {
  const out: fc.Arbitrary<unknown>[] = [];
  if (s.enum) out.push(fc.string({ maxLength: 12 }).filter((v) => !s.enum?.includes(v)));
  if (s.maxLength !== undefined) out.push(fc.constant("x".repeat(s.maxLength + 1)));
  if (s.minLength) out.push(fc.constant(""));
  if (s.maximum !== undefined) out.push(fc.constant(s.maximum + 1));
  if (s.minimum !== undefined) out.push(fc.constant(s.minimum - 1));
  if (s.type === "integer") out.push(fc.constant(1.5));
  if (s.maxItems !== undefined)
    out.push(fc.constant(Array(s.maxItems + 1).fill(s.items?.enum?.[0] ?? "x")));
  if (s.format === "uri") out.push(fc.constant("not a url"));
  if (s.format === "date-time") out.push(fc.constant("yesterday"));
  return out.length ? fc.oneof(...out) : undefined;
}

/** A value that breaks `s` in one place; for objects, one property (or a missing required one). */
export function invalid(s: Schema, depth = 0): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [wrongType(s)];
  const bound = outOfBounds(s);
  if (bound) options.push(bound);
  const props = Object.entries(s.properties ?? {});
  if (props.length && depth < MAX_DEPTH) {
    const base = valid(s, depth) as fc.Arbitrary<Record<string, unknown>>;
    options.push(
      fc
        .tuple(base, fc.constantFrom(...props))
        .chain(([obj, [name, p]]) => invalid(p, depth + 1).map((v) => ({ ...obj, [name]: v }))),
    );
    if (s.required?.length) {
      options.push(
        fc.tuple(base, fc.constantFrom(...s.required)).map(([obj, name]) => {
          const { [name]: _dropped, ...rest } = obj;
          return rest;
        }),
      );
    }
  }
  if (s.items && depth < MAX_DEPTH) {
    options.push(fc.array(invalid(s.items, depth + 1), { minLength: 1, maxLength: 2 }));
  }
  return fc.oneof(...options);
}
