import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  ENCODING_HASH,
  canonicalizeFeatures,
  encodeFeatures,
  normalizeBoolean,
  normalizeCategory,
  validateFeatures,
} from "./encoding.js";
import { FEATURES, FEATURE_COUNT, PILLAR_FEATURE_INDICES } from "./schema.js";
import { sha256Hex } from "./sha256.js";

describe("schema", () => {
  it("has the 45 FLASH features, unique, in five pillars", () => {
    expect(FEATURE_COUNT).toBe(45);
    expect(new Set(FEATURES.map((f) => f.name)).size).toBe(45);
    const perPillar = Object.fromEntries(Object.entries(PILLAR_FEATURE_INDICES).map(([p, ix]) => [p, ix.length]));
    expect(perPillar).toEqual({ capital: 8, advantage: 8, market: 11, people: 10, product: 8 });
    // funding_stage is a capital feature, as in FLASH v1.
    expect(FEATURES.find((f) => f.name === "funding_stage")?.pillar).toBe("capital");
  });
});

describe("sha256", () => {
  it.each(["", "abc", "a".repeat(55), "a".repeat(56), "a".repeat(64), "a".repeat(1000), "héllo ✓"])(
    "matches node:crypto for %#",
    (text) => {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"));
    },
  );
});

describe("normalisation", () => {
  it("maps client spellings to canonical categories", () => {
    expect(normalizeCategory("funding_stage", "Series A")).toBe("series_a");
    expect(normalizeCategory("funding_stage", "pre-seed")).toBe("pre_seed");
    expect(normalizeCategory("funding_stage", "Series D")).toBe("series_c");
    expect(normalizeCategory("sector", "SaaS")).toBe("saas");
    expect(normalizeCategory("sector", "AI/ML")).toBe("ai_ml");
    expect(normalizeCategory("sector", "e-commerce")).toBe("ecommerce");
    expect(normalizeCategory("investor_tier_primary", "Tier 1")).toBe("tier_1");
    expect(normalizeCategory("sector", "gardening")).toBeUndefined();
  });

  it("accepts the boolean spellings FLASH clients send and nothing else", () => {
    for (const t of [true, 1, "true", "yes", "YES", "1"]) expect(normalizeBoolean(t)).toBe(true);
    for (const f of [false, 0, "false", "no", "No", "0"]) expect(normalizeBoolean(f)).toBe(false);
    for (const x of [2, "maybe", {}, [], -1]) expect(normalizeBoolean(x)).toBeUndefined();
  });
});

describe("validateFeatures", () => {
  it("reports every problem with its field and rule", () => {
    const { issues, unknownFields } = validateFeatures({
      runway_months: 500,
      patent_count: 1.5,
      sector: "gardening",
      has_debt: "perhaps",
      cash_on_hand_usd: "lots",
      hq_location: "Berlin",
      startup_name: "Acme",
    }, new Set(["startup_name"]));
    expect(issues.map((i) => [i.field, i.rule]).sort()).toEqual([
      ["cash_on_hand_usd", "type"],
      ["has_debt", "boolean"],
      ["patent_count", "integer"],
      ["runway_months", "range"],
      ["sector", "category"],
    ]);
    expect(unknownFields).toEqual(["hq_location"]);
  });

  it("treats null as missing and keeps inclusive bounds", () => {
    const { values, issues } = validateFeatures({ runway_months: 120, burn_multiple: 0, sector: null });
    expect(issues).toEqual([]);
    expect(values).toEqual({ runway_months: 120, burn_multiple: 0 });
  });
});

describe("encoding", () => {
  it("encodes numbers, booleans, category codes and NaN for missing", () => {
    const { values } = validateFeatures({ total_capital_raised_usd: 1_000_000, funding_stage: "seed", has_debt: "yes" });
    const x = encodeFeatures(values);
    expect(x).toHaveLength(45);
    expect(x[0]).toBe(1_000_000);
    expect(x[6]).toBe(1);
    expect(x[44]).toBe(1); // funding_stage: seed is code 1
    expect(Number.isNaN(x[1])).toBe(true);
  });

  it("gives the same canonical form for key order and spelling variants", () => {
    const a = validateFeatures({ funding_stage: "Series A", has_debt: 1, runway_months: 12 }).values;
    const b = validateFeatures({ runway_months: 12, has_debt: "true", funding_stage: "series_a" }).values;
    expect(canonicalizeFeatures(a)).toBe(canonicalizeFeatures(b));
    const c = validateFeatures({ runway_months: 13, has_debt: 1, funding_stage: "series_a" }).values;
    expect(canonicalizeFeatures(c)).not.toBe(canonicalizeFeatures(a));
  });

  it("has a stable encoding hash", () => {
    expect(ENCODING_HASH).toMatch(/^[0-9a-f]{64}$/);
  });
});
