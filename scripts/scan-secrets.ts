/**
 * `npm run scan:secrets`: fail (exit 1) when a secret or key is in the repository: our API keys,
 * Upstash REST tokens, Cloudflare API tokens and keys, private keys, a few well-known cloud
 * tokens, and files that hold secrets by nature (.dev.vars, .env, the local key registry).
 * CI runs it on every push (.ci/run).
 *
 * Scanned: the files git tracks plus untracked files it does not ignore (so a developer catches a
 * secret before committing it). Allowed: the documented development values in .dev.vars.example
 * (public by design; the Worker refuses the dev key in production) and any line carrying the
 * marker `secret-scan: allow` (for documentation that must show a fake value).
 */

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { flag, runCli, stringValue, type CommandSpec, type ParsedValues } from "./lib/cli.js";

export interface SecretRule {
  readonly id: string;
  readonly description: string;
  /** Global regex; the secret is capture group 1 when present, else the whole match. */
  readonly pattern: RegExp;
  /** In source code (.ts, .js, ...) assignments count only with a quoted literal value, so
   * `token: env.UPSTASH_REDIS_REST_TOKEN`-style code is not mistaken for a secret. */
  readonly codePattern?: RegExp;
  /** For assignment-style rules: values that are clearly placeholders are not secrets. */
  readonly skipPlaceholders?: boolean;
  /** May a value documented in .dev.vars.example pass? Never for formats that are real
   * credentials whatever file they sit in (a production key pasted into the example). */
  readonly allowDocumented?: boolean;
}

const CODE_FILE = /\.(?:[cm]?[jt]sx?)$/;

/** `NAME=value`, `NAME: "value"`, `"NAME": "value"`... in config; quoted literals only in code. */
function assignment(id: string, description: string, names: string, valueClass: string): SecretRule {
  const anyFile = String.raw`\b(?:${names})["'\x60]?\s*[:=]\s*["'\x60]?(${valueClass})`;
  const codeFile = String.raw`\b(?:${names})["'\x60]?\s*[:=]\s*["'\x60](${valueClass})["'\x60]`;
  return { id, description, pattern: new RegExp(anyFile, "g"), codePattern: new RegExp(codeFile, "g"), skipPlaceholders: true, allowDocumented: true };
}

export const SECRET_RULES: readonly SecretRule[] = [
  { id: "flash-api-key", description: "FLASH API key", pattern: /\b(flash_sk_[A-Za-z0-9]{20,})/g },
  { id: "flash-dev-key", description: "FLASH development key other than the documented one", pattern: /\b(flash_dev_[A-Za-z0-9_]{8,})/g, allowDocumented: true },
  assignment("upstash-token", "Upstash REST token", "UPSTASH_REDIS_REST_TOKEN", "[A-Za-z0-9_=+/-]{20,}"),
  { id: "upstash-token-in-url", description: "Upstash token in a URL", pattern: /[?&]_token=([A-Za-z0-9_=+/-]{20,})/g, skipPlaceholders: true },
  { id: "cloudflare-scannable-token", description: "Cloudflare API token or key (cfut_/cfat_/cfk_)", pattern: /\b((?:cfut|cfat|cfk)_[A-Za-z0-9]{40,})/g },
  assignment(
    "cloudflare-api-token",
    "Cloudflare API token or key in an assignment",
    "CLOUDFLARE_API_TOKEN|CLOUDFLARE_API_KEY|CF_API_TOKEN|CF_API_KEY|CLOUDFLARE_AUTH_KEY",
    "[A-Za-z0-9_-]{32,}",
  ),
  assignment(
    "env-secret",
    "secret value in an assignment (ADMIN_TOKEN, *_SECRET, *_PASSWORD, ...)",
    "ADMIN_TOKEN|TESTER_TOKENS|METRICS_TOKEN|FLASH_API_KEYS|[A-Z0-9_]*(?:SECRET|PASSWORD|PRIVATE_KEY)",
    "[A-Za-z0-9_=+/.-]{16,}",
  ),
  { id: "private-key", description: "private key", pattern: /(-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)/g },
  { id: "aws-access-key", description: "AWS access key id", pattern: /\b((?:AKIA|ASIA)[0-9A-Z]{16})\b/g },
  { id: "github-token", description: "GitHub token", pattern: /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})/g },
  { id: "npm-token", description: "npm token", pattern: /\b(npm_[A-Za-z0-9]{36})\b/g },
  { id: "slack-token", description: "Slack token", pattern: /\b(xox[abprs]-[A-Za-z0-9-]{10,})/g },
];

/** Files that hold secrets by nature: never committed, whatever is in them. */
export const FORBIDDEN_FILES: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /(^|\/)\.dev\.vars(\.[^/]*)?$/, why: "local Worker secrets (.dev.vars); commit .dev.vars.example instead" },
  { pattern: /(^|\/)\.env(\.[^/]*)?$/, why: "environment secrets (.env)" },
  { pattern: /(^|\/)\.flash\//, why: "the local API key registry (npm run keys)" },
  { pattern: /\.(pem|key|p12|pfx)$/, why: "a key or certificate file" },
];

const ALLOW_MARKER = "secret-scan: allow";
const EXAMPLE_SUFFIX = /\.example$/;
// Not secrets: fillers, template references, another variable's NAME, obvious test fixtures.
const PLACEHOLDER = /^(x+|0+|\*+|\.+|<.*>|\$\{.*\}|\$[A-Za-z_]+)$|^(test|fake|sample|dummy|mock)[-_]|example|placeholder|changeme|your[-_]|redacted/i;
/** Upper-case only: the name of another variable (`url ? "UPSTASH_REDIS_REST_TOKEN" : ...`). */
const VARIABLE_NAME = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
  readonly description: string;
  /** The secret, shortened so the report itself does not leak it. */
  readonly excerpt: string;
}

export function redact(secret: string): string {
  if (secret.startsWith("-----BEGIN")) return secret;
  return `${secret.slice(0, Math.min(10, Math.floor(secret.length / 3)))}… (${secret.length} chars)`;
}

/** Values documented in .dev.vars.example: public development defaults, allowed anywhere. */
export function readAllowedValues(exampleText: string): Set<string> {
  const allowed = new Set<string>();
  for (const line of exampleText.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(line);
    const value = match?.[1]?.trim().replace(/^(["'])(.*)\1$/, "$2");
    if (value && value.length >= 8) allowed.add(value);
  }
  return allowed;
}

export function scanText(file: string, text: string, allowed: ReadonlySet<string> = new Set()): Finding[] {
  const findings: Finding[] = [];
  const lines = text.split("\n");
  const code = CODE_FILE.test(file);
  lines.forEach((lineText, index) => {
    if (lineText.includes(ALLOW_MARKER)) return;
    for (const rule of SECRET_RULES) {
      const pattern = code && rule.codePattern ? rule.codePattern : rule.pattern;
      pattern.lastIndex = 0;
      for (let m = pattern.exec(lineText); m; m = pattern.exec(lineText)) {
        const secret = m[1] ?? m[0];
        if (rule.allowDocumented && allowed.has(secret)) continue;
        if (rule.skipPlaceholders && (PLACEHOLDER.test(secret) || VARIABLE_NAME.test(secret))) continue;
        findings.push({ file, line: index + 1, rule: rule.id, description: rule.description, excerpt: redact(secret) });
      }
    }
  });
  return findings;
}

export function checkFileName(file: string): Finding | undefined {
  if (EXAMPLE_SUFFIX.test(file)) return undefined;
  const hit = FORBIDDEN_FILES.find((f) => f.pattern.test(file));
  return hit ? { file, line: 0, rule: "forbidden-file", description: hit.why, excerpt: path.basename(file) } : undefined;
}

/** Tracked files plus untracked ones git does not ignore. */
export function listRepositoryFiles(root: string): string[] {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return [...new Set(out.split("\0").filter((f) => f !== ""))].sort();
}

const MAX_BYTES = 2 * 1024 * 1024;

export interface ScanResult {
  readonly scanned: number;
  readonly skipped: number;
  readonly findings: readonly Finding[];
}

export function scanRepository(root: string, files: readonly string[] = listRepositoryFiles(root)): ScanResult {
  const examplePath = path.join(root, ".dev.vars.example");
  const allowed = fs.existsSync(examplePath) ? readAllowedValues(fs.readFileSync(examplePath, "utf8")) : new Set<string>();
  const findings: Finding[] = [];
  let scanned = 0;
  let skipped = 0;
  for (const file of files) {
    const named = checkFileName(file);
    if (named) findings.push(named);
    const full = path.join(root, file);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      continue; // listed by git but deleted in the working tree
    }
    if (!stat.isFile() || stat.size > MAX_BYTES) {
      skipped++;
      continue;
    }
    const bytes = fs.readFileSync(full);
    if (bytes.subarray(0, 8_000).includes(0)) {
      skipped++; // binary (the ONNX model, images)
      continue;
    }
    scanned++;
    findings.push(...scanText(file, bytes.toString("utf8"), allowed));
  }
  return { scanned, skipped, findings };
}

export const SCAN_SPEC: CommandSpec = {
  name: "scan:secrets",
  summary: "fail when a secret or key is committed (or about to be)",
  usage: "npm run scan:secrets -- [--root <dir>] [--json]",
  description: [
    "Scans the files git tracks plus untracked files it does not ignore for FLASH API keys, Upstash",
    "tokens, Cloudflare API tokens and keys, private keys and other well-known tokens, and refuses",
    "files that hold secrets by nature (.dev.vars, .env, .flash/). Values documented in",
    `.dev.vars.example are allowed; so is a line marked \`${ALLOW_MARKER}\`.`,
  ].join("\n"),
  options: [
    { name: "root", type: "string", placeholder: "<dir>", description: "repository to scan", defaultText: "the current directory" },
    { name: "json", type: "boolean", description: "print the result as JSON" },
  ],
  exitCodes: [
    [0, "no secrets found"],
    [1, "secrets found: remove them, rotate them, and rewrite history if they were pushed"],
    [2, "usage error"],
  ],
  examples: ["npm run scan:secrets", "npm run -s scan:secrets -- --json"],
};

export function main(values: ParsedValues): number {
  const root = path.resolve(stringValue(values, "root") ?? ".");
  const result = scanRepository(root);
  if (flag(values, "json")) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else if (result.findings.length === 0) {
    process.stdout.write(`scan:secrets: no secrets in ${result.scanned} files (${result.skipped} binary or large files skipped)\n`);
  } else {
    for (const f of result.findings) process.stdout.write(`${f.file}:${f.line}: ${f.rule}: ${f.description}: ${f.excerpt}\n`);
    process.stdout.write(
      `\nscan:secrets: ${result.findings.length} secret(s) found in ${result.scanned} files. Remove them from the files ` +
        "(use .dev.vars, which git ignores, or `wrangler secret put`), rotate any that were pushed, and if a value is a " +
        `documented fake, add it to .dev.vars.example or mark the line \`${ALLOW_MARKER}\`.\n`,
    );
  }
  return result.findings.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await runCli(SCAN_SPEC, async (cmd) => main(cmd.values));
}
