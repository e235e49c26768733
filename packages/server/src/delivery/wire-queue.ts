/** How many attempts may be on the wire at once: in all, and for one endpoint. */
export interface WireCaps {
  concurrency: number;
  perEndpoint: number;
}

/**
 * Attempts waiting in the delivery thread for the wire. At most `concurrency` are on the wire at
 * once, and at most `perEndpoint` for one endpoint; the others wait, each endpoint's in the order
 * they came, the endpoints taking turns. The dispatcher hands the thread up to a second round of
 * attempts, so a slot that frees up is refilled here at once, while the main thread may be busy
 * writing to the store.
 */
export class WireQueue<Job> {
  /** Waiting attempts, per endpoint; an endpoint that gets a slot moves to the back of the turn. */
  readonly #waiting = new Map<string, Job[]>();
  readonly #onWire = new Map<string, number>();
  #total = 0;

  constructor(
    private readonly caps: WireCaps,
    private readonly start: (job: Job) => Promise<unknown>,
  ) {}

  add(endpointId: string, job: Job): void {
    const queue = this.#waiting.get(endpointId);
    if (queue) queue.push(job);
    else this.#waiting.set(endpointId, [job]);
    this.#pump();
  }

  /**
   * Takes the attempts still waiting (in turn order), every endpoint's or one endpoint's, leaving
   * those on the wire to finish.
   */
  takeWaiting(endpointId?: string): Job[] {
    if (endpointId !== undefined) {
      const jobs = this.#waiting.get(endpointId) ?? [];
      this.#waiting.delete(endpointId);
      return jobs;
    }
    const jobs = [...this.#waiting.values()].flat();
    this.#waiting.clear();
    return jobs;
  }

  /** Attempts on the wire now. */
  get onWire(): number {
    return this.#total;
  }

  #pump(): void {
    let progress = true;
    while (progress && this.#waiting.size > 0 && this.#total < this.caps.concurrency) {
      progress = false;
      for (const endpointId of [...this.#waiting.keys()]) {
        if (this.#total >= this.caps.concurrency) return;
        if ((this.#onWire.get(endpointId) ?? 0) >= this.caps.perEndpoint) continue;
        const queue = this.#waiting.get(endpointId)!;
        const job = queue.shift()!;
        // Its turn taken, the endpoint goes to the back, behind those still waiting for theirs.
        this.#waiting.delete(endpointId);
        if (queue.length > 0) this.#waiting.set(endpointId, queue);
        this.#send(endpointId, job);
        progress = true;
      }
    }
  }

  #send(endpointId: string, job: Job): void {
    this.#total++;
    this.#onWire.set(endpointId, (this.#onWire.get(endpointId) ?? 0) + 1);
    const done = () => {
      this.#total--;
      const left = this.#onWire.get(endpointId)! - 1;
      if (left === 0) this.#onWire.delete(endpointId);
      else this.#onWire.set(endpointId, left);
      this.#pump();
    };
    this.start(job).then(done, done);
  }
}
