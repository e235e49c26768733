import { expect, test } from "vitest";
import { applyOverride, parseOverride, splitOverrides } from "./overrides.js";

test("values are JSON when they parse, else the text as typed", () => {
  expect(parseOverride("total=12")).toEqual({ path: ["total"], value: 12 });
  expect(parseOverride("connection_id=null")).toEqual({ path: ["connection_id"], value: null });
  expect(parseOverride('metadata={"a":[1,true]}')).toEqual({ path: ["metadata"], value: { a: [1, true] } });
  expect(parseOverride("patient_id=user_42")).toEqual({ path: ["patient_id"], value: "user_42" });
  expect(parseOverride('patient_id="42"')).toEqual({ path: ["patient_id"], value: "42" });
  expect(parseOverride("error_message=a=b")).toEqual({ path: ["error_message"], value: "a=b" });
  expect(parseOverride("return_button_label=")).toEqual({ path: ["return_button_label"], value: "" });
});

test("bad keys are refused", () => {
  for (const bad of ["total", "=12", "a..b=1", "metadata.=1", "__proto__.x=1", "a.constructor=1"]) {
    expect(() => parseOverride(bad), bad).toThrow(/--override/);
  }
});

test("dotted keys reach nested objects and array items", () => {
  const object: Record<string, unknown> = { metadata: { step: "records" }, connections: [{ status: "active" }], total: 1 };
  for (const text of ["metadata.source=cli", "connections.0.status=failed", "extra.deep.flag=true"]) applyOverride(object, parseOverride(text));
  expect(object).toEqual({
    metadata: { step: "records", source: "cli" },
    connections: [{ status: "failed" }],
    total: 1,
    extra: { deep: { flag: true } },
  });
  expect(() => applyOverride(object, parseOverride("total.x=1"))).toThrow(/'total' is 1, not an object/);
});

test("top-level and nested overrides are told apart", () => {
  const { topLevel, nested } = splitOverrides(["patient_id=p_1", "metadata.a=1", "total=3"].map(parseOverride));
  expect(topLevel).toEqual({ patient_id: "p_1", total: 3 });
  expect(nested).toEqual([{ path: ["metadata", "a"], value: 1 }]);
});
