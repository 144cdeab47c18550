import { describe, expect, it } from "vitest";
import { encodeFeatures } from "./encoding.js";
import { checkFeatureMap, compileFeatureMap, FEATURE_MAP_FORMAT, FeatureMapError, isIdentityMap, parseFeatureMap, type FeatureMap } from "./feature-map.js";
import { FEATURES, SECTORS } from "./schema.js";

const format = FEATURE_MAP_FORMAT;

function issuesOf(value: unknown): string[] {
  return checkFeatureMap(value).map((i) => `${i.field} ${i.rule}`);
}

describe("checkFeatureMap", () => {
  it("accepts every encoding", () => {
    const map = {
      format,
      missing: -1,
      positive_class: "yes",
      columns: [
        { feature: "runway_months" },
        { feature: "runway_months", missing: "NaN" },
        { feature: "has_debt" },
        { feature: "has_debt", encoding: "ordinal", codes: { false: 5, true: 7 } },
        { feature: "sector", encoding: "one_hot", category: "SaaS" },
        { feature: "funding_stage" },
        { feature: "funding_stage", encoding: "ordinal", codes: { seed: 1, "Series A": 2 }, unknown: "NaN" },
        { feature: "runway_months", encoding: "missing_indicator" },
        { encoding: "constant", value: 0, name: "legacy_score" },
      ],
    };
    expect(checkFeatureMap(map)).toEqual([]);
  });

  it("names the field and the rule of every problem", () => {
    expect(issuesOf(null)).toEqual(["(root) type"]);
    expect(issuesOf({ columns: [{ feature: "runway_months" }] })).toEqual(["format format"]);
    expect(issuesOf({ format, columns: [] })).toEqual(["columns required"]);
    expect(issuesOf({ format, colums: [], columns: [{ feature: "x" }] })).toEqual(["colums unknown_key", "columns[0].feature feature"]);
    expect(
      issuesOf({
        format,
        missing: null,
        columns: [
          { feature: "sector", encoding: "value" },
          { feature: "runway_months", encoding: "one_hot", category: "x" },
          { feature: "sector", encoding: "one_hot" },
          { feature: "sector", encoding: "one_hot", category: "crypto" },
          { feature: "sector", encoding: "ordinal", codes: { saas: 0 } },
          { feature: "sector", encoding: "ordinal", codes: { saas: "a", nope: 1 }, unknown: 0 },
          { feature: "has_debt", encoding: "ordinal" },
          { encoding: "constant" },
          { encoding: "constant", value: 1, feature: "runway_months" },
          { feature: "runway_months", encoding: "missing_indicator", missing: 0 },
          { feature: "runway_months", encodng: "value" },
          { feature: "runway_months", encoding: "bucket" },
          { feature: 3 },
          "runway_months",
        ],
      }),
    ).toEqual([
      "missing missing",
      "columns[0].encoding encoding",
      "columns[1].encoding encoding",
      "columns[2].category required",
      "columns[3].category category",
      "columns[4].codes codes",
      "columns[5].codes.saas code",
      "columns[5].codes.nope category",
      "columns[6].codes required",
      "columns[7].value constant",
      "columns[8].feature constant",
      "columns[9].missing encoding",
      "columns[10].encodng unknown_key",
      "columns[11].encoding encoding",
      "columns[12].feature required",
      "columns[13] type",
    ]);
  });

  it("says which categories a code table lacks", () => {
    const [issue] = checkFeatureMap({ format, columns: [{ feature: "funding_stage", encoding: "ordinal", codes: { seed: 0, series_a: 1 } }] });
    expect(issue!.message).toMatch(/no code for pre_seed, series_b, series_c/);
    expect(() => parseFeatureMap({ format, columns: [{ feature: "nope" }] })).toThrow(FeatureMapError);
    expect(() => parseFeatureMap({ format, columns: [{ feature: "nope" }] })).toThrow(/columns\[0\]\.feature: "nope" is not one of the 45 features/);
  });
});

describe("compileFeatureMap", () => {
  const map: FeatureMap = {
    format,
    missing: -1,
    columns: [
      { feature: "runway_months" },
      { feature: "has_debt" },
      { feature: "sector", encoding: "one_hot", category: "fintech" },
      { feature: "funding_stage", encoding: "ordinal", codes: { pre_seed: 10, seed: 20 }, unknown: 99 },
      { feature: "funding_stage" },
      { feature: "runway_months", encoding: "missing_indicator" },
      { encoding: "constant", value: 3.5 },
      { feature: "runway_months", missing: "NaN" },
    ],
  };
  const compiled = compileFeatureMap(map);
  const columns = (values: Record<string, unknown>) => {
    const out = new Float32Array(compiled.width);
    compiled.compute(encodeFeatures(values as never), 0, out, 0);
    return Array.from(out);
  };

  it("builds each column from the encoded row", () => {
    expect(columns({ runway_months: 12.5, has_debt: true, sector: "fintech", funding_stage: "seed" })).toEqual([12.5, 1, 1, 20, 1, 0, 3.5, 12.5]);
    expect(columns({ sector: "saas", funding_stage: "series_b" })).toEqual([-1, -1, 0, 99, 3, 1, 3.5, Number.NaN]);
  });

  it("says what each column holds when its feature is withheld, and where it comes from", () => {
    expect(Array.from(compiled.withheld)).toEqual([-1, -1, 0, -1, -1, 1, 3.5, Number.NaN]);
    const index = (name: string) => FEATURES.findIndex((f) => f.name === name);
    expect(Array.from(compiled.group)).toEqual([index("runway_months"), index("has_debt"), index("sector"), index("funding_stage"), index("funding_stage"), index("runway_months"), -1, index("runway_months")]);
    expect(compiled.unusedFeatures.length).toBe(45 - 4);
    expect(compiled.columns[2]!.label).toBe("sector = fintech (one-hot)");
    expect(Array.from(compiled.columns[2]!.lookup!)).toEqual(SECTORS.map((s) => (s === "fintech" ? 1 : 0)));
  });

  it("knows FLASH's own encoding when it sees it", () => {
    expect(isIdentityMap(compileFeatureMap({ format, columns: FEATURES.map((f) => ({ feature: f.name })) }))).toBe(true);
    expect(isIdentityMap(compiled)).toBe(false);
  });
});
