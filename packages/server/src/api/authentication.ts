import type { FastifyInstance, FastifyRequest } from "fastify";
import { apiKeyMode, hashApiKey } from "../domain/api-keys.js";
import { ServiceError } from "../domain/errors.js";
import type { Store, Workspace } from "../store/store.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The organization and mode of the API key that authenticated this request. */
    workspace: Workspace;
  }
}

const unauthenticated = (code: "missing_api_key" | "invalid_api_key", message: string) =>
  new ServiceError("authentication_error", code, message);

async function authenticate(store: Store, request: FastifyRequest): Promise<Workspace> {
  const header = request.headers.authorization;
  if (!header) {
    throw unauthenticated("missing_api_key", "No API key provided. Send it as 'Authorization: Bearer mb_sk_…'.");
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw unauthenticated("invalid_api_key", "Malformed Authorization header. Send 'Authorization: Bearer mb_sk_…'.");
  }
  const key = match[1]!;
  const found = apiKeyMode(key) ? await store.findApiKeyByHash(hashApiKey(key)) : undefined;
  if (!found) {
    throw unauthenticated("invalid_api_key", `Invalid API key provided: ${key.slice(0, 11)}…${key.slice(-4)}. It may have been revoked.`);
  }
  return { organizationId: found.organizationId, mode: found.mode };
}

/** Puts API-key authentication on every route registered in the calling plugin's scope. */
export function requireApiKey(app: FastifyInstance, store: Store): void {
  app.decorateRequest("workspace", null as unknown as Workspace);
  app.addHook("onRequest", async (request) => {
    request.workspace = await authenticate(store, request);
  });
}
