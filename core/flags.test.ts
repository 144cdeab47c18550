import { describe, expect, it } from "vitest";
import { computeFlags } from "./flags.js";

const codes = (values: Record<string, number | string | boolean>) => computeFlags(values).map((f) => `${f.type}:${f.code}`);

describe("computeFlags", () => {
  it("raises nothing for missing values", () => {
    expect(computeFlags({})).toEqual([]);
  });

  it("red flags at FLASH's thresholds (strictly past them)", () => {
    expect(codes({ runway_months: 5.9 })).toEqual(["red:short_runway"]);
    expect(codes({ runway_months: 6 })).toEqual([]);
    expect(codes({ burn_multiple: 10.5 })).toEqual(["red:high_burn_multiple"]);
    expect(codes({ burn_multiple: 10 })).toEqual([]);
    expect(codes({ customer_concentration_percent: 51 })).toEqual(["red:customer_concentration"]);
    expect(codes({ customer_concentration_percent: 50 })).toEqual([]);
  });

  it("little revenue only at series A/B", () => {
    expect(codes({ funding_stage: "series_a", annual_revenue_run_rate: 400_000 })).toEqual(["red:little_revenue_for_stage"]);
    expect(codes({ funding_stage: "series_b", annual_revenue_run_rate: 2_000_000 })).toEqual(["red:little_revenue_for_stage"]);
    expect(codes({ funding_stage: "series_b", annual_revenue_run_rate: 8_000_000 })).toEqual([]);
    expect(codes({ funding_stage: "seed", annual_revenue_run_rate: 0 })).toEqual([]);
    expect(codes({ funding_stage: "series_a" })).toEqual([]);
  });

  it("green flags", () => {
    expect(codes({ revenue_growth_rate_percent: 250 })).toEqual(["green:hypergrowth"]);
    expect(codes({ burn_multiple: 1.2 })).toEqual(["green:efficient_burn"]);
    expect(codes({ net_dollar_retention_percent: 130 })).toEqual(["green:strong_net_retention"]);
    expect(codes({ prior_successful_exits_count: 2 })).toEqual(["green:prior_exits"]);
    expect(codes({ prior_successful_exits_count: 0 })).toEqual([]);
  });

  it("names the feature, its value and a readable message", () => {
    const [flag] = computeFlags({ runway_months: 4 });
    expect(flag).toMatchObject({ type: "red", feature: "runway_months", value: 4 });
    expect(flag!.message).toContain("4 months");
    const [revenue] = computeFlags({ funding_stage: "series_a", annual_revenue_run_rate: 400_000 });
    expect(revenue!.message).toContain("series A");
    expect(revenue!.message).toContain("$1M");
    expect(revenue!.message).toContain("$400,000");
    const [b] = computeFlags({ funding_stage: "series_b", annual_revenue_run_rate: 1_234_567.5 });
    expect(b!.message).toContain("Revenue run rate is $1.2M at series B, under $3M.");
  });
});
