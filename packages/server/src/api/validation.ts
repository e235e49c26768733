import { Ajv, type Options } from "ajv";
import addFormats from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

/**
 * Request validation. Bodies are checked strictly: no type coercion and no silent removal of
 * unknown fields, so `{"limit":"5"}` or a misspelt field is an error with a `param` instead of a
 * surprise. Query strings and path parameters arrive as text, so there numbers are coerced.
 */

const common: Options = { allErrors: false, useDefaults: true, removeAdditional: false, strict: false };

function withFormats(ajv: Ajv): Ajv {
  (addFormats as unknown as (ajv: Ajv) => Ajv)(ajv);
  return ajv;
}

const strict = withFormats(new Ajv({ ...common, coerceTypes: false }));
const coercing = withFormats(new Ajv({ ...common, coerceTypes: true }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === "body" ? strict : coercing).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
