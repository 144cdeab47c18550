import { describe, expect, it } from "vitest";
import { MAX_BATCH_ITEMS, MAX_SCENARIOS, parseBatch, parseScenarioRequest, parseStartup, type ApiIssue } from "./requests.js";

const rules = (issues: readonly ApiIssue[]) => issues.map((i) => `${i.field}:${i.rule}`);

function issuesOf<T>(r: { ok: true; value: T } | { ok: false; issues: readonly ApiIssue[] }): readonly ApiIssue[] {
  if (r.ok) throw new Error("expected issues");
  return r.issues;
}

describe("parseStartup", () => {
  it("accepts the v1 validation case and normalises spellings", () => {
    const r = parseStartup({ total_capital_raised_usd: 1000000, funding_stage: "Seed", has_debt: "yes" });
    expect(r).toEqual({
      ok: true,
      value: { values: { total_capital_raised_usd: 1000000, funding_stage: "seed", has_debt: true }, warnings: [] },
    });
  });

  it("ignores startup_name silently, warns about other unknown fields", () => {
    const r = parseStartup({ startup_name: "Acme", hq_location: "Berlin", vertical: "saas", runway_months: 12 });
    if (!r.ok) throw new Error("should parse");
    expect(r.value.values).toEqual({ runway_months: 12 });
    expect(r.value.warnings.map((w) => w.field)).toEqual(["hq_location", "vertical"]);
    expect(r.value.warnings[1]!.suggestion).toBe("sector");
  });

  it("in strict mode an unknown field is an error naming the nearest feature", () => {
    const issues = issuesOf(parseStartup({ total_capital_raised: 5, startup_name: "x" }, { strict: true }));
    expect(rules(issues)).toEqual(["total_capital_raised:unknown_field"]);
    expect(issues[0]!.message).toContain("did you mean total_capital_raised_usd?");
  });

  it("lists every problem, each with its field and rule", () => {
    const issues = issuesOf(
      parseStartup({
        runway_months: -1,
        burn_multiple: "high",
        founders_count: 2.5,
        sector: "crypto",
        has_debt: "maybe",
        tam_size_usd: 1e300,
      }),
    );
    expect(rules(issues).sort()).toEqual(
      ["burn_multiple:type", "founders_count:integer", "has_debt:boolean", "runway_months:range", "sector:category", "tam_size_usd:range"].sort(),
    );
  });

  it("refuses anything but an object", () => {
    for (const body of [[], [1], "text", 42, null, true]) {
      expect(rules(issuesOf(parseStartup(body)))).toEqual(["body:object"]);
    }
  });

  it("null means missing", () => {
    const r = parseStartup({ runway_months: null });
    expect(r.ok && r.value.values).toEqual({});
  });

  it("__proto__ and constructor keys are just unknown fields", () => {
    const body = JSON.parse('{"__proto__": {"runway_months": 1}, "constructor": 1, "runway_months": 5}');
    const r = parseStartup(body);
    if (!r.ok) throw new Error("should parse");
    expect(r.value.values).toEqual({ runway_months: 5 });
    expect(r.value.warnings.map((w) => w.field).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(r.value.values)).toBe(Object.prototype);
  });
});

describe("parseBatch", () => {
  it("accepts {startups: [...]} and a bare array; items fail on their own", () => {
    for (const body of [{ startups: [{ runway_months: 3 }, { runway_months: -3 }] }, [{ runway_months: 3 }, { runway_months: -3 }]]) {
      const r = parseBatch(body);
      if (!r.ok) throw new Error("envelope is fine");
      expect(r.value[0]!.ok).toBe(true);
      expect(r.value[1]!.ok).toBe(false);
      expect(rules(issuesOf(r.value[1]!))).toEqual(["startups[1].runway_months:range"]);
    }
  });

  it("refuses a bad envelope as a whole", () => {
    expect(rules(issuesOf(parseBatch({})))).toEqual(["startups:required"]);
    expect(rules(issuesOf(parseBatch({ startups: {} })))).toEqual(["startups:type"]);
    expect(rules(issuesOf(parseBatch({ startups: [] })))).toEqual(["startups:min_items"]);
    expect(rules(issuesOf(parseBatch({ startups: Array(MAX_BATCH_ITEMS + 1).fill({}) })))).toEqual(["startups:max_items"]);
    expect(rules(issuesOf(parseBatch("x")))).toEqual(["body:object"]);
    expect(parseBatch({ startups: Array(MAX_BATCH_ITEMS).fill({}) }).ok).toBe(true);
  });

  it("a non-object item is that item's error", () => {
    const r = parseBatch({ startups: [1, {}] });
    if (!r.ok) throw new Error("envelope is fine");
    expect(rules(issuesOf(r.value[0]!))).toEqual(["startups[0]:object"]);
  });
});

describe("parseScenarioRequest", () => {
  it("accepts a base and named changes; null removes a value", () => {
    const r = parseScenarioRequest({
      base: { runway_months: 6, startup_name: "x" },
      scenarios: [{ name: "longer runway", changes: { runway_months: 18 } }, { name: "forget runway", changes: { runway_months: null } }],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.value.base.values).toEqual({ runway_months: 6 });
    expect(r.value.scenarios).toEqual([
      { name: "longer runway", changes: { runway_months: 18 } },
      { name: "forget runway", changes: { runway_months: null } },
    ]);
  });

  it("without scenarios, asks for the standard ones", () => {
    const r = parseScenarioRequest({ base: {} });
    expect(r.ok && r.value.scenarios).toBeUndefined();
  });

  it("lists every problem across base and scenarios", () => {
    const issues = issuesOf(
      parseScenarioRequest({
        base: { runway_months: -5 },
        scenarios: [
          { name: "", changes: { runway_months: 18 } },
          { name: "a", changes: { burn_multipel: 1 } },
          { name: "a", changes: {} },
          { name: "b", changes: { sector: "crypto" }, extra: 1 },
          7,
        ],
        other: true,
      }),
    );
    expect(rules(issues).sort()).toEqual(
      [
        "other:unknown_field",
        "base.runway_months:range",
        "scenarios[0].name:required",
        "scenarios[1].changes.burn_multipel:unknown_field",
        "scenarios[2].name:unique",
        "scenarios[2].changes:min_items",
        "scenarios[3].extra:unknown_field",
        "scenarios[3].changes.sector:category",
        "scenarios[4]:object",
      ].sort(),
    );
    expect(issues.find((i) => i.rule === "unknown_field" && i.field.includes("burn"))!.message).toContain("burn_multiple");
  });

  it("requires base and bounds the scenario list", () => {
    expect(rules(issuesOf(parseScenarioRequest({})))).toEqual(["base:required"]);
    expect(rules(issuesOf(parseScenarioRequest({ base: {}, scenarios: [] })))).toEqual(["scenarios:min_items"]);
    const many = Array.from({ length: MAX_SCENARIOS + 1 }, (_, i) => ({ name: `s${i}`, changes: { runway_months: i } }));
    expect(rules(issuesOf(parseScenarioRequest({ base: {}, scenarios: many })))).toEqual(["scenarios:max_items"]);
    expect(rules(issuesOf(parseScenarioRequest([])))).toEqual(["body:object"]);
  });
});
