import { Worker } from "node:worker_threads";
import { AttemptNotStartedError, type Delivery, type SendResult, type Sender, type SenderOptions } from "./sender.js";
import type { WireCaps } from "./wire-queue.js";

/**
 * The sender on a thread of its own. Signing and HTTP take about as much CPU per delivery as the
 * queue's database work; on one thread the two take turns, on two they overlap. The dispatcher and
 * the store stay on the main thread; the thread gets what an attempt needs (URL, payload, secrets,
 * mode, the start time on the service's clock) and answers with the attempt's result. Sends and
 * results cross in batches (one message per turn of each side's event loop), so the crossing costs
 * little beside the attempt.
 */

export interface ThreadedSenderOptions extends SenderOptions {
  /**
   * Caps on the attempts on the wire, for attempts that name their endpoint: the dispatcher may
   * hand over more, which wait in the thread for a free slot. Without caps every attempt goes out
   * at once.
   */
  wire?: WireCaps;
}

/** What the sender thread is started with: the sender's options, as data. */
export type SenderThreadData = Omit<ThreadedSenderOptions, "clock">;

export interface SendJob {
  id: number;
  delivery: Delivery;
  startedAt: number;
}

/** `release` gives back the attempts waiting for the wire: every endpoint's, or the one named. */
export type ToSenderThread = { type: "send"; jobs: SendJob[] } | { type: "release"; endpointId?: string } | { type: "close" };

/**
 * The result of a job, why it failed (a sender that threw: bad input, never the receiver), or that
 * it was given back before it started.
 */
export type JobOutcome = { id: number; result: SendResult } | { id: number; error: string } | { id: number; notStarted: true };

export type FromSenderThread = { type: "ready" } | { type: "results"; outcomes: JobOutcome[] };

export class SenderThreadError extends Error {
  override readonly name = "SenderThreadError";
}

interface Running {
  worker: Worker;
  /** Settles when the thread has loaded and listens, or has died trying. */
  ready: Promise<void>;
  failed: (error: Error) => void;
}

interface Waiter {
  resolve: (result: SendResult) => void;
  reject: (error: Error) => void;
}

/** Starts a sender thread; tests pass one that fails on purpose. */
export type SpawnSenderThread = (data: SenderThreadData) => Worker;

export function createThreadedSender(options: ThreadedSenderOptions, spawn: SpawnSenderThread = spawnSenderThread): Sender {
  // The clock stays here: the thread gets each attempt's start time instead.
  const { clock = Date.now, ...data }: ThreadedSenderOptions = options;
  const waiting = new Map<number, Waiter>();
  let thread: Running | null = null;
  let outbox: SendJob[] = [];
  let nextId = 0;
  let closed: Promise<void> | null = null;

  function start(): Running {
    const worker = spawn(data);
    let loaded!: () => void;
    let failed!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      loaded = resolve;
      failed = reject;
    });
    // Nobody may be waiting for it: a thread that dies before it is ready is reported to whoever is.
    ready.catch(() => {});
    const running: Running = { worker, ready, failed };
    worker.on("message", (message: FromSenderThread) => {
      if (message.type === "ready") {
        loaded();
        if (waiting.size === 0) worker.unref();
        return;
      }
      for (const outcome of message.outcomes) {
        const waiter = waiting.get(outcome.id);
        waiting.delete(outcome.id);
        if ("result" in outcome) waiter?.resolve(outcome.result);
        else if ("error" in outcome) waiter?.reject(new SenderThreadError(outcome.error));
        else waiter?.reject(new AttemptNotStartedError("Given back before it started: nothing was sent."));
      }
      // An idle thread does not keep the process alive (its sockets are the thread's own).
      if (waiting.size === 0) worker.unref();
    });
    worker.on("error", (error) => lost(running, error.message));
    worker.on("exit", (code) => lost(running, `exited with code ${code}`));
    return running;
  }

  /**
   * The thread died. Its attempts fail here without an outcome, so none is recorded against the
   * endpoint: the dispatcher leaves each claim to its lease, and the event is attempted again. The
   * next send starts a new thread.
   */
  function lost(running: Running, reason: string): void {
    running.failed(new SenderThreadError(`The delivery thread could not start: ${reason}`));
    if (thread !== running) return;
    thread = null;
    outbox = [];
    const failed = [...waiting.values()];
    waiting.clear();
    for (const waiter of failed) waiter.reject(new SenderThreadError(`The delivery thread stopped before answering: ${reason}`));
  }

  function flush(): void {
    const jobs = outbox;
    outbox = [];
    if (jobs.length > 0) thread?.worker.postMessage({ type: "send", jobs } satisfies ToSenderThread);
  }

  // Started at once: loading the thread takes a moment, which the first claims' leases should not pay.
  thread = start();

  return {
    ready(): Promise<void> {
      if (closed) return Promise.reject(new SenderThreadError("The sender is closed."));
      thread ??= start();
      return thread.ready;
    },
    send(delivery: Delivery, startedAt = clock()): Promise<SendResult> {
      if (closed) return Promise.reject(new SenderThreadError("The sender is closed."));
      return new Promise<SendResult>((resolve, reject) => {
        const id = nextId++;
        thread ??= start();
        if (waiting.size === 0) thread.worker.ref();
        waiting.set(id, { resolve, reject });
        // Every send of this synchronous stretch (a dispatcher's pump starts many) goes in one message.
        if (outbox.push({ id, delivery, startedAt }) === 1) queueMicrotask(flush);
      });
    },
    releaseWaiting(endpointId?: string): void {
      // After the sends of this synchronous stretch, so none of them is missed.
      flush();
      thread?.worker.postMessage({ type: "release", ...(endpointId !== undefined && { endpointId }) } satisfies ToSenderThread);
    },
    close(): Promise<void> {
      closed ??= (async () => {
        const worker = thread?.worker;
        if (!worker) return;
        flush();
        // The thread finishes the attempts it has (each within its deadline), answers them, closes
        // its connections and ends.
        worker.ref();
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        worker.postMessage({ type: "close" } satisfies ToSenderThread);
        await exited;
      })();
      return closed;
    },
  };
}

/**
 * Starts the thread from the build. Under the test suite, which runs the TypeScript sources, the
 * thread compiles its entry and the workspace's sources with tsx, so it never runs a stale build.
 */
export function spawnSenderThread(data: SenderThreadData): Worker {
  const fromSources = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSources ? "./sender-thread.ts" : "./sender-thread.js", import.meta.url);
  if (!fromSources) return new Worker(entry, { workerData: data });
  const tsx = import.meta.resolve("tsx/esm/api");
  const load = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(entry.href)}))`;
  return new Worker(load, { eval: true, workerData: data, execArgv: ["--conditions=@medblocks/source"] });
}
