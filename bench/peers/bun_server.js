// A Bun pub/sub chat server: Bun.serve's WebSocket server is uWebSockets underneath, and
// publish() fans out in native code. Run: bun bun_server.js PORT [CERT KEY]
// With CERT and KEY (PEM files) it serves wss: (Bun.serve's tls option), as parley does with
// --tls-cert and --tls-key: the TLS fanout row of scripts/bench.
const port = Number(process.argv[2] || 8002);
const [cert, key] = process.argv.slice(3, 5);

Bun.serve({
  hostname: '127.0.0.1',
  port,
  ...(cert && key ? { tls: { cert: Bun.file(cert), key: Bun.file(key) } } : {}),
  fetch(req, server) {
    if (server.upgrade(req)) return;
    return new Response('upgrade required', { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    open(ws) {
      ws.subscribe('general');
    },
    message(ws, message) {
      // publish() skips the sender; send it back too, as every other peer does.
      ws.publish('general', message);
      ws.send(message);
    },
  },
});
console.log(`bun listening on ${port}${cert && key ? ' (TLS)' : ''}`);
