/** Values shared by the Node side (api-workers.ts) and the tests inside workerd. */

/** Secrets of the router under test (its project bindings). */
export const TEST_SECRETS = {
  ADMIN_TOKEN: "test-admin-token",
  TESTER_TOKENS: "test-tester-token,second-tester-token",
  METRICS_TOKEN: "test-metrics-token",
} as const;

/** The API key the test API deployments accept (their FLASH_DEV_API_KEY). */
export const TEST_API_KEY = "flash_test_router_key_0123456789";

/** Every prediction of the test green (FAULT_CONSTANT_PROBABILITY). */
export const GREEN_CONSTANT_PROBABILITY = 0.97;

/** The broken green's added latency (FAULT_LATENCY_MS) before its 500. */
export const BROKEN_GREEN_LATENCY_MS = 400;
