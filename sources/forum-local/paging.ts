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
 * One statement returns, per parent: the page rows (`_in` = inside the cursors, `_rn` = rank from the
 * requested end, limit + 1 rows to learn whether there is a next page) and, for a parent whose page is
 * empty, one extra row that only carries `_total`, so `totalCount` never needs a second query.
 * The same SQL runs on SQLite and PostgreSQL (window functions, row-value comparisons) and gives the same pages.
 */
export async function loadPagesAsync<Row extends object, T>(
  db: SqlQueries,
  spec: ListSpec<Row, T>,
  requests: readonly PageRequest[],
): Promise<Array<Page<T> | Error>> {
  const { queries, results } = planPages(spec, requests);
  await Promise.all(queries.map(async (q) => q.finish(await db.all<PagedRow>(q.sql, q.params))));
  return results;
}

/** loadPagesAsync on a synchronous SqliteDatabase (the search index's story lists). */
export function loadPages<Row extends object, T>(
  db: SqliteDatabase,
  spec: ListSpec<Row, T>,
  requests: readonly PageRequest[],
): Array<Page<T> | Error> {
  const { queries, results } = planPages(spec, requests);
  for (const q of queries) q.finish(db.all<PagedRow>(q.sql, q.params));
  return results;
}

function planPages<Row extends object, T>(spec: ListSpec<Row, T>, requests: readonly PageRequest[]) {
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
    const parentIds = [...new Set(indexes.map((i) => requests[i]!.parentId))];
    queries.push({
      ...pagesQuery(spec, shape, parentIds),
      finish(rows) {
        const byParent = new Map<string, PagedRow[]>();
        for (const row of rows) {
          const key = String(row[spec.parentColumn]);
          const list = byParent.get(key);
          if (list) list.push(row);
          else byParent.set(key, [row]);
        }
        for (const i of indexes) results[i] = toPage(spec, shape, byParent.get(requests[i]!.parentId) ?? []);
      },
    });
  }
  return { queries, results };
}

type PagedRow = Record<string, unknown> & { _in: number; _rn: number; _total: number };

function pagesQuery<Row extends object, T>(spec: ListSpec<Row, T>, shape: PageRequest, parentIds: string[]): { sql: string; params: SqlValue[] } {
  const backwards = shape.last !== undefined && shape.first === undefined;
  const forwardOp = spec.direction === "ASC" ? ">" : "<";
  const backwardOp = spec.direction === "ASC" ? "<" : ">";
  const tuple = `(${spec.orderBy.join(", ")})`;
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (shape.after) {
    conditions.push(`${tuple} ${forwardOp} (${placeholders(spec.orderBy.length)})`);
    params.push(...(shape.after as SqlValue[]));
  }
  if (shape.before) {
    conditions.push(`${tuple} ${backwardOp} (${placeholders(spec.orderBy.length)})`);
    params.push(...(shape.before as SqlValue[]));
  }
  const inside = conditions.length ? conditions.join(" AND ") : "1 = 1";
  const rankDirection = backwards ? (spec.direction === "ASC" ? "DESC" : "ASC") : spec.direction;
  const rankOrder = spec.orderBy.map((c) => `${c} ${rankDirection}`).join(", ");
  const limit = (backwards ? shape.last : shape.first) ?? Number.MAX_SAFE_INTEGER;

  const sql = `
    WITH base AS (
      SELECT t.*, COUNT(*) OVER (PARTITION BY ${spec.parentColumn}) AS _total, CASE WHEN ${inside} THEN 1 ELSE 0 END AS _in
      FROM ${spec.table} t WHERE ${spec.parentColumn} IN (${placeholders(parentIds.length)})
    ), ranked AS (
      SELECT base.*, ROW_NUMBER() OVER (PARTITION BY ${spec.parentColumn}, _in ORDER BY ${rankOrder}) AS _rn FROM base
    )
    SELECT ranked.*${spec.extraSelect ? `, ${spec.extraSelect}` : ""} FROM ranked WHERE (_in = 1 AND _rn <= ?) OR (_in = 0 AND _rn = 1)
    ORDER BY ${spec.parentColumn}, _in DESC, _rn`;
  return { sql, params: [...params, ...parentIds, Math.min(limit + 1, Number.MAX_SAFE_INTEGER)] };
}

function toPage<Row extends object, T>(spec: ListSpec<Row, T>, shape: PageRequest, rows: PagedRow[]): Page<T> {
  const backwards = shape.last !== undefined && shape.first === undefined;
  const limit = backwards ? shape.last : shape.first;
  const totalCount = rows[0]?._total ?? 0;
  let inside = rows.filter((r) => r._in === 1);
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
