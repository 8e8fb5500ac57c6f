/** Scenario 5: the river feed (/feeds/river.atom) warm, unconditional and with If-None-Match. */
import { interleave } from "../load.mjs";

export async function syndication(env, servers) {
  const url = `http://127.0.0.1:${servers.crosswire.port}/feeds/river.atom`;
  const first = await fetch(url);
  const body = await first.text();
  if (first.status !== 200) return { available: false, status: first.status, message: body.slice(0, 200).trim() };
  const etag = first.headers.get("etag");
  const entries = (body.match(/<entry>/g) ?? []).length;
  if (!etag) return { available: true, entries, bytes: Buffer.byteLength(body), etag: null, note: "no ETag header: If-None-Match cannot be tested" };
  const check = await fetch(url, { headers: { "if-none-match": etag } });
  await check.arrayBuffer();
  const results = await interleave(
    { unconditional: { url }, conditional: { url, headers: { "if-none-match": etag } } },
    { ...env.timing.syndication, connections: env.connections, log: env.log },
  );
  const conditional = results.conditional;
  return {
    available: true,
    entries,
    bytes: Buffer.byteLength(body),
    firstConditionalStatus: check.status,
    unconditional: results.unconditional,
    conditional,
    share304: (conditional.statuses["304"] ?? 0) / conditional.responses,
  };
}
