#!/usr/bin/env node
// node-postgres tells Node from Cloudflare Workers by navigator.userAgent,
// else by touching the global Response, which in Node 20 first loads the
// whole fetch implementation: about 100 ms of every command that opens a
// database. Node 21 and later define navigator.userAgent themselves; this
// gives Node 20 the same answer, before anything imports pg.
globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node.split(".")[0]}` };
const { run } = await import("../dist/cli.js");
await run();
