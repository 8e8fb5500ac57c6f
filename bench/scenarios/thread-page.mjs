/**
 * Scenarios 1, 2 and 6: the thread page query against crosswire, the naive build (DataLoader off) and the
 * floor, all three serving the same generated thread.
 */
import { isDeepStrictEqual } from "node:util";
import { graphqlRequest, interleave, ratio } from "../load.mjs";
import { THREAD_PAGE, threadId } from "../queries.mjs";

/** Thread 1 holds 100 posts (scenario 1), thread 2 holds 1,000 (scenarios 2 and 6 page through it). */
const variables = (thread, first) => ({ id: threadId(thread), first });

async function ask(port, thread, first) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: THREAD_PAGE, variables: variables(thread, first) }),
  });
  return { status: res.status, body: await res.json() };
}

/** Where two JSON values first differ, as a path (for the error message when answers are not the same). */
function firstDifference(a, b, path = "$") {
  if (isDeepStrictEqual(a, b)) return null;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${path}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`;
  }
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const found = firstDifference(a[key], b[key], Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`);
    if (found) return found;
  }
  return `${path}: differs`;
}

/** Every side must give the very same answer before its speed means anything. */
export async function checkSameAnswers(servers, thread, first, others = ["floor", "naive"]) {
  const [crosswire, ...answers] = await Promise.all([servers.crosswire, ...others.map((n) => servers[n])].map((s) => ask(s.port, thread, first)));
  if (crosswire.status !== 200 || crosswire.body.errors) throw new Error(`crosswire answered ${crosswire.status}: ${JSON.stringify(crosswire.body).slice(0, 400)}`);
  const edges = crosswire.body.data.thread.posts.edges;
  if (edges.length !== first) throw new Error(`crosswire returned ${edges.length} posts, expected ${first}`);
  const unresolved = edges.flatMap((e) => e.node.citations).filter((c) => !c.article).length;
  if (unresolved) throw new Error(`${unresolved} citations have no article: the articles were not ingested`);
  for (const [name, other] of others.map((n, i) => [n, answers[i]])) {
    const diff = firstDifference(crosswire.body, other.body);
    if (diff) throw new Error(`crosswire and ${name} answer the thread query differently at ${diff}`);
  }
  return Buffer.byteLength(JSON.stringify(crosswire.body));
}

/** Scenario 1. */
export async function warmThreadPage(env, servers) {
  const first = 100;
  const responseBytes = await checkSameAnswers(servers, 1, first);
  const targets = Object.fromEntries(["crosswire", "naive", "floor"].map((n) => [n, graphqlRequest(servers[n].port, THREAD_PAGE, variables(1, first))]));
  const results = await interleave(targets, { ...env.timing.warm, connections: env.connections, log: env.log });
  return {
    posts: first,
    citationsPerPost: 3,
    responseBytes,
    connections: env.connections,
    ...results,
    ratios: { crosswireOverFloor: ratio(results.crosswire, results.floor), naiveOverCrosswire: ratio(results.naive, results.crosswire) },
  };
}

/** Scenario 2: SQL statements (forum store and keyv store) for one query, batched and naive. */
export async function roundTrips(env, servers) {
  const sizes = [10, 100, 500];
  const series = { crosswire: [], naive: [] };
  for (const posts of sizes) {
    for (const name of ["crosswire", "naive"]) {
      const server = servers[name];
      await server.call("countStart");
      const answer = await ask(server.port, 2, posts);
      const counted = await server.call("countStop");
      if (answer.body.errors) throw new Error(`${name} failed at ${posts} posts: ${JSON.stringify(answer.body.errors).slice(0, 300)}`);
      series[name].push({ posts, calls: counted.forum + counted.cache, forum: counted.forum, cache: counted.cache, statements: name === "crosswire" ? counted.statements : undefined });
    }
  }
  return { sizes, ...series };
}

/** Scenario 6: the same query at 10, 100 and 1,000 posts per page, crosswire and floor interleaved. */
export async function scaling(env, servers) {
  const sizes = [10, 100, 1000];
  await checkSameAnswers(servers, 2, 1000);
  const targets = {};
  for (const first of sizes) {
    for (const name of ["crosswire", "floor"]) targets[`${name}@${first}`] = graphqlRequest(servers[name].port, THREAD_PAGE, variables(2, first));
  }
  // One connection: latency is then the time the server spends on one request, with no queue in it.
  const connections = 1;
  const results = await interleave(targets, { ...env.timing.scaling, connections, log: env.log });
  const out = { sizes, connections };
  for (const name of ["crosswire", "floor"]) {
    const points = sizes.map((posts) => {
      const r = results[`${name}@${posts}`];
      return { posts, rps: r.rps, p50: r.p50, p99: r.p99, mean: r.mean, responses: r.responses, unexpected: r.unexpected, errors: r.errors, roundRps: r.roundRps };
    });
    const perPost = (a, b) => ((b.p50 - a.p50) * 1000) / (b.posts - a.posts);
    const marginal = { "10→100": perPost(points[0], points[1]), "100→1000": perPost(points[1], points[2]) };
    out[name] = { points, marginalMicrosPerPost: marginal, superlinearity: marginal["100→1000"] / marginal["10→100"] };
  }
  out.crosswireOverFloor = sizes.map((posts) => ({ posts, ...ratio(results[`crosswire@${posts}`], results[`floor@${posts}`]) }));
  return out;
}
