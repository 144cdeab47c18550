/**
 * A reader for the Prometheus text exposition format (version 0.0.4), enough to check a live
 * /metrics page against the contract: TYPE lines, samples with labels and values. Pure.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  /** Family name -> type, from the # TYPE lines. */
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
  /** The values a label takes on a series name, e.g. the `le` bounds of a histogram. */
  labelValues(series: string, label: string): Set<string>;
}

const SAMPLE = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

function parseValue(text: string): number {
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const value = Number(text);
  if (text === "" || Number.isNaN(value)) throw new Error(`not a number: ${text}`);
  return value;
}

function parseLabels(block: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const inner = block.slice(1, -1);
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < inner.length) {
    const match = LABEL.exec(inner);
    if (!match) throw new Error(`bad labels: ${block}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    if (line.startsWith("#")) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      return;
    }
    try {
      const match = SAMPLE.exec(line);
      if (!match) throw new Error("not a sample");
      samples.push({ name: match[1]!, labels: match[2] ? parseLabels(match[2]) : {}, value: parseValue(match[3]!) });
    } catch (error) {
      throw new Error(`line ${index + 1} of the exposition: ${(error as Error).message}: ${line}`);
    }
  });
  return {
    types,
    samples,
    labelValues(series, label) {
      return new Set(samples.filter((s) => s.name === series && label in s.labels).map((s) => s.labels[label]!));
    },
  };
}
