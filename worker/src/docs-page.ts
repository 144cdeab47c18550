/**
 * The human-readable docs page, rendered from the OpenAPI document and the feature schema (the
 * same sources as /openapi.json and /features), self-contained: no CDN, no scripts.
 */

import type { AnyModelManifest } from "../../core/manifest.js";
import { VERDICT_BANDS } from "../../core/verdict.js";
import type { describeFeatures } from "./routes/meta.js";

function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

interface PathItem {
  readonly [method: string]: { readonly summary?: string };
}

export interface RenderDocsPageOptions {
  /** Outside production the development key is accepted, so the example uses the variable `npm start` prints. */
  readonly production?: boolean;
}

export function renderDocsPage(
  doc: Record<string, unknown>,
  features: ReturnType<typeof describeFeatures>,
  manifest: Partial<AnyModelManifest>,
  options: RenderDocsPageOptions = {},
): string {
  const paths = doc.paths as Record<string, PathItem>;
  const endpoints = Object.entries(paths)
    .flatMap(([path, item]) =>
      Object.entries(item).map(
        ([method, op]) => `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary ?? "")}</td></tr>`,
      ),
    )
    .join("\n");
  const featureRows = features.features
    .map((f) => {
      const accepted =
        "categories" in f && f.categories ? f.categories.join(", ") : "min" in f ? `${f.min} to ${f.max}` : "true / false";
      return `<tr><td><code>${escapeHtml(f.name)}</code></td><td>${f.pillar}</td><td>${f.type}</td><td>${escapeHtml(accepted)}</td><td>${escapeHtml(f.unit)}</td><td>${escapeHtml(f.description)}</td></tr>`;
    })
    .join("\n");
  const verdicts = VERDICT_BANDS.map((b) => `<li><b>${b.label}</b>: probability &ge; ${b.min}</li>`).join("");
  // Outside production the development key works, and `npm start` prints it as a line to paste.
  const keyVar = options.production ? "FLASH_API_KEY" : "FLASH_DEV_API_KEY";
  const keySetup = options.production
    ? "FLASH_API_KEY='&lt;your API key&gt;'"
    : "# paste the FLASH_DEV_API_KEY=... line that npm start prints (or see .dev.vars.example), then:";
  const origin = (doc.servers as { url: string }[] | undefined)?.[0]?.url ?? "";
  const model = manifest.version ? `${escapeHtml(manifest.name)} ${escapeHtml(manifest.version)}` : "unknown";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>FLASH Edge API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}code,pre{background:#f6f6f6;border-radius:3px}pre{padding:.8rem;overflow:auto}
</style></head><body>
<h1>FLASH Edge prediction API</h1>
<p>Scores a startup's chance of success from 45 CAMP features with a calibrated tree model
(model <code>${model}</code>). Machine-readable contract: <a href="/openapi.json">/openapi.json</a>.</p>
<h2>Try it</h2>
<pre>${keySetup}
curl -s ${escapeHtml(origin)}/predict -H "Authorization: Bearer $${keyVar}" \\
  -H 'content-type: application/json' -d '{"total_capital_raised_usd": 1000000, "funding_stage": "seed"}'</pre>
<p>Every endpoint but <code>/health</code>, <code>/openapi.json</code> and this page needs an API key as
<code>Authorization: Bearer &lt;key&gt;</code> (401 without one). Each key has a rate limit (429 with
<code>Retry-After</code> beyond it). Predictions are cached: <code>X-Cache</code> and the body's <code>cache</code>
say HIT, MISS or BYPASS.</p>
<h2>Endpoints</h2>
<table><tr><th>method</th><th>path</th><th>what</th></tr>
${endpoints}
</table>
<h2>Verdicts</h2><ul>${verdicts}</ul>
<h2>Errors</h2>
<p>Every error is JSON: <code>{"error": {"status", "code", "message", "issues": [{"field", "rule", "message"}]}}</code>,
listing every problem. Fields that are not features are ignored with a warning that names the nearest feature;
add <code>?strict=true</code> to refuse them (422). <code>startup_name</code> is accepted and ignored.</p>
<h2>Features (${features.count})</h2>
<p>${escapeHtml(features.missing_values)}</p>
<table><tr><th>name</th><th>pillar</th><th>type</th><th>accepted</th><th>unit</th><th>description</th></tr>
${featureRows}
</table>
</body></html>`;
}
