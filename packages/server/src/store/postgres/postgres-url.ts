/** A PostgreSQL URL split into what pg understands and the schema this store works in. */
export interface PostgresTarget {
  /** The URL without the `schema` parameter (pg would pass unknown parameters to the server). */
  connectionString: string;
  /** From `?schema=`; undefined means the server's search_path decides. */
  schema?: string;
  /** Server options pg sends at connect (`-c search_path=…`, plus any `options` the URL had). */
  options?: string;
}

// Kept to unquoted-identifier form so the name is safe inside `-c search_path=` and needs no quoting
// anywhere (PostgreSQL folds unquoted names to lower case, so upper case would be a trap).
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The message leaves the URL out: it may carry a password.
    throw new Error("DATABASE_URL is not a valid URL: expected postgres://user:password@host:5432/database");
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  if (schema === undefined) return { connectionString: url };
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(
      `Invalid schema "${schema}" in DATABASE_URL: use lower-case letters, digits and underscores, ` +
        "not starting with a digit, at most 63 characters",
    );
  }
  // pg lets parameters in the URL override the config object, so an `options` parameter would
  // silently drop the search_path; fold it into ours instead.
  const urlOptions = parsed.searchParams.get("options");
  parsed.searchParams.delete("schema");
  parsed.searchParams.delete("options");
  const options = [urlOptions, `-c search_path=${schema}`].filter((o) => o).join(" ");
  return { connectionString: parsed.toString(), schema, options };
}
