// tsc emits the declarations with the sources' extensionless relative imports ("./types"); Node's ESM resolution
// (TypeScript's NodeNext) needs full specifiers. Rewrites each relative specifier in dist/types to the file it
// names ("./types.js", "./render/index.js"), so the package's types resolve under NodeNext and bundlers alike.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "dist/types");
const SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']*)\2/g;

function fix(file) {
  const dir = dirname(file);
  const text = readFileSync(file, "utf8");
  const out = text.replace(SPECIFIER, (whole, lead, quote, spec) => {
    if (/\.(js|mjs|cjs|json)$/.test(spec)) return whole;
    if (existsSync(join(dir, `${spec}.d.ts`))) return `${lead}${quote}${spec}.js${quote}`;
    if (existsSync(join(dir, spec, "index.d.ts"))) return `${lead}${quote}${spec}/index.js${quote}`;
    return whole;
  });
  if (out !== text) writeFileSync(file, out);
}

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".d.ts")) fix(path);
  }
}

walk(root);
