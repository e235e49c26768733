import { describe, expect, test } from "vitest";
import { SseParser } from "./sse-parser.js";

const all = (chunks: string[]) => {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
};

describe("SseParser", () => {
  test("the listen stream's messages: event, id, JSON data; pings are not messages", () => {
    const stream =
      'event: session\ndata: {"secret":"whsec_x"}\n\n' +
      ": ping\n\n" +
      'id: evt_1\nevent: webhook\ndata: {"id":"evt_1","payload":"{\\"a\\":1}"}\n\n';
    expect(all([stream])).toEqual([
      { event: "session", data: '{"secret":"whsec_x"}', id: undefined, retry: undefined },
      { event: "webhook", data: '{"id":"evt_1","payload":"{\\"a\\":1}"}', id: "evt_1", retry: undefined },
    ]);
  });

  test("a message split anywhere, byte by byte, parses the same", () => {
    const stream = "id: 7\nevent: webhook\ndata: one\ndata: two\n\nevent: session\ndata: x\n\n";
    const whole = all([stream]);
    expect(whole).toEqual([
      { event: "webhook", data: "one\ntwo", id: "7", retry: undefined },
      { event: "session", data: "x", id: "7", retry: undefined },
    ]);
    expect(all(stream.split(""))).toEqual(whole);
    expect(all([stream.slice(0, 20), stream.slice(20, 21), stream.slice(21)])).toEqual(whole);
  });

  test("CR and CRLF line ends, a CRLF split across chunks", () => {
    expect(all(["event: a\r\ndata: 1\r\n\r\n", "data: 2\r", "\n\r", "\n"])).toEqual([
      { event: "a", data: "1", id: undefined, retry: undefined },
      { event: "message", data: "2", id: undefined, retry: undefined },
    ]);
    expect(all(["data: 3\r\rdata: 4\n\n"])).toEqual([
      { event: "message", data: "3", id: undefined, retry: undefined },
      { event: "message", data: "4", id: undefined, retry: undefined },
    ]);
  });

  test("field rules: one space stripped, no colon, unknown fields, retry, no data means no message", () => {
    expect(all(["data:  two spaces\nfoo: bar\ndata\nretry: 1500\nretry: soon\n\nevent: lonely\n\n"])).toEqual([
      { event: "message", data: " two spaces\n", id: undefined, retry: 1500 },
    ]);
  });

  test("an unfinished message is held until its blank line arrives", () => {
    const parser = new SseParser();
    expect(parser.push("event: webhook\ndata: {}\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "webhook", data: "{}", id: undefined, retry: undefined }]);
  });
});
