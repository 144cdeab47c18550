import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "./openapi.js";
import { parseStartup } from "./requests.js";
import { FEATURES } from "./schema.js";

type Schema = Record<string, any>;
const doc = buildOpenApiDocument({ version: "1.0.0" }) as Schema;
const properties = doc.components.schemas.Features.properties as Record<string, Schema>;

/** A value the published schema allows, for one property. */
function arbitraryFor(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.oneOf) return fc.oneof(...schema.oneOf.filter((s: Schema) => s.type !== "null").map((s: Schema) => fc.constantFrom(...(s.enum ?? [true, false]))));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const [type] = schema.type as string[];
  if (type === "integer") return fc.integer({ min: Math.max(schema.minimum, -(2 ** 31)), max: Math.min(schema.maximum, 2 ** 31 - 1) });
  return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true });
}

describe("the OpenAPI document", () => {
  it("describes exactly the 45 features with their ranges and categories", () => {
    expect(Object.keys(properties)).toEqual(FEATURES.map((f) => f.name));
    for (const f of FEATURES) {
      const p = properties[f.name]!;
      if (f.type === "number" || f.type === "integer") expect([p.minimum, p.maximum]).toEqual([f.min, f.max]);
      if (f.type === "category") expect(p.enum).toEqual([...f.categories, null]);
    }
  });

  it("every body the schema allows, the validator accepts (property)", () => {
    const startup = fc.record(
      Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, arbitraryFor(schema)])),
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(startup, (body) => {
        const r = parseStartup(body, { strict: true });
        if (!r.ok) throw new Error(JSON.stringify(r.issues));
      }),
      { numRuns: 1000 },
    );
  });

  it("a number just outside the published range is refused", () => {
    for (const [name, schema] of Object.entries(properties)) {
      if (schema.minimum === undefined) continue;
      const below = parseStartup({ [name]: schema.minimum - 1 });
      const above = parseStartup({ [name]: schema.maximum + 1 });
      expect(below.ok, name).toBe(false);
      expect(above.ok, name).toBe(false);
    }
  });

  it("has every endpoint, the error shape and the router headers", () => {
    expect(Object.keys(doc.paths).sort()).toEqual(
      ["/docs", "/features", "/health", "/model", "/openapi.json", "/predict", "/predict/batch", "/scenarios"].sort(),
    );
    expect(doc.paths["/predict"].post.responses["200"].headers).toHaveProperty("X-Flash-Verdict");
    expect(doc.paths["/predict"].post.responses).toHaveProperty("422");
    expect(doc.components.schemas.ErrorDetail.properties.issues.items.$ref).toBe("#/components/schemas/Issue");
  });

  it("every $ref resolves", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
  });
});
