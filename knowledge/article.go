package knowledge

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is where an article is in its editorial life.
type Status string

const (
	Draft     Status = "draft"
	Review    Status = "review"
	Published Status = "published"
	Archived  Status = "archived"
)

// next says which status each status may move to. Any status may go back
// to draft (an editor reworks a published tariff); archived is left only to
// draft.
var next = map[Status][]Status{
	Draft:     {Review, Archived},
	Review:    {Draft, Published, Archived},
	Published: {Draft, Archived},
	Archived:  {Draft},
}

// CanMove reports whether an article may move from s to t.
func (s Status) CanMove(t Status) bool { return s == t || slices.Contains(next[s], t) }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := next[s]; return ok }

// Audience says who may read an article.
type Audience string

const (
	Agents Audience = "agents" // agents only: internal procedures, system codes
	Public Audience = "public" // agents and customers: sent in chats, answered by the chat flow
)

// Article is one knowledge base article.
type Article struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Body       string     `json:"body"`     // Markdown, stored as written; see Render
	Category   string     `json:"category"` // a path in the category tree: "资费/国际漫游"
	Tags       []string   `json:"tags,omitempty"`
	Products   []string   `json:"products,omitempty"`
	Audience   Audience   `json:"audience"`
	Status     Status     `json:"status"`
	Lang       string     `json:"lang"`                  // "zh" or "en"
	Linked     string     `json:"linked,omitempty"`      // the id of the same article in the other language
	ValidFrom  *time.Time `json:"valid_from,omitempty"`  // nil: valid since ever
	ValidUntil *time.Time `json:"valid_until,omitempty"` // nil: valid for ever; exclusive
	Version    int64      `json:"version"`
	Editor     string     `json:"editor,omitempty"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// ValidAt reports whether a is in force at t.
func (a *Article) ValidAt(t time.Time) bool {
	return (a.ValidFrom == nil || !t.Before(*a.ValidFrom)) && (a.ValidUntil == nil || t.Before(*a.ValidUntil))
}

// CategoryPath splits the category into its tree levels.
func (a *Article) CategoryPath() []string {
	var out []string
	for _, p := range strings.Split(a.Category, "/") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

const (
	maxID    = 128
	maxTitle = 300
	maxBody  = 200 << 10
)

// normalize fills defaults and checks a; it returns the first wrong field.
func (a *Article) normalize() error {
	a.ID = strings.TrimSpace(a.ID)
	a.Title = strings.TrimSpace(a.Title)
	a.Category = strings.Join(a.CategoryPath(), "/")
	a.Linked = strings.TrimSpace(a.Linked)
	if a.Audience == "" {
		a.Audience = Agents
	}
	if a.Status == "" {
		a.Status = Draft
	}
	if a.Lang == "" {
		a.Lang = "zh"
	}
	switch {
	case a.ID == "" || len(a.ID) > maxID || strings.ContainsAny(a.ID, "/\\ \t\r\n?#%"):
		return &FieldError{"id", "1 to 128 characters without spaces, slashes, ?, # or %"}
	case !utf8.ValidString(a.Title + a.Body + a.Category):
		return &FieldError{"body", "not valid UTF-8"}
	case a.Title == "" || utf8.RuneCountInString(a.Title) > maxTitle:
		return &FieldError{"title", "1 to 300 characters"}
	case len(a.Body) > maxBody:
		return &FieldError{"body", "longer than 200 KiB"}
	case a.Audience != Agents && a.Audience != Public:
		return &FieldError{"audience", `"agents" or "public"`}
	case !a.Status.Valid():
		return &FieldError{"status", "draft, review, published or archived"}
	case a.Lang != "zh" && a.Lang != "en":
		return &FieldError{"lang", `"zh" or "en"`}
	case a.Linked != "" && (a.Linked == a.ID || len(a.Linked) > maxID || strings.ContainsAny(a.Linked, "/\\ \t\r\n?#%")):
		return &FieldError{"linked", "the id of the same article in the other language, not this article's"}
	case a.ValidFrom != nil && a.ValidUntil != nil && !a.ValidUntil.After(*a.ValidFrom):
		return &FieldError{"valid_until", "not after valid_from"}
	}
	a.Tags = cleanList(a.Tags)
	a.Products = cleanList(a.Products)
	return nil
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
