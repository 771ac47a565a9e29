package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/agentdesk/deskttest"
)

// serve runs the test center in this (child) process: it prints the URL
// and a memory endpoint, and stops when stdin closes.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	agents := fs.Int("agents", 1000, "agents to create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *agents < 1 || *agents > maxAgents {
		return fmt.Errorf("-agents %d outside [1, %d]", *agents, maxAgents)
	}
	dir, err := os.MkdirTemp("", "hotline-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := deskttest.Start(ctx, dir, deskttest.Options{Agents: *agents, OfferTimeout: 60 * time.Second,
		WrapUp: 60 * time.Second, RatePerSec: 200, RateBurst: 400, ChatStarts: 5000})
	if err != nil {
		return err
	}
	defer s.Stop()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /mem", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(measure())
	})
	// Profiles of the server under load, on the loopback probe only.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	probe := &http.Server{Addr: "127.0.0.1:0", Handler: mux}
	ln, err := listen(probe.Addr)
	if err != nil {
		return err
	}
	go probe.Serve(ln)
	defer probe.Close()
	fmt.Printf("%s %s\n", s.URL, "http://"+ln.Addr().String())
	// The parent closes our stdin when it is done (or dies).
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return nil
}

type memory struct {
	Heap       uint64 `json:"heap_inuse"`
	Stack      uint64 `json:"stack_inuse"`
	Goroutines int    `json:"goroutines"`
	RSS        uint64 `json:"rss"`
	// From a node's /metrics (-url) only: its CPU time, bytes allocated
	// and collections so far, for the work per chat over the traffic.
	CPU       float64 `json:"-"`
	Allocated float64 `json:"-"`
	GCs       float64 `json:"-"`
}

// rss reads the resident set size from /proc (Linux); 0 elsewhere.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// measure collects garbage and reads this process's memory.
func measure() memory {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return memory{Heap: m.HeapInuse, Stack: m.StackInuse, Goroutines: runtime.NumGoroutine(), RSS: rss()}
}
