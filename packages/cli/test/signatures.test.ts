import { generateTestHeader, fixtures } from "@medblocks/connect";
import { expect, test } from "vitest";
import { expectOneLineError, json, runCli } from "./support/cli.js";

/** `medblocks sign` and `verify` replay captured deliveries: the body is stdin, exactly as bytes. */

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const event = fixtures.patientFlowCompleted({ patient_id: "user_7" });
const body = `${JSON.stringify(event, null, 2)}`;

test("sign prints the SDK's Medblocks-Signature for the exact bytes; verify accepts it", async () => {
  const timestamp = Math.floor(Date.now() / 1000);
  const signed = await runCli(["sign", "--secret", SECRET, "--timestamp", String(timestamp)], { input: body });
  expect(signed.code, signed.stderr).toBe(0);
  const header = signed.stdout.trim();
  expect(signed.stdout).toBe(`${await generateTestHeader({ payload: body, secret: SECRET, timestamp })}\n`);
  expect(header).toMatch(new RegExp(`^t=${timestamp},v1=[0-9a-f]{64}$`));

  const [valid, validJson, tampered, tamperedJson, wrongSecret] = await Promise.all([
    runCli(["verify", "--secret", SECRET, "--signature", header], { input: body }),
    runCli(["verify", "--signature", header, "--json"], { input: body, env: { MEDBLOCKS_WEBHOOK_SECRET: SECRET } }),
    runCli(["verify", "--secret", SECRET, "--signature", header], { input: body.replace("user_7", "user_8") }),
    runCli(["verify", "--secret", SECRET, "--signature", header, "--json"], { input: body.replace("user_7", "user_8") }),
    runCli(["verify", "--secret", `${SECRET}x`, "--signature", header], { input: body }),
  ]);
  expect(valid.code, valid.stderr).toBe(0);
  expect(valid.stdout).toMatch(new RegExp(`^Valid patient_flow\\.completed ${event.id} \\(signed \\d+s ago\\)\\n$`));
  expect(json(validJson)).toEqual({ valid: true, id: event.id, type: "patient_flow.completed", timestamp });

  expect(expectOneLineError(tampered)).toMatch(/^error: no_matching_signature: /);
  expect(tampered.stdout).toBe("");
  expect(tamperedJson.code).toBe(1);
  expect(json(tamperedJson)).toMatchObject({ valid: false, reason: "no_matching_signature", message: expect.any(String) });
  expect(expectOneLineError(wrongSecret)).toMatch(/^error: no_matching_signature: /);
}, 60_000);

test("old captures: outside the default 300 s tolerance unless --tolerance Infinity or --no-tolerance", async () => {
  const old = Math.floor(Date.now() / 1000) - 3600;
  const header = await generateTestHeader({ payload: body, secret: SECRET, timestamp: old });
  const [strict, infinite, none, wide, malformed, missing] = await Promise.all([
    runCli(["verify", "--secret", SECRET, "--signature", header], { input: body }),
    runCli(["verify", "--secret", SECRET, "--signature", header, "--tolerance", "Infinity"], { input: body }),
    runCli(["verify", "--secret", SECRET, "--signature", header, "--no-tolerance", "--json"], { input: body }),
    runCli(["verify", "--secret", SECRET, "--signature", header, "--tolerance", "7200"], { input: body }),
    runCli(["verify", "--secret", SECRET, "--signature", "v1=abc"], { input: body }),
    runCli(["verify", "--signature", header], { input: body, env: { MEDBLOCKS_WEBHOOK_SECRET: "" } }),
  ]);
  expect(expectOneLineError(strict)).toMatch(/^error: timestamp_outside_tolerance: /);
  expect(infinite.code, infinite.stderr).toBe(0);
  expect(json(none)).toMatchObject({ valid: true, id: event.id, timestamp: old });
  expect(wide.code).toBe(0);
  expect(expectOneLineError(malformed)).toMatch(/^error: malformed_header: /);
  expect(expectOneLineError(missing)).toContain("--secret");
}, 60_000);

test("a trailing newline is part of the body unless --trim-newline; verify says when it is the culprit", async () => {
  const header = await generateTestHeader({ payload: body, secret: SECRET });
  const [saved, trimmed, signedWithNewline] = await Promise.all([
    runCli(["verify", "--secret", SECRET, "--signature", header], { input: `${body}\n` }),
    runCli(["verify", "--secret", SECRET, "--signature", header, "--trim-newline"], { input: `${body}\r\n` }),
    runCli(["sign", "--secret", SECRET, "--timestamp", "1700000000", "--json"], { input: `${body}\n` }),
  ]);
  const line = expectOneLineError(saved);
  expect(line).toMatch(/^error: no_matching_signature: /);
  expect(line).toContain("pass --trim-newline");
  expect(trimmed.code, trimmed.stderr).toBe(0);
  expect(json(signedWithNewline)).toEqual({ signature: await generateTestHeader({ payload: `${body}\n`, secret: SECRET, timestamp: 1700000000 }), timestamp: 1700000000 });
}, 60_000);

test("binary bodies are signed byte for byte", async () => {
  const bytes = Buffer.from([0x7b, 0xff, 0x00, 0xc3, 0x28, 0x7d]);
  const signed = await runCli(["sign", "--secret", SECRET, "--timestamp", "1700000000"], { input: bytes });
  expect(signed.stdout.trim()).toBe(await generateTestHeader({ payload: new Uint8Array(bytes), secret: SECRET, timestamp: 1700000000 }));
  // Signed correctly but not JSON: the signature matches, the body is not an event.
  const verified = await runCli(["verify", "--secret", SECRET, "--signature", signed.stdout.trim(), "--no-tolerance"], { input: bytes });
  expect(expectOneLineError(verified)).toMatch(/^error: invalid_body: /);
}, 60_000);
