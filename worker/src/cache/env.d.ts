// Cache settings the Worker reads (worker/src/cache/cache-config.ts). Secrets and optional vars are
// not in wrangler.toml, so `wrangler types` cannot see them: declared here. Locally: .dev.vars.
declare namespace Cloudflare {
  interface Env {
    /** Upstash REST URL (locally the bridge: `npm run redis`). Without it: the in-isolate cache. */
    UPSTASH_REDIS_REST_URL?: string;
    /** Secret: `wrangler secret put UPSTASH_REDIS_REST_TOKEN --env <blue|green>`. */
    UPSTASH_REDIS_REST_TOKEN?: string;
    CACHE_TTL_SECONDS?: string;
    CACHE_TIMEOUT_MS?: string;
    CACHE_BREAKER_FAILURES?: string;
    CACHE_BREAKER_COOLDOWN_MS?: string;
    CACHE_MEMORY_MAX_ENTRIES?: string;
  }
}
