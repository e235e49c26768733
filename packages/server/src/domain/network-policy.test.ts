import { describe, expect, test } from "vitest";
import { addressRefusal, classifyAddress, ipLiteral } from "./network-policy.js";

describe("network policy", () => {
  test.each([
    ["93.184.216.34", "public"],
    ["2606:4700::1", "public"],
    ["127.0.0.1", "loopback"],
    ["127.9.9.9", "loopback"],
    ["::1", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.5.4", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "private"],
    ["100.64.0.1", "private"],
    ["fd12::1", "private"],
    ["fe80::1", "private"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:8.8.8.8", "public"],
    ["0.0.0.0", "forbidden"],
    ["::", "forbidden"],
    ["224.0.0.251", "forbidden"],
    ["255.255.255.255", "forbidden"],
    ["192.0.2.1", "forbidden"],
    ["2002:a00:1::", "forbidden"],
    ["not-an-ip", "forbidden"],
  ])("%s is %s", (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  test("sandbox may reach loopback; private networks only when the operator allows them", () => {
    expect(addressRefusal("127.0.0.1", { mode: "sandbox", allowPrivateNetworks: false })).toBeNull();
    expect(addressRefusal("127.0.0.1", { mode: "live", allowPrivateNetworks: false })).toContain("loopback");
    expect(addressRefusal("10.0.0.1", { mode: "sandbox", allowPrivateNetworks: false })).toContain("MEDBLOCKS_ALLOW_PRIVATE_NETWORKS");
    expect(addressRefusal("10.0.0.1", { mode: "live", allowPrivateNetworks: true })).toBeNull();
    expect(addressRefusal("127.0.0.1", { mode: "live", allowPrivateNetworks: true })).toBeNull();
    // Never routable, whatever the operator says.
    expect(addressRefusal("0.0.0.0", { mode: "sandbox", allowPrivateNetworks: true })).not.toBeNull();
    expect(addressRefusal("224.0.0.1", { mode: "live", allowPrivateNetworks: true })).not.toBeNull();
  });

  test("ipLiteral reads bracketed IPv6 and dotted IPv4 hostnames, and nothing else", () => {
    expect(ipLiteral("[::1]")).toBe("::1");
    expect(ipLiteral("10.0.0.1")).toBe("10.0.0.1");
    expect(ipLiteral("hooks.example.com")).toBeNull();
  });
});
