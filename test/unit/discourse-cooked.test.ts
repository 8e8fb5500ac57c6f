import { describe, expect, it } from "vitest";
import { readCooked } from "../../sources/forum-discourse/cooked.js";

const base = new URL("https://forum.example/");

describe("forum-discourse: cooked HTML", () => {
  it("makes relative and protocol-relative URLs absolute, srcset candidates included", () => {
    const { html } = readCooked(
      `<p><a class="mention" href="/u/lezak">@lezak</a> <img src="/images/emoji/twitter/smile.png?v=12" srcset="//cdn.example/a.png 1x, /b.png 2x"> <a href="#top">top</a> <a href="mailto:a@b.example">mail</a></p>`,
      base,
    );
    expect(html).toContain('href="https://forum.example/u/lezak"');
    expect(html).toContain('src="https://forum.example/images/emoji/twitter/smile.png?v=12"');
    expect(html).toContain('srcset="https://cdn.example/a.png 1x, https://forum.example/b.png 2x"');
    expect(html).toContain('href="#top"');
    expect(html).toContain('href="mailto:a@b.example"');
  });

  it("cites stories, not the forum's own links, uploads, lightbox images, mentions or hashtags", () => {
    const { citations } = readCooked(
      [
        `<p><a href="https://news.example/2026/story">story</a> <a href="/t/other-topic/12/3">topic</a> <a href="https://forum.example/t/x/1">abs</a></p>`,
        `<div class="lightbox-wrapper"><a class="lightbox" href="https://images.example/pic.jpg">pic</a></div>`,
        `<a class="attachment" href="/uploads/short-url/abc.pdf">file.pdf</a> <a href="https://global.discourse-cdn.com/standard17/uploads/site/original/2X/a.png">cdn</a>`,
        `<a href="https://bucket.example/uploads/site/optimized/2X/a_2_690x.png">bucket</a> <a class="hashtag-cooked" href="/c/news/4">#news</a>`,
        `<p>see https://bare.example/report and <a href="https://www.example.org/wp-content/uploads/2020/05/report.pdf">a PDF</a></p>`,
      ].join(""),
      base,
    );
    expect(citations.map((c) => c.url)).toEqual([
      "https://news.example/2026/story", "https://bare.example/report", "https://www.example.org/wp-content/uploads/2020/05/report.pdf",
    ]);
  });
});
