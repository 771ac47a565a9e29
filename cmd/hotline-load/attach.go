package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/store"
)

// seed creates the load agents in a center's store before `hotline serve`
// starts on it (a SQLite data directory is locked by the running server):
// logins load00001…, the given password hashed at auth.FastHashParams so
// 10 000 logins do not cost 10 000 argon2id hashes at the server's cost,
// and the skill the chat queue asks for. It is for throwaway load centers
// only: these accounts have a weak hash.
func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "", "the center's SQLite data directory (its data_dir)")
	dbURL := fs.String("database-url", "", "the center's PostgreSQL URL (its database.url); empty: SQLite in -data-dir")
	agents := fs.Int("agents", 1000, fmt.Sprintf("load agents to create (≤ %d)", maxAgents))
	password := fs.String("password", "", "their password (at least the center's auth.password_min_length)")
	skill := fs.String("skill", "general", "skill the agents get (proficiency 5); the chat queue's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *agents < 1 || *agents > maxAgents:
		return fmt.Errorf("-agents %d outside [1, %d]", *agents, maxAgents)
	case *password == "":
		return errors.New("-password is required")
	case *dataDir == "" && *dbURL == "":
		return errors.New("-data-dir or -database-url is required")
	}
	st, err := store.Open(ctx, store.Options{URL: *dbURL, DataDir: *dataDir, LockTimeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := st.UpsertSkill(ctx, store.Skill{Name: *skill, Description: *skill}); err != nil {
		return err
	}
	au := auth.NewService(st, auth.Options{Hash: auth.FastHashParams})
	made := 0
	for i := range *agents {
		login := loadLogin(i)
		a, err := au.CreateAgent(ctx, login, "Load "+strconv.Itoa(i+1), auth.RoleAgent, *password)
		switch {
		case errors.Is(err, store.ErrConflict):
			if a, err = st.AgentByLogin(ctx, login); err != nil {
				return fmt.Errorf("agent %s: %w", login, err)
			}
		case err != nil:
			return fmt.Errorf("agent %s: %w", login, err)
		default:
			made++
		}
		if err := st.SetAgentSkills(ctx, a.ID, []store.AgentSkill{{Skill: *skill, Proficiency: 5}}); err != nil {
			return fmt.Errorf("agent %s: %w", login, err)
		}
	}
	fmt.Printf("%d load agents ready (%d new): %s … %s\n", *agents, made, loadLogin(0), loadLogin(*agents-1))
	return nil
}

// loadLogin is the i-th (from 0) load agent's login.
func loadLogin(i int) string { return fmt.Sprintf("load%05d", i+1) }

// attach loads a running `hotline serve` at base: the agents are the
// seeded load agents, memory comes from its /metrics, and stopping is the
// operator's. With debug (the node's debug.addr URL) each memory reading
// first forces a collection through the profiler's heap endpoint
// (/debug/pprof/heap?gc=1), so the heap figure holds no garbage; without
// it the figure carries whatever garbage is waiting.
func attach(base, debug, password string, offer time.Duration) func(context.Context, int) (*target, error) {
	return func(ctx context.Context, agents int) (*target, error) {
		base, debug = strings.TrimSuffix(base, "/"), strings.TrimSuffix(debug, "/")
		if _, err := metrics(ctx, base); err != nil {
			return nil, fmt.Errorf("attach %s: %w", base, err)
		}
		mem := func() (memory, error) {
			if debug != "" {
				if err := collect(ctx, debug); err != nil {
					return memory{}, err
				}
			}
			return metrics(ctx, base)
		}
		return &target{base: base, login: loadLogin, password: password, offer: offer,
			mem:    mem,
			work:   func() (memory, error) { return metrics(ctx, base) },
			scrape: func() (scrape, error) { return readScrape(ctx, base) }, stop: func() {}}, nil
	}
}

// collect makes the node run a garbage collection: the heap profile with
// gc=1 collects before it is written.
func collect(ctx context.Context, debug string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, debug+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("force a collection: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("force a collection: GET /debug/pprof/heap: %s", resp.Status)
	}
	return nil
}

// metrics reads the Go runtime's and the process's gauges from /metrics.
func metrics(ctx context.Context, base string) (memory, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return memory{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return memory{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return memory{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var m memory
	seen := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			m.Heap = uint64(f)
		case "go_memstats_stack_inuse_bytes":
			m.Stack = uint64(f)
		case "go_goroutines":
			m.Goroutines = int(f)
		case "process_resident_memory_bytes":
			m.RSS = uint64(f)
		case "process_cpu_seconds_total":
			m.CPU = f
		case "go_memstats_alloc_bytes_total":
			m.Allocated = f
		case "go_gc_duration_seconds_count":
			m.GCs = f
		default:
			continue
		}
		seen++
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if seen < 3 {
		return memory{}, errors.New("GET /metrics: no Go runtime gauges (is this hotline serve?)")
	}
	return m, nil
}

// buckets is a cumulative Prometheus histogram: upper bound → count.
type buckets map[float64]float64

// scrape is one reading of the node's /metrics: its histograms (by name,
// without _bucket) and its plain samples (counters and gauges).
type scrape struct {
	hist   map[string]buckets
	values map[string]float64
}

// Figures the report takes from the node's /metrics.
const (
	metricDelivery   = "hotline_desk_offer_delivery_seconds"
	metricSched      = "go_sched_latencies_seconds"       // runtime/metrics /sched/latencies
	metricGCPauses   = "go_sched_pauses_total_gc_seconds" // /sched/pauses/total/gc
	metricGCCPU      = "go_cpu_classes_gc_total_cpu_seconds_total"
	metricAssistCPU  = "go_cpu_classes_gc_mark_assist_cpu_seconds_total"
	metricProcessCPU = "process_cpu_seconds_total"
	metricGoroutines = "go_sched_goroutines_created_goroutines_total" // /sched/goroutines-created
)

// readScrape reads the node's histograms and samples from /metrics.
func readScrape(ctx context.Context, base string) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return scrape{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scrape{}, err
	}
	defer resp.Body.Close()
	return parseScrape(resp.Body)
}

func parseScrape(r io.Reader) (scrape, error) {
	out := scrape{hist: map[string]buckets{}, values: map[string]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			continue
		}
		if h, le, ok := strings.Cut(name, `_bucket{le="`); ok {
			bound, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			if err != nil {
				continue
			}
			if out.hist[h] == nil {
				out.hist[h] = buckets{}
			}
			out.hist[h][bound] = n
			continue
		}
		out.values[name] = n
	}
	return out, sc.Err()
}

// quantiles returns the count between two readings and, for each q, the
// upper bound of the bucket holding the q-quantile (+Inf past the last).
func (after buckets) quantiles(before buckets, qs ...float64) (float64, []float64) {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 {
		return 0, nil
	}
	total := after[bounds[len(bounds)-1]] - before[bounds[len(bounds)-1]]
	out := make([]float64, len(qs))
	for i, q := range qs {
		out[i] = math.Inf(1)
		for _, b := range bounds {
			if after[b]-before[b] >= q*total {
				out[i] = b
				break
			}
		}
	}
	return total, out
}
