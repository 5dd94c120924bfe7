// Bundle and minify the front end into dist/: the only files the final image needs.
import { build } from "esbuild";
import { copyFile, mkdir } from "node:fs/promises";

await mkdir("dist", { recursive: true });
await build({ entryPoints: ["src/main.js"], bundle: true, minify: true, outfile: "dist/main.js" });
await copyFile("src/index.html", "dist/index.html");
console.log("built dist/index.html and dist/main.js");
