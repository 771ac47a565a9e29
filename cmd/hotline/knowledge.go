package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/knowledge"
)

// knowledgeBase is the knowledge service with its search backend: the
// embedded index, or Meilisearch fed from the store's outbox.
type knowledgeBase struct {
	svc   *knowledge.Service
	index interface {
		knowledge.Index
		Close() error
	}
	meili *knowledge.Meili // nil: embedded
	log   *slog.Logger
}

// outboxInterval is how often the outbox is read when no save wakes it:
// Meilisearch retries queued changes, the embedded index picks up what
// another process saved.
const outboxInterval = 5 * time.Second

func newKnowledge(cfg config.Config, st *store.Store, bus *event.Bus, log *slog.Logger) (*knowledgeBase, error) {
	var pub knowledge.Publisher
	if bus != nil {
		pub = bus
	}
	kb := &knowledgeBase{log: log}
	if cfg.Knowledge.Backend == "meilisearch" {
		kb.meili = knowledge.NewMeili(knowledge.MeiliOptions{URL: cfg.Knowledge.MeiliURL, APIKey: cfg.Knowledge.MeiliAPIKey,
			Index: cfg.Knowledge.MeiliIndex, HTTPClient: &http.Client{Timeout: 30 * time.Second}})
		kb.index = kb.meili
	} else {
		idx, err := knowledge.NewMemory()
		if err != nil {
			return nil, fmt.Errorf("knowledge.backend: %w", err)
		}
		kb.index = idx
	}
	conf := float64(cfg.Knowledge.AnswerMinMatch) / 100
	if conf == 0 {
		conf = knowledge.NoAnswerThreshold
	}
	kb.svc = knowledge.NewService(knowledge.Options{Store: st, Index: kb.index, Bus: pub, Logger: log, Async: kb.meili != nil,
		AnswerConfidence: conf})
	return kb, nil
}

// start fills the index from the store (the schema exists by now) and, for
// the demo center, seeds the demo articles first.
func (k *knowledgeBase) start(ctx context.Context, demo bool) error {
	t0 := time.Now()
	if demo {
		// Seeding indexes the demo articles, which are all there is in a
		// fresh demo store; a store with more is indexed in full below.
		if _, err := k.svc.SeedDemo(ctx); err != nil {
			return fmt.Errorf("knowledge demo articles: %w", err)
		}
	}
	if k.meili != nil {
		// Meilisearch keeps its index: what changed meanwhile comes from
		// the outbox (RunOutbox); `hotline kb reindex` rebuilds it in full.
		return nil
	}
	// The embedded index is loaded in full from the store: what the outbox
	// queued so far is in it.
	if err := k.svc.SkipOutbox(ctx); err != nil {
		return fmt.Errorf("knowledge outbox: %w", err)
	}
	n, err := k.svc.Reindex(ctx)
	if err != nil {
		return fmt.Errorf("knowledge index: %w", err)
	}
	k.log.Info("knowledge index loaded", "articles", n, "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// setup creates and configures the Meilisearch index (nothing for the
// embedded one).
func (k *knowledgeBase) setup(ctx context.Context) error {
	if k.meili == nil {
		return nil
	}
	if err := k.meili.Setup(ctx); err != nil {
		return fmt.Errorf("knowledge.meili_url: %w", err)
	}
	return nil
}

// run loads the index in the background once the routing core runs (the
// schema is current then), so the knowledge base never delays or competes
// with the start of the center; until it is loaded searches find nothing.
func (k *knowledgeBase) run(ctx context.Context, coreUp <-chan struct{}, demo bool) {
	select {
	case <-ctx.Done():
		return
	case <-coreUp:
	}
	if k.meili != nil {
		// Until Meilisearch answers, edits are queued in the outbox.
		for ctx.Err() == nil {
			err := k.setup(ctx)
			if err == nil {
				break
			}
			k.log.Error("knowledge: meilisearch not ready, retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(outboxInterval):
			}
		}
	}
	if err := k.start(ctx, demo); err != nil && ctx.Err() == nil {
		k.log.Error("knowledge base not loaded", "err", err)
	}
	// Meilisearch is fed from the outbox; the embedded index takes from it
	// what another process (`hotline kb import`) saved, and announces it.
	k.svc.RunOutbox(ctx, outboxInterval)
}

func (k *knowledgeBase) close() { k.index.Close() }

// kbCommand runs `hotline kb import|export|search|reindex`.
func kbCommand(ctx context.Context, args []string, e env) int {
	const usageText = `Usage:
  hotline kb import FILE|DIR [flags]   import JSON lines (one article a line) or a folder of Markdown files
  hotline kb export [--dir DIR] [flags] print every article as JSON lines, or write DIR/<id>.md files
  hotline kb search QUERY [--json]     print ranked article ids and titles (published, valid now)
  hotline kb reindex [flags]           rebuild the search index from the store
`
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.stdout, usageText)
		return 0
	}
	sub, args := args[0], args[1:]
	var asJSON bool
	var dir string
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--json" || a == "-json":
			asJSON = true
		case (a == "--dir" || a == "-dir") && i+1 < len(args):
			dir = args[i+1]
			i++
		default:
			rest = append(rest, a)
		}
	}
	// Positional arguments first, flags after, as in the usage.
	var pos []string
	for len(rest) > 0 && (len(rest[0]) == 0 || rest[0][0] != '-') {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	cfg, more, err := config.Load(rest, e.getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, usageText)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline kb: %s\n", oneLine(err))
		return 2
	}
	pos = append(pos, more...)
	want := map[string]int{"import": 1, "export": 0, "search": 1, "reindex": 0}
	n, ok := want[sub]
	if !ok {
		fmt.Fprintf(e.stderr, "hotline kb: unknown command %q (import, export, search, reindex)\n", sub)
		return 2
	}
	if len(pos) != n {
		fmt.Fprintf(e.stderr, "hotline kb %s: want %d argument(s), got %d\n%s", sub, n, len(pos), usageText)
		return 2
	}
	log := newLogger(e.stderr, cfg)
	if err := kbRun(ctx, cfg, log, e.stdout, sub, pos, asJSON, dir); err != nil {
		fmt.Fprintf(e.stderr, "hotline kb %s: %s\n", sub, oneLine(err))
		return 1
	}
	return 0
}

func kbRun(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer, sub string, pos []string, asJSON bool, dir string) error {
	// Read the input before touching the store: a bad file changes nothing.
	var in []knowledge.Article
	if sub == "import" {
		var err error
		if in, err = knowledge.ReadPath(pos[0]); err != nil {
			return err
		}
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	kb, err := newKnowledge(cfg, st, nil, log)
	if err != nil {
		return err
	}
	defer kb.close()
	if err := kb.setup(ctx); err != nil {
		return err
	}
	switch sub {
	case "import":
		n, err := kb.svc.Import(ctx, in, "import")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d articles read, %d created or changed\n", len(in), n)
		if kb.meili != nil {
			if _, err := kb.svc.SyncOutbox(ctx); err != nil {
				return err
			}
		}
	case "export":
		as, err := kb.svc.Export(ctx)
		if err != nil {
			return err
		}
		if dir == "" {
			return knowledge.WriteJSONL(out, as)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		for i := range as {
			data, err := knowledge.FormatMarkdown(&as[i])
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, as[i].ID+".md"), data, 0o640); err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%d articles written to %s\n", len(as), dir)
	case "reindex":
		n, err := kb.svc.Reindex(ctx)
		if err != nil {
			return err
		}
		if kb.meili != nil {
			// Everything queued is in the index now.
			if _, err := kb.svc.SyncOutbox(ctx); err != nil {
				return err
			}
			fmt.Fprintf(out, "%d articles indexed in Meilisearch\n", n)
			break
		}
		fmt.Fprintf(out, "%d articles indexed (the embedded index is also rebuilt at every start)\n", n)
	case "search":
		if kb.meili == nil {
			if _, err := kb.svc.Reindex(ctx); err != nil {
				return err
			}
		}
		res, err := kb.svc.Search(ctx, knowledge.Query{Text: pos[0], At: time.Now(), Limit: 10})
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(out)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		}
		if len(res.Hits) == 0 {
			fmt.Fprintln(out, "no articles found")
		}
		for i, h := range res.Hits {
			fmt.Fprintf(out, "%2d. %-28s %s\n", i+1, h.ID, h.Title)
		}
	}
	return nil
}
