import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";

/**
 * The server package's test support (real databases, the real service on a random port, real
 * receivers on 127.0.0.1), typed here by what the SDK's tests use. It is loaded by a computed path
 * so that type checking this package does not pull in the server's sources, which are checked
 * under the server's own settings.
 */

export type DatabaseKind = "sqlite" | "postgres";

export interface TestDatabase {
  kind: DatabaseKind;
  url: string;
  dispose(): Promise<void>;
}

export interface TestService {
  url: string;
  mintKey(organization: string, mode?: "sandbox" | "live"): Promise<string>;
  close(): Promise<void>;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export type Behaviour = (request: IncomingMessage, response: ServerResponse, body: string) => void | Promise<void>;

export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  respondWith(behaviour: Behaviour): void;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

interface DatabasesModule {
  createTestDatabase(kind: DatabaseKind): Promise<TestDatabase>;
  describeEachDatabase(title: string, fn: (kind: DatabaseKind) => void): void;
}
interface ServiceModule {
  startTestService(db: TestDatabase, env?: Record<string, string>): Promise<TestService>;
}
interface ReceiverModule {
  startReceiver(behaviour?: Behaviour): Promise<TestReceiver>;
  answer(status: number, body?: string, headers?: Record<string, string>): Behaviour;
  hang: Behaviour;
  reset: Behaviour;
}

const supportDir = new URL("../../../server/test/support/", import.meta.url).href;
const load = <T>(file: string): Promise<T> => import(/* @vite-ignore */ supportDir + file) as Promise<T>;

export const { createTestDatabase, describeEachDatabase } = await load<DatabasesModule>("databases.ts");
export const { startTestService } = await load<ServiceModule>("service.ts");
export const { startReceiver, answer, hang, reset } = await load<ReceiverModule>("receiver.ts");
