/**
 * Builds the console page: bundles console/main.ts (with client/browser.ts and its
 * dependencies) for browsers with esbuild, and copies index.html and style.css beside it.
 *
 *   npm run build:console        # -> dist/console/{index.html,style.css,main.js}
 */
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

/** Where `npm run build:console` writes the page. */
export const defaultOutDir = resolve(here, "..", "dist", "console");

/** Builds the page into outDir (emptied first) and returns that directory. */
export async function buildConsole(outDir: string = defaultOutDir): Promise<string> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [join(here, "main.ts")],
    outfile: join(outDir, "main.js"),
    tsconfig: join(here, "tsconfig.json"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
  });
  await Promise.all(["index.html", "style.css"].map((file) => copyFile(join(here, file), join(outDir, file))));
  return outDir;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outDir = await buildConsole();
  console.log(`console built in ${outDir}`);
}
