package knowledge

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/meilisearch/meilisearch-go"
)

// Meili is the Meilisearch backend (github.com/meilisearch/meilisearch-go).
// Every write waits for its Meilisearch task to finish, so a returned
// Upsert is searchable and a failed task is an error. Hits have the same
// shape as the embedded backend's: snippets are cut here, by Snippet, around
// the words Meilisearch highlighted.
type Meili struct {
	client meilisearch.ServiceManager
	index  string
	poll   time.Duration
}

// MeiliOptions configure the Meilisearch backend.
type MeiliOptions struct {
	URL    string // http://127.0.0.1:7700
	APIKey string // a key allowed to manage the index; never logged
	Index  string // the index uid; default "hotline_articles"
	// HTTPClient replaces the default client (tests; timeouts).
	HTTPClient *http.Client
	// Poll is how often a pending task is asked for; default 50 ms.
	Poll time.Duration
}

// NewMeili returns the backend; Setup creates and configures its index.
func NewMeili(o MeiliOptions) *Meili {
	if o.Index == "" {
		o.Index = "hotline_articles"
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	var opts []meilisearch.Option
	if o.APIKey != "" {
		opts = append(opts, meilisearch.WithAPIKey(o.APIKey))
	}
	if o.HTTPClient != nil {
		opts = append(opts, meilisearch.WithCustomClient(o.HTTPClient))
	}
	return &Meili{client: meilisearch.New(strings.TrimRight(o.URL, "/"), opts...), index: o.Index, poll: o.Poll}
}

// Close releases idle connections.
func (m *Meili) Close() error { m.client.Close(); return nil }

const meiliPrimaryKey = "key"

// Highlight markers: private-use characters that never stay in an indexed
// text (meiliDoc removes them), so a highlight cannot be forged by content.
const (
	hlPre  = "\uE000"
	hlPost = "\uE001"
)

// meiliSettings is the index configuration: searchable attributes by
// importance, the filters and facets a Query uses, Chinese and English
// tokenization, the telecom dictionary and synonyms, and no typos on
// numbers and service codes.
func meiliSettings() *meilisearch.Settings {
	syn := map[string][]string{}
	var dict []string
	for _, g := range Synonyms {
		for _, w := range g {
			lw := strings.ToLower(w)
			for _, o := range g {
				if lo := strings.ToLower(o); lo != lw && !slices.Contains(syn[lw], lo) {
					syn[lw] = append(syn[lw], lo)
				}
			}
			if hasHan(w) && len([]rune(w)) > 1 && !slices.Contains(dict, w) {
				dict = append(dict, w)
			}
		}
	}
	for _, w := range TelecomWords {
		if !slices.Contains(dict, w) {
			dict = append(dict, w)
		}
	}
	return &meilisearch.Settings{
		SearchableAttributes: []string{"title", "tags", "category_text", "body"},
		FilterableAttributes: []string{"status", "audience", "lang", "cat_path", "products", "valid_from", "valid_until"},
		SortableAttributes:   []string{"updated_at"},
		DisplayedAttributes:  []string{"*"},
		LocalizedAttributes: []*meilisearch.LocalizedAttributes{
			{Locales: []string{"cmn", "eng"}, AttributePatterns: []string{"title", "tags", "category_text", "body"}},
		},
		Synonyms:   syn,
		Dictionary: dict,
		TypoTolerance: &meilisearch.TypoTolerance{
			Enabled:             true,
			MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnNumbers:    true,
			DisableOnWords:      ServiceCodes,
			DisableOnAttributes: []string{},
		},
		Pagination: &meilisearch.Pagination{MaxTotalHits: 1000 + 50},
		Faceting:   &meilisearch.Faceting{MaxValuesPerFacet: 100, SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeCount}},
	}
}

// TelecomWords are words the Meilisearch tokenizer must keep whole, beyond
// the synonym groups' words.
var TelecomWords = []string{"携号转网", "授权码", "国际漫游", "宽带故障", "光猫", "服务密码", "欠费停机", "电子发票", "实名认证", "5G套餐"}

// ServiceCodes are SMS service codes and hotline numbers: typed exactly or
// not at all, so typo tolerance is off on them.
var ServiceCodes = []string{"10000", "10086", "12321", "cxhf", "cxll", "ktmy", "qxmy", "kt5g129", "ret-10g"}

// Setup creates the index when missing and applies the settings, waiting
// for both tasks.
func (m *Meili) Setup(ctx context.Context) error {
	ti, err := m.client.CreateIndex(ctx, &meilisearch.IndexConfig{Uid: m.index, PrimaryKey: meiliPrimaryKey})
	if err != nil {
		return fmt.Errorf("meilisearch: create index %s: %w", m.index, err)
	}
	if err := m.await(ctx, ti, "create index", "index_already_exists"); err != nil {
		return err
	}
	ti, err = m.client.Index(m.index).UpdateSettings(ctx, meiliSettings())
	if err != nil {
		return fmt.Errorf("meilisearch: settings of %s: %w", m.index, err)
	}
	return m.await(ctx, ti, "settings")
}

// await waits for a task; a failed task is an error unless its code is
// one of ok.
func (m *Meili) await(ctx context.Context, ti *meilisearch.TaskInfo, what string, ok ...string) error {
	t, err := m.client.WaitForTask(ctx, ti.TaskUID, m.poll)
	if err != nil {
		return fmt.Errorf("meilisearch: %s: task %d: %w", what, ti.TaskUID, err)
	}
	switch t.Status {
	case meilisearch.TaskStatusSucceeded:
		return nil
	case meilisearch.TaskStatusFailed:
		if slices.Contains(ok, string(t.Error.Code)) {
			return nil
		}
		return fmt.Errorf("meilisearch: %s: task %d failed: %s (%s)", what, ti.TaskUID, t.Error.Message, t.Error.Code)
	}
	return fmt.Errorf("meilisearch: %s: task %d ended %s", what, ti.TaskUID, t.Status)
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)

// meiliKey is an article id as a Meilisearch document id, which allows
// only A-Z a-z 0-9 - _: such ids are kept, any other (Chinese, dots) is
// replaced by a digest, marked by a prefix no kept id has.
func meiliKey(id string) string {
	if plainKey.MatchString(id) && !strings.HasPrefix(id, "h_") {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "h_" + hex.EncodeToString(sum[:20])
}

// meiliDoc is an article as indexed.
type meiliDoc struct {
	Key          string   `json:"key"`
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Body         string   `json:"body"`
	Tags         []string `json:"tags"`
	Category     string   `json:"category"`
	CategoryText string   `json:"category_text"`
	CatPath      []string `json:"cat_path"`
	Products     []string `json:"products"`
	Audience     Audience `json:"audience"`
	Status       Status   `json:"status"`
	Lang         string   `json:"lang"`
	ValidFrom    int64    `json:"valid_from"`
	ValidUntil   int64    `json:"valid_until"`
	UpdatedAt    int64    `json:"updated_at"`
}

// noMarkers removes the highlight markers from indexed text.
var noMarkers = strings.NewReplacer(hlPre, "", hlPost, "")

// farSec stands for "no end" in the validity fields (2^52 seconds, exact in a float64).
const farSec = int64(1) << 52

func toMeiliDoc(a *Article) meiliDoc {
	d := meiliDoc{Key: meiliKey(a.ID), ID: a.ID, Title: noMarkers.Replace(a.Title), Body: noMarkers.Replace(PlainText(a.Body)),
		Tags: slices.Clone(a.Tags), Category: a.Category, Products: slices.Clone(a.Products), Audience: a.Audience,
		Status: a.Status, Lang: a.Lang, ValidFrom: -farSec, ValidUntil: farSec, UpdatedAt: a.UpdatedAt.Unix()}
	if d.Tags == nil {
		d.Tags = []string{}
	}
	if d.Products == nil {
		d.Products = []string{}
	}
	if a.ValidFrom != nil {
		d.ValidFrom = a.ValidFrom.Unix()
	}
	if a.ValidUntil != nil {
		d.ValidUntil = a.ValidUntil.Unix()
	}
	p := a.CategoryPath()
	d.CategoryText = strings.Join(p, " ")
	d.CatPath = []string{}
	for i := range p {
		d.CatPath = append(d.CatPath, strings.Join(p[:i+1], "/"))
	}
	return d
}

// Upsert implements Index.
func (m *Meili) Upsert(ctx context.Context, a Article) error {
	return m.LoadContext(ctx, []Article{a})
}

// LoadContext indexes many articles, 500 a request, and waits for every task.
func (m *Meili) LoadContext(ctx context.Context, as []Article) error {
	pk := meiliPrimaryKey
	for chunk := range slices.Chunk(as, 500) {
		docs := make([]meiliDoc, len(chunk))
		for i := range chunk {
			docs[i] = toMeiliDoc(&chunk[i])
		}
		ti, err := m.client.Index(m.index).AddDocuments(ctx, docs, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return fmt.Errorf("meilisearch: index %d articles: %w", len(docs), err)
		}
		if err := m.await(ctx, ti, "index articles"); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements Index.
func (m *Meili) Delete(ctx context.Context, id string) error {
	ti, err := m.client.Index(m.index).DeleteDocument(ctx, meiliKey(id), nil)
	if err != nil {
		return fmt.Errorf("meilisearch: delete %s: %w", id, err)
	}
	return m.await(ctx, ti, "delete article")
}

// meiliText makes cleaned user text plain words for Meilisearch, whose
// query has two operators: "phrase" and -exclusion. Both are removed.
func meiliText(s string) string {
	s = strings.ReplaceAll(s, `"`, " ")
	f := strings.Fields(s)
	for i, w := range f {
		f[i] = strings.TrimLeft(w, "-")
	}
	return strings.Join(strings.Fields(strings.Join(f, " ")), " ")
}

// meiliString quotes a filter value: the filter is Meilisearch's syntax,
// so every value from a caller is a quoted, escaped string.
func meiliString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// meiliFilter is q's filters in Meilisearch syntax, one condition an
// element (the elements are ANDed).
func meiliFilter(q Query) []string {
	var st []string
	for _, s := range q.Statuses {
		st = append(st, meiliString(string(s)))
	}
	out := []string{"status IN [" + strings.Join(st, ", ") + "]"}
	if q.Audience == Public {
		out = append(out, "audience = "+meiliString(string(Public)))
	}
	if q.Lang != "" {
		out = append(out, "lang = "+meiliString(q.Lang))
	}
	if q.Category != "" {
		out = append(out, "cat_path = "+meiliString(strings.Trim(q.Category, "/")))
	}
	if q.Product != "" {
		out = append(out, "products = "+meiliString(q.Product))
	}
	if !q.At.IsZero() {
		at := q.At.Unix()
		out = append(out, fmt.Sprintf("valid_from <= %d", at), fmt.Sprintf("valid_until > %d", at))
	}
	return out
}

// Search implements Index.
func (m *Meili) Search(ctx context.Context, q Query) (Result, error) {
	start := time.Now()
	q.normalize()
	res := Result{Query: q.Text, Hits: []Hit{}, Facets: Facets{Category: []FacetCount{}, Product: []FacetCount{}}}
	text := meiliText(q.Text)
	if text == "" && q.Text != "" {
		return res, nil // only operators: nothing to look for
	}
	var filter []any
	for _, f := range meiliFilter(q) {
		filter = append(filter, f)
	}
	sr, err := m.client.Index(m.index).Search(ctx, text, &meilisearch.SearchRequest{
		Offset: int64(q.Offset), Limit: int64(q.Limit), Filter: filter,
		Facets:                []string{"category", "products"},
		AttributesToRetrieve:  []string{"id", "title", "body", "category", "products", "lang", "audience", "status"},
		AttributesToHighlight: []string{"title", "body"},
		HighlightPreTag:       hlPre, HighlightPostTag: hlPost,
		ShowRankingScore: true,
	})
	if err != nil {
		return res, fmt.Errorf("meilisearch: search %q: %w", q.Text, err)
	}
	res.Total = int(sr.EstimatedTotalHits)
	if sr.TotalHits > 0 {
		res.Total = int(sr.TotalHits)
	}
	if len(sr.FacetDistribution) > 0 {
		var fd map[string]map[string]int
		if err := json.Unmarshal(sr.FacetDistribution, &fd); err != nil {
			return res, fmt.Errorf("meilisearch: facets: %w", err)
		}
		res.Facets.Category = append(res.Facets.Category, topFacets(fd["category"])...)
		res.Facets.Product = append(res.Facets.Product, topFacets(fd["products"])...)
	}
	for _, h := range sr.Hits {
		var d struct {
			meiliDoc
			Formatted struct {
				Title string `json:"title"`
				Body  string `json:"body"`
			} `json:"_formatted"`
			Score float64 `json:"_rankingScore"`
		}
		if err := h.DecodeInto(&d); err != nil {
			return res, fmt.Errorf("meilisearch: hit: %w", err)
		}
		marks := highlighted(d.Formatted.Title + " " + d.Formatted.Body)
		if len(marks) == 0 {
			marks = strings.Fields(text)
		}
		a := Article{ID: d.ID, Title: d.Title, Category: d.Category, Products: d.Products, Lang: d.Lang,
			Audience: d.Audience, Status: d.Status}
		if len(a.Products) == 0 {
			a.Products = nil
		}
		res.Hits = append(res.Hits, hitOf(&a, d.Body, marks, d.Score))
	}
	res.TookMS = math.Round(float64(time.Since(start).Microseconds())/10) / 100
	return res, nil
}

// highlighted returns the distinct words Meilisearch put between the markers.
func highlighted(s string) []string {
	var out []string
	for {
		i := strings.Index(s, hlPre)
		if i < 0 {
			return out
		}
		s = s[i+len(hlPre):]
		j := strings.Index(s, hlPost)
		if j < 0 {
			return out
		}
		if w := strings.TrimFunc(s[:j], unicode.IsSpace); w != "" && !slices.Contains(out, w) {
			out = append(out, w)
		}
		s = s[j+len(hlPost):]
	}
}

// topFacets orders facet values by count, then value, and keeps ten, as
// the embedded backend does.
func topFacets(m map[string]int) []FacetCount {
	out := make([]FacetCount, 0, len(m))
	for v, n := range m {
		if n > 0 {
			out = append(out, FacetCount{Value: v, Count: n})
		}
	}
	slices.SortFunc(out, func(a, b FacetCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
	})
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

// DropIndex deletes the index and its documents.
func (m *Meili) DropIndex(ctx context.Context) error {
	ti, err := m.client.DeleteIndex(ctx, m.index)
	if err != nil {
		return fmt.Errorf("meilisearch: delete index %s: %w", m.index, err)
	}
	return m.await(ctx, ti, "delete index")
}
