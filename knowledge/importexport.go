package knowledge

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
)

// LineError is a malformed line of an import file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// maxLine bounds one JSON line (an article body is at most 200 KiB).
const maxLine = 1 << 20

// ReadJSONL decodes one article per line; blank lines are skipped. It reads
// the whole input before returning so a malformed line rejects all of it:
// the error names the line.
func ReadJSONL(r io.Reader) ([]Article, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var out []Article
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var a Article
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return nil, &LineError{Line: n, Err: err}
		}
		if dec.More() {
			return nil, &LineError{Line: n, Err: errors.New("more than one JSON value")}
		}
		if err := a.normalize(); err != nil {
			return nil, &LineError{Line: n, Err: err}
		}
		if first, ok := seen[a.ID]; ok {
			return nil, &LineError{Line: n, Err: fmt.Errorf("id %q already on line %d", a.ID, first)}
		}
		seen[a.ID] = n
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read articles: %w", err)
	}
	return out, nil
}

// WriteJSONL writes one article per line.
func WriteJSONL(w io.Writer, as []Article) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range as {
		if err := enc.Encode(&as[i]); err != nil {
			return fmt.Errorf("write article %s: %w", as[i].ID, err)
		}
	}
	return nil
}

// frontMatter is the YAML header of a Markdown article file.
type frontMatter struct {
	ID         string     `yaml:"id"`
	Title      string     `yaml:"title"`
	Category   string     `yaml:"category"`
	Tags       []string   `yaml:"tags"`
	Products   []string   `yaml:"products"`
	Audience   Audience   `yaml:"audience"`
	Status     Status     `yaml:"status"`
	Lang       string     `yaml:"lang"`
	Linked     string     `yaml:"linked"`
	ValidFrom  *time.Time `yaml:"valid_from"`
	ValidUntil *time.Time `yaml:"valid_until"`
}

// ParseMarkdown reads an article from a Markdown file with a YAML front
// matter between "---" lines. Without an id the file name is the id.
func ParseMarkdown(name string, data []byte) (Article, error) {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.HasPrefix(s, "---\n") {
		return Article{}, &LineError{File: name, Line: 1, Err: errors.New(`no front matter: the file must start with "---"`)}
	}
	head, body, ok := strings.Cut(s[4:], "\n---\n")
	if !ok {
		if strings.HasSuffix(s[4:], "\n---") {
			head, body, ok = strings.TrimSuffix(s[4:], "\n---"), "", true
		} else {
			return Article{}, &LineError{File: name, Line: 1, Err: errors.New(`front matter not closed by "---"`)}
		}
	}
	var fm frontMatter
	dec := yaml.NewDecoder(strings.NewReader(head))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil && !errors.Is(err, io.EOF) {
		return Article{}, &LineError{File: name, Line: 2, Err: err}
	}
	if fm.ID == "" {
		fm.ID = strings.TrimSuffix(path.Base(filepath.ToSlash(name)), ".md")
	}
	a := Article{ID: fm.ID, Title: fm.Title, Body: strings.TrimRight(strings.TrimLeft(body, "\n"), "\n"), Category: fm.Category, Tags: fm.Tags,
		Products: fm.Products, Audience: fm.Audience, Status: fm.Status, Lang: fm.Lang, Linked: fm.Linked,
		ValidFrom: fm.ValidFrom, ValidUntil: fm.ValidUntil}
	if err := a.normalize(); err != nil {
		return a, &LineError{File: name, Line: 1, Err: err}
	}
	return a, nil
}

// FormatMarkdown writes an article as Markdown with front matter.
func FormatMarkdown(a *Article) ([]byte, error) {
	fm := frontMatter{ID: a.ID, Title: a.Title, Category: a.Category, Tags: a.Tags, Products: a.Products,
		Audience: a.Audience, Status: a.Status, Lang: a.Lang, Linked: a.Linked, ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil}
	head, err := yaml.Marshal(&fm)
	if err != nil {
		return nil, fmt.Errorf("format article %s: %w", a.ID, err)
	}
	return []byte("---\n" + string(head) + "---\n\n" + a.Body + "\n"), nil
}

// ReadDir reads every *.md file under dir (sorted by path). Any bad file
// rejects the whole folder.
func ReadDir(fsys fs.FS) ([]Article, error) {
	var out []Article
	seen := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		a, err := ParseMarkdown(p, data)
		if err != nil {
			return err
		}
		if prev, ok := seen[a.ID]; ok {
			return &LineError{File: p, Line: 1, Err: fmt.Errorf("id %q already in %s", a.ID, prev)}
		}
		seen[a.ID] = p
		out = append(out, a)
		return nil
	})
	return out, err
}

// ReadPath reads a JSON lines file or a folder of Markdown files.
func ReadPath(p string) ([]Article, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return ReadDir(os.DirFS(p))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if strings.HasSuffix(p, ".md") {
		data, err := io.ReadAll(io.LimitReader(f, maxLine))
		if err != nil {
			return nil, err
		}
		a, err := ParseMarkdown(filepath.Base(p), data)
		if err != nil {
			return nil, err
		}
		return []Article{a}, nil
	}
	as, err := ReadJSONL(f)
	var le *LineError
	if errors.As(err, &le) {
		le.File = p
	}
	return as, err
}

// Import stores articles in one transaction-like pass: every article is
// checked first (ReadJSONL/ReadDir already did), then created or updated.
// Re-importing the same ids updates them, never duplicates. It returns how
// many articles changed.
func (s *Service) Import(ctx context.Context, as []Article, editor string) (int, error) {
	for i := range as {
		if err := as[i].normalize(); err != nil {
			return 0, fmt.Errorf("article %d (%s): %w", i+1, as[i].ID, err)
		}
	}
	n := 0
	var held *heldEvents
	err := s.store.WithTx(ctx, func(tx *store.Store) error {
		n = 0
		held = &heldEvents{}
		txs := *s
		txs.store = tx
		txs.index = nopIndex{}
		txs.bus = held // published once the transaction commits
		for _, a := range as {
			_, changed, err := txs.Put(ctx, a, editor)
			if err != nil {
				return fmt.Errorf("import %s: %w", a.ID, err)
			}
			if changed {
				n++
			}
		}
		return nil
	})
	if err != nil {
		// Rolled back (or never begun: held is nil): none of its versions
		// will come through the outbox.
		for _, e := range heldOf(held) {
			if ae, ok := e.Data.(ArticleEvent); ok {
				s.own.forget(ae.ID, ae.Version)
			}
		}
		return 0, err
	}
	// Committed: now index, in one batch where the index can.
	if s.async {
		s.poke()
	} else if err := s.indexAll(ctx, as); err != nil {
		s.log.Error("knowledge: index imported articles", "err", err)
	}
	// Every changed article is announced as an edit would be, in import
	// order, and only after the commit: a rolled-back import announces
	// nothing.
	if s.bus != nil {
		for _, e := range held.events {
			if _, err := s.bus.Publish(ctx, e); err != nil {
				s.log.Warn("knowledge: publish event", "type", e.Type, "err", err)
			}
		}
	}
	if n > 0 {
		s.log.Info("knowledge: imported", "articles", len(as), "changed", n)
	}
	return n, nil
}

func heldOf(h *heldEvents) []event.Event {
	if h == nil {
		return nil
	}
	return h.events
}

// heldEvents collects the events of an import's transaction.
type heldEvents struct{ events []event.Event }

func (h *heldEvents) Publish(_ context.Context, e event.Event) (event.Event, error) {
	h.events = append(h.events, e)
	return e, nil
}

// Export returns every article sorted by id.
func (s *Service) Export(ctx context.Context) ([]Article, error) {
	as, err := s.List(ctx)
	slices.SortFunc(as, func(a, b Article) int { return strings.Compare(a.ID, b.ID) })
	return as, err
}

type nopIndex struct{}

func (nopIndex) Upsert(context.Context, Article) error         { return nil }
func (nopIndex) Delete(context.Context, string) error          { return nil }
func (nopIndex) Search(context.Context, Query) (Result, error) { return Result{}, nil }
