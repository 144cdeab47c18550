// API keys and browser access (worker/src/auth, worker/src/middleware/security.ts). Secrets are
// not in wrangler.toml, so `wrangler types` cannot see them: declared here. Locally: .dev.vars.
declare namespace Cloudflare {
  interface Env {
    /** Secret: key records (SHA-256 hashes only) from `npm run -s keys -- export`. */
    FLASH_API_KEYS?: string;
    /** Development key, honoured only when FLASH_ENVIRONMENT is not "production". */
    FLASH_DEV_API_KEY?: string;
    /** Rate-limit tier of the development key; "unlimited" when unset. */
    FLASH_DEV_KEY_RATE_LIMIT?: string;
    /** Comma-separated origins allowed to call the API from a browser ("" = none). */
    CORS_ALLOWED_ORIGINS?: string;
  }
}
