/** Global flags may come before the command (`asm --url U sessions list`): they are moved after it for parsing. */
const VALUED = new Set(["--url", "--api-key"]);
const SWITCHES = new Set(["--json", "--help", "-h", "--version", "-V"]);

export function splitGlobals(argv: string[]): { name: string | undefined; rest: string[] } {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const key = arg.split("=")[0]!;
    if (VALUED.has(key)) {
      globals.push(arg);
      if (!arg.includes("=")) globals.push(argv[i + 1] ?? "");
      i += arg.includes("=") ? 1 : 2;
    } else if (SWITCHES.has(arg) && i + 1 < argv.length && !argv.slice(i + 1).every((a) => SWITCHES.has(a))) {
      globals.push(arg);
      i += 1;
    } else break;
  }
  const [name, ...rest] = argv.slice(i);
  // Before any `--`, after which everything is the run's input.
  const dash = rest.indexOf("--");
  const at = dash === -1 ? rest.length : dash;
  return { name, rest: [...rest.slice(0, at), ...globals, ...rest.slice(at)] };
}
