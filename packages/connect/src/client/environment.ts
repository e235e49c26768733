/**
 * Reads one environment variable where the runtime has an environment: the `env` of a `process`
 * global (Node, Bun, Vercel Edge, Workers with nodejs_compat) or of `Deno`. Feature detection on `globalThis` only:
 * no `node:` import, and on runtimes with neither (a Worker without nodejs_compat, a browser) the
 * answer is simply `undefined`; there, pass the settings to the constructor.
 */
interface RuntimeGlobals {
  process?: { env?: Record<string, string | undefined> };
  Deno?: { env?: { get?(name: string): string | undefined } };
}

export function readEnvironment(name: string): string | undefined {
  const { process: nodeLike, Deno: deno } = globalThis as RuntimeGlobals;
  try {
    const value = nodeLike?.env?.[name] ?? deno?.env?.get?.(name);
    return typeof value === "string" ? value : undefined;
  } catch {
    // Deno without --allow-env throws rather than answering.
    return undefined;
  }
}
