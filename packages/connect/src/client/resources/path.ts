/** `/webhooks/{id}` and friends: the id checked and encoded, so an empty id can never hit a list route. */
export function pathWithId(prefix: string, id: string, suffix = ""): string {
  if (typeof id !== "string" || id === "") throw new TypeError(`Expected an id (a non-empty string), got ${JSON.stringify(id)}.`);
  return `${prefix}/${encodeURIComponent(id)}${suffix}`;
}
