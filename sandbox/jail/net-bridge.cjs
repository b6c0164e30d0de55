// Runs inside a jail whose network namespace has only loopback: it listens on 127.0.0.1:<port> and carries each
// connection to the allow-listing proxy's Unix socket, which the server bound into the jail. Programs that ignore
// the proxy variables find no route anywhere else. Started by the jail's entry script; dies with the jail.
"use strict";
const net = require("node:net");
const fs = require("node:fs");
const [port, socketPath, readyFile] = process.argv.slice(2);
const server = net.createServer((inside) => {
  const outside = net.connect(socketPath);
  inside.pipe(outside).pipe(inside);
  const close = () => {
    inside.destroy();
    outside.destroy();
  };
  inside.on("error", close);
  outside.on("error", close);
});
server.listen(Number(port), "127.0.0.1", () => fs.writeFileSync(readyFile, "ready"));
