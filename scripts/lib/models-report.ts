/**
 * `npm run models`: the model registry (model-build/src/registry.ts) as an operator sees it:
 * each version's origin and quality, and who serves it (the default pointer, each colour's pin
 * in wrangler.toml, and what the router's colours report when a router is reachable). Pure
 * formatting and comparison here; the I/O is in scripts/models.ts.
 */

import type { CommandSpec } from "./cli.js";
import { ROUTER_ENV, ROUTER_OPTIONS } from "./config.js";
import { fixed, formatTable } from "./table.js";

export const MODELS_SPEC: CommandSpec = {
  name: "models",
  summary: "list, show, compare and remove the model versions in models/, and set the default",
  usage: "npm run models -- list | show <version> | diff <a> <b> | default <version> | rm <version> [options]",
  description: [
    "Versions are directories of models/ (written by `npm run model:build` and `npm run model:import`);",
    "a version may be given as a unique prefix, or as \"default\". \"Served by\" combines the default pointer",
    "(models/default.ts), each colour's pin in wrangler.toml (what `wrangler deploy --env <colour>` bundles)",
    "and, when the router answers, what each colour reports serving right now (GET /admin/split).",
    "",
    "  list                 every version: created, source, rows, AUC/Brier/ECE, size, served by",
    "  show <version>       one version's manifest summary and where it is used",
    "  diff <a> <b>         two versions' metrics and top feature importances side by side",
    "  default <version>    point models/default.ts (npm start, the tests, local wrangler dev) at it",
    "  rm <version>         delete it; refused for the default and for a pinned or serving version",
  ].join("\n"),
  options: [
    ...ROUTER_OPTIONS,
    { name: "no-router", type: "boolean", description: "do not ask the router which colour serves what" },
    { name: "top", type: "string", placeholder: "<n>", description: "diff: how many top importances to compare", defaultText: "10" },
    { name: "force", type: "boolean", description: "rm: remove a version even though a colour is pinned to it or serves it" },
    { name: "dry-run", type: "boolean", description: "rm, default: say what would change, change nothing" },
    { name: "json", type: "boolean", description: "print the result as JSON" },
  ],
  env: [...ROUTER_ENV],
  exitCodes: [
    [0, "done"],
    [1, "the change was refused (e.g. removing a version in use)"],
    [2, "usage error (unknown command or version)"],
  ],
  examples: [
    "npm run models -- list",
    "npm run models -- show default",
    "npm run models -- diff default 3f9c",
    "npm run models -- default 3f9c2a1b7d4e",
    "npm run models -- rm 3f9c2a1b7d4e --dry-run",
  ],
};

/** The manifest fields this command reads; imported and built manifests both have them (or not). */
export interface ManifestLike {
  readonly name?: string;
  readonly version?: string;
  readonly created_at?: string;
  readonly source?: string;
  readonly onnx?: { readonly bytes?: number; readonly sha256?: string };
  readonly data?: { readonly rows?: number; readonly description?: string; readonly source?: string };
  readonly calibration?: { readonly method?: string };
  readonly metrics?: { readonly test?: { readonly n?: number; readonly auc?: number; readonly brier?: number; readonly ece?: number; readonly log_loss?: number; readonly base_rate?: number } };
  readonly importance?: { readonly features?: Readonly<Record<string, number>>; readonly pillars?: Readonly<Record<string, number>> };
  readonly training?: { readonly trees?: number };
  /** model:import's record (imported versions only). */
  readonly import?: {
    readonly original?: { readonly file?: string; readonly sha256?: string; readonly producer?: string };
    readonly layout?: { readonly tree_operator?: string | null };
    readonly evaluator?: string;
  };
}

/** Where a version is used. */
export interface ModelUse {
  readonly default: boolean;
  /** Colours whose wrangler.toml pin names it. */
  readonly pinned: readonly string[];
  /** Colours the router reports serving it now. */
  readonly serving: readonly string[];
  /** False when the router was not asked or did not answer: `serving` is then unknown, not empty. */
  readonly serving_known: boolean;
}

export interface ModelSummary {
  readonly version: string;
  readonly name: string | null;
  readonly created_at: string | null;
  /** "built" (model:build) or "imported" (model:import). */
  readonly source: string;
  readonly rows: number | null;
  readonly test_rows: number | null;
  readonly auc: number | null;
  readonly brier: number | null;
  readonly ece: number | null;
  readonly log_loss: number | null;
  readonly calibration: string | null;
  readonly onnx_bytes: number | null;
  readonly use: ModelUse;
}

const numberOrNull = (x: unknown): number | null => (typeof x === "number" && Number.isFinite(x) ? x : null);

export function summarizeModel(version: string, manifest: ManifestLike, use: ModelUse): ModelSummary {
  const test = manifest.metrics?.test;
  return {
    version,
    name: manifest.name ?? null,
    created_at: manifest.created_at ?? null,
    source: manifest.source ?? "built",
    rows: numberOrNull(manifest.data?.rows),
    test_rows: numberOrNull(test?.n),
    auc: numberOrNull(test?.auc),
    brier: numberOrNull(test?.brier),
    ece: numberOrNull(test?.ece),
    log_loss: numberOrNull(test?.log_loss),
    calibration: manifest.calibration?.method ?? null,
    onnx_bytes: numberOrNull(manifest.onnx?.bytes),
    use,
  };
}

export interface ServingState {
  readonly defaultVersion: string;
  readonly pins: Readonly<Record<string, string | null>>;
  /** Colour -> model version the router reports (null: not asked, unreachable or unknown). */
  readonly serving: Readonly<Record<string, string | null>> | null;
}

export function findUse(version: string, state: ServingState): ModelUse {
  return {
    default: state.defaultVersion === version,
    pinned: Object.entries(state.pins).filter(([, v]) => v === version).map(([c]) => c),
    serving: Object.entries(state.serving ?? {}).filter(([, v]) => v === version).map(([c]) => c),
    serving_known: state.serving !== null,
  };
}

export function describeUse(use: ModelUse): string {
  const parts: string[] = [];
  if (use.default) parts.push("default");
  for (const c of use.pinned) parts.push(!use.serving_known ? `${c} (pinned)` : use.serving.includes(c) ? c : `${c} (pinned, not serving)`);
  for (const c of use.serving) if (!use.pinned.includes(c)) parts.push(`${c} (serving, not pinned)`);
  return parts.length === 0 ? "-" : parts.join(", ");
}

function kib(bytes: number | null): string {
  return bytes === null ? "-" : `${(bytes / 1024).toFixed(0)} KiB`;
}

function day(iso: string | null): string {
  return iso === null ? "-" : iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "Z");
}

export function formatModelList(models: readonly ModelSummary[], routerNote: string): string {
  const rows = models.map((m) => [
    m.version,
    day(m.created_at),
    m.source,
    m.rows === null ? "-" : m.rows.toLocaleString("en-US"),
    fixed(m.auc, 4),
    fixed(m.brier, 4),
    fixed(m.ece, 4),
    kib(m.onnx_bytes),
    describeUse(m.use),
  ]);
  const table = formatTable(["version", "created", "source", "rows", "AUC", "Brier", "ECE", "size", "served by"], rows, ["left", "left", "left", "right", "right", "right", "right", "right", "left"]);
  return `${table}\n(${models.length} version${models.length === 1 ? "" : "s"} in models/; metrics on each model's held-out test rows; ${routerNote})`;
}

export function formatModelDetail(m: ModelSummary, manifest: ManifestLike, top = 10): string {
  const lines = [
    `model ${m.version}${m.name ? ` (${m.name})` : ""}: ${m.source}, created ${day(m.created_at)}`,
    `  served by:   ${describeUse(m.use)}`,
    `  data:        ${manifest.data?.description ?? "-"}${m.rows !== null ? `, ${m.rows.toLocaleString("en-US")} rows` : ""}`,
    `  test rows:   ${m.test_rows ?? "-"}   AUC ${fixed(m.auc, 4)}   Brier ${fixed(m.brier, 4)}   log loss ${fixed(m.log_loss, 4)}   ECE ${fixed(m.ece, 4)}`,
    `  calibration: ${m.calibration ?? "-"}`,
    `  onnx:        ${kib(m.onnx_bytes)}, sha256 ${manifest.onnx?.sha256 ?? "-"}${manifest.training?.trees ? `, ${manifest.training.trees} trees` : ""}`,
  ];
  const imported = manifest.import;
  if (imported) {
    lines.push(
      `  imported:    from ${imported.original?.file ?? "-"} (sha256 ${imported.original?.sha256?.slice(0, 16) ?? "-"}…${imported.original?.producer ? `, ${imported.original.producer}` : ""}), ${imported.layout?.tree_operator ?? "not a tree ensemble"}; ${imported.evaluator === "trees" ? "onnxruntime and the tree walk" : "onnxruntime alone"} serve it`,
    );
  }
  const importance = topImportances(manifest, top);
  if (importance.length > 0) {
    lines.push(`  top ${importance.length} features by importance:`);
    for (const [feature, share] of importance) lines.push(`    ${feature.padEnd(34)}${(share * 100).toFixed(1).padStart(6)}%`);
  }
  return lines.join("\n");
}

export function topImportances(manifest: ManifestLike, top: number): Array<[string, number]> {
  return Object.entries(manifest.importance?.features ?? {})
    .filter(([, share]) => typeof share === "number" && share > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top);
}

export interface ModelDiff {
  readonly a: ModelSummary;
  readonly b: ModelSummary;
  /** Metric rows: name, a, b, b - a. */
  readonly metrics: ReadonlyArray<{ metric: string; a: number | null; b: number | null; delta: number | null; better: "a" | "b" | "same" | null }>;
  /** Union of both versions' top features: feature, rank and share in each. */
  readonly importances: ReadonlyArray<{ feature: string; a_rank: number | null; a_share: number | null; b_rank: number | null; b_share: number | null }>;
  readonly pillars: ReadonlyArray<{ pillar: string; a: number | null; b: number | null }>;
}

const METRICS: ReadonlyArray<{ key: "auc" | "brier" | "log_loss" | "ece"; label: string; higherIsBetter: boolean }> = [
  { key: "auc", label: "AUC", higherIsBetter: true },
  { key: "brier", label: "Brier", higherIsBetter: false },
  { key: "log_loss", label: "log loss", higherIsBetter: false },
  { key: "ece", label: "ECE", higherIsBetter: false },
];

export function diffModels(a: ModelSummary, aManifest: ManifestLike, b: ModelSummary, bManifest: ManifestLike, top = 10): ModelDiff {
  const metrics = METRICS.map(({ key, label, higherIsBetter }) => {
    const x = a[key];
    const y = b[key];
    const delta = x === null || y === null ? null : y - x;
    const better = delta === null ? null : Math.abs(delta) < 5e-5 ? "same" : delta > 0 === higherIsBetter ? "b" : "a";
    return { metric: label, a: x, b: y, delta, better } as const;
  });
  const rank = (m: ManifestLike) => new Map(topImportances(m, Number.MAX_SAFE_INTEGER).map(([f, share], i) => [f, { rank: i + 1, share }]));
  const ra = rank(aManifest);
  const rb = rank(bManifest);
  const features = [...new Set([...topImportances(aManifest, top), ...topImportances(bManifest, top)].map(([f]) => f))];
  const importances = features
    .map((feature) => ({
      feature,
      a_rank: ra.get(feature)?.rank ?? null,
      a_share: ra.get(feature)?.share ?? null,
      b_rank: rb.get(feature)?.rank ?? null,
      b_share: rb.get(feature)?.share ?? null,
    }))
    .sort((x, y) => Math.min(x.a_rank ?? Infinity, x.b_rank ?? Infinity) - Math.min(y.a_rank ?? Infinity, y.b_rank ?? Infinity));
  const pillarNames = [...new Set([...Object.keys(aManifest.importance?.pillars ?? {}), ...Object.keys(bManifest.importance?.pillars ?? {})])];
  const pillars = pillarNames.map((pillar) => ({ pillar, a: aManifest.importance?.pillars?.[pillar] ?? null, b: bManifest.importance?.pillars?.[pillar] ?? null }));
  return { a, b, metrics, importances, pillars };
}

const signed = (x: number | null, digits = 4) => (x === null ? "-" : `${x >= 0 ? "+" : ""}${x.toFixed(digits)}`);
const share = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);

export function formatModelDiff(d: ModelDiff): string {
  const head = [`a: ${d.a.version}`, `b: ${d.b.version}`];
  const who = [`a: ${d.a.version}, ${d.a.source}, served by ${describeUse(d.a.use)}`, `b: ${d.b.version}, ${d.b.source}, served by ${describeUse(d.b.use)}`];
  const metricRows = d.metrics.map((m) => [m.metric, fixed(m.a, 4), fixed(m.b, 4), signed(m.delta), m.better === null ? "-" : m.better === "same" ? "same" : `${m.better} better`]);
  metricRows.push(["test rows", String(d.a.test_rows ?? "-"), String(d.b.test_rows ?? "-"), "", ""]);
  metricRows.push(["calibration", d.a.calibration ?? "-", d.b.calibration ?? "-", "", ""]);
  const metrics = formatTable(["metric (test split)", ...head, "b - a", ""], metricRows, ["left", "right", "right", "right", "left"]);
  const importanceRows = d.importances.map((r) => [r.feature, r.a_rank === null ? "-" : `#${r.a_rank} ${share(r.a_share)}`, r.b_rank === null ? "-" : `#${r.b_rank} ${share(r.b_share)}`]);
  const importances = formatTable(["feature (top by importance)", ...head], importanceRows, ["left", "right", "right"]);
  const pillars = formatTable(["pillar importance", ...head], d.pillars.map((p) => [p.pillar, share(p.a), share(p.b)]), ["left", "right", "right"]);
  return [...who, "", metrics, "", importances, "", pillars].join("\n");
}
