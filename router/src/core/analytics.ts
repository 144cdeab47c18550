/**
 * One Workers Analytics Engine data point per answer the router sees. Column order is a
 * contract with the rollout scripts' SQL (scripts: --source analytics-engine):
 *   blob1 version, blob2 route, blob3 status class, blob4 cache (hit|miss|bypass|none),
 *   blob5 verdict ("" when none), double1 latency in ms, double2 probability (-1 when none),
 *   double3 1 when this version failed and the request fell back, index1 version.
 */
import type { Color } from "./split";
import type { CacheResult, StatusClass } from "./stats";

export interface DataPoint {
  readonly blobs: string[];
  readonly doubles: number[];
  readonly indexes: string[];
}

export interface DataPointInput {
  readonly version: Color;
  readonly route: string;
  readonly statusClass: StatusClass;
  readonly cache: CacheResult | null;
  readonly verdict: string | null;
  readonly latencyMs: number;
  readonly probability: number | null;
  readonly fellBack: boolean;
}

export function buildDataPoint(input: DataPointInput): DataPoint {
  return {
    blobs: [input.version, input.route, input.statusClass, input.cache ?? "none", input.verdict ?? ""],
    doubles: [input.latencyMs, input.probability ?? -1, input.fellBack ? 1 : 0],
    indexes: [input.version],
  };
}

/** Analytics Engine's documented limits on one writeDataPoint call. */
export const AE_LIMITS = { blobs: 20, doubles: 20, indexes: 1, indexBytes: 96, blobBytes: 16 * 1024, pointsPerInvocation: 25 } as const;

/** The limits a data point breaks (empty when it is valid). */
export function dataPointProblems(point: DataPoint): string[] {
  const problems: string[] = [];
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (point.blobs.length > AE_LIMITS.blobs) problems.push(`more than ${AE_LIMITS.blobs} blobs`);
  if (point.doubles.length > AE_LIMITS.doubles) problems.push(`more than ${AE_LIMITS.doubles} doubles`);
  if (point.indexes.length > AE_LIMITS.indexes) problems.push(`more than ${AE_LIMITS.indexes} index`);
  if (point.indexes.some((i) => bytes(i) > AE_LIMITS.indexBytes)) problems.push(`an index longer than ${AE_LIMITS.indexBytes} bytes`);
  if (point.blobs.reduce((n, b) => n + bytes(b), 0) > AE_LIMITS.blobBytes) problems.push(`blobs over ${AE_LIMITS.blobBytes} bytes in total`);
  if (point.doubles.some((d) => !Number.isFinite(d))) problems.push("a double that is not a finite number");
  return problems;
}
