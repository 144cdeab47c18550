/**
 * The 45 FLASH "CAMP" features: the one source of truth that model-build trains on and the
 * Worker validates, encodes and documents. Nothing here does I/O, so training and serving
 * import exactly the same definitions and cannot drift apart.
 *
 * Every feature is optional: a missing value is a normal input, encoded as NaN, and the trees
 * learn a default direction for it.
 */

export type Pillar = "capital" | "advantage" | "market" | "people" | "product";

export const PILLARS: readonly Pillar[] = ["capital", "advantage", "market", "people", "product"];

interface FeatureBase {
  readonly name: string;
  readonly pillar: Pillar;
  readonly description: string;
}

export interface NumberFeature extends FeatureBase {
  readonly type: "number" | "integer";
  readonly min: number;
  readonly max: number;
  readonly unit: string;
}

export interface BooleanFeature extends FeatureBase {
  readonly type: "boolean";
  readonly unit: "flag";
}

export interface CategoryFeature extends FeatureBase {
  readonly type: "category";
  /** Canonical spellings; a value's code is its index here, so the order is part of the encoding. */
  readonly categories: readonly string[];
  readonly unit: "category";
}

export type Feature = NumberFeature | BooleanFeature | CategoryFeature;

const num = (
  name: string,
  pillar: Pillar,
  min: number,
  max: number,
  unit: string,
  description: string,
): NumberFeature => ({ name, pillar, type: "number", min, max, unit, description });

const int = (
  name: string,
  pillar: Pillar,
  min: number,
  max: number,
  unit: string,
  description: string,
): NumberFeature => ({ name, pillar, type: "integer", min, max, unit, description });

const bool = (name: string, pillar: Pillar, description: string): BooleanFeature => ({
  name,
  pillar,
  type: "boolean",
  unit: "flag",
  description,
});

const cat = (
  name: string,
  pillar: Pillar,
  categories: readonly string[],
  description: string,
): CategoryFeature => ({ name, pillar, type: "category", categories, unit: "category", description });

const score = (name: string, pillar: Pillar, description: string): NumberFeature =>
  int(name, pillar, 1, 5, "score 1-5", description);

export const FUNDING_STAGES = ["pre_seed", "seed", "series_a", "series_b", "series_c"] as const;
export const PRODUCT_STAGES = ["concept", "mvp", "beta", "launched", "growth", "mature"] as const;
export const INVESTOR_TIERS = ["none", "angel", "tier_3", "tier_2", "tier_1"] as const;
export const SECTORS = [
  "saas",
  "fintech",
  "healthtech",
  "ecommerce",
  "marketplace",
  "ai_ml",
  "biotech",
  "edtech",
  "deeptech",
  "consumer",
  "other",
] as const;

const USD_MAX = 1e12;

/** The model's input order: position i of the encoded vector is FEATURES[i]. */
export const FEATURES: readonly Feature[] = [
  // capital
  num("total_capital_raised_usd", "capital", 0, USD_MAX, "USD", "Total equity and debt raised to date."),
  num("cash_on_hand_usd", "capital", 0, USD_MAX, "USD", "Cash in the bank today."),
  num("monthly_burn_usd", "capital", 0, 1e9, "USD/month", "Net cash spent per month."),
  num("runway_months", "capital", 0, 120, "months", "Months until cash runs out at the current burn."),
  num("burn_multiple", "capital", 0, 20, "ratio", "Net burn divided by net new annual recurring revenue."),
  cat("investor_tier_primary", "capital", INVESTOR_TIERS, "Tier of the lead investor."),
  bool("has_debt", "capital", "The company carries venture or bank debt."),
  // advantage
  int("patent_count", "advantage", 0, 1000, "patents", "Patents granted or filed."),
  bool("network_effects_present", "advantage", "The product gets more valuable as more people use it."),
  bool("has_data_moat", "advantage", "Proprietary data that competitors cannot easily obtain."),
  bool("regulatory_advantage_present", "advantage", "Licences or regulation that keep competitors out."),
  score("tech_differentiation_score", "advantage", "How different the technology is from alternatives."),
  score("switching_cost_score", "advantage", "How costly it is for customers to leave."),
  score("brand_strength_score", "advantage", "Recognition and trust of the brand."),
  score("scalability_score", "advantage", "How well the business scales without linear cost."),
  // market
  cat("sector", "market", SECTORS, "Industry sector."),
  num("tam_size_usd", "market", 0, USD_MAX, "USD", "Total addressable market."),
  num("sam_size_usd", "market", 0, USD_MAX, "USD", "Serviceable addressable market."),
  num("som_size_usd", "market", 0, USD_MAX, "USD", "Serviceable obtainable market."),
  num("market_growth_rate_percent", "market", -50, 500, "%/year", "Annual growth of the market."),
  int("customer_count", "market", 0, 1e9, "customers", "Paying customers."),
  num("customer_concentration_percent", "market", 0, 100, "%", "Share of revenue from the largest customer."),
  num("user_growth_rate_percent", "market", -100, 10000, "%/year", "Annual growth of active users."),
  num("net_dollar_retention_percent", "market", 0, 500, "%", "Revenue kept from last year's customers, expansion included."),
  score("competition_intensity", "market", "How crowded the market is (5 = very crowded)."),
  int("competitors_named_count", "market", 0, 1000, "competitors", "Competitors the company names."),
  // people
  int("founders_count", "people", 1, 10, "founders", "Number of founders."),
  int("team_size_full_time", "people", 0, 100000, "people", "Full-time employees."),
  num("years_experience_avg", "people", 0, 50, "years", "Average years of work experience of the founders."),
  num("domain_expertise_years_avg", "people", 0, 50, "years", "Average years the founders spent in this domain."),
  int("prior_startup_experience_count", "people", 0, 100, "startups", "Startups the founders worked at or founded before."),
  int("prior_successful_exits_count", "people", 0, 50, "exits", "Earlier companies of the founders that exited well."),
  score("board_advisor_experience_score", "people", "Experience of the board and advisors."),
  int("advisors_count", "people", 0, 1000, "advisors", "Formal advisors."),
  num("team_diversity_percent", "people", 0, 100, "%", "Share of the team from under-represented groups."),
  bool("key_person_dependency", "people", "The company depends on one person to function."),
  // product
  cat("product_stage", "product", PRODUCT_STAGES, "Maturity of the product."),
  num("product_retention_30d", "product", 0, 1, "fraction", "Share of users still active after 30 days."),
  num("product_retention_90d", "product", 0, 1, "fraction", "Share of users still active after 90 days."),
  num("dau_mau_ratio", "product", 0, 1, "fraction", "Daily active users divided by monthly active users."),
  num("annual_revenue_run_rate", "product", 0, USD_MAX, "USD/year", "Current revenue, annualised."),
  num("revenue_growth_rate_percent", "product", -100, 1000, "%/year", "Annual revenue growth."),
  num("gross_margin_percent", "product", -100, 100, "%", "Gross margin."),
  num("ltv_cac_ratio", "product", 0, 100, "ratio", "Customer lifetime value divided by acquisition cost."),
  // Capital, where FLASH v1 has it; last in the vector only because the encoding (its order) predates the move.
  cat("funding_stage", "capital", FUNDING_STAGES, "Latest round (series_c means C and later)."),
];

export const FEATURE_COUNT = FEATURES.length;

export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);

const BY_NAME: ReadonlyMap<string, Feature> = new Map(FEATURES.map((f) => [f.name, f]));
const INDEX_BY_NAME: ReadonlyMap<string, number> = new Map(FEATURES.map((f, i) => [f.name, i]));

export function getFeature(name: string): Feature | undefined {
  return BY_NAME.get(name);
}

export function getFeatureIndex(name: string): number | undefined {
  return INDEX_BY_NAME.get(name);
}

/** Indices of each pillar's features in the encoded vector. */
export const PILLAR_FEATURE_INDICES: Readonly<Record<Pillar, readonly number[]>> = Object.fromEntries(
  PILLARS.map((p) => [p, FEATURES.flatMap((f, i) => (f.pillar === p ? [i] : []))]),
) as Record<Pillar, number[]>;
