// The in-app manual (帮助) as the API and the designer see it: plain types only.

/** A heading inside a manual page that help links and the table of contents can point at. */
export interface HelpSection {
  /** The anchor: the heading's explicit `{#id}`, else its text. */
  id: string;
  title: string;
  depth: 2 | 3;
}

/** One page of the manual (one Markdown file) in the table of contents. */
export interface HelpPageInfo {
  /** File name without `.md`: `admin`, `unit`, `faq` … */
  slug: string;
  title: string;
  sections: HelpSection[];
}

export interface HelpToc {
  pages: HelpPageInfo[];
}

/** A page rendered for the browser: HTML with raw HTML escaped, links rewritten to `#/help/…`. */
export interface HelpPageView extends HelpPageInfo {
  html: string;
}

/** A search hit: the section whose heading or text holds the words. */
export interface HelpSearchHit {
  slug: string;
  pageTitle: string;
  sectionId: string | null;
  sectionTitle: string;
  /** Plain text around the first match. */
  snippet: string;
}
