import { Readable } from "node:stream";
import { expect, test } from "vitest";
import { readBody, withoutTrailingNewline } from "./signing-input.js";

const bytes = (text: string) => Buffer.from(text, "utf8");

test("the body is read as exact bytes, split chunks and multi-byte characters included", async () => {
  const body = bytes('{"name":"Zoë"}\n');
  const stdin = Readable.from([body.subarray(0, 11), body.subarray(11)]);
  expect((await readBody({}, stdin)).equals(body)).toBe(true);
});

test("--trim-newline removes exactly one trailing newline", async () => {
  expect(withoutTrailingNewline(bytes("{}\n")).toString()).toBe("{}");
  expect(withoutTrailingNewline(bytes("{}\r\n")).toString()).toBe("{}");
  expect(withoutTrailingNewline(bytes("{}\n\n")).toString()).toBe("{}\n");
  expect(withoutTrailingNewline(bytes("{}")).toString()).toBe("{}");
  expect(withoutTrailingNewline(bytes("")).toString()).toBe("");
  expect((await readBody({ trimNewline: true }, Readable.from([bytes("{}\n")]))).toString()).toBe("{}");
});
