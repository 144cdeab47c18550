/**
 * The e2e's view of the local stack (tools/local-stack/stack.ts, what `npm start` runs): router,
 * blue and green on workerd on free ports, green with the API's fault injection.
 */

import { startLocalStack } from "../../../tools/local-stack/stack.js";

/** Green's faults in the API's own variable names (docs/api.md, "Fault injection"). */
export interface GreenFaults {
  FAULT_ERROR_RATE?: string;
  FAULT_LATENCY_MS?: string;
  FAULT_CONSTANT_PROBABILITY?: string;
}

export interface E2eStack {
  routerUrl: string;
  adminToken: string;
  apiKey: string;
  stop(): Promise<void>;
}

export async function startStack(options: { green?: GreenFaults } = {}): Promise<E2eStack> {
  const g = options.green ?? {};
  const stack = await startLocalStack({
    port: 0,
    redis: "off",
    greenFaults: {
      ...(g.FAULT_ERROR_RATE !== undefined ? { errorRate: Number(g.FAULT_ERROR_RATE) } : {}),
      ...(g.FAULT_LATENCY_MS !== undefined ? { latencyMs: Number(g.FAULT_LATENCY_MS) } : {}),
      ...(g.FAULT_CONSTANT_PROBABILITY !== undefined ? { constantProbability: Number(g.FAULT_CONSTANT_PROBABILITY) } : {}),
    },
  });
  if (!stack.adminToken || !stack.devApiKey) {
    await stack.stop();
    throw new Error("the local stack has no ADMIN_TOKEN or FLASH_DEV_API_KEY (.dev.vars.example): the e2e needs both");
  }
  return { routerUrl: stack.routerUrl, adminToken: stack.adminToken, apiKey: stack.devApiKey, stop: () => stack.stop() };
}
