// Compose subgraphs with the real @apollo/composition (what Rover and GraphOS do).
// stdin: {"subgraphs": [{"name", "url", "sdl"}]}
// stdout: {"ok": true, "supergraphSdl", "hints"} or {"ok": false, "errors": [{"code", "message"}]}
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { subgraphs } = JSON.parse(input);
const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
if (result.errors) {
  const errors = result.errors.map((e) => ({ code: e.extensions?.code ?? null, message: e.message }));
  console.log(JSON.stringify({ ok: false, errors }));
} else {
  const hints = (result.hints ?? []).map((h) => ({ code: h.definition?.code ?? null, message: h.message }));
  console.log(JSON.stringify({ ok: true, supergraphSdl: result.supergraphSdl, hints }));
}
