import { describe, expect, test } from "vitest";
import { WireQueue } from "./wire-queue.js";

/** A queue whose jobs are named; each stays on the wire until `finish(name)`. */
function harness(caps: { concurrency: number; perEndpoint: number }) {
  const started: string[] = [];
  const pending = new Map<string, () => void>();
  const queue = new WireQueue<string>(caps, (name) => {
    started.push(name);
    return new Promise<void>((resolve) => pending.set(name, resolve));
  });
  const finish = async (name: string) => {
    pending.get(name)!();
    pending.delete(name);
    // Lets the queue see the job settle.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { queue, started, finish };
}

describe("WireQueue", () => {
  test("keeps at most the per-endpoint cap of one endpoint's attempts on the wire, in the order they came", async () => {
    const { queue, started, finish } = harness({ concurrency: 10, perEndpoint: 2 });
    for (const name of ["a1", "a2", "a3", "a4"]) queue.add("a", name);
    expect(started).toEqual(["a1", "a2"]);
    await finish("a2");
    expect(started).toEqual(["a1", "a2", "a3"]);
    await finish("a1");
    expect(started).toEqual(["a1", "a2", "a3", "a4"]);
    expect(queue.onWire).toBe(2);
  });

  test("keeps at most the global cap on the wire, the waiting endpoints taking turns", async () => {
    const { queue, started, finish } = harness({ concurrency: 2, perEndpoint: 2 });
    for (const name of ["a1", "a2", "a3"]) queue.add("a", name);
    for (const name of ["b1", "b2"]) queue.add("b", name);
    queue.add("c", "c1");
    expect(started).toEqual(["a1", "a2"]);
    // Freed slots go to the endpoints in turn, not to the one that came first with the most.
    await finish("a1");
    await finish("a2");
    expect(started).toEqual(["a1", "a2", "a3", "b1"]);
    await finish("a3");
    expect(started.at(-1)).toBe("c1");
    await finish("b1");
    expect(started.at(-1)).toBe("b2");
    expect(queue.onWire).toBe(2);
  });

  test("the waiting attempts can be taken out, in turn order, leaving those on the wire", async () => {
    const { queue, started, finish } = harness({ concurrency: 1, perEndpoint: 1 });
    queue.add("a", "a1");
    queue.add("a", "a2");
    queue.add("b", "b1");
    expect(queue.takeWaiting()).toEqual(["a2", "b1"]);
    await finish("a1");
    expect(started).toEqual(["a1"]);
    expect(queue.onWire).toBe(0);
  });

  test("one endpoint's waiting attempts can be taken out, the others keep their turn", async () => {
    const { queue, started, finish } = harness({ concurrency: 1, perEndpoint: 1 });
    queue.add("a", "a1");
    queue.add("a", "a2");
    queue.add("b", "b1");
    queue.add("c", "c1");
    expect(queue.takeWaiting("a")).toEqual(["a2"]);
    expect(queue.takeWaiting("z")).toEqual([]);
    await finish("a1");
    await finish("b1");
    expect(started).toEqual(["a1", "b1", "c1"]);
  });

  test("an attempt that fails still frees its slot", async () => {
    const started: string[] = [];
    const queue = new WireQueue<string>({ concurrency: 1, perEndpoint: 1 }, async (name) => {
      started.push(name);
      throw new Error("refused");
    });
    queue.add("a", "a1");
    queue.add("a", "a2");
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(["a1", "a2"]);
  });
});
