/**
 * A seeded generator of synthetic startups shaped like FLASH's training data, so the default
 * model can be built and tested without the (private) real data set.
 *
 * Shape: the funding stage drives the scale of money, customers and team (later stages are
 * bigger); money and counts are heavy-tailed (log-normal, Poisson); early-stage companies leave
 * more fields empty, and weaker ones omit their traction metrics more often (missingness says
 * something, as in real data); pre-revenue companies have no revenue-based metrics at all.
 *
 * Outcome: a log-odds built from the features with thresholds and interactions that no single
 * linear rule captures (traction judged relative to the stage, growth that only counts with
 * retention, unit economics that need both LTV/CAC and margin, network effects that need
 * engagement, competition that hurts only undifferentiated products, runway cliffs), plus noise.
 * The intercept is solved so the success rate is `successRate` (19% by default).
 */

import { FUNDING_STAGES, INVESTOR_TIERS, PRODUCT_STAGES, SECTORS } from "../../core/schema.js";
import type { FeatureValue } from "../../core/encoding.js";
import { createRandom, normal, type Random } from "./random.js";

export interface GenerateSyntheticOptions {
  readonly rows: number;
  readonly seed: number;
  /** Target share of successes (default 0.19). */
  readonly successRate?: number;
  /** Standard deviation of the unexplained part of the log-odds (default 0.6). */
  readonly noise?: number;
}

export interface SyntheticStartup {
  readonly features: Record<string, FeatureValue>;
  readonly success: boolean;
}

export interface GenerateSyntheticResult {
  readonly rows: readonly SyntheticStartup[];
  /** The generator's own log-odds before noise, for tests of how learnable the signal is. */
  readonly trueLogOdds: Float64Array;
  readonly successRate: number;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
// "+ 0" turns -0 into 0: the schema's canonical form has no negative zero.
const round1 = (v: number): number => Math.round(v * 10) / 10 + 0;
const round3 = (v: number): number => Math.round(v * 1000) / 1000 + 0;

function pick<T>(rng: Random, items: readonly T[], weights: readonly number[]): T {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.next() * total;
  for (let i = 0; i < items.length; i++) {
    u -= weights[i]!;
    if (u < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

function poisson(rng: Random, mean: number): number {
  // Knuth's method; means here are small (< 30).
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

const logNormal = (rng: Random, median: number, sigma: number, shift = 0): number =>
  median * Math.exp(sigma * normal(rng) + shift);

/** Median scale per funding stage: pre_seed, seed, series_a, series_b, series_c. */
const STAGE_RAISED = [4e5, 2.5e6, 1.5e7, 5e7, 1.5e8];
const STAGE_BURN = [2.5e4, 9e4, 3.5e5, 1e6, 2.8e6];
const STAGE_ARR = [3e4, 2.5e5, 2.5e6, 1.2e7, 5e7];
const STAGE_CUSTOMERS = [6, 40, 300, 2000, 12000];
const STAGE_TEAM = [3, 9, 35, 110, 350];
/** How much more often a field is empty at each stage. */
const STAGE_MISSING = [2.2, 1.6, 1.0, 0.6, 0.35];
const SECTOR_MARGIN: Readonly<Record<string, number>> = {
  saas: 75, fintech: 55, healthtech: 55, ecommerce: 35, marketplace: 60, ai_ml: 60,
  biotech: 45, edtech: 60, deeptech: 45, consumer: 45, other: 50,
};

/** Base chance that a field is empty for a series_a company (scaled per stage). */
const MISSING_BASE: Readonly<Record<string, number>> = {
  total_capital_raised_usd: 0.03, cash_on_hand_usd: 0.08, monthly_burn_usd: 0.08, runway_months: 0.1,
  burn_multiple: 0.15, investor_tier_primary: 0.05, has_debt: 0.08, patent_count: 0.1,
  network_effects_present: 0.06, has_data_moat: 0.08, regulatory_advantage_present: 0.08,
  tech_differentiation_score: 0.08, switching_cost_score: 0.1, brand_strength_score: 0.1, scalability_score: 0.1,
  sector: 0.01, tam_size_usd: 0.08, sam_size_usd: 0.12, som_size_usd: 0.15, market_growth_rate_percent: 0.12,
  customer_count: 0.06, customer_concentration_percent: 0.15, user_growth_rate_percent: 0.15,
  net_dollar_retention_percent: 0.15, competition_intensity: 0.08, competitors_named_count: 0.1,
  founders_count: 0.01, team_size_full_time: 0.03, years_experience_avg: 0.06, domain_expertise_years_avg: 0.08,
  prior_startup_experience_count: 0.06, prior_successful_exits_count: 0.06, board_advisor_experience_score: 0.1,
  advisors_count: 0.08, team_diversity_percent: 0.15, key_person_dependency: 0.1, product_stage: 0.02,
  product_retention_30d: 0.15, product_retention_90d: 0.18, dau_mau_ratio: 0.18, annual_revenue_run_rate: 0.06,
  revenue_growth_rate_percent: 0.1, gross_margin_percent: 0.12, ltv_cac_ratio: 0.18, funding_stage: 0.005,
};

/** Traction metrics that weak companies tend to leave out. */
const TRACTION_FIELDS = new Set([
  "product_retention_30d", "product_retention_90d", "dau_mau_ratio", "net_dollar_retention_percent",
  "ltv_cac_ratio", "burn_multiple", "revenue_growth_rate_percent", "user_growth_rate_percent",
]);

interface Draft {
  readonly features: Record<string, FeatureValue>;
  readonly logOdds: number;
  readonly traction: number;
}

/** One startup with every field present, and its log-odds of success (intercept excluded). */
function drawStartup(rng: Random): Draft {
  const stageIndex = FUNDING_STAGES.indexOf(pick(rng, FUNDING_STAGES, [0.25, 0.3, 0.22, 0.13, 0.1]));
  const s = stageIndex;
  const sector = pick(rng, SECTORS, [0.2, 0.11, 0.09, 0.09, 0.07, 0.12, 0.05, 0.06, 0.05, 0.1, 0.06]);
  // Latent qualities, sharing a common factor (good teams tend to build good products).
  const common = normal(rng);
  const latent = (): number => 0.45 * common + 0.89 * normal(rng);
  const qTeam = latent();
  const qProduct = latent();
  const qMarket = latent();
  const qCapital = latent();
  const qMoat = latent();

  const productStage = clamp(Math.round(s * 1.05 + 0.6 + 0.2 * qProduct + 0.75 * normal(rng)), 0, 5);
  const preRevenue = productStage <= 1 ? rng.next() < 0.8 : productStage === 2 ? rng.next() < 0.35 : rng.next() < 0.05;

  // Capital
  const raised = clamp(Math.round(logNormal(rng, STAGE_RAISED[s]!, 0.7, 0.25 * qCapital)), 0, 1e12);
  const burn = clamp(Math.round(logNormal(rng, STAGE_BURN[s]!, 0.55, -0.15 * qCapital)), 1000, 1e9);
  const cash = clamp(Math.round(raised * clamp(0.15 + 0.5 * rng.next() + 0.1 * qCapital, 0.02, 1)), 0, 1e12);
  const runway = clamp(round1(cash / burn), 0, 120);
  const burnMultiple = preRevenue ? null : clamp(round1(Math.exp(0.8 - 0.55 * qCapital + 0.45 * normal(rng))), 0, 20);
  const tier = clamp(Math.round(0.5 + 0.55 * s + 0.7 * (0.5 * qTeam + 0.5 * qMarket) + 0.7 * normal(rng)), 0, 4);
  const hasDebt = rng.next() < 0.04 + 0.07 * s;

  // Advantage
  const ipHeavy = sector === "biotech" || sector === "deeptech" || sector === "ai_ml";
  const patents = clamp(Math.floor(Math.exp((ipHeavy ? 1.3 : -0.6) + 0.3 * s + 0.5 * qMoat + 1.0 * normal(rng))), 0, 1000);
  const networkEffects = rng.next() < (sector === "marketplace" || sector === "consumer" ? 0.6 : 0.2);
  const dataMoat = rng.next() < sigmoid(-1.3 + (sector === "ai_ml" ? 1 : 0) + 0.6 * qMoat);
  const regulated = sector === "fintech" || sector === "healthtech" || sector === "biotech";
  const regulatoryAdvantage = rng.next() < (regulated ? 0.35 : 0.07);
  const score = (q: number, noise = 0.75): number => clamp(Math.round(3 + 0.85 * q + noise * normal(rng)), 1, 5);
  const techDiff = score(qMoat);
  const switching = score(0.6 * qMoat + 0.4 * qProduct);
  const brand = clamp(Math.round(1.6 + 0.45 * s + 0.6 * qMarket + 0.7 * normal(rng)), 1, 5);
  const scalability = score(0.5 * qProduct + 0.5 * qMoat);

  // Market
  const tam = clamp(Math.round(logNormal(rng, 6e9, 1.2, 0.35 * qMarket)), 1e6, 1e12);
  const sam = Math.round(tam * (0.05 + 0.35 * rng.next()));
  const som = Math.round(sam * (0.01 + 0.19 * rng.next()));
  const marketGrowth = clamp(round1(12 + 9 * qMarket + 10 * normal(rng) + (rng.next() < 0.03 ? 80 * rng.next() : 0)), -50, 500);
  const customers = productStage === 0 ? 0 : clamp(Math.round(logNormal(rng, STAGE_CUSTOMERS[s]!, 1.1, 0.45 * qProduct)), 0, 1e9);
  const concentration = customers === 0 ? 100 : clamp(round1(100 / Math.sqrt(customers) + 20 * rng.next() - 5 * qProduct), 0.5, 100);
  const userGrowth = clamp(round1(Math.exp(3.8 + 0.5 * qProduct + 0.7 * normal(rng)) - 40), -100, 10000);
  const ndr = preRevenue ? null : clamp(round1(100 + 18 * qProduct + 14 * normal(rng)), 0, 500);
  const competition = clamp(Math.round(3 + 0.3 * (sector === "saas" || sector === "ecommerce" ? 1 : 0) + 0.9 * normal(rng)), 1, 5);
  const competitorsNamed = clamp(Math.floor(Math.exp(1.4 + 0.25 * competition + 0.6 * normal(rng))), 0, 1000);

  // People
  const founders = pick(rng, [1, 2, 3, 4, 5], [0.2, 0.45, 0.25, 0.08, 0.02]);
  const team = clamp(Math.round(logNormal(rng, STAGE_TEAM[s]!, 0.55)), founders > 0 ? 1 : 0, 100000);
  const experience = clamp(round1(9 + 4 * qTeam + 4.5 * normal(rng)), 0, 50);
  const domain = clamp(round1(Math.min(experience, 4 + 3 * qTeam + 3 * normal(rng))), 0, 50);
  const priorStartups = clamp(poisson(rng, Math.max(0.1, 0.9 + 0.6 * qTeam)), 0, 100);
  const exits = clamp(poisson(rng, Math.max(0.03, 0.22 + 0.3 * qTeam + 0.1 * s)), 0, Math.min(50, priorStartups + 1));
  const boardScore = clamp(Math.round(2.2 + 0.45 * s + 0.55 * qTeam + 0.7 * normal(rng)), 1, 5);
  const advisors = clamp(poisson(rng, 1.5 + 0.8 * s), 0, 1000);
  const diversity = round1(clamp(30 + 18 * normal(rng), 0, 100));
  const keyPerson = rng.next() < 0.55 - 0.08 * s;

  // Product
  const retention30 = round3(clamp(sigmoid(-0.1 + 0.9 * qProduct + 0.5 * normal(rng)), 0.01, 0.99));
  const retention90 = round3(clamp(retention30 * (0.45 + 0.5 * sigmoid(qProduct + 0.5 * normal(rng))), 0.005, 0.99));
  const dauMau = round3(clamp(sigmoid(-1.3 + 0.6 * qProduct + 0.6 * normal(rng)), 0.01, 0.95));
  const arr = preRevenue ? 0 : clamp(Math.round(logNormal(rng, STAGE_ARR[s]!, 1.0, 0.55 * qProduct)), 0, 1e12);
  const revenueGrowth = preRevenue ? null : clamp(round1(60 + 55 * qProduct + 55 * normal(rng) + (rng.next() < 0.04 ? 300 * rng.next() : 0)), -100, 1000);
  const grossMargin = clamp(round1(SECTOR_MARGIN[sector]! + 6 * qProduct + 12 * normal(rng)), -100, 100);
  const ltvCac = preRevenue ? null : clamp(round1(Math.exp(0.85 + 0.45 * qProduct + 0.55 * normal(rng))), 0, 100);

  // The outcome: terms on the features themselves, so a model that reads them can learn it.
  const arrVsStage = arr > 0 ? Math.log(arr / STAGE_ARR[s]!) : -2.5 + 0.6 * (2 - s);
  let z = 0;
  z += 0.35 * s; // later rounds have survived more already
  z += 0.75 * clamp(arrVsStage, -3, 3); // traction relative to the stage
  z += revenueGrowth === null ? 0 : (retention90 > 0.3 ? 0.9 : -0.5) * clamp(revenueGrowth / 100, -1, 3); // growth counts with retention
  z += ltvCac !== null && ltvCac > 3 && grossMargin > 50 ? 0.9 : ltvCac !== null && ltvCac < 1 ? -0.7 : 0; // unit economics
  z += networkEffects ? 3.5 * (dauMau - 0.25) : 0; // network effects need engagement
  z += competition >= 4 ? (techDiff >= 4 ? 0.3 : -0.8) : 0; // crowded markets punish me-too products
  z += runway < 6 ? -1.3 : runway > 18 ? 0.35 : 0; // the runway cliff
  z += burnMultiple !== null && burnMultiple > 3 ? -0.8 : 0;
  z += (1.5 - 0.25 * s) * (0.45 * Math.min(exits, 3) + 0.08 * (domain - 5)); // teams matter most early
  z += 0.25 * (tier - 2);
  z += 0.25 * Math.log10(tam / 1e9) * (qMarket > 0 ? 1.5 : 1);
  z += 0.015 * clamp(marketGrowth, -20, 60);
  z += customers > 0 && customers < 20 && concentration > 50 ? -0.6 : 0;
  z += sector === "saas" && ndr !== null ? 0.025 * clamp(ndr - 100, -40, 60) : 0;
  z += ipHeavy ? 0.3 * Math.log1p(patents) - 0.3 : 0;
  z += keyPerson ? -0.35 : 0;
  z += 0.6 * (retention30 - 0.45);

  const features: Record<string, FeatureValue> = {
    total_capital_raised_usd: raised,
    cash_on_hand_usd: cash,
    monthly_burn_usd: burn,
    runway_months: runway,
    investor_tier_primary: INVESTOR_TIERS[tier]!,
    has_debt: hasDebt,
    patent_count: patents,
    network_effects_present: networkEffects,
    has_data_moat: dataMoat,
    regulatory_advantage_present: regulatoryAdvantage,
    tech_differentiation_score: techDiff,
    switching_cost_score: switching,
    brand_strength_score: brand,
    scalability_score: scalability,
    sector,
    tam_size_usd: tam,
    sam_size_usd: sam,
    som_size_usd: som,
    market_growth_rate_percent: marketGrowth,
    customer_count: customers,
    customer_concentration_percent: concentration,
    user_growth_rate_percent: userGrowth,
    competition_intensity: competition,
    competitors_named_count: competitorsNamed,
    founders_count: founders,
    team_size_full_time: team,
    years_experience_avg: experience,
    domain_expertise_years_avg: domain,
    prior_startup_experience_count: priorStartups,
    prior_successful_exits_count: exits,
    board_advisor_experience_score: boardScore,
    advisors_count: advisors,
    team_diversity_percent: diversity,
    key_person_dependency: keyPerson,
    product_stage: PRODUCT_STAGES[productStage]!,
    product_retention_30d: retention30,
    product_retention_90d: retention90,
    dau_mau_ratio: dauMau,
    annual_revenue_run_rate: arr,
    gross_margin_percent: grossMargin,
    funding_stage: FUNDING_STAGES[s]!,
  };
  if (burnMultiple !== null) features.burn_multiple = burnMultiple;
  if (ndr !== null) features.net_dollar_retention_percent = ndr;
  if (revenueGrowth !== null) features.revenue_growth_rate_percent = revenueGrowth;
  if (ltvCac !== null) features.ltv_cac_ratio = ltvCac;
  return { features, logOdds: z, traction: qProduct + 0.5 * qTeam };
}

/** Blank out fields: more at early stages, and traction metrics more for weak companies. */
function dropFields(rng: Random, draft: Draft): Record<string, FeatureValue> {
  const stage = FUNDING_STAGES.indexOf(draft.features.funding_stage as (typeof FUNDING_STAGES)[number]);
  const stageFactor = STAGE_MISSING[stage] ?? 1;
  const out: Record<string, FeatureValue> = {};
  for (const [name, value] of Object.entries(draft.features)) {
    let p = (MISSING_BASE[name] ?? 0.05) * stageFactor;
    if (TRACTION_FIELDS.has(name) && draft.traction < -0.5) p *= 2;
    if (rng.next() >= Math.min(p, 0.9)) out[name] = value;
  }
  return out;
}

/** The intercept that makes the mean success probability equal `rate` (bisection). */
export function solveIntercept(logOdds: Float64Array, noise: Float64Array, rate: number): number {
  let lo = -20;
  let hi = 20;
  for (let it = 0; it < 60; it++) {
    const mid = (lo + hi) / 2;
    let sum = 0;
    for (let i = 0; i < logOdds.length; i++) sum += sigmoid(logOdds[i]! + noise[i]! + mid);
    if (sum / logOdds.length < rate) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export function generateSynthetic(options: GenerateSyntheticOptions): GenerateSyntheticResult {
  const { rows, seed } = options;
  const successRate = options.successRate ?? 0.19;
  const noiseSd = options.noise ?? 0.6;
  if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`generateSynthetic: rows must be a positive integer, got ${rows}`);
  if (!(successRate > 0 && successRate < 1)) throw new RangeError("generateSynthetic: successRate must be in (0, 1)");
  const rng = createRandom(seed);
  const drafts: Draft[] = [];
  const logOdds = new Float64Array(rows);
  const noise = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const draft = drawStartup(rng);
    drafts.push(draft);
    logOdds[i] = draft.logOdds;
    noise[i] = noiseSd * normal(rng);
  }
  const intercept = solveIntercept(logOdds, noise, successRate);
  const out: SyntheticStartup[] = [];
  let successes = 0;
  for (let i = 0; i < rows; i++) {
    const success = rng.next() < sigmoid(logOdds[i]! + noise[i]! + intercept);
    successes += success ? 1 : 0;
    out.push({ features: dropFields(rng, drafts[i]!), success });
    logOdds[i] = logOdds[i]! + intercept;
  }
  return { rows: out, trueLogOdds: logOdds, successRate: successes / rows };
}
