import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";

/** A TCP relay to a local port whose connections a test can cut, to see a client reconnect. */
export interface TcpProxy {
  url: string;
  /** Destroys every open connection (new ones are still accepted). */
  dropAll(): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    dropAll() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    connections: () => pairs.size,
    close() {
      this.dropAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
