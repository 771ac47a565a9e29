// Command hotline-load drives the desk gateway over real WebSockets on
// loopback: N agents on the desk and M chat customers, bounded in count
// and time. It starts the server (package deskttest: SQLite store, auth,
// acd.Engine, chat flow, tickets) in a child process so the server's memory
// is measured apart from the clients', and reports idle memory per
// connection, offer-to-desktop latency percentiles and relayed messages per
// second.
//
//	hotline-load -agents 5000 -customers 200 -duration 20s
//
// With -url it loads a running `hotline serve` on loopback instead; its
// agents are created beforehand, into the center's store, by
//
//	hotline-load seed -data-dir DIR -agents 10000 -password PASSWORD
//	hotline serve --data-dir DIR ...
//	hotline-load -url http://127.0.0.1:8080 -password PASSWORD -agents 10000 -customers 200
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"
)

// Bounds keep a run from hogging a shared machine.
const (
	maxAgents    = 10000
	maxCustomers = 5000
	maxDuration  = 2 * time.Minute
	maxThink     = time.Minute
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "seed" {
		if err := seed(context.Background(), os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "hotline-load seed:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "hotline-load serve:", err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	flag.IntVar(&cfg.agents, "agents", 1000, fmt.Sprintf("agents connected to the desk (≤ %d)", maxAgents))
	flag.IntVar(&cfg.customers, "customers", 100, fmt.Sprintf("concurrent chat customers (≤ %d)", maxCustomers))
	flag.IntVar(&cfg.messages, "messages", 5, "messages each way per chat")
	flag.DurationVar(&cfg.duration, "duration", 20*time.Second, fmt.Sprintf("length of the traffic phase (≤ %v)", maxDuration))
	flag.DurationVar(&cfg.think, "think", 0, fmt.Sprintf("a customer's mean pause before each message (drawn from [think/2, 3·think/2]; the first chat starts within one think time; ≤ %v). 0: churn, every customer chats back to back", maxThink))
	flag.DurationVar(&cfg.agentThink, "agent-think", 0, fmt.Sprintf("an agent's mean pause before answering a customer's message (as -think; ≤ %v)", maxThink))
	url := flag.String("url", "", "load a running `hotline serve` at this base URL (loopback only; agents from `hotline-load seed`) instead of a child test center")
	password := flag.String("password", "", "the seeded load agents' password (with -url)")
	debug := flag.String("debug-url", "", "with -url: the node's debug.addr (http://127.0.0.1:PORT); memory is read after a forced collection")
	offer := flag.Duration("offer-timeout", 15*time.Second, "the center's acd offer timeout (with -url): an offer was made at its expiry minus this")
	cpuProfile := flag.String("cpuprofile", "", "write the load tool's own CPU profile to this file (the client's share of the machine)")
	flag.Parse()
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "hotline-load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The bound covers the setup too: 10 000 sign-ins took over 3 minutes
	// on the shared cores, which left the traffic 16 s of its 30.
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+setupBound)
	defer cancel()
	start := spawn
	if *url != "" {
		if err := loopback(*url); err != nil {
			fmt.Fprintln(os.Stderr, "hotline-load:", err)
			os.Exit(2)
		}
		if *debug != "" {
			if err := loopback(*debug); err != nil {
				fmt.Fprintln(os.Stderr, "hotline-load:", err)
				os.Exit(2)
			}
		}
		start = attach(*url, *debug, *password, *offer)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "hotline-load: -cpuprofile:", err)
			os.Exit(2)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	rep, err := run(ctx, cfg, start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotline-load:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout)
}

// loopback refuses a URL that is not this machine: load stays local.
// setupBound is how long sign-ins and desks may take before the traffic.
const setupBound = 10 * time.Minute

func loopback(raw string) error {
	u, err := neturl.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT", raw)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-url %q: only loopback addresses are loaded", raw)
	}
	return nil
}

type config struct {
	agents, customers, messages int
	duration                    time.Duration
	think, agentThink           time.Duration // mean pauses before a message (think.go); 0: none
	// after replaces time.After for the think times (tests).
	after func(time.Duration) <-chan time.Time
}

// customerThink is customer i's think time (its own random draws).
func (c config) customerThink(i int) *think { return c.withClock(newThink(c.think, uint64(i)+1)) }

// agentThinkTime is the agents' think time (one source of draws for all).
func (c config) agentThinkTime() *think { return c.withClock(newThink(c.agentThink, 0)) }

func (c config) withClock(t *think) *think {
	if c.after != nil {
		t.after = c.after
	}
	return t
}

func (c config) validate() error {
	switch {
	case c.agents < 1 || c.agents > maxAgents:
		return fmt.Errorf("-agents %d outside [1, %d]", c.agents, maxAgents)
	case c.customers < 0 || c.customers > maxCustomers:
		return fmt.Errorf("-customers %d outside [0, %d]", c.customers, maxCustomers)
	case c.messages < 0 || c.messages > 100:
		return fmt.Errorf("-messages %d outside [0, 100]", c.messages)
	case c.duration <= 0 || c.duration > maxDuration:
		return fmt.Errorf("-duration %v outside (0, %v]", c.duration, maxDuration)
	case c.think < 0 || c.think > maxThink:
		return fmt.Errorf("-think %v outside [0, %v]", c.think, maxThink)
	case c.agentThink < 0 || c.agentThink > maxThink:
		return fmt.Errorf("-agent-think %v outside [0, %v]", c.agentThink, maxThink)
	}
	return nil
}
