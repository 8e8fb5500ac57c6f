import { CursorMismatchError } from "../../src/model/paging.js";
import type { SqlQueries, SqlValue } from "../../src/db/sql.js";
import { placeholders, type SqliteDatabase } from "../../src/db/sqlite.js";
import type { CursorKey, Page, PageRequest } from "../../src/model/paging.js";

/** How one kind of child list is stored and ordered: keyset pagination over `orderBy` (all one direction). */
export interface ListSpec<Row, T> {
  table: string;
  parentColumn: string;
  /** Columns of the sort key, most significant first; the last one must be unique within a parent. */
  orderBy: readonly string[];
  /** JavaScript type of each sort-key column: a cursor of other types is refused before it reaches SQL. */
  keyTypes?: ReadonlyArray<"string" | "number">;
  direction: "ASC" | "DESC";
  /** Columns a page row needs (default all): a list leaves out what toRecord never reads, e.g. posts' Markdown source. */
  columns?: readonly string[];
  /** Extra SQL select expressions over the page's rows only (alias `ranked`), e.g. related data folded in. */
  extraSelect?: string;
  toRecord(row: Row): T;
  cursorOf(row: Row): CursorKey;
}

/** One statement of a page load: the SQL, its parameters, and what to do with its rows. */
interface PageQuery {
  sql: string;
  params: SqlValue[];
  /** Fills the results of the requests this statement answers. */
  finish(rows: PagedRow[]): void;
}

/**
 * Answers many page requests with one SQL statement per distinct (first, after, last, before) shape —
 * in practice one statement, since a query asking `posts(first: 3)` on 50 threads asks the same shape 50 times.
 *
 * Per parent, the statement has one arm (`UNION ALL`): a keyset query (`key > cursor ORDER BY key LIMIT n + 1`,
 * the extra row tells whether there is a next page) that reads the page's rows through the parent's index and
 * nothing else, LEFT JOINed to one row carrying the parent's `_total` (an indexed `COUNT(*)`, so an empty page
 * still answers `totalCount`). A page costs O(page) row reads, not O(parent's list) as a window over the whole
 * list did. The same SQL runs on SQLite and PostgreSQL and gives the same pages.
 */
export async function loadPagesAsync<Row extends object, T>(
  db: SqlQueries,
  spec: ListSpec<Row, T>,
  requests: readonly PageRequest[],
): Promise<Array<Page<T> | Error>> {
  const presence = presenceQuery(spec, requests);
  const present = presence ? new Set((await db.all<{ p: SqlValue }>(presence.sql, presence.params)).map((r) => String(r.p))) : null;
  const { queries, results } = planPages(spec, requests, present);
  await Promise.all(queries.map(async (q) => q.finish(await db.all<PagedRow>(q.sql, q.params))));
  return results;
}

/** loadPagesAsync on a synchronous SqliteDatabase (the search index's story lists). */
export function loadPages<Row extends object, T>(
  db: SqliteDatabase,
  spec: ListSpec<Row, T>,
  requests: readonly PageRequest[],
): Array<Page<T> | Error> {
  const presence = presenceQuery(spec, requests);
  const present = presence ? new Set(db.all<{ p: SqlValue }>(presence.sql, presence.params).map((r) => String(r.p))) : null;
  const { queries, results } = planPages(spec, requests, present);
  for (const q of queries) q.finish(db.all<PagedRow>(q.sql, q.params));
  return results;
}

/**
 * Past PRESENCE_FROM parents, one indexed `SELECT DISTINCT parent … IN (…)` first: parents with no rows at all get an
 * empty page without an arm. A poll of 500 new articles asks which posts cite each (live events): almost none are
 * cited, and 500 arms (each a COUNT and a keyset read, in a compound statement SQLite plans anew) cost the ingest
 * path ~470 µs per article in bench scenario 4 against a few µs for the presence read.
 */
function presenceQuery<Row extends object, T>(spec: ListSpec<Row, T>, requests: readonly PageRequest[]): { sql: string; params: SqlValue[] } | null {
  const parentIds = [...new Set(requests.map((r) => r.parentId))];
  if (parentIds.length < PRESENCE_FROM || parentIds.length > MAX_PRESENCE) return null;
  return {
    sql: `SELECT DISTINCT ${spec.parentColumn} AS p FROM ${spec.table} WHERE ${spec.parentColumn} IN (${placeholders(parentIds.length)})`,
    params: parentIds,
  };
}

/** Batches of fewer parents go straight to the page statements (a thread page, an article list's citedBy). */
const PRESENCE_FROM = 50;
/** Bound parameters in one statement (SQLite's default limit is 32,766; PostgreSQL's 65,535). */
const MAX_PRESENCE = 30_000;

/** `present`: the parents known to have rows (null: unknown, every parent gets an arm); the others get an empty page. */
function planPages<Row extends object, T>(spec: ListSpec<Row, T>, requests: readonly PageRequest[], present: ReadonlySet<string> | null = null) {
  const results = new Array<Page<T> | Error>(requests.length);
  const groups = new Map<string, number[]>();
  requests.forEach((request, index) => {
    const shape = JSON.stringify([request.first, request.after, request.last, request.before]);
    const group = groups.get(shape);
    if (group) group.push(index);
    else groups.set(shape, [index]);
  });

  const queries: PageQuery[] = [];
  for (const indexes of groups.values()) {
    const shape = requests[indexes[0]!]!;
    const problem = checkCursor(spec, "after", shape.after) ?? checkCursor(spec, "before", shape.before);
    if (problem) {
      for (const i of indexes) results[i] = problem;
      continue;
    }
    const parentIds = [...new Set(indexes.map((i) => requests[i]!.parentId))].filter((id) => !present || present.has(String(id)));
    for (const i of indexes) if (present && !present.has(String(requests[i]!.parentId))) results[i] = toPage(spec, shape, []);
    for (let from = 0; from < parentIds.length; from += MAX_ARMS) {
      const chunk = parentIds.slice(from, from + MAX_ARMS);
      const wanted = indexes.filter((i) => chunk.includes(requests[i]!.parentId));
      queries.push({
        ...pagesQuery(spec, shape, chunk),
        finish(rows) {
          const byArm: PagedRow[][] = chunk.map(() => []);
          for (const row of rows) byArm[row._arm]!.push(row);
          const armOf = new Map(chunk.map((parentId, arm) => [parentId, arm]));
          for (const i of wanted) results[i] = toPage(spec, shape, byArm[armOf.get(requests[i]!.parentId)!]!);
        },
      });
    }
  }
  return { queries, results };
}

/** Parents per statement: SQLite allows at most 500 terms in a compound SELECT. */
const MAX_ARMS = 400;

/** `_arm` = index of the parent in the statement, `_total` = its list's size, `_in` = 1 on a page row, NULL on none. */
type PagedRow = Record<string, unknown> & { _arm: number; _in: number | null; _total: number };

function pagesQuery<Row extends object, T>(spec: ListSpec<Row, T>, shape: PageRequest, parentIds: string[]): { sql: string; params: SqlValue[] } {
  const backwards = shape.last !== undefined && shape.first === undefined;
  const forwardOp = spec.direction === "ASC" ? ">" : "<";
  const backwardOp = spec.direction === "ASC" ? "<" : ">";
  const tuple = `(${spec.orderBy.map((c) => `t.${c}`).join(", ")})`;
  const conditions: string[] = [];
  const cursorParams: SqlValue[] = [];
  if (shape.after) {
    conditions.push(`${tuple} ${forwardOp} (${placeholders(spec.orderBy.length)})`);
    cursorParams.push(...(shape.after as SqlValue[]));
  }
  if (shape.before) {
    conditions.push(`${tuple} ${backwardOp} (${placeholders(spec.orderBy.length)})`);
    cursorParams.push(...(shape.before as SqlValue[]));
  }
  const inside = conditions.map((c) => ` AND ${c}`).join("");
  const rankDirection = backwards ? (spec.direction === "ASC" ? "DESC" : "ASC") : spec.direction;
  const rankOrder = (prefix: string) => spec.orderBy.map((c) => `${prefix}${c} ${rankDirection}`).join(", ");
  const requested = (backwards ? shape.last : shape.first) ?? Number.MAX_SAFE_INTEGER;
  const limit = Math.min(requested + 1, Number.MAX_SAFE_INTEGER);

  const columns = spec.columns ? spec.columns.map((c) => `t.${c}`).join(", ") : "t.*";
  const extra = spec.extraSelect ? `, ${spec.extraSelect}` : "";
  const arm = (index: number) => `
    SELECT head._arm, head._total, ranked.*${extra}
    FROM (SELECT ${index} AS _arm, (SELECT COUNT(*) FROM ${spec.table} c WHERE c.${spec.parentColumn} = ?) AS _total) head
    LEFT JOIN (
      SELECT 1 AS _in, ${columns} FROM ${spec.table} t WHERE t.${spec.parentColumn} = ?${inside} ORDER BY ${rankOrder("t.")} LIMIT ?
    ) ranked ON 1 = 1`;
  const params: SqlValue[] = [];
  for (const parentId of parentIds) params.push(parentId, parentId, ...cursorParams, limit);
  const sql = `${parentIds.map((_, i) => arm(i)).join("\n    UNION ALL")}\n    ORDER BY _arm, ${rankOrder("")}`;
  return { sql, params };
}

function toPage<Row extends object, T>(spec: ListSpec<Row, T>, shape: PageRequest, rows: PagedRow[]): Page<T> {
  const backwards = shape.last !== undefined && shape.first === undefined;
  const limit = backwards ? shape.last : shape.first;
  const totalCount = Number(rows[0]?._total ?? 0);
  let inside = rows.filter((r) => r._in !== null);
  const more = limit !== undefined && inside.length > limit;
  if (more) inside = inside.slice(0, limit);
  if (backwards) inside.reverse();
  return {
    edges: inside.map((row) => ({ node: spec.toRecord(row as unknown as Row), cursor: spec.cursorOf(row as unknown as Row) })),
    hasNextPage: backwards ? shape.before !== undefined : more,
    hasPreviousPage: backwards ? more : shape.after !== undefined,
    totalCount,
  };
}

function checkCursor(spec: ListSpec<never, unknown>, name: string, cursor: CursorKey | undefined): Error | undefined {
  if (cursor === undefined) return undefined;
  if (cursor.length !== spec.orderBy.length || cursor.some((v, i) => !keyFits(v, spec.keyTypes?.[i]))) {
    return new CursorMismatchError(name);
  }
  return undefined;
}

function keyFits(value: unknown, type: "string" | "number" | undefined): boolean {
  if (type === undefined) return typeof value === "string" || typeof value === "number";
  return typeof value === type && (type === "string" || Number.isSafeInteger(value));
}
