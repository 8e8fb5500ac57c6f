/**
 * The bench's data, generated from a seed so every run (and every machine) measures the same thing.
 *
 * One board, threads of the given sizes by `authors` authors; each post cites `citationsPerPost` distinct
 * stories drawn from `sources` news sources. A quarter of the stories are carried by a second source too, so
 * `Article.sources` lists one or two sources. Every URL is already canonical (lower-case host, no query, no
 * trailing slash), so the citation URL, the article key and the feed item link are the same string.
 */

/** mulberry32: small, fast, and the same sequence on every platform for a given seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "harbour crane ferry council budget talks truce market rates storm flood school library bridge port " +
  "election vote court ruling strike union energy grid rail tunnel museum festival health clinic water " +
  "drought wheat export tariff minister envoy summit border delegation ceasefire mediator report inquiry"
).split(" ");

const START = Date.parse("2026-11-01T00:00:00Z");
const MINUTE = 60_000;

function words(random, n) {
  return Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(" ");
}

function titleCase(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * `threads` lists each thread's post count: scenario 1 reads thread 1 (100 posts, the page), scenarios 2
 * and 6 page through thread 2 (1,000 posts).
 *
 * @returns {{ seed: number, sources: object[], articles: object[], authors: object[], forum: object, threads: object[], posts: object[] }}
 */
export function generateDataset({
  seed = 42,
  threads = [100, 1000],
  authors = 50,
  sources = 6,
  articlesPerSource = 100,
  citationsPerPost = 3,
} = {}) {
  const random = prng(seed);
  const sourceList = Array.from({ length: sources }, (_, i) => ({
    id: `wire-${i + 1}`,
    name: `Bench Wire ${i + 1}`,
    format: i % 2 === 0 ? "rss" : "atom",
    homepage: `https://wire-${i + 1}.bench.example/`,
  }));

  const articles = [];
  sourceList.forEach((source, s) => {
    for (let n = 1; n <= articlesPerSource; n++) {
      const published = START + Math.floor(random() * 20 * 24 * 60) * MINUTE;
      const day = new Date(published).toISOString().slice(0, 10).replace(/-/g, "/");
      const url = `https://wire-${s + 1}.bench.example/${day}/story-${n}`;
      const sourceIds = [source.id];
      if (random() < 0.25) {
        const other = (s + 1 + Math.floor(random() * (sources - 1))) % sources;
        sourceIds.push(sourceList[other].id);
      }
      // The store lists a story's sources in the order they first carried it; ingestion goes source by source.
      sourceIds.sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
      articles.push({
        url,
        title: titleCase(words(random, 6)),
        summary: `<p>${titleCase(words(random, 24))}.</p>`,
        author: `Reporter ${1 + Math.floor(random() * 40)}`,
        publishedAt: new Date(published).toISOString(),
        categories: [WORDS[Math.floor(random() * WORDS.length)]],
        sourceIds,
      });
    }
  });

  const authorList = Array.from({ length: authors }, (_, i) => ({
    id: i + 1,
    username: `reader${i + 1}`,
    name: `Reader ${i + 1}`,
    joinedAt: new Date(START - (i + 1) * 24 * 60 * MINUTE).toISOString(),
  }));

  const forumStart = Date.parse("2026-11-21T08:00:00Z");
  const postList = [];
  const threadList = threads.map((count, t) => {
    const threadId = t + 1;
    const threadStart = forumStart + t * 30 * MINUTE;
    for (let i = 0; i < count; i++) {
      const cited = new Set();
      while (cited.size < citationsPerPost) cited.add(articles[Math.floor(random() * articles.length)].url);
      const citations = [...cited];
      const text = words(random, 12);
      const links = citations.map((url, j) => `<a href="${url}">source ${j + 1}</a>`).join(", ");
      postList.push({
        id: postList.length + 1,
        threadId,
        position: i + 1,
        authorId: 1 + Math.floor(random() * authors),
        createdAt: new Date(threadStart + (i + 1) * MINUTE).toISOString(),
        bodyHtml: `<p>${titleCase(text)}: ${links}.</p>`,
        citations,
      });
    }
    return {
      id: threadId,
      forumId: 1,
      authorId: 1,
      title: `Bench thread ${threadId}: the wires, cited`,
      createdAt: new Date(threadStart).toISOString(),
      lastPostedAt: new Date(threadStart + count * MINUTE).toISOString(),
      postCount: count,
    };
  });

  return {
    seed,
    sources: sourceList,
    articles,
    authors: authorList,
    forum: { id: 1, slug: "bench", name: "Bench board", createdAt: new Date(forumStart).toISOString() },
    threads: threadList,
    posts: postList,
  };
}

/** One board with one thread per URL list; each post cites one URL of its list (scenario 3's unfurl threads). */
export function citationThreads(urlLists) {
  const start = Date.parse("2026-11-22T08:00:00Z");
  let postId = 0;
  const threads = [];
  const posts = [];
  urlLists.forEach((urls, t) => {
    const threadId = t + 1;
    const threadStart = start + t * 24 * 60 * MINUTE;
    threads.push({
      id: threadId, forumId: 1, authorId: 1, title: `Links nobody syndicates, part ${threadId}`,
      createdAt: new Date(threadStart).toISOString(), lastPostedAt: new Date(threadStart + urls.length * MINUTE).toISOString(),
      postCount: urls.length,
    });
    urls.forEach((url, i) => {
      postId += 1;
      posts.push({
        id: postId, threadId, position: i + 1, authorId: 1, createdAt: new Date(threadStart + (i + 1) * MINUTE).toISOString(),
        bodyHtml: `<p>Read <a href="${url}">story ${i + 1}</a></p>`, citations: [url],
      });
    });
  });
  return {
    authors: [{ id: 1, username: "reader1", name: "Reader 1", joinedAt: "2025-01-01T00:00:00.000Z" }],
    forum: { id: 1, slug: "bench", name: "Bench board", createdAt: new Date(start).toISOString() },
    threads,
    posts,
  };
}

/** Scenario 4's feeds: `feeds` sources × `items` items, RSS and Atom alternating, all distinct stories. */
export function ingestionFeeds({ seed = 42, feeds = 20, items = 500 } = {}) {
  const random = prng(seed ^ 0x5eed);
  return Array.from({ length: feeds }, (_, f) => {
    const source = {
      id: `ingest-${f + 1}`,
      name: `Ingest feed ${f + 1}`,
      format: f % 2 === 0 ? "rss" : "atom",
      homepage: `https://ingest-${f + 1}.bench.example/`,
    };
    const list = Array.from({ length: items }, (_, n) => {
      const published = START + Math.floor(random() * 30 * 24 * 60) * MINUTE;
      return {
        url: `https://ingest-${f + 1}.bench.example/news/${n + 1}`,
        title: titleCase(words(random, 7)),
        summary: `<p>${titleCase(words(random, 30))}.</p><p>${titleCase(words(random, 20))}.</p>`,
        author: `Reporter ${1 + Math.floor(random() * 40)}`,
        publishedAt: new Date(published).toISOString(),
        categories: [WORDS[Math.floor(random() * WORDS.length)], WORDS[Math.floor(random() * WORDS.length)]],
      };
    });
    return { source, items: list };
  });
}
