// PostGraphile v5 reference path for bench/api_baseline.py (issue 13): the default preset over the
// same tables, schema `public`, no auth (no pgSettings, no JWT), no query log, no GraphiQL, no explain.
// The bench starts it as `node_modules/node/bin/node node_modules/.bin/postgraphile -C graphile.config.mjs`
// with BENCH_PGL_DSN (the scratch database) and BENCH_PGL_PORT set.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const connectionString = process.env.BENCH_PGL_DSN;
if (!connectionString) throw new Error("BENCH_PGL_DSN is not set");

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: {
    host: "127.0.0.1",
    port: Number(process.env.BENCH_PGL_PORT ?? 5678),
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
