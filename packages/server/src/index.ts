/**
 * `@medblocks/server`: the webhook service as a library. The platform publishes facts in-process
 * through `Service.publish`; the CLI runs the service and mints keys with these exports.
 */
export { buildApp, type App, type AppOptions } from "./api/app.js";
export { bootstrapApiKey, mintApiKey, DEFAULT_ORGANIZATION, type MintedKey } from "./bootstrap.js";
export { ConfigError, loadConfig, parseDuration, parseRetrySchedule, type Config, type Role } from "./config.js";
export type { Fact, PublishOptions, Published } from "./domain/publishing.js";
export { main } from "./run.js";
export { createLogger, startService, type Service, type ServiceOptions } from "./service.js";
export { createStore } from "./store/create-store.js";
export type * from "./store/store.js";
