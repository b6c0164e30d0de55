import { z } from "zod";

/** What `npm run dev` listens on: named in the hint, never used silently. */
export const DEV_URL = "http://127.0.0.1:8787";

/** `~/.config/asm/config.json` (or the file named by ASM_CONFIG). */
const ConfigFileSchema = z.object({
  url: z.string().url().optional(),
  api_key: z.string().min(1).optional(),
  apiKey: z.string().min(1).optional(),
});

export type CliConfig = { url: string; apiKey: string | undefined; sources: { url: string; apiKey: string } };

export type ConfigInputs = {
  flags: { url?: string | undefined; apiKey?: string | undefined };
  env: Record<string, string | undefined>;
  /** Reads a file's text, or returns null when it does not exist. */
  readFile: (path: string) => string | null;
  homeDir: string;
};

export function configPath(env: Record<string, string | undefined>, homeDir: string): string {
  return env.ASM_CONFIG || `${env.XDG_CONFIG_HOME || `${homeDir}/.config`}/asm/config.json`;
}

/**
 * Flags, then environment (ASM_URL, ASM_API_KEY), then the config file. No URL anywhere is an error that says how
 * to set one: a silent default would talk to whatever happens to listen on that port.
 */
export function resolveConfig(inputs: ConfigInputs): CliConfig {
  const path = configPath(inputs.env, inputs.homeDir);
  const text = inputs.readFile(path);
  let file: z.infer<typeof ConfigFileSchema> = {};
  if (text !== null) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(`${path} is not valid JSON`);
    }
    const parsed = ConfigFileSchema.safeParse(json);
    if (!parsed.success)
      throw new ConfigError(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    file = parsed.data;
  }
  const pick = (flag: string | undefined, env: string | undefined, fromFile: string | undefined): [string | undefined, string] =>
    flag ? [flag, "flag"] : env ? [env, "env"] : fromFile ? [fromFile, `file ${path}`] : [undefined, "none"];
  const [url, urlSource] = pick(inputs.flags.url, inputs.env.ASM_URL, file.url);
  const [apiKey, keySource] = pick(inputs.flags.apiKey, inputs.env.ASM_API_KEY, file.api_key ?? file.apiKey);
  if (!url) {
    throw new ConfigError(
      `no server configured: pass --url URL, set ASM_URL, or write {"url": "…", "api_key": "…"} to ${path} (a local \`npm run dev\` listens on ${DEV_URL})`,
    );
  }
  return { url, apiKey, sources: { url: urlSource, apiKey: keySource } };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
