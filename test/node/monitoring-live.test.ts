/**
 * The live monitoring suite (monitoring/live-suite.ts) against the local stack `npm start` runs:
 * router, blue and green on workerd, on free ports, with the embedded cache.
 */
import { defineLiveMonitoringSuite } from "../../monitoring/live-suite";
import { startLocalStack } from "../../tools/local-stack/stack";

defineLiveMonitoringSuite(async () => {
  const stack = await startLocalStack({ port: 0, redis: "off", requestLogs: false });
  return { routerUrl: stack.routerUrl, adminToken: stack.adminToken, apiKey: stack.devApiKey, stop: () => stack.stop() };
});
