/**
 * A Server-Sent Events parser (the WHATWG event-stream format): feed it text as it arrives, get
 * whole messages back. Lines end in LF, CR or CRLF (a CRLF may be split across chunks); `data`
 * lines join with LF; comments (`: ping`) count as activity but are not messages.
 */

export interface SseMessage {
  /** `message` when the stream gave no `event:` field. */
  event: string;
  data: string;
  /** The last `id:` seen on the stream so far, as the spec's "last event ID". */
  id: string | undefined;
  /** A `retry:` the server asked for, in ms. */
  retry: number | undefined;
}

export class SseParser {
  #buffer = "";
  #pendingCr = false;
  #event = "";
  #data: string[] = [];
  #hasData = false;
  #lastId: string | undefined;
  #retry: number | undefined;

  /** Parses `chunk` and returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CR ended the previous chunk: an LF opening this one belongs to it.
    if (this.#pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const messages: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const char = this.#buffer[i];
      if (char !== "\n" && char !== "\r") continue;
      const line = this.#buffer.slice(start, i);
      if (char === "\r") {
        if (i + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer[i + 1] === "\n") i++;
      }
      start = i + 1;
      const message = this.#line(line);
      if (message) messages.push(message);
    }
    this.#buffer = this.#buffer.slice(start);
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        this.#hasData = true;
        break;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
      default:
      // Unknown fields are ignored, as the format requires.
    }
    return undefined;
  }

  #dispatch(): SseMessage | undefined {
    const message = this.#hasData ? { event: this.#event || "message", data: this.#data.join("\n"), id: this.#lastId, retry: this.#retry } : undefined;
    this.#event = "";
    this.#data = [];
    this.#hasData = false;
    return message;
  }
}
