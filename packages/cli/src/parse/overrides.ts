/**
 * `--override key=value` for `medblocks trigger`. The value is JSON when it parses as JSON
 * (`total=12`, `metadata={"a":1}`, `connection_id=null`), else the text as typed. A dotted key
 * reaches into nested objects (`metadata.source=cli`), `connections.0.status=failed` into arrays.
 */

export interface Override {
  path: string[];
  value: unknown;
}

export function parseOverride(text: string): Override {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`--override expects key=value, got '${text}'`);
  const key = text.slice(0, eq).trim();
  const path = key.split(".");
  if (path.some((part) => part === "")) throw new Error(`--override key '${key}' has an empty part`);
  if (path.some((part) => part === "__proto__" || part === "constructor" || part === "prototype")) {
    throw new Error(`--override key '${key}' is not allowed`);
  }
  return { path, value: parseValue(text.slice(eq + 1)) };
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Splits overrides into top-level fields (handed to the fixture builder, which keeps related fields
 * consistent, e.g. `patient_id` in a flow's connections) and nested ones (applied afterwards).
 */
export function splitOverrides(overrides: Override[]): { topLevel: Record<string, unknown>; nested: Override[] } {
  const topLevel: Record<string, unknown> = {};
  const nested: Override[] = [];
  for (const o of overrides) {
    if (o.path.length === 1) topLevel[o.path[0]!] = o.value;
    else nested.push(o);
  }
  return { topLevel, nested };
}

/** Sets `value` at `path` inside `target`, creating objects on the way (arrays are indexed). */
export function applyOverride(target: Record<string, unknown>, { path, value }: Override): void {
  let node: Record<string, unknown> = target;
  for (const [index, part] of path.slice(0, -1).entries()) {
    const next = node[part];
    if (next === null || typeof next !== "object") {
      if (next !== undefined) {
        throw new Error(`--override ${path.join(".")}: '${path.slice(0, index + 1).join(".")}' is ${JSON.stringify(next)}, not an object`);
      }
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
