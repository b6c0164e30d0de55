export function parseDevVars(text: string): Record<string, string>;
export function wranglerEnvArg(args: readonly string[]): string | undefined;
export function readDevVars(dir: string, env?: string): Record<string, string>;
