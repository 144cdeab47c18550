export {
  API_KEY_PREFIX,
  generateApiKey,
  generateKeyId,
  hashApiKey,
  parseApiKeys,
  checkApiKey,
  timingSafeEqualBytes,
  type ApiKeyRecord,
  type ApiKeyFile,
  type KeyCheck,
} from "./api-keys.js";
export {
  requireApiKey,
  DEFAULT_EXEMPT_PATHS,
  type AuthEnv,
  type AuthVariables,
  type AuthenticatedKey,
  type AuthEvent,
  type AuthFailure,
  type RequireApiKeyOptions,
  type ErrorResponseInit,
} from "./require-api-key.js";
