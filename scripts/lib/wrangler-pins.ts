/**
 * Which model each colour is pinned to, in wrangler.toml: its `[env.<colour>]` table's `main`
 * (the version's entry, models/<version>/entry.ts, which is what wrangler bundles) and
 * `FLASH_MODEL_VERSION` in its vars (the same version, checked by the Worker at run time).
 *
 * Read through wrangler's own config reader, so what is reported is what `wrangler deploy
 * --env <colour>` would bundle; written as a targeted edit of those two lines (comments and
 * layout stay as they are), then read back to prove the edit took.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_readConfig } from "wrangler";
import { modelEntryPath } from "../../model-build/src/registry.js";
import { REPO_ROOT } from "../../tools/local-stack/build.js";

export type PinnedColor = "blue" | "green";
export const PINNED_COLORS: readonly PinnedColor[] = ["blue", "green"];

export const API_CONFIG = join(REPO_ROOT, "wrangler.toml");

export interface ColorPin {
  /** The version named by `main` (null when `main` is not a registry entry). */
  readonly version: string | null;
  /** `main` as written, relative to the repository. */
  readonly main: string | null;
  /** FLASH_MODEL_VERSION of the colour's vars ("" = any). */
  readonly var_version: string;
  /** Why the pin is not usable (empty when `main` and the var agree). */
  readonly problems: readonly string[];
}

const ENTRY_PATTERN = /(?:^|\/)models\/([^/]+)\/entry\.ts$/;

/** The version a `main` path pins, or null. */
export function readPinnedVersion(main: string | undefined | null): string | null {
  if (!main) return null;
  return ENTRY_PATTERN.exec(main.replace(/\\/g, "/"))?.[1] ?? null;
}

export function readColorPin(color: PinnedColor, configPath = API_CONFIG): ColorPin {
  const config = unstable_readConfig({ config: configPath, env: color }, { hideWarnings: true });
  const main = config.main ? config.main.replace(/\\/g, "/").replace(`${REPO_ROOT.replace(/\\/g, "/")}/`, "") : null;
  const version = readPinnedVersion(main);
  const varVersion = String((config.vars as Record<string, unknown> | undefined)?.FLASH_MODEL_VERSION ?? "");
  const problems: string[] = [];
  if (version === null) problems.push(`[env.${color}] main (${main ?? "unset"}) is not a model entry (models/<version>/entry.ts)`);
  else if (varVersion !== "" && varVersion !== version) {
    problems.push(`[env.${color}] main pins ${version} but FLASH_MODEL_VERSION says ${varVersion}: redeploy with \`npm run deploy -- --color ${color} --model <version>\``);
  }
  return { version, main, var_version: varVersion, problems };
}

export function readColorPins(configPath = API_CONFIG): Record<PinnedColor, ColorPin> {
  return { blue: readColorPin("blue", configPath), green: readColorPin("green", configPath) };
}

export class PinEditError extends Error {
  override readonly name = "PinEditError";
}

/**
 * The config text with `[env.<color>]` pinned to `version`: its `main = "..."` line and the
 * FLASH_MODEL_VERSION inside its vars. Pure; anything it cannot find is an error, never a
 * half-edited file.
 */
export function pinColorInConfig(text: string, color: PinnedColor, version: string): string {
  const header = new RegExp(`^\\[env\\.${color}\\]\\s*$`, "m");
  const start = header.exec(text);
  if (!start) throw new PinEditError(`wrangler.toml has no [env.${color}] table`);
  const bodyStart = start.index + start[0].length;
  const nextTable = /^\[/m.exec(text.slice(bodyStart));
  const bodyEnd = nextTable ? bodyStart + nextTable.index : text.length;
  let body = text.slice(bodyStart, bodyEnd);
  const entry = modelEntryPath(version);
  const mainLine = /^main\s*=\s*"[^"]*"\s*$/m;
  if (!mainLine.test(body)) throw new PinEditError(`[env.${color}] has no main = "..." line to pin`);
  body = body.replace(mainLine, `main = "${entry}"`);
  const varPattern = /FLASH_MODEL_VERSION\s*=\s*"[^"]*"/;
  if (!varPattern.test(body)) throw new PinEditError(`[env.${color}] vars have no FLASH_MODEL_VERSION to pin`);
  body = body.replace(varPattern, `FLASH_MODEL_VERSION = "${version}"`);
  return text.slice(0, bodyStart) + body + text.slice(bodyEnd);
}

export interface WritePinResult {
  readonly color: PinnedColor;
  readonly previous: ColorPin;
  readonly pin: ColorPin;
  readonly changed: boolean;
  /** Put the file back as it was (a failed deploy must not leave a pin it did not deploy). */
  restore(): void;
}

/** Pin `color` to `version` in wrangler.toml and read it back through wrangler. */
export function writeColorPin(color: PinnedColor, version: string, configPath = API_CONFIG): WritePinResult {
  const before = readFileSync(configPath, "utf8");
  const previous = readColorPin(color, configPath);
  const after = pinColorInConfig(before, color, version);
  if (after !== before) writeFileSync(configPath, after);
  const pin = readColorPin(color, configPath);
  if (pin.version !== version || pin.problems.length > 0) {
    writeFileSync(configPath, before);
    throw new PinEditError(`pinning ${color} to ${version} did not take (${pin.problems.join("; ") || `main reads ${pin.main}`}); wrangler.toml is unchanged`);
  }
  return { color, previous, pin, changed: after !== before, restore: () => writeFileSync(configPath, before) };
}
