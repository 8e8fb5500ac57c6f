import { DateTimeResolver } from "graphql-scalars";

/** RFC 3339 date-time (`2026-11-20T08:00:00.000Z`), always UTC on output. */
export const DateTime = DateTimeResolver;
