package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/metrics"
)

// kpiOptions turns the kpi.* keys into the engine's options.
func kpiOptions(cfg config.Config) (metrics.Options, error) {
	zone, err := time.LoadLocation(cfg.Center.TimeZone)
	if err != nil {
		return metrics.Options{}, &config.Error{Key: "center.time_zone", Value: cfg.Center.TimeZone, Reason: err.Error()}
	}
	targets, err := metrics.ParseTargets(metrics.DefaultTargets(), cfg.KPI.Targets)
	if err != nil {
		return metrics.Options{}, &config.Error{Key: "kpi.targets", Reason: err.Error()}
	}
	return metrics.Options{Location: zone, VoiceThreshold: cfg.KPI.VoiceThreshold, ChatThreshold: cfg.KPI.ChatThreshold,
		ShortAbandon: cfg.KPI.ShortAbandon, Targets: targets}, nil
}

// replayLog reads the stored event log from a time on, in the log's order,
// decoding the payloads the KPI engine reads.
func replayLog(st *store.Store, log *slog.Logger) metrics.Replay {
	return func(ctx context.Context, from, to time.Time, fn func(event.Event)) error {
		var after int64
		for {
			page, err := st.Events(ctx, store.EventFilter{AfterSeq: after, From: from, To: to, Limit: 10000})
			if err != nil {
				return fmt.Errorf("read event log after %d: %w", after, err)
			}
			for _, se := range page {
				after = se.Seq
				data, ok, err := metrics.Decode(se.Type, se.Data)
				if err != nil {
					log.Warn("kpi engine: stored event not read", "seq", se.Seq, "type", string(se.Type), "err", err)
					continue
				}
				if !ok {
					continue
				}
				fn(event.Event{ID: se.ID, Type: se.Type, At: se.At, ContactID: se.ContactID, AgentID: se.AgentID,
					Queue: se.Queue, Actor: se.Actor, Node: se.Node, Data: data})
			}
			if len(page) < 10000 {
				return nil
			}
		}
	}
}

// kpiIntervals keeps the engine's interval rows in the store's
// kpi_intervals.
type kpiIntervals struct{ st *store.Store }

func (k kpiIntervals) SaveIntervals(ctx context.Context, rows []metrics.IntervalRow) error {
	out := make([]store.KPIInterval, len(rows))
	now := time.Now()
	for i, r := range rows {
		out[i] = store.KPIInterval{Start: r.Start, Queue: r.Queue, Channel: r.Channel, Requests: r.Requests,
			Answered: r.Answered, AnsweredInSL: r.AnsweredInSL, Abandoned: r.Abandoned, ShortAbandons: r.ShortAbandons,
			SystemLost: r.SystemLost, Handled: r.Handled, AnswerWait: r.AnswerWait, Talk: r.Talk, Hold: r.Hold, ACW: r.ACW,
			UpdatedAt: now}
	}
	return k.st.SaveKPIIntervals(ctx, out)
}

func (k kpiIntervals) Intervals(ctx context.Context, from, to time.Time) ([]metrics.IntervalRow, error) {
	rows, err := k.st.KPIIntervals(ctx, from, to)
	out := make([]metrics.IntervalRow, len(rows))
	for i, r := range rows {
		out[i] = metrics.IntervalRow{Start: r.Start, Queue: r.Queue, Channel: r.Channel, Requests: r.Requests,
			Answered: r.Answered, AnsweredInSL: r.AnsweredInSL, Abandoned: r.Abandoned, ShortAbandons: r.ShortAbandons,
			SystemLost: r.SystemLost, Handled: r.Handled, AnswerWait: r.AnswerWait, Talk: r.Talk, Hold: r.Hold, ACW: r.ACW}
	}
	return out, err
}

// runKPIs runs the KPI engine once the schema is current (the event log
// exists to rebuild today from), and the nightly batch job beside it.
func runKPIs(ctx context.Context, k *metrics.Runner, n *nightly) {
	if !waitForSchema(ctx, n.st, n.log) {
		k.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.run(ctx)
	}()
	_ = k.Run(ctx)
	<-done
}

// kpiQueues lists the configured queues for the KPI engine.
func kpiQueues(st *store.Store) func(context.Context) ([]metrics.Filter, error) {
	return func(ctx context.Context) ([]metrics.Filter, error) {
		qs, err := st.Queues(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]metrics.Filter, 0, len(qs))
		for _, q := range qs {
			out = append(out, metrics.Filter{Queue: q.ID, Channel: string(q.Channel)})
		}
		return out, nil
	}
}

// kpiCommand is `hotline kpi run --day YYYY-MM-DD [--json] [flags]`: the
// batch KPIs of a past day from the stored event log, printed and stored
// in the log (the API shows the latest day stored).
func kpiCommand(ctx context.Context, args []string, e env) int {
	const usageText = `Usage:
  hotline kpi run --day YYYY-MM-DD [--json] [flags]
      compute the batch KPIs (SQ01, SQ02, SQ04, SQ05, SQ06) of a day in the
      center's time zone from the event log, print them and store them
`
	if len(args) == 0 || args[0] != "run" {
		if len(args) > 0 && args[0] != "help" && args[0] != "-h" && args[0] != "--help" {
			fmt.Fprintf(e.stderr, "hotline kpi: unknown command %q (run)\n", args[0])
			return 2
		}
		fmt.Fprint(e.stdout, usageText)
		return 0
	}
	var day string
	var asJSON bool
	var rest []string
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "--day" || a == "-day") && i+1 < len(args):
			day = args[i+1]
			i++
		case strings.HasPrefix(a, "--day="):
			day = strings.TrimPrefix(a, "--day=")
		case a == "--json":
			asJSON = true
		default:
			rest = append(rest, a)
		}
	}
	cfg, more, err := config.Load(rest, e.getenv)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(e.stdout, usageText)
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline kpi: %s\n", oneLine(err))
		return 2
	}
	if len(more) > 0 {
		fmt.Fprintf(e.stderr, "hotline kpi run: unexpected argument %q\n", more[0])
		return 2
	}
	zone, err := time.LoadLocation(cfg.Center.TimeZone)
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline kpi: center.time_zone: %v\n", err)
		return 2
	}
	d, err := time.ParseInLocation("2006-01-02", day, zone)
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline kpi run: --day: want YYYY-MM-DD\n%s", usageText)
		return 2
	}
	log := newLogger(e.stderr, cfg)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline kpi run: %s\n", oneLine(err))
		return 1
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		fmt.Fprintf(e.stderr, "hotline kpi run: %s\n", oneLine(err))
		return 1
	}
	res, err := computeDay(ctx, st, d, time.Now())
	if err == nil {
		err = st.AppendEvents(ctx, []event.Event{dayEvent(res, d)})
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "hotline kpi run: %s\n", oneLine(err))
		return 1
	}
	if asJSON {
		_ = json.NewEncoder(e.stdout).Encode(res)
		return 0
	}
	fmt.Fprintf(e.stdout, "batch KPIs of %s (%s)\n", res.Day, cfg.Center.TimeZone)
	for _, v := range res.KPIs {
		val := "no data"
		if v.Value != nil {
			val = strconv.FormatFloat(*v.Value, 'f', -1, 64)
		}
		def, _ := metrics.Lookup(v.ID)
		fmt.Fprintf(e.stdout, "%s  %-12s %g/%g  %s (%s)\n", v.ID, val, v.Numerator, v.Denominator, def.NameZH, def.Name)
	}
	return 0
}

// computeDay reads the log over the day's batch span (the ticket events
// from metrics.ComplaintLookback before the day) and computes it.
func computeDay(ctx context.Context, st *store.Store, day, now time.Time) (metrics.DayResult, error) {
	from, to := metrics.BatchSpan(day)
	var evs []event.Event
	read := func(f store.EventFilter) error {
		for {
			page, err := st.Events(ctx, f)
			if err != nil {
				return fmt.Errorf("read event log: %w", err)
			}
			for _, se := range page {
				f.AfterSeq = se.Seq
				data, ok, err := metrics.DecodeBatch(se.Type, se.Data)
				if err != nil || !ok {
					continue
				}
				evs = append(evs, event.Event{ID: se.ID, Type: se.Type, At: se.At, Data: data})
			}
			if len(page) < f.Limit {
				return nil
			}
		}
	}
	if early := day.Add(-metrics.ComplaintLookback); early.Before(from) {
		if err := read(store.EventFilter{TypePrefix: "ticket.", From: early, To: from, Limit: 10000}); err != nil {
			return metrics.DayResult{}, err
		}
	}
	if err := read(store.EventFilter{From: from, To: to, Limit: 10000}); err != nil {
		return metrics.DayResult{}, err
	}
	return metrics.ComputeDay(day, evs, now), nil
}

// dayEvent stores a day's result at the day's midnight.
func dayEvent(res metrics.DayResult, day time.Time) event.Event {
	return event.Event{ID: event.NewID(), Type: metrics.TypeDayComputed, At: day.UTC(), Actor: "system", Data: res}
}

// nightly is the job after each midnight in the center's time zone:
// yesterday's batch KPIs, published on the bus (the log stores them, the
// engine shows them), then the day report e-mailed to kpi.report_to
// through the ticket outbox.
type nightly struct {
	st       *store.Store
	bus      *event.Bus
	kpis     *metrics.Runner
	opts     metrics.Options // the engine's: the center's time zone, thresholds, targets
	reportTo []string
	now      func() time.Time
	log      *slog.Logger
}

func (n *nightly) midnight(t time.Time) time.Time {
	l := t.In(n.opts.Location)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, n.opts.Location)
}

// run computes yesterday at start when the log has no result for it, then
// at 00:10 each day, until ctx ends.
func (n *nightly) run(ctx context.Context) {
	yesterday := n.midnight(n.now()).AddDate(0, 0, -1)
	stored, err := n.st.Events(ctx, store.EventFilter{TypePrefix: metrics.TypeDayComputed, From: yesterday, To: yesterday.Add(time.Second), Limit: 1})
	if err == nil && len(stored) == 0 {
		n.day(ctx, yesterday)
	}
	for {
		next := n.midnight(n.now()).AddDate(0, 0, 1).Add(10 * time.Minute)
		t := time.NewTimer(next.Sub(n.now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		n.day(ctx, n.midnight(n.now()).AddDate(0, 0, -1))
	}
}

// day computes and publishes day's batch KPIs, then mails the day report.
func (n *nightly) day(ctx context.Context, day time.Time) {
	res, err := computeDay(ctx, n.st, day, n.now())
	if err != nil {
		n.log.Warn("batch KPIs not computed", "day", day.Format("2006-01-02"), "err", err)
		return
	}
	if _, err := n.bus.Publish(ctx, dayEvent(res, day)); err != nil {
		n.log.Warn("batch KPIs not published", "day", res.Day, "err", err)
		return
	}
	n.log.Info("batch KPIs computed", "day", res.Day)
	if err := n.mail(ctx, day, res); err != nil {
		n.log.Warn("day report not queued", "day", res.Day, "err", err)
	}
}

// mail queues the day report for each of kpi.report_to in the ticket
// outbox (its courier sends it with the tickets' e-mail settings). The
// message key is the day and the address, so a second run for the same
// day (a restart) sends nothing twice.
func (n *nightly) mail(ctx context.Context, day time.Time, res metrics.DayResult) error {
	if len(n.reportTo) == 0 {
		return nil
	}
	select { // the stored interval rows are read through the engine
	case <-n.kpis.Built():
	case <-ctx.Done():
		return ctx.Err()
	}
	rep, err := metrics.DayKPIs(ctx, n.opts, day, replayLog(n.st, n.log), res)
	if err != nil {
		return err
	}
	rows, err := n.kpis.Intervals(ctx, res.Day)
	if err != nil {
		return err
	}
	subject, body := metrics.DayReport{Day: day, KPIs: rep, Rows: rows}.Mail()
	now := n.now()
	ms := make([]store.OutboxMessage, 0, len(n.reportTo))
	for _, to := range n.reportTo {
		ms = append(ms, store.OutboxMessage{Key: "kpi-day-report/" + res.Day + "/" + to, Medium: string(ticket.ByEmail),
			To: to, Subject: subject, Body: body, State: ticket.Queued, NextTry: now, CreatedAt: now})
	}
	if err := n.st.EnqueueOutbox(ctx, ms); err != nil {
		return err
	}
	n.log.Info("day report queued", "day", res.Day, "recipients", len(ms))
	return nil
}
