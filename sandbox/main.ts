import { startSandboxServer } from "./server";

/** Entry point: `tsx sandbox/main.ts` (and the container image). Configuration comes from the environment. */

const token = process.env.SANDBOX_TOKEN;
if (!token) {
  console.error("SANDBOX_TOKEN is required");
  process.exit(1);
}
const port = Number(process.env.SANDBOX_PORT ?? 8788);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`SANDBOX_PORT is not a valid port: ${process.env.SANDBOX_PORT}`);
  process.exit(1);
}

const server = await startSandboxServer({
  port,
  host: process.env.SANDBOX_HOST || "127.0.0.1",
  token,
  root: process.env.SANDBOX_ROOT || "./.asm-sandbox",
});
console.log(`sandbox listening on ${server.url}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
