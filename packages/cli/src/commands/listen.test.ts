import { expect, test } from "vitest";
import { CliError } from "../output.js";
import { forwardUrl } from "./listen.js";

test("--forward-to takes full URLs and the usual shorthands", () => {
  expect(forwardUrl("http://localhost:3000/webhooks")).toBe("http://localhost:3000/webhooks");
  expect(forwardUrl("https://dev.example.com/hooks")).toBe("https://dev.example.com/hooks");
  expect(forwardUrl("localhost:3000/webhooks")).toBe("http://localhost:3000/webhooks");
  expect(forwardUrl(":3000/webhooks")).toBe("http://127.0.0.1:3000/webhooks");
  expect(forwardUrl("3000")).toBe("http://127.0.0.1:3000/");
  expect(() => forwardUrl("ftp://x/y")).toThrow(CliError);
  expect(() => forwardUrl("http://")).toThrow(/--forward-to/);
});
