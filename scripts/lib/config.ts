/**
 * Where scripts find the router, the API and their credentials: a flag, else an environment
 * variable, else (only for a local URL) the development values in `.dev.vars` /
 * `.dev.vars.example`, so `npm start` plus `npm run status` works with nothing set.
 */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError, type OptionSpec } from "./cli.js";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_ROUTER_URL = "http://localhost:8787";

/** The options and variables of every script that talks to the router's admin API. */
export const ROUTER_OPTIONS: OptionSpec[] = [
  { name: "router", type: "string", placeholder: "<url>", description: "the router's URL", defaultText: "$FLASH_ROUTER_URL or http://localhost:8787" },
  { name: "admin-token", type: "string", placeholder: "<token>", description: "the router's admin token", defaultText: "$ADMIN_TOKEN, or .dev.vars for a local router" },
];

/** The options of the scripts that send predictions (smoke, loadtest). */
export const API_OPTIONS: OptionSpec[] = [
  { name: "url", type: "string", placeholder: "<url>", description: "base URL: the router, staging or one colour", defaultText: "$FLASH_API_URL or http://localhost:8787" },
  { name: "key", type: "string", placeholder: "<api-key>", description: "API key, sent as Authorization: Bearer", defaultText: "$FLASH_API_KEY, or the dev key for a local URL" },
];

export const ROUTER_ENV: Array<[string, string]> = [
  ["FLASH_ROUTER_URL", "the router's URL"],
  ["ADMIN_TOKEN", "the router's admin token"],
];

export function isLocalUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "127.0.0.1" || host === "::1" || host === "[::1]";
  } catch {
    return false;
  }
}

/** Parses a dotenv-style file (KEY=value, # comments, optional quotes). */
export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    let value = m[2]!;
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[m[1]!] = value;
  }
  return out;
}

/** A development value from `.dev.vars` (yours) or `.dev.vars.example` (the committed defaults). */
export function readDevVar(name: string, root = REPO_ROOT): string | undefined {
  for (const file of [".dev.vars", ".dev.vars.example"]) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const value = parseDevVars(readFileSync(path, "utf8"))[name];
    if (value) return value;
  }
  return undefined;
}

export function resolveRouterUrl(flagValue: string | undefined, env = process.env): string {
  const url = flagValue ?? env.FLASH_ROUTER_URL ?? DEFAULT_ROUTER_URL;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`router URL ${JSON.stringify(url)} is not a URL: pass --router http://host:port or set FLASH_ROUTER_URL`);
  }
  return url.replace(/\/+$/, "");
}

/** The API's base URL: flag, FLASH_API_URL, or the local stack. */
export function resolveApiUrl(flagValue: string | undefined, env = process.env): string {
  const url = (flagValue ?? env.FLASH_API_URL ?? DEFAULT_ROUTER_URL).replace(/\/+$/, "");
  try {
    new URL(url);
  } catch {
    throw new UsageError(`${JSON.stringify(url)} is not a URL: set FLASH_API_URL=https://... or pass --url`);
  }
  return url;
}

export function resolveAdminToken(flagValue: string | undefined, routerUrl: string, env = process.env): string {
  const token = flagValue ?? env.ADMIN_TOKEN ?? (isLocalUrl(routerUrl) ? readDevVar("ADMIN_TOKEN") : undefined);
  if (!token) {
    throw new UsageError(
      `no admin token for ${routerUrl}: set ADMIN_TOKEN (or pass --admin-token); for the local stack it is ADMIN_TOKEN in .dev.vars.example`,
    );
  }
  return token;
}

/** The API key for prediction requests: flag, FLASH_API_KEY, or the local development key. */
export function resolveApiKey(flagValue: string | undefined, url: string, env = process.env): string | undefined {
  return flagValue ?? env.FLASH_API_KEY ?? (isLocalUrl(url) ? (env.FLASH_DEV_API_KEY ?? readDevVar("FLASH_DEV_API_KEY")) : undefined);
}
