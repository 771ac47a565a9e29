package knowledge

import (
	"bytes"
	"html"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var (
	markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))
	// ugc allows the formatting editors use (tables, lists, links) and
	// strips scripts, event handlers, styles and javascript: URLs.
	ugc   = bluemonday.UGCPolicy().RequireNoFollowOnLinks(true).AddTargetBlankToFullyQualifiedLinks(true)
	strip = bluemonday.StrictPolicy()
)

// Render turns an article body (Markdown, possibly with HTML an editor
// typed or pasted) into HTML safe to put in a page. The body is stored as
// written; only its rendering is sanitized.
func Render(body string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(body), &buf); err != nil {
		return html.EscapeString(body)
	}
	return ugc.Sanitize(buf.String())
}

// PlainText returns the text of a body without markup, for indexing and
// snippets.
func PlainText(body string) string {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(body), &buf); err != nil {
		return body
	}
	// Block ends become spaces so words of adjacent blocks do not merge.
	s := strings.NewReplacer("</p>", " </p>", "</li>", " </li>", "</h1>", " </h1>", "</h2>", " </h2>",
		"</h3>", " </h3>", "</td>", " </td>", "<br>", " ").Replace(buf.String())
	return html.UnescapeString(strings.Join(strings.Fields(strip.Sanitize(s)), " "))
}
