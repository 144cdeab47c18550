/** `npm run models`: see scripts/lib/models-report.ts. */

import {
  listModelVersions,
  readDefaultModelVersion,
  readModelManifest,
  RegistryError,
  removeModelVersion,
  resolveModelVersion,
  setDefaultModelVersion,
} from "../model-build/src/registry.js";
import { AdminClient } from "./lib/admin-client.js";
import { CliError, flag, parseNumber, runCli, stringValue, UsageError, type ParsedValues } from "./lib/cli.js";
import { resolveAdminToken, resolveRouterUrl } from "./lib/config.js";
import {
  diffModels,
  findUse,
  formatModelDetail,
  formatModelDiff,
  formatModelList,
  MODELS_SPEC,
  summarizeModel,
  type ManifestLike,
  type ServingState,
} from "./lib/models-report.js";
import { readColorPins } from "./lib/wrangler-pins.js";

/** The router is optional here: unreachable means "not known", never an error. */
async function readServing(values: ParsedValues): Promise<{ serving: Record<string, string | null> | null; note: string }> {
  if (flag(values, "no-router")) return { serving: null, note: "serving colours unknown: the router was not asked (--no-router)" };
  const routerUrl = resolveRouterUrl(stringValue(values, "router"));
  let token: string;
  try {
    token = resolveAdminToken(stringValue(values, "admin-token"), routerUrl);
  } catch {
    return { serving: null, note: `serving colours unknown: no admin token for ${routerUrl}` };
  }
  try {
    const split = await new AdminClient({ baseUrl: routerUrl, token, actor: "npm run models", timeoutMs: 3000 }).getSplit();
    return { serving: split.models, note: `serving as reported by the router at ${routerUrl}` };
  } catch (error) {
    if (process.env.FLASH_DEBUG) process.stderr.write(`models: ${error instanceof Error ? error.message : String(error)}\n`);
    return { serving: null, note: `serving colours unknown: the router at ${routerUrl} did not answer` };
  }
}

function readState(serving: Record<string, string | null> | null): ServingState {
  const pins = readColorPins();
  return { defaultVersion: readDefaultModelVersion(), pins: { blue: pins.blue.version, green: pins.green.version }, serving };
}

function versionArg(positionals: readonly string[], index: number, command: string): string {
  const ref = positionals[index];
  if (ref === undefined) throw new UsageError(`${command} needs a version (see \`npm run models -- list\`)`);
  return resolveModelVersion(ref);
}

function print(values: ParsedValues, json: unknown, text: string): void {
  process.stdout.write(flag(values, "json") ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
}

async function main(values: ParsedValues, positionals: string[]): Promise<number> {
  const [command = "list"] = positionals;
  switch (command) {
    case "list": {
      const { serving, note } = await readServing(values);
      const state = readState(serving);
      const models = listModelVersions().map((v) => summarizeModel(v, readModelManifest(v) as ManifestLike, findUse(v, state)));
      print(values, { models, default: state.defaultVersion, pins: state.pins, serving: state.serving }, formatModelList(models, note));
      return 0;
    }
    case "show": {
      const version = versionArg(positionals, 1, "show");
      const { serving } = await readServing(values);
      const manifest = readModelManifest(version) as ManifestLike;
      const summary = summarizeModel(version, manifest, findUse(version, readState(serving)));
      print(values, { summary, manifest }, formatModelDetail(summary, manifest));
      return 0;
    }
    case "diff": {
      const a = versionArg(positionals, 1, "diff");
      const b = versionArg(positionals, 2, "diff");
      const topText = stringValue(values, "top");
      const top = topText === undefined ? 10 : parseNumber(topText, "top", { min: 1, max: 45, integer: true });
      const { serving } = await readServing(values);
      const state = readState(serving);
      const [ma, mb] = [readModelManifest(a) as ManifestLike, readModelManifest(b) as ManifestLike];
      const diff = diffModels(summarizeModel(a, ma, findUse(a, state)), ma, summarizeModel(b, mb, findUse(b, state)), mb, top);
      print(values, diff, formatModelDiff(diff));
      return 0;
    }
    case "default": {
      const version = versionArg(positionals, 1, "default");
      const previous = readDefaultModelVersion();
      if (!flag(values, "dry-run")) setDefaultModelVersion(version);
      const verb = flag(values, "dry-run") ? "would point" : "points";
      print(values, { default: version, previous, dry_run: flag(values, "dry-run") }, `models/default.ts ${verb} at ${version} (was ${previous}); npm start and the tests serve it`);
      return 0;
    }
    case "rm": {
      const version = versionArg(positionals, 1, "rm");
      const { serving } = await readServing(values);
      const use = findUse(version, readState(serving));
      const inUse = new Map<string, string>();
      const users = [...use.pinned.map((c) => `wrangler.toml pins ${c} to it`), ...use.serving.map((c) => `the router's ${c} serves it`)];
      if (users.length > 0) inUse.set(version, users.join("; "));
      try {
        if (flag(values, "dry-run")) {
          if (use.default) throw new RegistryError(`model ${version} is the default: point the default elsewhere first (\`npm run models -- default <version>\`)`);
          if (users.length > 0 && !flag(values, "force")) throw new RegistryError(`model ${version} is in use (${users.join("; ")}): deploy another model there first, or pass --force`);
          print(values, { removed: null, would_remove: version }, `would remove models/${version}`);
          return 0;
        }
        const dir = removeModelVersion(version, { inUse, force: flag(values, "force") });
        print(values, { removed: version, dir }, `removed ${dir}`);
        return 0;
      } catch (error) {
        if (error instanceof RegistryError) throw new CliError(error.message, 1);
        throw error;
      }
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}: use list, show, diff, default or rm`);
  }
}

await runCli(MODELS_SPEC, async (cmd) => {
  try {
    return await main(cmd.values, cmd.positionals);
  } catch (error) {
    // An unknown version is the caller's typo: usage (2), with the list of known versions.
    if (error instanceof RegistryError) throw new UsageError(error.message);
    throw error;
  }
});
