/** The local Upstash stand-in: redis-server + a REST bridge (see bridge.ts for the protocol). */
export { startRedisStack, type RedisStack, type RedisStackOptions, type RedisStackControl } from "./stack.js";
export { startUpstashBridge, replyToJson, type UpstashBridge, type UpstashBridgeOptions } from "./bridge.js";
export {
  startRedisServer,
  ensureRedisServer,
  findRedisServer,
  RedisServerMissingError,
  type RedisServerHandle,
  type RedisServerOptions,
} from "./redis-server.js";
