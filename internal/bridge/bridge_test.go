package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/hotline10000/hotline/internal/pgtest"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/ivr"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m) // TestSaverOnStore runs on both backends
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// rig is an engine and a bridge running in a synctest bubble: time is
// virtual, so grace periods and saves run without sleeping.
type rig struct {
	t      *testing.T
	e      *acd.Engine
	b      *Bridge
	mu     sync.Mutex
	events []acd.Event
	stop   func()
}

func newRig(t *testing.T, r *acd.Router) *rig {
	t.Helper()
	x := &rig{t: t}
	x.e = acd.NewEngine(r, acd.SystemClock(), acd.SinkFunc(func(evs []acd.Event) {
		x.b.Deliver(evs)
		x.mu.Lock()
		x.events = append(x.events, evs...)
		x.mu.Unlock()
	}))
	var err error
	x.b, err = New(Options{Engine: x.e, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = x.e.Run(ctx) })
	wg.Go(func() { _ = x.b.Run(ctx) })
	x.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(x.stop)
	return x
}

func router(t *testing.T, ch acd.Channel) *acd.Router {
	t.Helper()
	cfg := acd.DefaultConfig()
	cfg.Aging = 0
	cfg.WrapUp = 0
	r, err := acd.NewRouter(cfg, []acd.Queue{{ID: "Q", Channel: ch, Skills: []acd.Requirement{{Skill: "x", Min: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (x *rig) must(err error) {
	x.t.Helper()
	if err != nil {
		x.t.Fatal(err)
	}
}

// find returns the last event of a kind for a contact.
func (x *rig) find(kind acd.EventKind, contact string) (acd.Event, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := len(x.events) - 1; i >= 0; i-- {
		if e := x.events[i]; e.Kind == kind && e.Contact == contact {
			return e, true
		}
	}
	return acd.Event{}, false
}

func next(t *testing.T, h ivr.QueueHandle) ivr.QueueEvent {
	t.Helper()
	synctest.Wait()
	select {
	case ev := <-h.Events():
		return ev
	default:
		t.Fatal("no queue event")
	}
	return ivr.QueueEvent{}
}

var chat = Holder{Channel: acd.Chat, Survives: true}

func enqueue(x *rig, q ivr.Queuer, id, tier string) ivr.QueueHandle {
	x.t.Helper()
	h, err := q.Enqueue(context.Background(), ivr.QueueRequest{ContactID: id, Queue: "Q", Tier: tier})
	x.must(err)
	return h
}

// Customers are told the places the router serves them in: a gold
// customer who came later is ahead of a standard one.
func TestPositionsFromRouter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Chat))
		ctx := context.Background()
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		q := x.b.Queuer(chat)
		s := enqueue(x, q, "s", "")
		if ev := next(t, s); ev.Kind != ivr.QueuePosition || ev.Position != 1 || ev.ExpectedWait != 0 {
			t.Fatalf("first: got %+v, want position 1 and no wait promised", ev)
		}
		time.Sleep(time.Second)
		g := enqueue(x, q, "g", "gold")
		if ev := next(t, g); ev.Position != 1 {
			t.Fatalf("gold: got %+v, want position 1", ev)
		}
		if ev := next(t, s); ev.Position != 2 {
			t.Fatalf("standard after gold came: got %+v, want position 2", ev)
		}
		// An unknown tier is served as standard, behind both.
		u := enqueue(x, q, "u", "platinum")
		if ev := next(t, u); ev.Position != 3 {
			t.Fatalf("unknown tier: got %+v, want position 3", ev)
		}
	})
}

// A chat connects when its agent accepts: QueueConnected carries the
// agent's id.
func TestAcceptConnectsChat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Chat))
		ctx := context.Background()
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		x.must(x.e.SetReady(ctx, "A"))
		h := enqueue(x, x.b.Queuer(chat), "c1", "")
		synctest.Wait()
		x.must(x.b.Accept(ctx, "A", "c1"))
		if ev := next(t, h); ev.Kind != ivr.QueueConnected || ev.Agent != "A" {
			t.Fatalf("got %+v, want connected to agent id A", ev)
		}
		x.must(x.e.End(ctx, "c1"))
		if ev := next(t, h); ev.Kind != ivr.QueueAgentLeft {
			t.Fatalf("got %+v, want agent left", ev)
		}
	})
}

// Voice rings the agent's leg when the contact is offered: the agent
// answering accepts and connects; not answering rejects the offer.
func TestRingStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Voice))
		ctx := context.Background()
		type ringing struct {
			contact, agent string
			answer         chan error
		}
		rings := make(chan ringing, 4)
		voice := Holder{Channel: acd.Voice, Ring: func(ctx context.Context, contact, agent string) error {
			r := ringing{contact, agent, make(chan error, 1)}
			rings <- r
			select {
			case err := <-r.answer:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		}}
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		x.must(x.e.SetReady(ctx, "A"))
		h := enqueue(x, x.b.Queuer(voice), "v1", "")
		synctest.Wait()
		r := <-rings
		if r.contact != "v1" || r.agent != "A" {
			t.Fatalf("rang %+v, want v1 on A", r)
		}
		if st, _ := x.e.Contact(ctx, "v1"); st.State != "offered" {
			t.Fatalf("while ringing: got %s, want offered", st.State)
		}
		// The desk's accept does not connect a leg still ringing.
		x.must(x.b.Accept(ctx, "A", "v1"))
		if st, _ := x.e.Contact(ctx, "v1"); st.State != "accepted" {
			t.Fatalf("accepted on the desk, phone ringing: got %s, want accepted", st.State)
		}
		r.answer <- nil
		if ev := next(t, h); ev.Kind != ivr.QueueConnected || ev.Agent != "A" {
			t.Fatalf("got %+v, want connected to A once answered", ev)
		}
		if _, ok := x.find(acd.EventAnswered, "v1"); !ok {
			t.Fatal("no answered event")
		}

		// Not answered: the offer is rejected and the contact waits again.
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "B", Skills: map[string]int{"x": 5}}))
		x.must(x.e.SetReady(ctx, "B"))
		enqueue(x, x.b.Queuer(voice), "v2", "")
		synctest.Wait()
		r = <-rings
		r.answer <- errors.New("busy here")
		synctest.Wait()
		if _, ok := x.find(acd.EventRejected, "v2"); !ok {
			t.Fatal("unanswered leg: no rejected event")
		}
		// The customer hangs up while the next agent's phone rings: the
		// ring stops.
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "C", Skills: map[string]int{"x": 5}}))
		x.must(x.e.SetReady(ctx, "C"))
		synctest.Wait()
		r = <-rings
		if r.agent != "C" {
			t.Fatalf("rang %s, want C", r.agent)
		}
		hv2 := x.b.held["v2"]
		x.must(hv2.Cancel(ctx, acd.LeaveHangup))
		synctest.Wait()
		if e, ok := x.find(acd.EventAbandoned, "v2"); !ok || e.Outcome != acd.Abandoned {
			t.Fatalf("hang-up while ringing: got %+v, want abandoned", e)
		}
	})
}

// Cancel books each reason as the KPIs count it; a drain keeps the
// contacts of a channel that survives restarts and loses the others as
// system_lost.
func TestCancelReasons(t *testing.T) {
	for _, tc := range []struct {
		name    string
		holder  Holder
		why     acd.LeaveReason
		kind    acd.EventKind
		outcome acd.Outcome
		stays   bool
	}{
		{"chat hang-up", chat, acd.LeaveHangup, acd.EventAbandoned, acd.Abandoned, false},
		{"drain of a channel that does not survive restarts", Holder{Channel: acd.Chat}, acd.LeaveDrain, acd.EventLost, acd.SystemLost, false},
		{"chat drain is kept for the restart", chat, acd.LeaveDrain, 0, 0, true},
		{"teardown", chat, acd.LeaveTeardown, acd.EventLost, acd.SystemLost, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				x := newRig(t, router(t, acd.Chat))
				ctx := context.Background()
				x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
				h := enqueue(x, x.b.Queuer(tc.holder), "c1", "")
				x.must(h.Cancel(ctx, tc.why))
				synctest.Wait()
				_, err := x.e.Contact(ctx, "c1")
				if tc.stays {
					if err != nil {
						t.Fatalf("drained chat left the ACD: %v", err)
					}
					return
				}
				e, ok := x.find(tc.kind, "c1")
				if !ok || e.Outcome != tc.outcome || e.Reason != tc.why.String() {
					t.Fatalf("got %+v, want %s %s", e, tc.kind, tc.outcome)
				}
				// Safe after the outcome.
				x.must(h.Cancel(ctx, acd.LeaveHangup))
			})
		})
	}
}

// After a crash the snapshot holds a chat no channel takes back, accepted
// by an agent (the ghost): the grace period ends it as system_lost and
// frees the agent. A restored chat its channel holds again is connected.
func TestRestoredContacts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The state before the crash: A accepted ghost, B accepted kept.
		r := router(t, acd.Chat)
		now := time.Now()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(r.Login(now, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		must(r.SetReady(now, "A"))
		must(r.Enqueue(now, acd.ContactSpec{ID: "ghost", Queue: "Q"}))
		must(r.Accept(now, "A", "ghost"))
		must(r.Enqueue(now, acd.ContactSpec{ID: "kept", Queue: "Q"}))
		must(r.Accept(now, "A", "kept"))
		snap := r.Snapshot()
		restored, err := acd.Restore(r.Config(), []acd.Queue{{ID: "Q", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "x", Min: 1}}}}, snap)
		must(err)

		x := newRig(t, restored)
		ctx := context.Background()
		h := x.b.Hold("kept", chat)
		x.b.Restored(ctx, snap.Contacts)
		if ev := next(t, h); ev.Kind != ivr.QueueConnected {
			t.Fatalf("kept chat: got %+v, want connected", ev)
		}
		if st, _ := x.e.Contact(ctx, "ghost"); st.State != "accepted" {
			t.Fatalf("ghost before the grace period: %s", st.State)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		e, ok := x.find(acd.EventLost, "ghost")
		if !ok || e.Outcome != acd.SystemLost || e.Reason != "teardown" {
			t.Fatalf("ghost after the grace period: got %+v, want lost as system_lost", e)
		}
		a, err := x.e.Agent(ctx, "A")
		must(err)
		if len(a.Contacts) != 1 || a.Contacts[0] != "kept" {
			t.Fatalf("agent A holds %v, want only the kept chat", a.Contacts)
		}
	})
}

// memStore is a SnapshotStore in memory.
type memStore struct {
	mu    sync.Mutex
	data  map[string][]byte
	parts map[string]map[string][]byte
}

func (m *memStore) SaveSnapshotDelta(_ context.Context, name string, head []byte, put map[string][]byte, gone []string, replace bool, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[name] = append([]byte(nil), head...)
	if m.parts == nil {
		m.parts = map[string]map[string][]byte{}
	}
	ps := m.parts[name]
	if ps == nil || replace {
		ps = map[string][]byte{}
		m.parts[name] = ps
	}
	for _, k := range gone {
		delete(ps, k)
	}
	for k, v := range put {
		ps[k] = append([]byte(nil), v...)
	}
	return nil
}

func (m *memStore) SnapshotParts(_ context.Context, name string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.parts[name]), nil
}

var errNone = errors.New("no snapshot")

func (m *memStore) SaveSnapshot(_ context.Context, name string, data []byte, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[name] = append([]byte(nil), data...)
	delete(m.parts, name)
	return nil
}

func (m *memStore) LoadSnapshot(_ context.Context, name string) ([]byte, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.data[name]
	if !ok {
		return nil, time.Time{}, errNone
	}
	return d, time.Time{}, nil
}

// The Saver saves soon after a contact arrives (a kill -9 a moment later
// keeps it), with what its channel kept; Load gives both back.
func TestSaverKeepsArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &memStore{data: map[string][]byte{}}
		cfg := acd.DefaultConfig()
		queues := []acd.Queue{{ID: "Q", Channel: acd.Chat, Skills: []acd.Requirement{{Skill: "x", Min: 1}}}}
		l, err := Load(context.Background(), st, errNone, cfg, queues, nil)
		if err != nil {
			t.Fatal(err)
		}
		x := newRig(t, l.Router)
		ctx, cancel := context.WithCancel(context.Background())
		s := NewSaver(x.b, st, time.Hour)
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		h := enqueue(x, x.b.Queuer(chat), "c1", "")
		h.(*Handle).Keep(json.RawMessage(`{"token_hash":"t"}`))
		time.Sleep(saveSoon)
		synctest.Wait()
		cancel()
		<-done
		// Crash: nothing else saved. What was kept of a contact the ACD no
		// longer holds is not given back.
		var kept map[string]json.RawMessage
		_ = json.Unmarshal(st.data[KeptName], &kept)
		kept["gone"] = json.RawMessage(`{}`)
		st.data[KeptName], _ = json.Marshal(kept)
		l, err = Load(context.Background(), st, errNone, cfg, queues, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Contacts) != 1 || l.Contacts[0].ID != "c1" || string(l.Kept["c1"]) != `{"token_hash":"t"}` || len(l.Kept) != 1 {
			t.Fatalf("after the crash: contacts %+v kept %s", l.Contacts, l.Kept)
		}
	})
}

// Today counts each request's outcome once (a second answer after a
// transfer is not a second answered contact) and starts again at midnight
// in the center's zone.
func TestToday(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Chat))
		zone := time.FixedZone("CST", 8*3600)
		x.b.o.Location = zone
		ctx := context.Background()
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		x.must(x.e.SetReady(ctx, "A"))
		q := x.b.Queuer(chat)
		enqueue(x, q, "c1", "")
		synctest.Wait()
		x.must(x.b.Accept(ctx, "A", "c1"))
		x.must(x.e.TransferToQueue(ctx, "c1", "Q"))
		synctest.Wait()
		x.must(x.b.Accept(ctx, "A", "c1"))
		h2 := enqueue(x, q, "c2", "")
		x.must(h2.Cancel(ctx, acd.LeaveHangup))
		h3 := enqueue(x, q, "c3", "")
		x.must(h3.Cancel(ctx, acd.LeaveTeardown))
		synctest.Wait()
		if got := x.b.Today(time.Now())["Q"]; got != (DayCount{Answered: 1, Abandoned: 1, Lost: 1}) {
			t.Fatalf("today: got %+v, want one of each", got)
		}
		now := time.Now().In(zone)
		midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, zone)
		if got := x.b.Today(midnight.Add(-time.Second))["Q"]; got.Answered != 1 {
			t.Fatalf("before midnight: %+v", got)
		}
		if got := x.b.Today(midnight)["Q"]; got != (DayCount{}) {
			t.Fatalf("after midnight: got %+v, want zeros", got)
		}
	})
}

// A connected voice contact the agent transfers is told so (its channel
// drops the agent's leg), rings the next agent and is connected again; a
// chat's transfer sends nothing (its transport owner follows it).
func TestVoiceTransferReconnects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Voice))
		ctx := context.Background()
		rang := make(chan string, 4)
		voice := Holder{Channel: acd.Voice, Ring: func(ctx context.Context, contact, agent string) error {
			rang <- agent
			return nil // answered at once
		}}
		for _, id := range []string{"A", "B", "C"} {
			x.must(x.e.Login(ctx, acd.AgentSpec{ID: id, Skills: map[string]int{"x": 5}}))
		}
		x.must(x.e.SetReady(ctx, "A"))
		h := enqueue(x, x.b.Queuer(voice), "v1", "")
		synctest.Wait()
		if a := <-rang; a != "A" {
			t.Fatalf("rang %s, want A", a)
		}
		if ev := next(t, h); ev.Kind != ivr.QueueConnected || ev.Agent != "A" {
			t.Fatalf("got %+v, want connected to A", ev)
		}
		// Blind transfer to agent B.
		x.must(x.e.SetReady(ctx, "B"))
		x.must(x.e.TransferToAgent(ctx, "v1", "B"))
		if ev := next(t, h); ev.Kind != ivr.QueueTransferred || ev.Agent != "B" {
			t.Fatalf("got %+v, want transferred to B", ev)
		}
		if a := <-rang; a != "B" {
			t.Fatalf("rang %s, want B", a)
		}
		if ev := next(t, h); ev.Kind != ivr.QueueConnected || ev.Agent != "B" {
			t.Fatalf("got %+v, want connected to B", ev)
		}
		// Blind transfer to the queue: the next agent ready takes it.
		x.must(x.e.SetReady(ctx, "C"))
		x.must(x.e.TransferToQueue(ctx, "v1", "Q"))
		if ev := next(t, h); ev.Kind != ivr.QueueTransferred {
			t.Fatalf("got %+v, want transferred", ev)
		}
		synctest.Wait()
		a := <-rang
		if a == "B" {
			t.Fatal("rang B, who transferred it")
		}
		for ev := next(t, h); ev.Kind != ivr.QueueConnected || ev.Agent != a; ev = next(t, h) {
			if ev.Kind != ivr.QueuePosition {
				t.Fatalf("got %+v, want positions then connected to %s", ev, a)
			}
		}
	})
}

func TestChatTransferSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Chat))
		ctx := context.Background()
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "A", Skills: map[string]int{"x": 5}}))
		x.must(x.e.Login(ctx, acd.AgentSpec{ID: "B", Skills: map[string]int{"x": 5}}))
		x.must(x.e.SetReady(ctx, "A"))
		h := enqueue(x, x.b.Queuer(chat), "c1", "")
		synctest.Wait()
		x.must(x.b.Accept(ctx, "A", "c1"))
		if ev := next(t, h); ev.Kind != ivr.QueueConnected {
			t.Fatalf("got %+v, want connected", ev)
		}
		x.must(x.e.SetReady(ctx, "B"))
		x.must(x.e.TransferToAgent(ctx, "c1", "B"))
		x.must(x.b.Accept(ctx, "B", "c1"))
		synctest.Wait()
		select {
		case ev := <-h.Events():
			t.Fatalf("chat transfer sent %+v, want nothing", ev)
		default:
		}
	})
}

type consulter struct {
	rang   chan string
	answer chan error
	ended  chan string
}

func (c consulter) Consult(ctx context.Context, contact, agent string) error {
	c.rang <- agent
	select {
	case err := <-c.answer:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c consulter) EndConsult(contact string, completed bool) {
	c.ended <- fmt.Sprint(contact, " ", completed)
}

// A consultation on a voice contact rings the consulted agent's leg: the
// answer accepts it, completion and cancellation reach the channel, and a
// leg not answered rejects it.
func TestVoiceConsultation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := newRig(t, router(t, acd.Voice))
		ctx := context.Background()
		cs := consulter{rang: make(chan string, 4), answer: make(chan error, 4), ended: make(chan string, 4)}
		voice := Holder{Channel: acd.Voice, Ring: func(context.Context, string, string) error { return nil }, Consulter: cs}
		for _, id := range []string{"A", "B"} {
			x.must(x.e.Login(ctx, acd.AgentSpec{ID: id, Skills: map[string]int{"x": 5}}))
		}
		x.must(x.e.SetReady(ctx, "A"))
		h := enqueue(x, x.b.Queuer(voice), "v1", "")
		synctest.Wait()
		if ev := next(t, h); ev.Kind != ivr.QueueConnected {
			t.Fatalf("got %+v, want connected", ev)
		}
		x.must(x.e.SetReady(ctx, "B"))
		x.must(x.e.Consult(ctx, "v1", "B"))
		synctest.Wait()
		if a := <-cs.rang; a != "B" {
			t.Fatalf("consult rang %s, want B", a)
		}
		cs.answer <- nil
		synctest.Wait()
		if _, ok := x.find(acd.EventConsultStarted, "v1"); !ok {
			t.Fatal("answered consultation not started in the ACD")
		}
		x.must(x.e.CancelConsult(ctx, "v1"))
		synctest.Wait()
		if got := <-cs.ended; got != "v1 false" {
			t.Fatalf("cancelled: EndConsult(%s), want v1 false", got)
		}
		// Not answered: rejected, the consultation ends.
		x.must(x.e.Consult(ctx, "v1", "B"))
		synctest.Wait()
		<-cs.rang
		cs.answer <- errors.New("busy")
		synctest.Wait()
		if e, ok := x.find(acd.EventRejected, "v1"); !ok || e.Reason != "consult" {
			t.Fatalf("unanswered consultation: got %+v, want rejected", e)
		}
		<-cs.ended
		// Answered and completed: the consulted agent keeps the caller.
		x.must(x.e.SetReady(ctx, "B"))
		x.must(x.e.Consult(ctx, "v1", "B"))
		synctest.Wait()
		<-cs.rang
		cs.answer <- nil
		synctest.Wait()
		x.must(x.e.CompleteConsult(ctx, "v1"))
		synctest.Wait()
		if got := <-cs.ended; got != "v1 true" {
			t.Fatalf("completed: EndConsult(%s), want v1 true", got)
		}
		select {
		case ev := <-h.Events():
			t.Fatalf("the completed consultation sent %+v to the flow, want nothing", ev)
		default:
		}
		if st, _ := x.e.Contact(ctx, "v1"); st.Agent != "B" {
			t.Fatalf("after completion the contact is with %q, want B", st.Agent)
		}
	})
}
