// The strict document loader: only the JSON-LD contexts this site publishes, never the network.
//
// The site build writes contexts/index.json, mapping each context URL our signer uses to a file
// in the site's own contexts/ folder. The loader fetches that file from the site; any other URL
// is an error, so a credential can never make the browser fetch a third-party document.

/** Raised for a URL the site does not serve. */
export class ContextNotServed extends Error {
  /** @param {string} url - the URL asked for. */
  constructor(url) {
    super(`the JSON-LD context ${url} is not served by this site`);
    this.name = 'ContextNotServed';
    this.url = url;
  }
}

/**
 * Build a jsonld.js document loader over the site's context index.
 *
 * @param {object} options - options.
 * @param {object} options.index - context URL -> site-relative file.
 * @param {URL} options.root - the site root.
 * @returns {Function} async (url) => RemoteDocument.
 */
export function makeDocumentLoader({index, root}) {
  const cache = new Map();
  return async function documentLoader(url) {
    if(!Object.prototype.hasOwnProperty.call(index, url)) {
      throw new ContextNotServed(url);
    }
    if(!cache.has(url)) {
      cache.set(url, fetchJson(new URL(index[url], root)));
    }
    // Each load gets its own copy: jsonld.js must never change the cached one.
    const document = structuredClone(await cache.get(url));
    return {contextUrl: null, documentUrl: url, document};
  };
}

/**
 * Fetch a JSON document from the site.
 *
 * @param {URL|string} url - where.
 * @returns {Promise<object>} the parsed JSON.
 */
export async function fetchJson(url) {
  const response = await fetch(url, {credentials: 'omit', cache: 'no-cache'});
  if(!response.ok) {
    throw new Error(`${url} answered HTTP ${response.status}`);
  }
  return response.json();
}
