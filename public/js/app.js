// Asks this origin for a few of its own URLs with HEAD and shows the caching headers it sent,
// then demonstrates revalidation: a conditional request with the ETag it got should answer 304.
(() => {
  "use strict";
  const kit = window.wharfKit;
  const tbody = document.querySelector("#headers tbody");
  const button = document.querySelector("#revalidate");
  const out = document.querySelector("#revalidate-out");
  if (!kit || !tbody) return;

  // One URL per cache policy: HTML, a precompressed asset, a fingerprinted asset, a photo.
  const URLS = ["/", "/css/site.css", "/js/vendor.3f2a9c1d7e.js", "/img/rocket.jpg"];

  const cell = (text, className) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };

  const head = (url, headers) => fetch(url, { method: "HEAD", cache: "no-store", headers });

  async function probe(url) {
    const tr = document.createElement("tr");
    try {
      const res = await head(url);
      const h = (name) => res.headers.get(name);
      const cc = cell(kit.describeCache(h("cache-control")));
      cc.title = h("cache-control") || "";
      tr.append(
        cell(url),
        cell(String(res.status)),
        cell(h("content-encoding") || "identity"),
        cell(kit.formatBytes(h("content-length"))),
        cell(h("etag") || "\u2014", "etag"),
        cc
      );
    } catch (err) {
      tr.append(cell(url), cell("failed"), cell(String(err.message || err)));
    }
    return tr;
  }

  Promise.all(URLS.map(probe)).then((rows) => tbody.replaceChildren(...rows));

  button?.addEventListener("click", async () => {
    out.value = "\u2026";
    try {
      const etag = (await head("/")).headers.get("etag");
      if (!etag) { out.value = "no ETag on /"; return; }
      // A request that sets If-None-Match itself bypasses the HTTP cache and sees the 304.
      const again = await head("/", { "If-None-Match": etag });
      out.value = `If-None-Match: ${etag} \u2192 ${again.status}`;
    } catch (err) {
      out.value = `failed: ${err.message || err}`;
    }
  });
})();
