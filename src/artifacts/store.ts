import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { AppError } from "../core/errors";
import { randomHex } from "../core/ids";
import { artifacts } from "../store/schema";

export type ArtifactRef = { key: string; size: number; sha256: string; content_type: string };

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The R2 artifact store with its D1 index. Every put writes the object and its row (key, tenant, session,
 * run, size, sha256, content type); reads check the tenant on the row before touching R2.
 */
export class ArtifactStore {
  constructor(
    private readonly bucket: R2Bucket,
    private readonly d1: D1Database,
  ) {}

  private objectKey(tenantId: string, key: string): string {
    return `${tenantId}/${key}`;
  }

  async put(p: {
    tenantId: string;
    sessionId: string;
    runId: string | null;
    prefix: string;
    content: string | Uint8Array;
    contentType: string;
  }): Promise<ArtifactRef> {
    const bytes = typeof p.content === "string" ? new TextEncoder().encode(p.content) : p.content;
    const sha256 = await sha256Hex(bytes);
    const key = `${p.prefix}_${randomHex(16)}`;
    await this.bucket.put(this.objectKey(p.tenantId, key), bytes, {
      httpMetadata: { contentType: p.contentType },
      sha256,
      customMetadata: { session_id: p.sessionId, run_id: p.runId ?? "" },
    });
    await drizzle(this.d1).insert(artifacts).values({
      key,
      tenantId: p.tenantId,
      sessionId: p.sessionId,
      runId: p.runId,
      size: bytes.byteLength,
      sha256,
      contentType: p.contentType,
      createdAt: new Date().toISOString(),
    });
    return { key, size: bytes.byteLength, sha256, content_type: p.contentType };
  }

  /** The object and its index row, or `not_found` (also for another tenant's key). */
  async get(tenantId: string, key: string): Promise<{ body: ReadableStream; ref: ArtifactRef; sessionId: string }> {
    const rows = await drizzle(this.d1)
      .select()
      .from(artifacts)
      .where(and(eq(artifacts.tenantId, tenantId), eq(artifacts.key, key)))
      .limit(1);
    const row = rows[0];
    if (!row) throw new AppError("not_found", `Artifact ${key} not found`, { key });
    const object = await this.bucket.get(this.objectKey(tenantId, key));
    if (!object) throw new AppError("not_found", `Artifact ${key} is indexed but its object is missing`, { key });
    return { body: object.body, ref: { key, size: row.size, sha256: row.sha256, content_type: row.contentType }, sessionId: row.sessionId };
  }

  async text(tenantId: string, key: string): Promise<string> {
    const { body } = await this.get(tenantId, key);
    return new Response(body).text();
  }

  async deleteObjects(tenantId: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) await this.bucket.delete(keys.slice(i, i + 1000).map((k) => this.objectKey(tenantId, k)));
  }
}
