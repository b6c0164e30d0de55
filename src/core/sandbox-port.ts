import type { ExecChunk, ExecRequest, ExecResult, FileEntry } from "./sandbox-protocol";

/** The sandbox operations providers use (implemented by src/sandbox/client.ts over HTTP); shapes from the wire schemas. */
export interface SandboxPort {
  exec(req: ExecRequest, signal?: AbortSignal): Promise<ExecResult>;
  /** Streams output chunks as they arrive; resolves with the final result (stdout/stderr also accumulated). */
  execStream(req: ExecRequest, onChunk: (chunk: ExecChunk) => void, signal?: AbortSignal): Promise<ExecResult>;
  kill(id: string): Promise<void>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, content: string): Promise<void>;
  listFiles(path: string, opts?: { recursive?: boolean }): Promise<FileEntry[]>;
}
