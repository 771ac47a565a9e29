package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/hotline10000/hotline/acd"
)

// acdParams are the simulation's inputs; see parseACDFlags for meanings.
type acdParams struct {
	Agents      int     `json:"agents"`
	Rate        float64 `json:"rate_per_hour"`
	AHT         float64 `json:"aht_s"`
	Patience    float64 `json:"patience_s"`
	SLThreshold float64 `json:"sl_threshold_s"`
	Contacts    int     `json:"contacts"`
	Warmup      int     `json:"warmup"`
	Seed        uint64  `json:"seed"`
	Runs        int     `json:"runs"`
	VIPShare    float64 `json:"vip_share"`
	Ring        float64 `json:"ring_s"`
	WrapUp      float64 `json:"wrap_up_s"`
	Aging       float64 `json:"aging_s"`
	// OnEvents, when set, is given every batch of the router's events
	// (the KPI engine's end-to-end check); with OccupancyFromStart the
	// occupancy is measured from the simulation's start, not from the
	// first measured arrival.
	OnEvents           func([]acd.Event) `json:"-"`
	OccupancyFromStart bool              `json:"-"`
}

// parseACDFlags reads acd's flags. Asked for help (-h, --help), it lists
// them on stdout and returns flag.ErrHelp; errors go to stderr.
func parseACDFlags(args []string, stdout, stderr io.Writer) (acdParams, error) {
	fs := flag.NewFlagSet("acd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var p acdParams
	fs.IntVar(&p.Agents, "agents", 10, "agents logged in and ready")
	fs.Float64Var(&p.Rate, "rate", 100, "Poisson arrivals per hour")
	fs.Float64Var(&p.AHT, "aht", 300, "mean handle (talk) time in seconds, exponential")
	fs.Float64Var(&p.Patience, "patience", 0, "mean patience in seconds, exponential; 0 = never abandon")
	fs.Float64Var(&p.SLThreshold, "sl-threshold", 20, "service-level threshold in seconds")
	fs.IntVar(&p.Contacts, "contacts", 100000, "contacts per run (after warm-up)")
	fs.IntVar(&p.Warmup, "warmup", -1, "contacts simulated before measuring; -1 = contacts/10")
	fs.Uint64Var(&p.Seed, "seed", 1, "random seed of the first run")
	fs.IntVar(&p.Runs, "runs", 1, "independent runs (seeds seed…seed+runs−1); >1 adds 95 % confidence intervals")
	fs.Float64Var(&p.VIPShare, "vip-share", 0, "fraction of contacts with top priority")
	fs.Float64Var(&p.Ring, "ring", 0, "seconds an agent's phone rings before the agent accepts")
	fs.Float64Var(&p.WrapUp, "wrap-up", 0, "after-contact work in seconds (fixed)")
	fs.Float64Var(&p.Aging, "aging", 0, "seconds of wait worth one priority point; 0 = strict priority")
	if err := fs.Parse(args); err != nil {
		out := stderr
		if errors.Is(err, flag.ErrHelp) {
			out = stdout
		} else {
			fmt.Fprintln(stderr, "hotline-sim acd:", err)
		}
		fmt.Fprintln(out, "Usage: hotline-sim acd [flags]\n\nSimulates the ACD under Poisson traffic on virtual time and prints one JSON\nreport compared with Erlang C (no abandonment) or Erlang A.\n\nFlags:")
		fs.SetOutput(out)
		fs.PrintDefaults()
		return p, err
	}
	if p.Warmup < 0 {
		p.Warmup = p.Contacts / 10
	}
	if err := p.validate(); err != nil {
		fmt.Fprintln(stderr, "hotline-sim acd:", err)
		return p, err
	}
	return p, nil
}

func (p acdParams) validate() error {
	switch {
	case p.Agents < 1 || p.Agents > 100000:
		return errors.New("--agents must be in [1, 100000]")
	case p.Rate <= 0, p.AHT <= 0:
		return errors.New("--rate and --aht must be positive")
	case p.Patience < 0, p.Ring < 0, p.WrapUp < 0, p.Aging < 0, p.SLThreshold < 0:
		return errors.New("durations must not be negative")
	case p.Contacts < 1 || p.Runs < 1 || p.Runs > 1000:
		return errors.New("--contacts must be positive and --runs in [1, 1000]")
	case p.VIPShare < 0 || p.VIPShare > 1:
		return errors.New("--vip-share must be in [0, 1]")
	case p.Patience == 0 && p.Rate*p.AHT/3600 >= float64(p.Agents):
		return fmt.Errorf("load %.2f erlangs ≥ %d agents with no abandonment: the queue grows without bound", p.Rate*p.AHT/3600, p.Agents)
	}
	return nil
}

// report is the one JSON object the simulator prints.
type report struct {
	Params       acdParams                 `json:"params"`
	Offered      float64                   `json:"offered"`
	Answered     float64                   `json:"answered"`
	Abandoned    float64                   `json:"abandoned"`
	ServiceLevel float64                   `json:"service_level"`
	ASA          float64                   `json:"asa_s"`
	AbandonRate  float64                   `json:"abandon_rate"`
	Occupancy    float64                   `json:"occupancy"`
	ByPriority   map[string]priorityReport `json:"by_priority,omitempty"`
	CI95         map[string]float64        `json:"ci95,omitempty"`
	Theory       map[string]any            `json:"theory"`
	// Speed of the simulation itself.
	RouterEvents int64   `json:"router_events"`
	WallSeconds  float64 `json:"wall_s"`
	EventsPerSec float64 `json:"router_events_per_s"`
}

type priorityReport struct {
	Offered  float64 `json:"offered"`
	Answered float64 `json:"answered"`
	ASA      float64 `json:"asa_s"`
}

// runResult is one replication.
type runResult struct {
	offered, answered, abandoned, withinSL int
	waitSum                                float64
	occupancy                              float64
	byPrio                                 map[string]*prioAcc
	events                                 int64
}

type prioAcc struct {
	offered, answered int
	waitSum           float64
}

func simulate(p acdParams) (report, error) {
	rep := report{Params: p, Theory: theory(p)}
	start := time.Now()
	metrics := map[string][]float64{}
	prio := map[string][3][]float64{}
	for i := range p.Runs {
		res, err := simulateOnce(p, p.Seed+uint64(i))
		if err != nil {
			return rep, err
		}
		rep.RouterEvents += res.events
		off := float64(res.offered)
		add := func(k string, v float64) { metrics[k] = append(metrics[k], v) }
		add("offered", off)
		add("answered", float64(res.answered))
		add("abandoned", float64(res.abandoned))
		add("service_level", float64(res.withinSL)/off)
		add("asa_s", res.waitSum/math.Max(1, float64(res.answered)))
		add("abandon_rate", float64(res.abandoned)/off)
		add("occupancy", res.occupancy)
		for name, acc := range res.byPrio {
			v := prio[name]
			v[0] = append(v[0], float64(acc.offered))
			v[1] = append(v[1], float64(acc.answered))
			v[2] = append(v[2], acc.waitSum/math.Max(1, float64(acc.answered)))
			prio[name] = v
		}
	}
	rep.WallSeconds = time.Since(start).Seconds()
	rep.EventsPerSec = float64(rep.RouterEvents) / rep.WallSeconds
	mean := func(k string) float64 { m, _ := meanCI(metrics[k]); return m }
	rep.Offered, rep.Answered, rep.Abandoned = mean("offered"), mean("answered"), mean("abandoned")
	rep.ServiceLevel, rep.ASA = mean("service_level"), mean("asa_s")
	rep.AbandonRate, rep.Occupancy = mean("abandon_rate"), mean("occupancy")
	if p.Runs > 1 {
		rep.CI95 = map[string]float64{}
		for _, k := range []string{"service_level", "asa_s", "abandon_rate", "occupancy"} {
			_, rep.CI95[k] = meanCI(metrics[k])
		}
	}
	if p.VIPShare > 0 {
		rep.ByPriority = map[string]priorityReport{}
		for name, v := range prio {
			o, _ := meanCI(v[0])
			a, _ := meanCI(v[1])
			w, _ := meanCI(v[2])
			rep.ByPriority[name] = priorityReport{Offered: o, Answered: a, ASA: w}
		}
	}
	return rep, nil
}

// meanCI is the mean of independent replications and the half-width of its
// 95 % confidence interval (Student t with n−1 degrees of freedom).
func meanCI(xs []float64) (mean, half float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	return mean, tQuantile975(len(xs)-1) * sd / math.Sqrt(n)
}

// tQuantile975 is the 97.5 % quantile of Student's t distribution.
func tQuantile975(df int) float64 {
	table := []float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	if df < len(table) {
		return table[df]
	}
	return 1.96 + 2.4/float64(df) // within 0.005 of the exact value beyond 30
}

func theory(p acdParams) map[string]any {
	lambda := p.Rate / 3600
	out := map[string]any{}
	if p.VIPShare > 0 || p.Ring > 0 || p.WrapUp > 0 {
		out["note"] = "Erlang models assume one class, no ring time and no wrap-up; compare with care"
	}
	if p.Patience == 0 {
		out["model"] = "erlang_c"
		out["erlang_c"] = erlangCModel(p.Agents, lambda, p.AHT, p.SLThreshold)
	} else {
		out["model"] = "erlang_a"
		out["erlang_a"] = erlangAModel(p.Agents, lambda, p.AHT, p.Patience)
	}
	return out
}
