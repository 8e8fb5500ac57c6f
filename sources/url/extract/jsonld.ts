import { absoluteUrl, decodeEntities, EXTRACT_LIMITS } from "./values.js";

// JSON-LD. Parsed values are only read, property by property with own-property checks (a block may carry
// `__proto__` keys), never spread or merged into our objects.

type LdNode = Record<string, unknown>;

/** schema.org Article and its subtypes that are stories (https://schema.org/Article, "More specific Types"). */
const ARTICLE_TYPES = new Set([
  "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BackgroundNewsArticle",
  "OpinionNewsArticle", "ReviewNewsArticle", "AskPublicNewsArticle", "BlogPosting", "LiveBlogPosting", "Report",
  "ScholarlyArticle", "TechArticle", "SatiricalArticle",
]);

export interface JsonLd {
  article: Readonly<Record<string, unknown>> | null;
  articleType: string | null;
  text(value: unknown): string | null;
  name(value: unknown): string | null;
  entityUrl(value: unknown): string | null;
  imageUrl(value: unknown, base: URL | null): string | null;
}

export function readJsonLd(blocks: string[]): JsonLd {
  const nodes: LdNode[] = [];
  const add = (value: unknown) => {
    if (isNode(value) && nodes.length < EXTRACT_LIMITS.jsonLdNodes) nodes.push(value);
  };
  for (const block of blocks) {
    const parsed = parseJson(block);
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      add(item);
      const graph = isNode(item) ? own(item, "@graph") : undefined;
      if (Array.isArray(graph)) graph.forEach(add);
    }
  }
  const byId = new Map<string, LdNode>();
  for (const node of nodes) {
    const id = own(node, "@id");
    if (typeof id === "string" && Object.keys(node).length > 1 && !byId.has(id)) byId.set(id, node);
  }
  const resolve = (value: unknown): unknown => {
    const id = isNode(value) ? own(value, "@id") : undefined;
    return typeof id === "string" ? (byId.get(id) ?? value) : value;
  };
  const firstOf = (value: unknown, read: (entry: unknown) => string | null): string | null => {
    for (const entry of (Array.isArray(value) ? value : [value]).slice(0, 20)) {
      const found = read(resolve(entry));
      if (found !== null) return found;
    }
    return null;
  };
  const text = (value: unknown): string | null =>
    firstOf(value, (v) => {
      const raw = isNode(v) ? own(v, "@value") : v;
      return typeof raw === "string" && raw.trim() !== "" ? decodeEntities(raw) : null;
    });
  const article = nodes.find((node) => ldTypes(node).some((t) => ARTICLE_TYPES.has(t))) ?? null;
  const prop = (key: string) => (article ? own(article, key) : undefined);
  return {
    article: article && {
      url: prop("url"), mainEntityOfPage: prop("mainEntityOfPage"), headline: prop("headline"),
      description: prop("description"), author: prop("author"), publisher: prop("publisher"),
      datePublished: prop("datePublished"), dateModified: prop("dateModified"), dateCreated: prop("dateCreated"),
      image: prop("image"),
      inLanguage: prop("inLanguage"),
    },
    articleType: article && (ldTypes(article).find((t) => ARTICLE_TYPES.has(t)) ?? null),
    text,
    name: (value) => firstOf(value, (v) => (isNode(v) ? text(own(v, "name")) : text(v))),
    entityUrl: (value) => firstOf(value, (v) => (isNode(v) ? (text(own(v, "url")) ?? text(own(v, "@id"))) : text(v))),
    imageUrl: (value, base) =>
      firstOf(value, (v) => absoluteUrl(isNode(v) ? (text(own(v, "url")) ?? text(own(v, "contentUrl"))) : text(v), base)),
  };
}

function parseJson(block: string): unknown {
  // Old CMS templates wrap the block in <!-- --> or CDATA, and many leave raw newlines inside strings (invalid
  // JSON, accepted by search engines): try the block as written, then unwrapped, then with control characters blanked.
  const unwrapped = block
    .trim()
    .replace(/^(?:<!--|(?:\/\/\s*)?<!\[CDATA\[)/, "")
    .replace(/(?:-->|(?:\/\/\s*)?\]\]>)$/, "");
  // eslint-disable-next-line no-control-regex -- JSON.parse refuses raw control characters; replacing them is the point
  for (const candidate of [block, unwrapped, unwrapped.replace(/[\u0000-\u001f]+/g, " ")]) {
    try {
      return JSON.parse(candidate);
    } catch {
      // try the next repair
    }
  }
  return undefined;
}

function ldTypes(node: LdNode): string[] {
  const type = own(node, "@type");
  return (Array.isArray(type) ? type : [type])
    .filter((t): t is string => typeof t === "string")
    .map((t) => t.trim().replace(/^.*[/:#]/, "")); // "https://schema.org/NewsArticle", "schema:NewsArticle"
}

function isNode(value: unknown): value is LdNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function own(node: LdNode, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
}

