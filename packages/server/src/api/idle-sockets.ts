import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Tracks, per socket, the requests still being answered, so shutdown can drop every connection
 * that is not serving one (including sockets that connected and never sent a request, which
 * Node's own idle-connection sweep leaves open) while in-flight requests finish normally.
 */
export function trackIdleSockets(server: Server): { destroyIdle(): void } {
  const active = new Map<Socket, number>();
  let closing = false;
  server.on("connection", (socket: Socket) => {
    active.set(socket, 0);
    socket.once("close", () => active.delete(socket));
  });
  server.on("request", (request, response) => {
    const socket = request.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (closing && left === 0) socket.destroy();
    });
  });
  return {
    destroyIdle() {
      closing = true;
      for (const [socket, requests] of active) if (requests === 0) socket.destroy();
    },
  };
}
