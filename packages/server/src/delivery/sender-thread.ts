import { parentPort, workerData } from "node:worker_threads";
import { endpointDisabledBy } from "./retry-schedule.js";
import { AttemptNotStartedError, createSender } from "./sender.js";
import type { FromSenderThread, JobOutcome, SendJob, SenderThreadData, ToSenderThread } from "./threaded-sender.js";
import { WireQueue } from "./wire-queue.js";

/**
 * The sender thread's entry (see threaded-sender.ts): runs the jobs it is sent, within the caps on
 * the wire when it has them, and answers in batches.
 */

const port = parentPort!;
const { wire, ...senderOptions } = workerData as SenderThreadData;
const sender = createSender(senderOptions);

interface Received {
  job: SendJob;
  /** When the job arrived here, on this thread's clock. */
  receivedAt: number;
}

const queue = wire ? new WireQueue<Received>(wire, run) : null;
let outbox: JobOutcome[] = [];
let inFlight = 0;
let closing = false;

/** Every answer that came in during this turn of the event loop goes back in one message. */
function answer(outcome: JobOutcome): void {
  if (outbox.push(outcome) === 1) setImmediate(flush);
  inFlight--;
  if (closing && inFlight === 0) void shutdown();
}

function flush(): void {
  const outcomes = outbox;
  outbox = [];
  if (outcomes.length > 0) port.postMessage({ type: "results", outcomes } satisfies FromSenderThread);
}

async function shutdown(): Promise<void> {
  flush();
  await sender.close();
  port.close();
}

port.on("message", (message: ToSenderThread) => {
  if (message.type === "release") {
    for (const { job } of queue?.takeWaiting(message.endpointId) ?? []) answer({ id: job.id, notStarted: true });
    return;
  }
  if (message.type === "close") {
    closing = true;
    if (inFlight === 0) void shutdown();
    return;
  }
  const receivedAt = performance.now();
  for (const job of message.jobs) {
    inFlight++;
    const endpointId = job.delivery.endpointId;
    if (queue && endpointId !== undefined) queue.add(endpointId, { job, receivedAt });
    else void run({ job, receivedAt });
  }
});

/**
 * Sends a job now; its start on the service's clock is when it was handed over, plus its wait here
 * (a job that waited past its `startBy` goes back unstarted).
 */
function run({ job: { id, delivery, startedAt }, receivedAt }: Received): Promise<void> {
  return sender.send(delivery, startedAt + Math.round(performance.now() - receivedAt)).then(
    (result) => {
      answer({ id, result });
      // An answer that disables its endpoint (410, a failed last attempt) starts none of the
      // endpoint's attempts waiting here: they go back with it, in the same message and after it,
      // so the dispatcher knows the endpoint is being disabled before it hands them back.
      const { endpointId } = delivery;
      if (endpointId !== undefined && endpointDisabledBy(result.outcome, result.statusCode, delivery.lastAttempt ?? false)) {
        for (const { job } of queue?.takeWaiting(endpointId) ?? []) answer({ id: job.id, notStarted: true });
      }
    },
    (error: unknown) =>
      answer(error instanceof AttemptNotStartedError ? { id, notStarted: true } : { id, error: error instanceof Error ? error.message : String(error) }),
  );
}
port.postMessage({ type: "ready" } satisfies FromSenderThread);
