package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotline10000/hotline/acd"
)

// Prometheus series (docs/metrics.md). Raw counters and histograms carry
// low-cardinality labels only (channel, queue, outcome, state, result);
// never an agent or a contact. The computed KPIs are one gauge family,
// hotline_kpi, with their targets in hotline_kpi_target.
var (
	descRequests = prometheus.NewDesc("hotline_kpi_requests_total",
		"Agent requests by outcome (answered, abandoned, system_lost), in the queue first entered.",
		[]string{"channel", "queue", "outcome"}, nil)
	descShort = prometheus.NewDesc("hotline_kpi_short_abandons_total",
		"Abandons within the short-abandon limit (also in requests_total{outcome=\"abandoned\"}).",
		[]string{"channel", "queue"}, nil)
	descAnswerWait = prometheus.NewDesc("hotline_kpi_answer_wait_seconds",
		"Wait of answered agent requests, from entering the agent queue to connect.",
		[]string{"channel", "queue"}, nil)
	descAbandonWait = prometheus.NewDesc("hotline_kpi_abandon_wait_seconds",
		"Wait of abandoned agent requests.", []string{"channel", "queue"}, nil)
	descHandled = prometheus.NewDesc("hotline_kpi_handled_total",
		"Agent handlings ended (talk over; a transfer ends one).", []string{"channel", "queue"}, nil)
	descHandle = prometheus.NewDesc("hotline_kpi_handle_seconds_total",
		"Handle time of ended handlings by part (talk, hold, acw).", []string{"channel", "queue", "part"}, nil)
	descAgentTime = prometheus.NewDesc("hotline_kpi_agent_state_seconds_total",
		"Agent time by state, all agents.", []string{"state"}, nil)
	descAgents = prometheus.NewDesc("hotline_kpi_agents",
		"Agents in each state now.", []string{"state"}, nil)
	descIVR = prometheus.NewDesc("hotline_kpi_ivr_runs_total",
		"IVR runs ended, contained (no agent request: self-service or left in the IVR) or not.",
		[]string{"channel", "contained"}, nil)
	descSurveys = prometheus.NewDesc("hotline_kpi_surveys_total",
		"Valid post-contact ratings, satisfied or not.", []string{"channel", "queue", "satisfied"}, nil)
	descEnded = prometheus.NewDesc("hotline_kpi_answered_contacts_total",
		"Answered contacts ended, with at least one offer logged or not (MK01).",
		[]string{"channel", "queue", "offered"}, nil)
	descOffers = prometheus.NewDesc("hotline_kpi_offers_total",
		"Offers by outcome: presented (every offer), accepted.", []string{"channel", "queue", "outcome"}, nil)
	descSales = prometheus.NewDesc("hotline_kpi_sales_total",
		"Sales: inbound offers accepted and outbound successes.", nil, nil)
	descOutbound = prometheus.NewDesc("hotline_kpi_outbound_attempts_total",
		"Outbound attempts by result.", []string{"result"}, nil)
	descOutboundSales = prometheus.NewDesc("hotline_kpi_outbound_sales_total",
		"Outbound attempts that ended in a sale.", nil, nil)
	descWaiting = prometheus.NewDesc("hotline_kpi_queue_waiting",
		"Contacts waiting in the queue now (SL05).", []string{"channel", "queue"}, nil)
	descOldest = prometheus.NewDesc("hotline_kpi_queue_oldest_wait_seconds",
		"Longest current wait in the queue (SL06); 0 when none waits.", []string{"channel", "queue"}, nil)
	descKPI = prometheus.NewDesc("hotline_kpi",
		"The computed KPIs (KPIS.md), by window; absent when a KPI has no data.",
		[]string{"kpi", "category", "channel", "queue", "window"}, nil)
	descTarget = prometheus.NewDesc("hotline_kpi_target",
		"KPI targets from configuration: bound min or max.", []string{"kpi", "channel", "bound"}, nil)
	descApplied = prometheus.NewDesc("hotline_kpi_engine_events_total",
		"Events applied by the KPI engine since start (replayed and live).", nil, nil)
)

// Collector exports the engine as Prometheus series. Each scrape reads the
// engine once through the Runner's goroutine.
type Collector struct {
	r       *Runner
	timeout time.Duration
}

// NewCollector returns a collector of r.
func NewCollector(r *Runner) *Collector { return &Collector{r: r, timeout: 5 * time.Second} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRequests, descShort, descAnswerWait, descAbandonWait, descHandled,
		descHandle, descAgentTime, descAgents, descIVR, descSurveys, descEnded, descOffers, descSales, descOutbound,
		descOutboundSales, descWaiting, descOldest, descKPI, descTarget, descApplied} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var ms []prometheus.Metric
	_ = c.r.Do(ctx, func(e *Engine) {
		now := c.r.o.Clock()
		e.Advance(now)
		ms = e.collect(now)
	})
	for _, m := range ms {
		ch <- m
	}
}

func counter(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (e *Engine) histogram(d *prometheus.Desc, hist []int64, count, sum int64, labels ...string) prometheus.Metric {
	b := make(map[float64]uint64, len(e.bounds))
	for i, x := range e.bounds {
		b[x] = uint64(hist[i])
	}
	return prometheus.MustNewConstHistogram(d, uint64(count), float64(sum)/1e9, b, labels...)
}

// collect builds every series at now.
func (e *Engine) collect(now time.Time) []prometheus.Metric {
	n := now.UnixNano()
	var ms []prometheus.Metric
	sec := func(ns int64) float64 { return float64(ns) / 1e9 }
	var sales, outboundSales int64
	outbound := map[string]int64{}
	for _, s := range e.order {
		ch, q, t := s.key.ch.String(), s.key.queue, &s.total
		sales += t.sales
		outboundSales += t.outboundSales
		for r, v := range s.offers {
			outbound[r] += v
		}
		if q == "" {
			ms = append(ms,
				counter(descIVR, float64(t.ivrContained), ch, "true"),
				counter(descIVR, float64(t.ivrEnded-t.ivrContained), ch, "false"))
		}
		if q == "" && t.surveys == 0 && t.answeredContacts == 0 && t.offersPresented == 0 {
			continue
		}
		ms = append(ms,
			counter(descSurveys, float64(t.satisfied), ch, q, "true"),
			counter(descSurveys, float64(t.surveys-t.satisfied), ch, q, "false"),
			counter(descEnded, float64(t.offeredContacts), ch, q, "true"),
			counter(descEnded, float64(t.answeredContacts-t.offeredContacts), ch, q, "false"),
			counter(descOffers, float64(t.offersPresented), ch, q, "presented"),
			counter(descOffers, float64(t.offersAccepted), ch, q, "accepted"))
		if q == "" {
			continue
		}
		var oldest int64
		for _, at := range s.waiting {
			oldest = max(oldest, n-at)
		}
		ms = append(ms,
			counter(descRequests, float64(t.answered), ch, q, "answered"),
			counter(descRequests, float64(t.abandoned), ch, q, "abandoned"),
			counter(descRequests, float64(t.lost), ch, q, "system_lost"),
			counter(descShort, float64(t.shortAbandons), ch, q),
			e.histogram(descAnswerWait, s.answerHist, t.answered, t.answerWait, ch, q),
			e.histogram(descAbandonWait, s.abandonHist, t.abandoned, t.abandonWait, ch, q),
			counter(descHandled, float64(t.handled), ch, q),
			counter(descHandle, sec(t.talk), ch, q, "talk"),
			counter(descHandle, sec(t.hold), ch, q, "hold"),
			counter(descHandle, sec(t.acw), ch, q, "acw"),
			gauge(descWaiting, float64(len(s.waiting)), ch, q),
			gauge(descOldest, sec(max(oldest, 0)), ch, q))
	}
	ms = append(ms, counter(descSales, float64(sales)), counter(descOutboundSales, float64(outboundSales)))
	for _, r := range []OutboundResult{NoAnswer, Busy, Invalid, Machine, WrongParty, RightParty} {
		ms = append(ms, counter(descOutbound, float64(outbound[string(r)]), string(r)))
	}
	// Agent time: closed spans plus the open ones up to now.
	st := e.stateTime
	var count [len(e.stateTime)]int
	for _, a := range e.agents {
		count[a.state]++
		if lf := max(a.since, e.liveFrom); e.live && n > lf {
			st[a.state] += n - lf
		}
	}
	for s := acd.LoggedOut; int(s) < len(st); s++ {
		if s != acd.LoggedOut {
			ms = append(ms, counter(descAgentTime, sec(st[s]), s.String()), gauge(descAgents, float64(count[s]), s.String()))
		}
	}
	// The KPIs: center-wide, per channel, per queue, in every window.
	filters := []Filter{{}, {Channel: "voice"}, {Channel: "chat"}}
	filters = append(filters, e.Queues()...)
	for _, w := range Windows {
		pre := e.windowSums(w, now)
		for _, f := range filters {
			r := e.read(w, f, now, pre)
			for _, v := range r.KPIs {
				if v.Value != nil {
					ms = append(ms, gauge(descKPI, *v.Value, v.ID, string(v.Category), label(f.Channel), label(f.Queue), string(w)))
				}
			}
		}
	}
	for _, d := range Definitions {
		for _, ch := range []string{"", "voice", "chat"} {
			t, ok := e.o.Targets.For(d.ID, ch)
			if !ok {
				continue
			}
			if t.Min != nil {
				ms = append(ms, gauge(descTarget, *t.Min, d.ID, label(ch), "min"))
			}
			if t.Max != nil {
				ms = append(ms, gauge(descTarget, *t.Max, d.ID, label(ch), "max"))
			}
		}
	}
	ms = append(ms, counter(descApplied, float64(e.applied)))
	return ms
}

// label names "all" for an empty filter field, so PromQL can select it.
func label(s string) string {
	if s == "" {
		return "all"
	}
	return s
}
