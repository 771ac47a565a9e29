package store

import (
	"context"
	"fmt"
	"time"
)

// ArticleRow is a knowledge base article as the store keeps it for package
// knowledge: the columns the store filters on and Doc, the owner's full JSON
// document. Saving a row also saves it as a version and queues it in the
// knowledge outbox for search backends that index asynchronously.
type ArticleRow struct {
	ID        string
	Lang      string
	Status    string
	Version   int64
	Editor    string
	UpdatedAt time.Time
	Doc       string
}

// KBOutboxEntry is one article change a search backend has still to index.
type KBOutboxEntry struct {
	Seq       int64
	ArticleID string
	Version   int64
	CreatedAt time.Time
}

const articleCols = `id, lang, status, version, editor, updated_at, doc`

func scanArticle(r row) (ArticleRow, error) {
	var a ArticleRow
	err := r.Scan(&a.ID, &a.Lang, &a.Status, &a.Version, &a.Editor, &a.UpdatedAt, &a.Doc)
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a, err
}

// CreateArticle inserts a with its first version. An existing id gives
// ErrConflict.
func (s *Store) CreateArticle(ctx context.Context, a ArticleRow) error {
	return s.WithTx(ctx, func(tx *Store) error {
		_, err := tx.q.exec(ctx, `INSERT INTO kb_articles (`+articleCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.ID, a.Lang, a.Status, a.Version, a.Editor, ts(a.UpdatedAt), a.Doc)
		if err != nil {
			return wrap("create article "+a.ID, err)
		}
		return tx.saveArticleVersion(ctx, a)
	})
}

// UpdateArticle writes a if the stored version is prev: ErrStale when another
// writer got there first, ErrNotFound when there is no such article.
func (s *Store) UpdateArticle(ctx context.Context, a ArticleRow, prev int64) error {
	return s.WithTx(ctx, func(tx *Store) error {
		n, err := tx.q.exec(ctx, `UPDATE kb_articles SET lang = $1, status = $2, version = $3, editor = $4,
			updated_at = $5, doc = $6 WHERE id = $7 AND version = $8`,
			a.Lang, a.Status, a.Version, a.Editor, ts(a.UpdatedAt), a.Doc, a.ID, prev)
		if err != nil {
			return wrap("update article "+a.ID, err)
		}
		if n != 1 {
			var v int64
			if err := tx.q.queryRow(ctx, `SELECT version FROM kb_articles WHERE id = $1`, a.ID).Scan(&v); err != nil {
				return wrap("update article "+a.ID, err)
			}
			return fmt.Errorf("update article %s: version %d, not %d: %w", a.ID, v, prev, ErrStale)
		}
		return tx.saveArticleVersion(ctx, a)
	})
}

func (s *Store) saveArticleVersion(ctx context.Context, a ArticleRow) error {
	if _, err := s.q.exec(ctx, `INSERT INTO kb_article_versions (article_id, version, editor, saved_at, doc)
		VALUES ($1, $2, $3, $4, $5)`, a.ID, a.Version, a.Editor, ts(a.UpdatedAt), a.Doc); err != nil {
		return wrap("save article version", err)
	}
	_, err := s.q.exec(ctx, `INSERT INTO kb_outbox (article_id, version, created_at) VALUES ($1, $2, $3)`,
		a.ID, a.Version, ts(a.UpdatedAt))
	return wrap("queue article change", err)
}

// Article returns the current version of the article with id.
func (s *Store) Article(ctx context.Context, id string) (ArticleRow, error) {
	a, err := scanArticle(s.q.queryRow(ctx, `SELECT `+articleCols+` FROM kb_articles WHERE id = $1`, id))
	return a, wrap("article "+id, err)
}

// Articles returns every article's current version in id order.
func (s *Store) Articles(ctx context.Context) ([]ArticleRow, error) {
	r, err := s.q.query(ctx, `SELECT `+articleCols+` FROM kb_articles ORDER BY id`)
	out, err := collect(r, err, func(r rows) (ArticleRow, error) { return scanArticle(r) })
	return out, wrap("articles", err)
}

// ArticleVersions returns the saved versions of an article, oldest first.
func (s *Store) ArticleVersions(ctx context.Context, id string) ([]ArticleRow, error) {
	r, err := s.q.query(ctx, `SELECT v.article_id, a.lang, a.status, v.version, v.editor, v.saved_at, v.doc
		FROM kb_article_versions v JOIN kb_articles a ON a.id = v.article_id
		WHERE v.article_id = $1 ORDER BY v.version`, id)
	out, err := collect(r, err, func(r rows) (ArticleRow, error) { return scanArticle(r) })
	return out, wrap("article versions "+id, err)
}

// KBOutbox returns up to limit queued article changes after seq, in order.
func (s *Store) KBOutbox(ctx context.Context, after int64, limit int) ([]KBOutboxEntry, error) {
	r, err := s.q.query(ctx, `SELECT seq, article_id, version, created_at FROM kb_outbox
		WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	out, err := collect(r, err, func(r rows) (KBOutboxEntry, error) {
		var e KBOutboxEntry
		err := r.Scan(&e.Seq, &e.ArticleID, &e.Version, &e.CreatedAt)
		e.CreatedAt = e.CreatedAt.UTC()
		return e, err
	})
	return out, wrap("kb outbox", err)
}

// AckKBOutbox removes the queued changes up to and including seq.
func (s *Store) AckKBOutbox(ctx context.Context, seq int64) error {
	_, err := s.q.exec(ctx, `DELETE FROM kb_outbox WHERE seq <= $1`, seq)
	return wrap("ack kb outbox", err)
}
