import { parentPort, workerData } from "node:worker_threads";
import { createSender } from "./sender.js";
import type { FromSenderThread, JobOutcome, SenderThreadData, ToSenderThread } from "./threaded-sender.js";

/** The sender thread's entry (see threaded-sender.ts): runs the jobs it is sent, answers in batches. */

const port = parentPort!;
const sender = createSender(workerData as SenderThreadData);
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
  if (message.type === "close") {
    closing = true;
    if (inFlight === 0) void shutdown();
    return;
  }
  for (const { id, delivery, startedAt } of message.jobs) {
    inFlight++;
    sender.send(delivery, startedAt).then(
      (result) => answer({ id, result }),
      (error: unknown) => answer({ id, error: error instanceof Error ? error.message : String(error) }),
    );
  }
});
port.postMessage({ type: "ready" } satisfies FromSenderThread);
