package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/config"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/internal/store"
	"github.com/hotline10000/hotline/internal/store/storetest"
)

// A restart keeps waiting contacts in their places and agents in their
// states: the center saves the ACD's snapshot when it stops and restores it.
func TestCenterSurvivesRestart(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	// Registered first, so it runs after the store's cleanup closes it.
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	ctx := context.Background()
	st := storetest.SQLite(t)
	st.UpsertSkill(ctx, store.Skill{Name: "general"})
	st.UpsertQueue(ctx, store.Queue{ID: "general-chat", Name: "chat", Channel: store.Chat, SLThreshold: time.Minute,
		SLTargetPercent: 80, Skills: []store.QueueSkill{{Skill: "general", MinProficiency: 1}}}, time.Now())
	cfg := config.Default()
	log := slog.New(slog.DiscardHandler)

	bus := event.NewBus(event.Options{})
	seen := bus.Subscribe("test", 100, event.Drop, nil)
	c, err := newCenter(ctx, cfg, st, bus, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { c.run(runCtx); close(done) }()
	if err := c.engine.Login(ctx, acd.AgentSpec{ID: "a1", Skills: map[string]int{"general": 5}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := c.engine.Enqueue(ctx, acd.ContactSpec{ID: id, Queue: "general-chat", Channel: acd.Chat, Tier: "gold"}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	<-done
	bus.Close()
	var types []string
	for e := range seen.C() {
		types = append(types, string(e.Type))
	}
	if len(types) < 3 || types[len(types)-1] != "acd.queued" {
		t.Fatalf("bus got %v, want acd events ending with acd.queued", types)
	}

	c2, err := newCenter(ctx, cfg, st, event.NewBus(event.Options{}), nil, log)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop = context.WithCancel(ctx)
	done = make(chan struct{})
	go func() { c2.run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	qs, err := c2.engine.QueueStats(ctx, "general-chat")
	if err != nil {
		t.Fatal(err)
	}
	if qs.Waiting != 2 {
		t.Fatalf("waiting after restart: got %d, want 2 (%+v)", qs.Waiting, qs)
	}
	if _, err := c2.engine.Agent(ctx, "a1"); err != nil {
		t.Fatalf("agent after restart: %v", err)
	}
}

// A snapshot that does not fit the queues (one was removed) is kept aside
// and the center starts empty rather than refusing to start.
func TestCenterRejectsStaleSnapshot(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	bad := []byte(`{"version":1,"contacts":[{"id":"c1","queue":"gone-queue"}]}`)
	if err := st.SaveSnapshot(ctx, acdSnapshot, bad, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := newCenter(ctx, config.Default(), st, event.NewBus(event.Options{}), nil, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("stale snapshot stopped the center: %v", err)
	}
	if _, _, err := st.LoadSnapshot(ctx, acdSnapshot+".rejected"); err != nil {
		t.Fatalf("rejected snapshot not kept: %v", err)
	}
}
