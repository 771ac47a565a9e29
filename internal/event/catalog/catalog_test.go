package catalog_test

import (
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/event/catalog"
	"github.com/hotline10000/hotline/internal/pgtest"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite docs/events.md")

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		// bleve (the knowledge index, through agentdesk) starts its
		// analysis workers once, at package init, for the whole process.
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/blevesearch/bleve_index_api.AnalysisWorker")); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Every event type constant declared by a domain (a string constant named
// Type… or Event… whose value is "<domain>.<fact>") has a catalog entry,
// so a type cannot be added without joining the round trip and the docs.
func TestEveryDeclaredTypeIsCataloged(t *testing.T) {
	name := regexp.MustCompile(`^(Type|Event)[A-Z]`)
	value := regexp.MustCompile(`^(acd|ivr|desk|ticket|auth)\.[a-z_]+$`)
	for _, dir := range []string{"acd", "ivr", "agentdesk", "agentdesk/ticket", "internal/auth"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "..", dir, "*.go"))
		for _, path := range files {
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok {
					return true
				}
				for i, id := range vs.Names {
					if i >= len(vs.Values) || !name.MatchString(id.Name) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					if !value.MatchString(v) {
						continue
					}
					if _, ok := catalog.Lookup(event.Type(v)); !ok {
						t.Errorf("%s: %s = %q is not in the catalog", path, id.Name, v)
					}
				}
				return true
			})
		}
	}
	for _, k := range acd.EventKinds() {
		if _, ok := catalog.Lookup(event.Type(k.Type())); k.Type() == "" || !ok {
			t.Errorf("acd event kind %s has no cataloged type (%q)", k, k.Type())
		}
	}
	seen := map[event.Type]bool{}
	for _, s := range catalog.All() {
		if seen[s.Type] {
			t.Errorf("%s cataloged twice", s.Type)
		}
		seen[s.Type] = true
		// A sample with every field set, so the round trip proves each
		// field's JSON name survives.
		v := reflect.ValueOf(s.Sample)
		for _, f := range catalog.Fields(v.Type()) {
			if fv := fieldByGo(v, f.Go); fv.IsValid() && fv.IsZero() && f.Name != "kind" {
				t.Errorf("%s: sample leaves %s zero", s.Type, f.Name)
			}
		}
	}
}

func fieldByGo(v reflect.Value, name string) reflect.Value {
	return v.FieldByName(name)
}

// Every type goes through the event log (bus, recorder, store) on both
// backends and reads back equal: envelope and decoded payload.
func TestRoundTrip(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			ctx := context.Background()
			bus := event.NewBus(event.Options{Node: "node-a"})
			rec := event.NewRecorder(bus, st, event.RecorderOptions{})
			done := make(chan struct{})
			go func() { defer close(done); rec.Run(ctx) }()
			specs := catalog.All()
			sent := map[string]event.Event{}
			for i, s := range specs {
				e, err := bus.Publish(ctx, event.Event{Type: s.Type, At: catalogAt.Add(timeStep * time_(i)),
					ContactID: "c-1", AgentID: "a-1", Queue: "general-voice", Actor: "system", Data: s.Sample})
				if err != nil {
					t.Fatal(err)
				}
				sent[e.ID] = e
			}
			bus.Close()
			<-done
			got, err := st.Events(ctx, store.EventFilter{Limit: 10000})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(specs) {
				t.Fatalf("read %d events, want %d", len(got), len(specs))
			}
			for _, g := range got {
				w := sent[g.ID]
				if g.Type != w.Type || !g.At.Equal(w.At) || g.ContactID != w.ContactID || g.AgentID != w.AgentID ||
					g.Queue != w.Queue || g.Actor != w.Actor || g.Node != "node-a" {
					t.Errorf("%s envelope: got %+v, want %+v", w.Type, g, w)
				}
				data, err := catalog.Decode(g.Type, g.Data)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(data, w.Data) {
					t.Errorf("%s payload:\n got %#v\nwant %#v\n(stored %s)", w.Type, data, w.Data, g.Data)
				}
			}
		})
	}
}

func TestDocs(t *testing.T) {
	path := filepath.Join("..", "..", "..", "docs", "events.md")
	want := catalog.Markdown()
	got, _ := os.ReadFile(path)
	if string(got) == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is stale: regenerate with go test ./internal/event/catalog -run TestDocs -update", path)
}

var catalogAt = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

const timeStep = time.Second

func time_(i int) time.Duration { return time.Duration(i) }
