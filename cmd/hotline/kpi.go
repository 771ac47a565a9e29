package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

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
	return func(ctx context.Context, from time.Time, fn func(event.Event)) error {
		var after int64
		for {
			page, err := st.Events(ctx, store.EventFilter{AfterSeq: after, From: from, Limit: 10000})
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

// runKPIs runs the KPI engine once the schema is current (the event log
// exists to rebuild today from).
func runKPIs(ctx context.Context, k *metrics.Runner, st *store.Store, log *slog.Logger) {
	if !waitForSchema(ctx, st, log) {
		k.Close()
		return
	}
	_ = k.Run(ctx)
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
