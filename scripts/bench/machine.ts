/** What the benchmark ran on: CPU, cores, memory, versions and the load average from other work. */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, release, totalmem, type as osType } from "node:os";

export function readLoadAverage(): number[] {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

/** The workerd version Miniflare runs (its own dependency, wherever npm put it). */
export function workerdVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const fromMiniflare = createRequire(require.resolve("miniflare"));
    return (JSON.parse(readFileSync(fromMiniflare.resolve("workerd/package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty) return `${pretty}, kernel ${release()}`;
  } catch {
    // Not Linux, or no os-release.
  }
  return `${osType()} ${release()}`;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly workerd: string;
  readonly os: string;
}

export function describeMachine(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    node: process.versions.node,
    workerd: workerdVersion(),
    os: osName(),
  };
}
