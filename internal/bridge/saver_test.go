package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// The Saver keeps the ACD's state in the store as a head and one part per
// agent, writing only what changed; Load gives back the state of the last
// save on both backends, after logins, logouts and state changes between
// saves, and after a restart whose first save replaces what the last
// process left.
func TestSaverOnStore(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *store.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			ctx := context.Background()
			cfg := acd.DefaultConfig()
			queues := []acd.Queue{{ID: "Q", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "x", Min: 1}}}}
			load := func() Loaded {
				t.Helper()
				l, err := Load(ctx, st, store.ErrNotFound, cfg, queues, nil)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			// saved runs steps on a node started from the store, saves after
			// each, and returns the engine's last snapshot.
			saved := func(steps ...func(x *rig)) acd.Snapshot {
				t.Helper()
				x := newRig(t, load().Router)
				defer x.stop()
				s := NewSaver(x.b, st, 0)
				for _, step := range steps {
					step(x)
					if err := s.Save(ctx); err != nil {
						t.Fatal(err)
					}
				}
				snap, err := x.e.Snapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return snap
			}
			login := func(ids ...string) func(x *rig) {
				return func(x *rig) {
					for _, id := range ids {
						x.must(x.e.Login(ctx, acd.AgentSpec{ID: id, Skills: map[string]int{"x": 5}}))
					}
				}
			}
			check := func(step string, want acd.Snapshot) {
				t.Helper()
				got := load().Router.Snapshot()
				g, _ := json.Marshal(got.Agents)
				w, _ := json.Marshal(want.Agents)
				if !bytes.Equal(g, w) || len(got.Contacts) != len(want.Contacts) {
					t.Fatalf("%s: loaded agents %s, %d contacts; want %s, %d contacts", step, g, len(got.Contacts), w, len(want.Contacts))
				}
			}
			check("first run", saved(login("A", "B", "C"), func(x *rig) {
				x.must(x.e.SetReady(ctx, "B"))
				x.must(x.e.Logout(ctx, "C"))
			}, login("D")))
			parts, err := st.SnapshotParts(ctx, SnapshotName)
			if err != nil || len(parts) != 3 {
				t.Fatalf("parts after the first run: %d, %v; want A, B and D", len(parts), err)
			}
			// The second run's first save replaces every part.
			check("second run", saved(func(x *rig) { x.must(x.e.Logout(ctx, "A")) }, login("E")))
		})
	}
}
