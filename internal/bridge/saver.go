package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// Snapshot names in the store.
const (
	SnapshotName = "acd"          // the engine's acd.Snapshot
	KeptName     = "acd.channels" // what channels keep of their contacts (Handle.Keep)
	rejectedName = ".rejected"
)

// saveSoon is how soon after a contact comes or goes the state is saved:
// short enough that a crash (kill -9) right after a customer joined a queue
// still finds them on restart, long enough to save a burst of arrivals
// once.
const saveSoon = 500 * time.Millisecond

// SnapshotStore keeps named snapshots; internal/store implements it. The
// ACD's is kept in parts (a head and one part per agent: SaveSnapshotDelta),
// so a save writes only the agents that changed.
type SnapshotStore interface {
	SaveSnapshot(ctx context.Context, name string, data []byte, at time.Time) error
	LoadSnapshot(ctx context.Context, name string) ([]byte, time.Time, error)
	// SaveSnapshotDelta replaces name's head, writes the parts in put and
	// removes those in gone, in one transaction; replace drops every
	// other part first.
	SaveSnapshotDelta(ctx context.Context, name string, head []byte, put map[string][]byte, gone []string, replace bool, at time.Time) error
	// SnapshotParts returns name's parts by key (none when saved whole).
	SnapshotParts(ctx context.Context, name string) (map[string][]byte, error)
}

// Loaded is the state a node starts from.
type Loaded struct {
	Router *acd.Router
	// Contacts are the contacts the router holds after the restore.
	Contacts []acd.ContactSnapshot
	// Kept is what channels kept of their contacts, by contact id.
	Kept map[string]json.RawMessage
}

// Load restores the router from the last snapshot, or builds an empty one
// when there is none (notFound is the store's "no such snapshot" error). A
// snapshot that no longer fits the configuration (a queue was removed) is
// kept aside as "acd.rejected" and the center starts empty: it must not
// keep the center down.
func Load(ctx context.Context, st SnapshotStore, notFound error, cfg acd.Config, queues []acd.Queue, log *slog.Logger) (Loaded, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	data, at, err := st.LoadSnapshot(ctx, SnapshotName)
	switch {
	case errors.Is(err, notFound):
		r, err := acd.NewRouter(cfg, queues)
		return Loaded{Router: r}, err
	case err != nil:
		return Loaded{}, err
	}
	parts, err := st.SnapshotParts(ctx, SnapshotName)
	if err != nil {
		return Loaded{}, err
	}
	snap, err := assemble(data, parts)
	var r *acd.Router
	if err == nil {
		r, err = acd.Restore(cfg, queues, snap)
	}
	if err != nil {
		if len(parts) > 0 {
			// Kept aside whole: the parts go with the next save.
			if whole, merr := json.Marshal(snap); merr == nil {
				data = whole
			}
		}
		log.Error("acd snapshot does not fit the configuration; starting with empty queues",
			"saved_at", at, "err", err, "kept_as", SnapshotName+rejectedName)
		if serr := st.SaveSnapshot(ctx, SnapshotName+rejectedName, data, at); serr != nil {
			return Loaded{}, fmt.Errorf("keep rejected snapshot: %w", serr)
		}
		r, err = acd.NewRouter(cfg, queues)
		return Loaded{Router: r}, err
	}
	out := Loaded{Router: r, Contacts: r.Snapshot().Contacts, Kept: map[string]json.RawMessage{}}
	if kd, _, kerr := st.LoadSnapshot(ctx, KeptName); kerr == nil {
		if jerr := json.Unmarshal(kd, &out.Kept); jerr != nil {
			log.Warn("channel state of restored contacts unreadable", "err", jerr)
		}
	} else if !errors.Is(kerr, notFound) {
		log.Warn("channel state of restored contacts not loaded", "err", kerr)
	}
	// What a channel kept of a contact the ACD no longer holds (it ended
	// between the two writes of the last save) is not given back.
	held := make(map[string]bool, len(out.Contacts))
	for _, c := range out.Contacts {
		held[c.ID] = true
	}
	for id := range out.Kept {
		if !held[id] {
			delete(out.Kept, id)
		}
	}
	log.Info("acd state restored", "saved_at", at, "agents", len(snap.Agents), "contacts", len(snap.Contacts))
	return out, nil
}

// Saver keeps the engine's state and the channels' kept data in the store:
// every interval, soon after a contact comes or goes, and once more (Save)
// after the engine stopped.
type Saver struct {
	b     *Bridge
	st    SnapshotStore
	every time.Duration
	log   *slog.Logger

	mu    sync.Mutex  // one Save at a time: they share enc
	enc   snapEncoder // re-encodes only the agents that changed
	saved bool        // the store holds every agent enc has seen
}

// NewSaver returns a Saver of b's engine and channels, saving every
// interval.
func NewSaver(b *Bridge, st SnapshotStore, every time.Duration) *Saver {
	return &Saver{b: b, st: st, every: every, log: b.log}
}

// Run saves until ctx ends. It does not save at the end: the last save
// belongs after the engine has stopped (Save).
func (s *Saver) Run(ctx context.Context) {
	clock := s.b.o.Clock
	tick := clock.After(s.every)
	var soon <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			s.save(ctx)
			tick, soon = clock.After(s.every), nil
		case <-s.b.Changed():
			if soon == nil {
				soon = clock.After(saveSoon)
			}
		case <-soon:
			s.save(ctx)
			soon = nil
		}
	}
}

func (s *Saver) save(ctx context.Context) {
	if err := s.Save(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("acd snapshot not saved", "err", err)
	}
}

// Save writes the engine's snapshot, then the channels' kept data. After
// the engine's Run returned it saves the final state.
func (s *Saver) Save(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kept := s.b.Kept()
	snap, err := s.b.o.Engine.Snapshot(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.saved {
		s.enc.reset() // the first save (or the one after a failure) writes every agent
	}
	d, err := s.enc.delta(snap)
	if err != nil {
		return err
	}
	if err := s.st.SaveSnapshotDelta(ctx, SnapshotName, d.head, d.put, d.gone, !s.saved, snap.At); err != nil {
		s.saved = false
		return err
	}
	s.saved = true
	kd, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	if err := s.st.SaveSnapshot(ctx, KeptName, kd, snap.At); err != nil {
		return err
	}
	s.log.Debug("acd state saved", "seq", snap.Seq, "agents", len(snap.Agents), "contacts", len(snap.Contacts), "kept", len(kept))
	return nil
}
