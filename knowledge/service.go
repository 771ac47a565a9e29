package knowledge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
)

// Publisher is the part of the event bus the service uses.
type Publisher interface {
	Publish(ctx context.Context, e event.Event) (event.Event, error)
}

// Service is the knowledge base: articles in the store, kept searchable in
// an Index, changes announced on the bus. It is safe for concurrent use;
// concurrent edits of one article are settled by the store's version check.
type Service struct {
	store *store.Store
	index Index
	bus   Publisher // nil: no events
	now   func() time.Time
	log   *slog.Logger
	async bool          // the index is fed from the outbox by RunOutbox
	wake  chan struct{} // a save happened: RunOutbox drains the outbox now
	// own are the changes this process saved, announced and (embedded)
	// indexed itself; the outbox's other entries were written by another
	// process (`hotline kb import` against the same store). Shared by the
	// copy Import makes for its transaction.
	own *ownChanges
	// answerConf is the least Confidence of an article the chat flow
	// offers as an answer.
	answerConf float64
}

// Options configure a Service.
type Options struct {
	Store  *store.Store
	Index  Index
	Bus    Publisher
	Now    func() time.Time
	Logger *slog.Logger
	// Async feeds the index from the store's outbox (RunOutbox) instead of
	// in each call: for a remote backend (Meilisearch), whose outage must
	// not fail an edit and whose missed changes are caught up from the
	// store.
	Async bool
	// AnswerConfidence is the least Confidence (0..1) an article needs to
	// be offered to a chat customer as the answer to their question;
	// 0: DefaultAnswerConfidence, NoAnswerThreshold: any hit is offered.
	AnswerConfidence float64
}

// NoAnswerThreshold as Options.AnswerConfidence offers the best hit
// whatever it covers of the question.
const NoAnswerThreshold = -1

// NewService returns a service over o.Store and o.Index.
func NewService(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.AnswerConfidence == 0:
		o.AnswerConfidence = DefaultAnswerConfidence
	case o.AnswerConfidence < 0:
		o.AnswerConfidence = 0
	}
	return &Service{store: o.Store, index: o.Index, bus: o.Bus, now: o.Now, log: o.Logger, async: o.Async, wake: make(chan struct{}, 1),
		own: &ownChanges{v: map[string]int64{}}, answerConf: o.AnswerConfidence}
}

// AnswerConfidence is the least Confidence of an article offered to a
// chat customer as an answer (Options.AnswerConfidence).
func (s *Service) AnswerConfidence() float64 { return s.answerConf }

// Index returns the search backend.
func (s *Service) Index() Index { return s.index }

func toRow(a *Article) (store.ArticleRow, error) {
	doc, err := json.Marshal(a)
	if err != nil {
		return store.ArticleRow{}, fmt.Errorf("encode article %s: %w", a.ID, err)
	}
	return store.ArticleRow{ID: a.ID, Lang: a.Lang, Status: string(a.Status), Version: a.Version,
		Editor: a.Editor, UpdatedAt: a.UpdatedAt, Doc: string(doc)}, nil
}

func fromRow(r store.ArticleRow) (Article, error) {
	var a Article
	if err := json.Unmarshal([]byte(r.Doc), &a); err != nil {
		return a, fmt.Errorf("decode article %s: %w", r.ID, err)
	}
	a.Version, a.Editor, a.UpdatedAt = r.Version, r.Editor, r.UpdatedAt
	return a, nil
}

func mapErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	case errors.Is(err, store.ErrStale):
		return fmt.Errorf("%w: %w", ErrConflict, err)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%w: %w", ErrExists, err)
	}
	return err
}

// Get returns the current version of an article.
func (s *Service) Get(ctx context.Context, id string) (Article, error) {
	r, err := s.store.Article(ctx, id)
	if err != nil {
		return Article{}, mapErr(err)
	}
	return fromRow(r)
}

// List returns every article, in id order.
func (s *Service) List(ctx context.Context) ([]Article, error) {
	rows, err := s.store.Articles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Article, 0, len(rows))
	for _, r := range rows {
		a, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Create stores a new article as version 1.
func (s *Service) Create(ctx context.Context, a Article, editor string) (Article, error) {
	if err := a.normalize(); err != nil {
		return a, err
	}
	a.Version, a.Editor, a.UpdatedAt = 1, editor, s.now().UTC()
	return a, s.save(ctx, a, 0, EventArticleSaved, "")
}

// Update replaces an article if its current version is ifVersion (the
// If-Match an editor read); ErrConflict otherwise. The status may change
// only along the editorial path.
func (s *Service) Update(ctx context.Context, a Article, ifVersion int64, editor string) (Article, error) {
	if err := a.normalize(); err != nil {
		return a, err
	}
	cur, err := s.Get(ctx, a.ID)
	if err != nil {
		return a, err
	}
	if cur.Version != ifVersion {
		return a, fmt.Errorf("article %s is at version %d, not %d: %w", a.ID, cur.Version, ifVersion, ErrConflict)
	}
	if !cur.Status.CanMove(a.Status) {
		return a, fmt.Errorf("%s to %s: %w", cur.Status, a.Status, ErrTransition)
	}
	typ := EventArticleSaved
	if cur.Status != a.Status {
		typ = EventArticleStatus
	}
	a.Version, a.Editor, a.UpdatedAt = ifVersion+1, editor, s.now().UTC()
	return a, s.save(ctx, a, ifVersion, typ, cur.Status)
}

// SetStatus moves an article to another status.
func (s *Service) SetStatus(ctx context.Context, id string, to Status, ifVersion int64, editor string) (Article, error) {
	a, err := s.Get(ctx, id)
	if err != nil {
		return a, err
	}
	a.Status = to
	return s.Update(ctx, a, ifVersion, editor)
}

// Put creates the article or, when it exists and differs, updates it
// whatever its version (import: re-importing the same ids updates, never
// duplicates). It reports whether anything changed.
func (s *Service) Put(ctx context.Context, a Article, editor string) (Article, bool, error) {
	if err := a.normalize(); err != nil {
		return a, false, err
	}
	cur, err := s.Get(ctx, a.ID)
	if errors.Is(err, ErrNotFound) {
		a, err = s.Create(ctx, a, editor)
		return a, err == nil, err
	}
	if err != nil {
		return a, false, err
	}
	if sameContent(&cur, &a) {
		return cur, false, nil
	}
	typ := EventArticleSaved
	if cur.Status != a.Status {
		typ = EventArticleStatus
	}
	a.Version, a.Editor, a.UpdatedAt = cur.Version+1, editor, s.now().UTC()
	return a, true, s.save(ctx, a, cur.Version, typ, cur.Status)
}

func sameContent(a, b *Article) bool {
	x, y := *a, *b
	x.Version, x.Editor, x.UpdatedAt = 0, "", time.Time{}
	y.Version, y.Editor, y.UpdatedAt = 0, "", time.Time{}
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return string(bx) == string(by)
}

func (s *Service) save(ctx context.Context, a Article, prev int64, typ event.Type, before Status) error {
	row, err := toRow(&a)
	if err != nil {
		return err
	}
	// Noted before the write: the outbox reader may see the entry the
	// moment it commits.
	s.own.note(a.ID, a.Version)
	if prev == 0 {
		err = s.store.CreateArticle(ctx, row)
	} else {
		err = s.store.UpdateArticle(ctx, row, prev)
	}
	if err != nil {
		s.own.forget(a.ID, a.Version)
		return mapErr(err)
	}
	// The store is the truth: an index failure is logged and repaired by
	// the next reindex, the edit stands.
	if s.async {
		s.poke()
	} else if err := s.index.Upsert(ctx, a); err != nil {
		s.log.Error("knowledge: index article", "article_id", a.ID, "err", err)
	}
	s.publish(ctx, typ, &a, before)
	return nil
}

func (s *Service) publish(ctx context.Context, typ event.Type, a *Article, before Status) {
	if s.bus == nil {
		return
	}
	if before == a.Status {
		before = ""
	}
	_, err := s.bus.Publish(ctx, event.Event{Type: typ, At: a.UpdatedAt, Actor: a.Editor, Data: ArticleEvent{
		ID: a.ID, Version: a.Version, Title: a.Title, Lang: a.Lang, Status: a.Status, Previous: before,
		Audience: a.Audience, Editor: a.Editor,
	}})
	if err != nil {
		s.log.Warn("knowledge: publish event", "article_id", a.ID, "err", err)
	}
}

// History returns the saved versions of an article, oldest first.
func (s *Service) History(ctx context.Context, id string) ([]Article, error) {
	rows, err := s.store.ArticleVersions(ctx, id)
	if err != nil {
		return nil, mapErr(err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("article %s: %w", id, ErrNotFound)
	}
	out := make([]Article, 0, len(rows))
	for _, r := range rows {
		a, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Version returns one saved version of an article.
func (s *Service) Version(ctx context.Context, id string, v int64) (Article, error) {
	hs, err := s.History(ctx, id)
	if err != nil {
		return Article{}, err
	}
	for _, a := range hs {
		if a.Version == v {
			return a, nil
		}
	}
	return Article{}, fmt.Errorf("article %s version %d: %w", id, v, ErrNotFound)
}

// Restore makes the content of version v current again as a new version,
// in draft: a restored text is reviewed before customers see it.
func (s *Service) Restore(ctx context.Context, id string, v, ifVersion int64, editor string) (Article, error) {
	old, err := s.Version(ctx, id, v)
	if err != nil {
		return old, err
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return cur, err
	}
	if cur.Version != ifVersion {
		return cur, fmt.Errorf("article %s is at version %d, not %d: %w", id, cur.Version, ifVersion, ErrConflict)
	}
	old.Status = Draft
	old.Version, old.Editor, old.UpdatedAt = ifVersion+1, editor, s.now().UTC()
	return old, s.save(ctx, old, ifVersion, EventArticleRestored, cur.Status)
}

// Reindex loads every article from the store into the index.
func (s *Service) Reindex(ctx context.Context) (int, error) {
	as, err := s.List(ctx)
	if err != nil {
		return 0, err
	}
	return len(as), s.indexAll(ctx, as)
}

// indexAll indexes the current version of articles, in one batch when the
// index can take one.
func (s *Service) indexAll(ctx context.Context, as []Article) error {
	var cur []Article
	for _, a := range as {
		c, err := s.Get(ctx, a.ID)
		if err != nil {
			return err
		}
		cur = append(cur, c)
	}
	return s.loadIndex(ctx, cur)
}

// loadIndex indexes articles in batches where the index takes them.
func (s *Service) loadIndex(ctx context.Context, as []Article) error {
	if l, ok := s.index.(interface {
		LoadContext(context.Context, []Article) error
	}); ok {
		return l.LoadContext(ctx, as)
	}
	if l, ok := s.index.(interface{ Load([]Article) error }); ok {
		return l.Load(as)
	}
	for _, a := range as {
		if err := s.index.Upsert(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// Search runs q on the index.
func (s *Service) Search(ctx context.Context, q Query) (Result, error) {
	return s.index.Search(ctx, q)
}

// Diff returns a line diff from version a to version b of an article:
// the fields and the body, "-" for removed lines and "+" for added ones.
func (s *Service) Diff(ctx context.Context, id string, a, b int64) (string, error) {
	x, err := s.Version(ctx, id, a)
	if err != nil {
		return "", err
	}
	y, err := s.Version(ctx, id, b)
	if err != nil {
		return "", err
	}
	return lineDiff(diffLines(&x), diffLines(&y)), nil
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunOutbox keeps the index in step with the store until ctx ends: at
// once, after every save, and every interval (which also retries after a
// failure, and picks up what another process saved).
func (s *Service) RunOutbox(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		n, err := s.SyncOutbox(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				s.log.Error("knowledge: index from outbox", "err", err)
			}
			failing = true
		case err == nil:
			if failing {
				s.log.Info("knowledge: index from outbox recovered", "changes", n)
			}
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}
