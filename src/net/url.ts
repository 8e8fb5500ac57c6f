import { badUrlError } from "./errors.js";

/** Parses a URL a fetch may start from: http(s) only, no credentials. Throws BAD_URL otherwise. */
export function checkUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw badUrlError(input, `not a valid absolute URL: ${JSON.stringify(input)}`);
  }
  return checkParsed(url, "");
}

/** The next hop of a redirect, resolved against the URL that answered it, with the same checks. */
export function resolveRedirect(from: URL, location: string): URL {
  const prefix = `${from.href} redirected to `;
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    throw badUrlError(from.href, `${prefix}${JSON.stringify(location)}, which is not a valid URL`);
  }
  return checkParsed(url, prefix);
}

function checkParsed(url: URL, prefix: string): URL {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const message = `${prefix}${redact(url)}: only http: and https: URLs can be fetched, not ${url.protocol}`;
    throw badUrlError(redact(url), message);
  }
  if (url.username !== "" || url.password !== "") {
    throw badUrlError(redact(url), `${prefix}${redact(url)}: URLs with credentials (user:password@) are refused`);
  }
  url.hash = ""; // never sent to a server; dropping it keeps redirect-loop detection exact
  return url;
}

/** The URL without its password, for messages and logs. */
export function redact(url: URL): string {
  if (url.password === "") return url.href;
  const copy = new URL(url.href);
  copy.password = "***";
  return copy.href;
}
