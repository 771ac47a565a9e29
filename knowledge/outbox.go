package knowledge

import (
	"context"
	"errors"
	"sync"
)

// The store queues every saved version in kb_outbox, in the transaction
// that saves it. The outbox has one reader per store, the server's
// RunOutbox, which acknowledges (deletes) what it handled:
//
//   - with Meilisearch it is how the index is fed (asynchronously: an outage
//     never fails an edit);
//   - with the embedded index, which this process updates in the call, it
//     picks up what another process saved — `hotline kb import` run against
//     the same PostgreSQL store — indexes it and announces it on this
//     process's bus, as if it had been saved here.
//
// A change this process saved itself was announced at the save and is
// never announced again; one saved elsewhere is announced once, at its
// current version, as knowledge.article_saved.

// ownChanges are the versions this process saved and has not yet met in
// the outbox.
type ownChanges struct {
	mu sync.Mutex
	v  map[string]int64 // article id → highest version saved here
}

func (o *ownChanges) note(id string, version int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if version > o.v[id] {
		o.v[id] = version
	}
}

func (o *ownChanges) forget(id string, version int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.v[id] == version {
		delete(o.v, id)
	}
}

// mine reports whether version of id was saved here.
func (o *ownChanges) mine(id string, version int64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.v[id]
	return ok && version <= v
}

// outboxBatch is how many queued changes SyncOutbox takes at a time.
const outboxBatch = 200

// SyncOutbox handles the changes queued in the store's outbox, in order,
// and acknowledges them: with an async index the current version of each
// changed article is upserted (an article gone from the store is
// deleted); with the embedded index only the changes saved by another
// process are, and those are announced on the bus. It returns how many
// queued changes it handled; on an error the rest stay queued for the next
// call.
func (s *Service) SyncOutbox(ctx context.Context) (int, error) {
	n := 0
	for {
		q, err := s.store.KBOutbox(ctx, 0, outboxBatch)
		if err != nil || len(q) == 0 {
			return n, err
		}
		var cur, remote []Article
		seen := map[string]bool{}
		foreign := map[string]bool{}
		for _, e := range q {
			if !s.own.mine(e.ArticleID, e.Version) {
				foreign[e.ArticleID] = true
			}
		}
		for _, e := range q {
			if seen[e.ArticleID] {
				continue
			}
			seen[e.ArticleID] = true
			if !s.async && !foreign[e.ArticleID] {
				continue // indexed in the call that saved it
			}
			a, err := s.Get(ctx, e.ArticleID)
			if errors.Is(err, ErrNotFound) {
				if err := s.index.Delete(ctx, e.ArticleID); err != nil {
					return n, err
				}
				continue
			}
			if err != nil {
				return n, err
			}
			cur = append(cur, a)
			if foreign[e.ArticleID] {
				remote = append(remote, a)
			}
		}
		if len(cur) > 0 {
			if err := s.loadIndex(ctx, cur); err != nil {
				return n, err // not acknowledged: the same entries come again
			}
		}
		if err := s.store.AckKBOutbox(ctx, q[len(q)-1].Seq); err != nil {
			return n, err
		}
		for _, e := range q {
			s.own.forget(e.ArticleID, e.Version) // the outbox reached it
		}
		for i := range remote {
			s.publish(ctx, EventArticleSaved, &remote[i], remote[i].Status)
		}
		n += len(q)
	}
}

// SkipOutbox acknowledges every queued change: for an index about to be
// loaded in full from the store (the embedded one at start), which holds
// them all then. Changes queued between this and the load come through
// the outbox again: indexed twice, never missed.
func (s *Service) SkipOutbox(ctx context.Context) error {
	for {
		q, err := s.store.KBOutbox(ctx, 0, 1000)
		if err != nil || len(q) == 0 {
			return err
		}
		if err := s.store.AckKBOutbox(ctx, q[len(q)-1].Seq); err != nil {
			return err
		}
	}
}
