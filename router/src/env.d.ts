// Secrets are not in wrangler.toml, so `wrangler types` cannot see them: declared here.
// Set them with `wrangler secret put <NAME> -c router/wrangler.toml`; locally in .dev.vars.
declare namespace Cloudflare {
  interface Env {
    /** Bearer token of the admin API and /metrics. Without it the admin API answers 503. */
    ADMIN_TOKEN?: string;
    /** Comma-separated tokens that may force a version with X-Flash-Version (testers). */
    TESTER_TOKENS?: string;
    /** Comma-separated tokens that may read /metrics only (a Prometheus scraper). */
    METRICS_TOKEN?: string;
  }
}
