import { hostname } from "node:os";

/**
 * The name a machine listens under. The service keeps one session endpoint, and so one signing
 * secret, per workspace and device, so the default must be stable: the host name, reduced to what
 * the service accepts (1 to 100 of letters, digits, `.`, `_`, `-`).
 */
export function defaultDeviceName(host: string = hostname()): string {
  return sanitizeDeviceName(host) || "localhost";
}

export function sanitizeDeviceName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 100);
}

/** A `--device` as typed: checked rather than rewritten, so a typo is not silently a new session. */
export function checkDeviceName(name: string): string | undefined {
  return /^[A-Za-z0-9._-]{1,100}$/.test(name) ? undefined : "--device must be 1 to 100 letters, digits, '.', '_' or '-'";
}
