package tickettest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline10000/hotline/agentdesk/ticket"
)

// Epoch is the instant contract tests start at.
var Epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Contract runs the behaviour every ticket.Repository must show against
// repositories made by open (a fresh, empty one per call).
func Contract(t *testing.T, open func(t *testing.T) ticket.Repository) {
	t.Run("CreateAndRead", func(t *testing.T) { contractCreate(t, open(t)) })
	t.Run("Rollback", func(t *testing.T) { contractRollback(t, open(t)) })
	t.Run("Sequence", func(t *testing.T) { contractSequence(t, open(t)) })
	t.Run("OptimisticLock", func(t *testing.T) { contractVersion(t, open(t)) })
	t.Run("Search", func(t *testing.T) { contractSearch(t, open(t)) })
	t.Run("Due", func(t *testing.T) { contractDue(t, open(t)) })
	t.Run("Outbox", func(t *testing.T) { contractOutbox(t, open(t)) })
	t.Run("ConcurrentClaims", func(t *testing.T) { ConcurrentClaims(t, open(t), 200, 50) })
	t.Run("OutboxCrash", func(t *testing.T) { contractOutboxCrash(t, open(t)) })
}

// Sample returns a valid ticket for repository tests; i varies it.
func Sample(i int, now time.Time) *ticket.Ticket {
	types := ticket.Types
	return &ticket.Ticket{
		Number: fmt.Sprintf("%s%06d", now.Format("20060102"), i+1), Type: types[i%len(types)],
		Category: fmt.Sprintf("cat%d", i%3), Priority: ticket.Priorities[i%4],
		Customer: ticket.Customer{ID: fmt.Sprint("c", i), Phone: fmt.Sprintf("1390000%04d", i), Tier: ticket.Standard},
		Channel:  ticket.Phone, Region: fmt.Sprintf("r%d", i%2), Subject: fmt.Sprintf("subject %d <b>", i),
		Body: "线路中断 line down", Group: fmt.Sprintf("g%d", i%2), Status: ticket.Pooled, Tags: []string{"a", "b"},
		CreatedBy: "tester", CreatedAt: now.Add(time.Duration(i) * time.Minute), UpdatedAt: now, Version: 1,
		SLA: ticket.SLA{Policy: "p", Resolution: time.Hour, Since: now, ResolutionDue: now.Add(time.Hour),
			Deadline: now.Add(time.Duration(i%5) * time.Hour), NextDue: now.Add(time.Duration(i) * time.Minute), Fired: []string{}},
	}
}

func inTx(t *testing.T, r ticket.Repository, fn func(ticket.Tx) error) {
	t.Helper()
	if err := r.InTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func contractCreate(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	in := Sample(1, Epoch)
	in.IdempotencyKey = "k1"
	in.Visit = &ticket.Visit{Due: Epoch.Add(time.Hour)}
	inTx(t, r, func(tx ticket.Tx) error { return tx.Create(ctx, in) })
	if in.ID == 0 {
		t.Fatal("Create did not set ID")
	}
	inTx(t, r, func(tx ticket.Tx) error {
		for name, get := range map[string]func() (*ticket.Ticket, error){
			"Get":      func() (*ticket.Ticket, error) { return tx.Get(ctx, in.ID) },
			"Lock":     func() (*ticket.Ticket, error) { return tx.Lock(ctx, in.ID) },
			"ByNumber": func() (*ticket.Ticket, error) { return tx.ByNumber(ctx, in.Number) },
			"ByKey":    func() (*ticket.Ticket, error) { return tx.ByKey(ctx, "k1") },
		} {
			got, err := get()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := Same(got, in); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := tx.Get(ctx, in.ID+1000); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("Get(missing): got %v, want ErrNotFound", err)
		}
		if _, err := tx.ByKey(ctx, "nope"); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("ByKey(missing): got %v, want ErrNotFound", err)
		}
		return nil
	})
	dup := Sample(2, Epoch)
	dup.IdempotencyKey = "k1"
	err := r.InTx(ctx, func(tx ticket.Tx) error { return tx.Create(ctx, dup) })
	if !errors.Is(err, ticket.ErrDuplicateKey) {
		t.Errorf("Create(same key): got %v, want ErrDuplicateKey", err)
	}
	// History, notes.
	inTx(t, r, func(tx ticket.Tx) error {
		if err := tx.AddHistory(ctx, []ticket.Entry{
			{Ticket: in.ID, At: Epoch, Actor: "a", Role: ticket.AgentRole, Action: "claim",
				Changes: []ticket.Change{{Field: "status", Before: "pooled", After: "assigned"}}},
			{Ticket: in.ID, At: Epoch.Add(time.Second), Actor: "a", Action: "start", Note: "n"},
		}); err != nil {
			return err
		}
		a := &ticket.Annotation{Ticket: in.ID, Kind: ticket.Reply, Author: "a", Body: "<script>x</script>", At: Epoch}
		if err := tx.AddNote(ctx, a); err != nil {
			return err
		}
		if a.ID == 0 {
			t.Error("AddNote did not set ID")
		}
		return nil
	})
	inTx(t, r, func(tx ticket.Tx) error {
		h, err := tx.History(ctx, in.ID)
		if err != nil {
			return err
		}
		if len(h) != 2 || h[0].Action != "claim" || len(h[0].Changes) != 1 || h[0].Changes[0].After != "assigned" || h[1].Note != "n" {
			t.Errorf("History: got %+v", h)
		}
		n, err := tx.Notes(ctx, in.ID)
		if err != nil {
			return err
		}
		if len(n) != 1 || n[0].Body != "<script>x</script>" || n[0].Kind != ticket.Reply {
			t.Errorf("Notes: got %+v", n)
		}
		return nil
	})
}

// Same compares the stored fields of two tickets.
func Same(got, want *ticket.Ticket) error {
	g, w := got.Clone(), want.Clone()
	for _, x := range []*ticket.Ticket{g, w} {
		x.CreatedAt, x.UpdatedAt, x.ClosedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC(), x.ClosedAt.UTC()
		s := &x.SLA
		for _, p := range []*time.Time{&s.FirstResponseDue, &s.FirstResponseAt, &s.ResolutionDue, &s.ResolvedAt, &s.Since, &s.NextDue, &s.Deadline} {
			*p = p.UTC()
		}
		if x.Visit != nil {
			x.Visit.Due, x.Visit.At = x.Visit.Due.UTC(), x.Visit.At.UTC()
		}
		if len(x.Tags) == 0 {
			x.Tags = nil
		}
		if len(s.Fired) == 0 {
			s.Fired = nil
		}
	}
	gv, wv := fmt.Sprintf("%+v", g.Visit), fmt.Sprintf("%+v", w.Visit)
	if g.Visit != nil && w.Visit != nil {
		gv, wv = fmt.Sprintf("%+v", *g.Visit), fmt.Sprintf("%+v", *w.Visit)
	}
	g.Visit, w.Visit = nil, nil
	if gs, ws := fmt.Sprintf("%+v %s", *g, gv), fmt.Sprintf("%+v %s", *w, wv); gs != ws {
		return fmt.Errorf("got %s, want %s", gs, ws)
	}
	return nil
}

func contractRollback(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	in := Sample(1, Epoch)
	err := r.InTx(ctx, func(tx ticket.Tx) error {
		if err := tx.Create(ctx, in); err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, []ticket.Message{{Key: "x", Ticket: in.ID, Medium: ticket.BySMS, To: "1", Body: "b", State: ticket.Queued, NextTry: Epoch, CreatedAt: Epoch}}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx: got %v, want the function's error", err)
	}
	inTx(t, r, func(tx ticket.Tx) error {
		if _, err := tx.Get(ctx, in.ID); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("Get after rollback: got %v, want ErrNotFound", err)
		}
		if ms, _ := tx.ClaimMessages(ctx, Epoch, time.Minute, 10); len(ms) != 0 {
			t.Errorf("outbox after rollback: got %d messages, want 0", len(ms))
		}
		return nil
	})
}

func contractSequence(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	const workers, each = 8, 10
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				n, err := r.NextSequence(ctx, "20261124")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	if len(got) != workers*each || got[0] < 1 {
		t.Fatalf("got %d numbers from %d, want %d from 1", len(got), got[0], workers*each)
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("sequence %d handed out twice", got[i])
		}
	}
	if n, _ := r.NextSequence(ctx, "20261125"); n != 1 {
		t.Errorf("new day: got %d, want 1", n)
	}
}

func contractVersion(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	in := Sample(1, Epoch)
	inTx(t, r, func(tx ticket.Tx) error { return tx.Create(ctx, in) })
	up := in.Clone()
	up.Status, up.Assignee, up.Version = ticket.Assigned, "a1", 2
	up.SLA.Fired = []string{"warn_75"}
	up.SLA.NextDue = time.Time{}
	inTx(t, r, func(tx ticket.Tx) error { return tx.Update(ctx, up, 1) })
	stale := in.Clone()
	stale.Version = 2
	err := r.InTx(ctx, func(tx ticket.Tx) error { return tx.Update(ctx, stale, 1) })
	if !errors.Is(err, ticket.ErrConflict) {
		t.Errorf("stale update: got %v, want ErrConflict", err)
	}
	inTx(t, r, func(tx ticket.Tx) error {
		got, err := tx.Get(ctx, in.ID)
		if err != nil {
			return err
		}
		if err := Same(got, up); err != nil {
			t.Error(err)
		}
		return nil
	})
}

func contractSearch(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	var all []*ticket.Ticket
	inTx(t, r, func(tx ticket.Tx) error {
		for i := range 30 {
			x := Sample(i, Epoch)
			if i%7 == 0 {
				x.Status, x.SLA.Deadline = ticket.Closed, time.Time{}
			}
			if i%11 == 0 {
				x.SLA.Deadline = time.Time{}
			}
			if i%5 == 1 {
				x.Status, x.Visit = ticket.Resolved, &ticket.Visit{Due: Epoch.Add(time.Duration(30-i) * time.Hour)}
			}
			if err := tx.Create(ctx, x); err != nil {
				return err
			}
			all = append(all, x)
		}
		return nil
	})
	filters := []ticket.Filter{
		{Sort: ticket.Newest, Limit: 50},
		{Sort: ticket.Oldest, Limit: 7, Offset: 3},
		{Sort: ticket.Urgency, Limit: 50, Statuses: []ticket.Status{ticket.Pooled}, Group: "g1"},
		{Sort: ticket.Urgency, Limit: 50},
		{Sort: ticket.Newest, Limit: 50, Type: ticket.Fault, Open: true},
		{Sort: ticket.Newest, Limit: 50, Category: "cat1", Region: "r0", Priority: ticket.Urgent},
		{Sort: ticket.Newest, Limit: 50, Phone: "13900000012"},
		{Sort: ticket.Newest, Limit: 50, Text: "SUBJECT 1"},
		{Sort: ticket.Newest, Limit: 50, Text: "线路"},
		{Sort: ticket.Newest, Limit: 50, From: Epoch.Add(5 * time.Minute), To: Epoch.Add(9 * time.Minute)},
		{Sort: ticket.Newest, Limit: 50, Statuses: []ticket.Status{ticket.Closed, ticket.Assigned}},
		{Sort: ticket.Oldest, Limit: 10, Offset: 100},
		{Sort: ticket.Visits, Limit: 50, VisitDue: Epoch.Add(20 * time.Hour)},
		{Sort: ticket.Visits, Limit: 8},
	}
	for i, f := range filters {
		var want []int64
		sorted := slices.Clone(all)
		slices.SortFunc(sorted, Order(f.Sort))
		for _, x := range sorted {
			if Match(f, x) {
				want = append(want, x.ID)
			}
		}
		want = want[min(f.Offset, len(want)):]
		want = want[:min(f.Limit, len(want))]
		var got []int64
		inTx(t, r, func(tx ticket.Tx) error {
			ts, err := tx.Search(ctx, f)
			for _, x := range ts {
				got = append(got, x.ID)
			}
			return err
		})
		if !slices.Equal(got, want) {
			t.Errorf("filter %d %+v: got %v, want %v", i, f, got, want)
		}
	}
}

func contractDue(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	var ids []int64
	inTx(t, r, func(tx ticket.Tx) error {
		for i := range 10 {
			x := Sample(9-i, Epoch) // NextDue = Epoch + (9-i) minutes
			switch i {
			case 3:
				x.Status = ticket.Closed
			case 4:
				x.SLA.NextDue = time.Time{}
			}
			if err := tx.Create(ctx, x); err != nil {
				return err
			}
			ids = append(ids, x.ID)
		}
		return nil
	})
	inTx(t, r, func(tx ticket.Tx) error {
		got, err := tx.Due(ctx, Epoch.Add(5*time.Minute), 100)
		if err != nil {
			return err
		}
		// NextDue ≤ +5m: i = 4..9 (minutes 5..0), minus i=4 (no due): i=9,8,7,6,5.
		want := []int64{ids[9], ids[8], ids[7], ids[6], ids[5]}
		if !slices.Equal(got, want) {
			t.Errorf("Due: got %v, want %v", got, want)
		}
		got, _ = tx.Due(ctx, Epoch.Add(5*time.Minute), 2)
		if !slices.Equal(got, want[:2]) {
			t.Errorf("Due(limit 2): got %v, want %v", got, want[:2])
		}
		return nil
	})
}

func contractOutbox(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	in := Sample(1, Epoch)
	msg := func(key string, at time.Duration) ticket.Message {
		return ticket.Message{Key: key, Ticket: in.ID, Medium: ticket.BySMS, To: "13900000000", Subject: "s",
			Body: "您好", State: ticket.Queued, NextTry: Epoch.Add(at), CreatedAt: Epoch}
	}
	inTx(t, r, func(tx ticket.Tx) error {
		if err := tx.Create(ctx, in); err != nil {
			return err
		}
		return tx.Enqueue(ctx, []ticket.Message{msg("a", 0), msg("b", time.Second), msg("c", time.Hour)})
	})
	inTx(t, r, func(tx ticket.Tx) error { return tx.Enqueue(ctx, []ticket.Message{msg("a", 0)}) })
	var claimed []ticket.Message
	inTx(t, r, func(tx ticket.Tx) (err error) {
		claimed, err = tx.ClaimMessages(ctx, Epoch.Add(time.Minute), time.Minute, 10)
		return err
	})
	if len(claimed) != 2 || claimed[0].Key != "a" || claimed[1].Key != "b" || claimed[0].Attempts != 1 || claimed[0].Body != "您好" {
		t.Fatalf("claim: got %+v, want a and b once, attempt 1", claimed)
	}
	inTx(t, r, func(tx ticket.Tx) error {
		again, err := tx.ClaimMessages(ctx, Epoch.Add(time.Minute), time.Minute, 10)
		if len(again) != 0 {
			t.Errorf("claim within lease: got %d messages, want 0", len(again))
		}
		return err
	})
	sent := claimed[0]
	sent.State, sent.Outcome, sent.SentAt = ticket.Sent, "gw-1", Epoch.Add(time.Minute)
	inTx(t, r, func(tx ticket.Tx) error { return tx.SaveMessage(ctx, sent) })
	inTx(t, r, func(tx ticket.Tx) error {
		again, err := tx.ClaimMessages(ctx, Epoch.Add(3*time.Minute), time.Minute, 10)
		if len(again) != 1 || again[0].Key != "b" || again[0].Attempts != 2 {
			t.Errorf("claim after lease: got %+v, want b at attempt 2", again)
		}
		all, err2 := tx.Messages(ctx, in.ID)
		if len(all) != 3 || all[0].State != ticket.Sent || all[0].Outcome != "gw-1" || all[0].SentAt.IsZero() {
			t.Errorf("Messages: got %+v", all)
		}
		return errors.Join(err, err2)
	})
}

// NewService returns a service on r with no SLA targets, for store tests.
func NewService(t testing.TB, r ticket.Repository, clock ticket.Clock) *ticket.Service {
	s, err := ticket.NewService(r, clock, ticket.Config{Calendar: Always{}, Logger: slog.New(slog.DiscardHandler), Directory: ticket.StaticDirectory{
		People: map[string]ticket.Address{"lead": {Phone: "13800000000"}}, Leads: map[string]string{"g": "lead"}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ConcurrentClaims has claimers agents race for tickets pooled tickets:
// every ticket must be claimed exactly once, the losers told
// ErrAlreadyClaimed.
func ConcurrentClaims(t *testing.T, r ticket.Repository, claimers, tickets int) {
	ctx := context.Background()
	s := NewService(t, r, NewClock(Epoch))
	sup := ticket.Actor{ID: "sup", Role: ticket.SupervisorRole}
	var ids []int64
	for i := range tickets {
		x, _, err := s.Create(ctx, sup, Draft(i, "g"), "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}
	wins := make([]atomic.Int32, len(ids))
	var lost atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for c := range claimers {
		wg.Go(func() {
			a := ticket.Actor{ID: fmt.Sprint("agent", c), Role: ticket.AgentRole, Groups: []string{"g"}}
			<-start
			// Claimer c goes for ticket c mod n first, together with every
			// other claimer of that residue, then tries two more; it stops
			// at its first win.
			for k := range 3 {
				i := (c + k) % len(ids)
				_, err := s.Do(ctx, a, ids[i], ticket.Command{Action: ticket.Claim})
				switch {
				case err == nil:
					wins[i].Add(1)
					return
				case errors.Is(err, ticket.ErrAlreadyClaimed):
					lost.Add(1)
				default:
					t.Errorf("claim: %v", err)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for i := range wins {
		if n := wins[i].Load(); n != 1 {
			t.Errorf("ticket %d claimed %d times, want 1", ids[i], n)
		}
	}
	var owners = map[string]bool{}
	for _, id := range ids {
		x, err := s.Get(ctx, sup, id)
		if err != nil {
			t.Fatal(err)
		}
		if x.Status != ticket.Assigned || x.Assignee == "" || x.Version != 2 {
			t.Errorf("ticket %d: got %s/%q v%d, want assigned v2", id, x.Status, x.Assignee, x.Version)
		}
		owners[x.Assignee] = true
	}
	if lost.Load() == 0 {
		t.Error("no claimer lost a race: the test raced nothing")
	}
	t.Logf("%d claims lost with already_claimed, %d distinct winners", lost.Load(), len(owners))
}

// Draft returns a valid draft; i varies it.
func Draft(i int, group string) ticket.Draft {
	return ticket.Draft{Type: ticket.Fault, Category: "broadband", Subject: fmt.Sprintf("no dial tone %d", i),
		Customer: ticket.Customer{Phone: fmt.Sprintf("1390000%04d", i%10000)}, Group: group}
}

func contractOutboxCrash(t *testing.T, r ticket.Repository) {
	ctx := context.Background()
	clock := NewClock(Epoch)
	s := NewService(t, r, clock)
	sup := ticket.Actor{ID: "sup", Role: ticket.SupervisorRole}
	// The change commits with its message; the process dies before any send.
	x, _, err := s.Create(ctx, sup, Draft(1, "g"), "crash-1")
	if err != nil {
		t.Fatal(err)
	}
	// After restart: a new courier, the same store.
	far := &Notifier{}
	c1 := ticket.NewCourier(r, clock, far, ticket.CourierConfig{Lease: time.Minute})
	if _, err := c1.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	// And again, and by a second node at once: nothing more goes out.
	c2 := ticket.NewCourier(r, clock, far, ticket.CourierConfig{Lease: time.Minute})
	var wg sync.WaitGroup
	for _, c := range []*ticket.Courier{c1, c2} {
		wg.Go(func() {
			if _, err := c.Deliver(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if far.Attempts != 1 || len(far.Sent()) != 1 || far.Sent()[0].Ticket != x.ID {
		t.Fatalf("got %d attempts, %d delivered, want exactly 1", far.Attempts, len(far.Sent()))
	}
	var ms []ticket.Message
	inTx(t, r, func(tx ticket.Tx) (err error) { ms, err = tx.Messages(ctx, x.ID); return err })
	if len(ms) != 1 || ms[0].State != ticket.Sent || ms[0].Outcome != "r1" {
		t.Errorf("outbox: got %+v, want one sent with receipt r1", ms)
	}
}

// Always is a calendar open around the clock.
type Always struct{}

// Name implements ticket.Calendar.
func (Always) Name() string { return "always" }

// Add implements ticket.Calendar.
func (Always) Add(t time.Time, d time.Duration) time.Time { return t.Add(d) }

// Between implements ticket.Calendar.
func (Always) Between(a, b time.Time) time.Duration { return max(b.Sub(a), 0) }
