/** The slice of a pino-style logger the store uses: migrations applied, degraded connections. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}
