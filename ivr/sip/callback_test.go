package sip

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline10000/hotline/ivr/media"
	"github.com/hotline10000/hotline/ivr/phone"
	"github.com/hotline10000/hotline/ivr/sip/siptest"
)

// acdCalls records what the callbacks told the ACD.
type acdCalls struct {
	mu    sync.Mutex
	ended []string
	lost  []string
	endCh chan string
}

func (a *acdCalls) end(_ context.Context, id string) error {
	a.mu.Lock()
	a.ended = append(a.ended, id)
	a.mu.Unlock()
	a.endCh <- id
	return nil
}

func (a *acdCalls) lose(_ context.Context, id, why string) error {
	a.mu.Lock()
	a.lost = append(a.lost, id+":"+why)
	a.mu.Unlock()
	return nil
}

// startCallbacks is a server with a trunk and an agent whose phone
// answers at once as agent (PCMA).
func startCallbacks(t *testing.T) (*Server, *siptest.Trunk, *Callbacks, *pipeLeg, *acdCalls, chan phone.CallInfo) {
	t.Helper()
	return startCallbacksWith(t, nil)
}

// startCallbacksWith is startCallbacks with options edit changes.
func startCallbacksWith(t *testing.T, edit func(*CallbackOptions)) (*Server, *siptest.Trunk, *Callbacks, *pipeLeg, *acdCalls, chan phone.CallInfo) {
	t.Helper()
	s, tr := startTrunked(t, "trunk-secret")
	agent := newPipeLeg(media.PCMA)
	rang := make(chan phone.CallInfo, 4)
	phones := phone.New(phone.Options{})
	phones.Register(phone.KindBrowser, phone.RingerFunc(func(_ context.Context, agentID string, c phone.CallInfo) (phone.Leg, error) {
		rang <- c
		return agent, nil
	}))
	a := &acdCalls{endCh: make(chan string, 4)}
	o := CallbackOptions{Phones: phones, End: a.end, Lose: a.lose}
	if edit != nil {
		edit(&o)
	}
	cb := s.NewCallbacks(o)
	return s, tr, cb, agent, a, rang
}

// The ACD reserved an agent for a callback: the agent's phone rings first,
// then the customer is dialled through the trunk, audio flows both ways
// (transcoded: agent PCMA, customer PCMU), and the customer's hang-up ends
// the contact.
func TestCallbackRingsAgentThenDialsCustomer(t *testing.T) {
	_, tr, cb, agent, a, rang := startCallbacks(t)
	if err := cb.Expect(context.Background(), CallbackRequest{Contact: "c1", Number: "0085212345678"}); !errors.Is(err, ErrForbiddenNumber) {
		t.Fatalf("Expect outside the plan: got %v, want ErrForbiddenNumber", err)
	}
	if err := cb.Expect(context.Background(), CallbackRequest{Contact: "c1", Number: "138 0013 8000"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cb.Ring(ctx, "c1", "a1"); err != nil {
		t.Fatalf("ring: %v", err)
	}
	if c := <-rang; c.ContactID != "c1" || c.Caller != "13800138000" {
		t.Fatalf("agent's phone showed %+v", c)
	}
	inv := <-tr.Invites
	if inv.Recipient.User != "13800138000" {
		t.Fatalf("dialled %s", inv.Recipient.User)
	}
	if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != "c1" {
		t.Fatalf("X-Hotline-Contact: %v", h)
	}
	if _, ok := cb.Number("c1"); ok {
		t.Error("the number is still pending after the call connected")
	}

	// Agent -> customer: a PCMA frame arrives PCMU at the trunk.
	agentFrame := make([]byte, phone.FrameSize)
	for i := range agentFrame {
		agentFrame[i] = byte(0x20 + i%64)
	}
	agent.says <- agentFrame
	pkt, from := readPastSilence(t, tr.RTP, media.PCMU) // the leg sends silence until the frame's turn
	want := append([]byte(nil), agentFrame...)
	media.Transcode(want, media.PCMA, media.PCMU)
	if pkt.PayloadType != 0 || !bytes.Equal(pkt.Payload, want) {
		t.Fatalf("at the customer: pt=%d len=%d, want the agent's frame in PCMU", pkt.PayloadType, len(pkt.Payload))
	}
	// Customer -> agent: PCMU arrives PCMA.
	custFrame := make([]byte, phone.FrameSize)
	for i := range custFrame {
		custFrame[i] = byte(0x90 + i%32)
	}
	out, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 1, SSRC: 9}, Payload: custFrame}).Marshal()
	if _, err := tr.RTP.WriteTo(out, from); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-agent.heard:
		want := append([]byte(nil), custFrame...)
		media.Transcode(want, media.PCMU, media.PCMA)
		if !bytes.Equal(f, want) {
			t.Fatalf("at the agent: len=%d, want the customer's frame in PCMA", len(f))
		}
	case <-ctx.Done():
		t.Fatal("the agent heard nothing")
	}

	// The customer hangs up: the agent's leg ends and the contact ends.
	if err := tr.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-a.endCh:
		if id != "c1" {
			t.Fatalf("ended %s", id)
		}
	case <-ctx.Done():
		t.Fatal("the contact was not ended")
	}
	select {
	case <-agent.Done():
	default:
		t.Fatal("the agent's leg is still up")
	}
}

// A customer who does not answer ends the callback as lost, and the
// agent's leg is hung up; a contact whose number is unknown is lost too.
func TestCallbackCustomerNotReached(t *testing.T) {
	_, tr, cb, agent, a, _ := startCallbacks(t)
	tr.SetAnswer(486)
	if err := cb.Expect(context.Background(), CallbackRequest{Contact: "c2", Number: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cb.Ring(ctx, "c2", "a1"); !errors.Is(err, ErrCustomerUnreachable) {
		t.Fatalf("got %v, want ErrCustomerUnreachable", err)
	}
	if got := agent.hungUpFor(); got != "customer not reached" {
		t.Fatalf("agent leg: hung up for %q", got)
	}
	if err := cb.Ring(ctx, "unknown", "a1"); !errors.Is(err, ErrNoCall) {
		t.Fatalf("unknown number: got %v, want ErrNoCall", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.lost) != 2 || a.lost[0] != "c2:callback_not_answered" || a.lost[1] != "unknown:callback_number_unknown" {
		t.Fatalf("lost: %v", a.lost)
	}
}

// stepClock is a clock the test moves; each After is announced on armed.
type stepClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []stepTimer
	armed  chan time.Duration
}

type stepTimer struct {
	at time.Time
	ch chan time.Time
}

func newStepClock() *stepClock {
	return &stepClock{now: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), armed: make(chan time.Duration, 64)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, stepTimer{at: c.now.Add(d), ch: ch})
	c.armed <- d
	return ch
}

// advance moves the clock and fires the timers due.
func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			keep = append(keep, tm)
			continue
		}
		tm.ch <- c.now
	}
	c.timers = keep
}

// waitArmed waits until the scheduler armed a timer of d.
func (c *stepClock) waitArmed(t *testing.T, d time.Duration) {
	t.Helper()
	for {
		select {
		case got := <-c.armed:
			if got == d {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no timer of %v armed", d)
		}
	}
}

// memCallbacks is a CallbackStore in memory.
type memCallbacks struct {
	mu   sync.Mutex
	owed map[string]OwedCallback
}

func (m *memCallbacks) SaveCallback(_ context.Context, c OwedCallback) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.owed[c.ID] = c
	return nil
}

func (m *memCallbacks) DeleteCallback(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.owed, id)
	return nil
}

func (m *memCallbacks) Callbacks(context.Context) ([]OwedCallback, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []OwedCallback
	for _, c := range m.owed {
		out = append(out, c)
	}
	return out, nil
}

func (m *memCallbacks) get(id string) (OwedCallback, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.owed[id]
	return c, ok
}

// A customer who does not answer is called again after the interval, each
// attempt a callback contact of its own (c3.2, c3.3) in the callback's
// queue; the attempts are counted in the store, and after the last one the
// callback is given up and forgotten. No attempt is queued before its
// interval.
func TestCallbackRetriesNotAnswered(t *testing.T) {
	clk := newStepClock()
	st := &memCallbacks{owed: map[string]OwedCallback{}}
	requeued := make(chan string, 4)
	var cb *Callbacks
	_, tr, cb, _, a, _ := startCallbacksWith(t, func(o *CallbackOptions) {
		o.Store, o.Attempts, o.RetryAfter, o.Clock = st, 3, 10*time.Minute, clk
		o.Requeue = func(ctx context.Context, contactID string, c OwedCallback) error {
			// As the contact bridge's KeepAsCallback does: back through Expect.
			if err := cb.Expect(ctx, CallbackRequest{Contact: contactID, Number: c.Number, Queue: c.Queue, Tier: c.Tier}); err != nil {
				return err
			}
			requeued <- contactID + " " + c.Queue
			return nil
		}
	})
	tr.SetAnswer(480)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { cb.Run(runCtx) })

	if err := cb.Expect(ctx, CallbackRequest{Contact: "c3", Number: "13800138000", Queue: "general-voice", Tier: "gold"}); err != nil {
		t.Fatal(err)
	}
	if c, ok := st.get("c3"); !ok || c.Contact != "c3" || c.Queue != "general-voice" || c.Tier != "gold" {
		t.Fatalf("stored %+v, %v", c, ok)
	}
	contact := "c3"
	var attempts []string
	for i := range 3 {
		attempts = append(attempts, contact)
		if err := cb.Ring(ctx, contact, "a1"); !errors.Is(err, ErrCustomerUnreachable) {
			t.Fatalf("attempt %d: got %v, want ErrCustomerUnreachable", i+1, err)
		}
		if i == 2 {
			break
		}
		c, ok := st.get("c3")
		if !ok || c.Attempts != i+1 || c.Contact != "" || !c.NextAt.Equal(clk.Now().Add(10*time.Minute)) {
			t.Fatalf("after attempt %d stored %+v, %v", i+1, c, ok)
		}
		clk.waitArmed(t, 10*time.Minute)
		select {
		case got := <-requeued:
			t.Fatalf("attempt queued before the interval: %s", got)
		default:
		}
		clk.advance(10 * time.Minute)
		select {
		case got := <-requeued:
			id, queue, _ := strings.Cut(got, " ")
			if want := "c3." + strconv.Itoa(i+2) + "."; !strings.HasPrefix(id, want) || queue != "general-voice" {
				t.Fatalf("queued %q, want %s… in general-voice", got, want)
			}
			contact = id
		case <-ctx.Done():
			t.Fatal("no attempt queued after the interval")
		}
		if n, ok := cb.Number(contact); !ok || n != "13800138000" {
			t.Fatalf("the attempt's number: %q, %v", n, ok)
		}
	}
	if c, ok := st.get("c3"); ok {
		t.Fatalf("given up but still stored: %+v", c)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if got, want := strings.Join(a.lost, " "), attempts[0]+":callback_retry "+attempts[1]+":callback_retry "+attempts[2]+":callback_not_answered"; got != want {
		t.Fatalf("lost: %s", got)
	}
}

// After a restart the store's callbacks come back: one whose contact the
// restored ACD holds is held again with its number; one whose contact the
// ACD lost is queued again at once; one waiting for a retry is queued when
// it is due. A callback made is forgotten.
func TestCallbackResumedAfterRestart(t *testing.T) {
	clk := newStepClock()
	now := clk.Now()
	st := &memCallbacks{owed: map[string]OwedCallback{
		"c5": {ID: "c5", Contact: "c5", Number: "13800138005", Queue: "general-voice", NextAt: now.Add(-time.Hour), CreatedAt: now.Add(-time.Hour)},
		"c6": {ID: "c6", Contact: "c6.2", Number: "13800138006", Queue: "general-voice", Attempts: 1, NextAt: now.Add(-time.Minute), CreatedAt: now.Add(-time.Hour)},
		"c7": {ID: "c7", Number: "13800138007", Queue: "vip-voice", Attempts: 1, NextAt: now.Add(5 * time.Minute), CreatedAt: now.Add(-time.Hour)},
	}}
	requeued := make(chan string, 4)
	var cb *Callbacks
	_, _, cb, _, _, _ = startCallbacksWith(t, func(o *CallbackOptions) {
		o.Store, o.Attempts, o.RetryAfter, o.Clock = st, 3, 10*time.Minute, clk
		o.Requeue = func(ctx context.Context, contactID string, c OwedCallback) error {
			requeued <- contactID + " " + c.Queue
			return cb.Expect(ctx, CallbackRequest{Contact: contactID, Number: c.Number, Queue: c.Queue})
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var held []string
	if err := cb.Resume(ctx, func(id string) bool { return id == "c5" }, func(id string) { held = append(held, id) }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(held, " ") != "c5" {
		t.Fatalf("held again %v, want c5", held)
	}
	if n, ok := cb.Number("c5"); !ok || n != "13800138005" {
		t.Fatalf("c5's number %q, %v", n, ok)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { cb.Run(runCtx) })
	if got := <-requeued; !strings.HasPrefix(got, "c6.2.") || !strings.HasSuffix(got, " general-voice") {
		t.Fatalf("queued %q, want c6's attempt 2 (a fresh contact) at once", got)
	}
	clk.waitArmed(t, 5*time.Minute)
	clk.advance(5 * time.Minute)
	select {
	case got := <-requeued:
		if !strings.HasPrefix(got, "c7.2.") || !strings.HasSuffix(got, " vip-voice") {
			t.Fatalf("queued %q, want c7.2…", got)
		}
	case <-ctx.Done():
		t.Fatal("c7 never queued")
	}
	if c, _ := st.get("c7"); !strings.HasPrefix(c.Contact, "c7.2.") {
		t.Fatalf("c7 stored %+v, want its contact c7.2…", c)
	}
	cb.Forget("c5")
	if _, ok := st.get("c5"); ok {
		t.Fatal("c5 still stored after Forget")
	}
}

// A callback whose contact the ACD dropped (its queue lost its last agent)
// is not given up: it is stored as waiting and queued again when an agent
// comes, before its interval; contacts that are no callbacks are ignored.
func TestCallbackDroppedWaitsForAgents(t *testing.T) {
	clk := newStepClock()
	st := &memCallbacks{owed: map[string]OwedCallback{}}
	requeued := make(chan string, 4)
	var cb *Callbacks
	_, _, cb, _, _, _ = startCallbacksWith(t, func(o *CallbackOptions) {
		o.Store, o.Attempts, o.RetryAfter, o.Clock = st, 3, 10*time.Minute, clk
		o.Requeue = func(ctx context.Context, contactID string, c OwedCallback) error {
			requeued <- contactID
			return nil
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { cb.Run(runCtx) })
	if err := cb.Expect(ctx, CallbackRequest{Contact: "c8", Number: "13800138008", Queue: "general-voice"}); err != nil {
		t.Fatal(err)
	}
	cb.Dropped("chat-1")
	cb.AgentsChanged()
	cb.Dropped("c8")
	clk.waitArmed(t, 10*time.Minute)
	if c, _ := st.get("c8"); c.Contact != "" || c.Attempts != 0 {
		t.Fatalf("stored %+v, want waiting (no contact), no attempt counted", c)
	}
	if _, ok := cb.Number("c8"); ok {
		t.Fatal("the dropped contact still has a number")
	}
	select {
	case got := <-requeued:
		t.Fatalf("queued %s before an agent came", got)
	default:
	}
	cb.AgentsChanged()
	select {
	case got := <-requeued:
		if !strings.HasPrefix(got, "c8.1.") {
			t.Fatalf("queued %q, want c8.1…", got)
		}
	case <-ctx.Done():
		t.Fatal("not queued again when an agent came")
	}
}

// visitRecorder records which contact and agent a call was recorded for,
// and the frames of each side.
type visitRecorder struct {
	mu             sync.Mutex
	contact, agent string
	caller, agentN int
	closed         bool
}

func (r *visitRecorder) Record(_ context.Context, contactID, agentID string) (Recording, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.contact, r.agent = contactID, agentID
	return r, nil
}

func (r *visitRecorder) Caller(media.Codec, []byte) { r.mu.Lock(); r.caller++; r.mu.Unlock() }
func (r *visitRecorder) Agent(media.Codec, []byte)  { r.mu.Lock(); r.agentN++; r.mu.Unlock() }
func (r *visitRecorder) Close() error               { r.mu.Lock(); r.closed = true; r.mu.Unlock(); return nil }

// A return visit: the agent's phone rings first with the role "visit",
// then the customer is dialled through the trunk (digest) as that agent;
// audio flows and is recorded as the visit's contact; the customer's
// hang-up ends the agent's leg and the caller of Visit is told. A number
// outside the dial plan, or no agent, rings nothing and sends nothing.
func TestVisitCallsCustomerForAgent(t *testing.T) {
	rec := &visitRecorder{}
	_, tr, cb, agent, a, rang := startCallbacksWith(t, func(o *CallbackOptions) { o.Recorder = rec })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cb.Visit(ctx, "a1", "visit-1", "0085212345678", nil); !errors.Is(err, ErrForbiddenNumber) {
		t.Fatalf("outside the plan: got %v, want ErrForbiddenNumber", err)
	}
	if err := cb.Visit(ctx, "", "visit-1", "13800138000", nil); !errors.Is(err, ErrOriginRefused) {
		t.Fatalf("no agent: got %v, want ErrOriginRefused", err)
	}
	select {
	case c := <-rang:
		t.Fatalf("a refused visit rang the agent: %+v", c)
	case inv := <-tr.Invites:
		t.Fatalf("a refused visit called %s", inv.Recipient.User)
	default:
	}

	ended := make(chan string, 1)
	if err := cb.Visit(ctx, "a1", "visit-1", "138-0013-8000", func(by string) { ended <- by }); err != nil {
		t.Fatalf("visit: %v", err)
	}
	if c := <-rang; c.ContactID != "visit-1" || c.Caller != "13800138000" || c.Role != "visit" {
		t.Fatalf("agent's phone showed %+v, want the visit's number with role visit", c)
	}
	inv := <-tr.Invites
	if inv.Recipient.User != "13800138000" {
		t.Fatalf("dialled %s", inv.Recipient.User)
	}
	if h := inv.GetHeader("X-Hotline-Contact"); h == nil || h.Value() != "visit-1" {
		t.Fatalf("X-Hotline-Contact: %v", h)
	}
	agent.says <- make([]byte, phone.FrameSize)
	_ = tr.RTP.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 1500)
	if _, _, err := tr.RTP.ReadFrom(buf); err != nil {
		t.Fatalf("the customer heard nothing: %v", err)
	}
	if err := tr.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case by := <-ended:
		if by != "customer hung up" {
			t.Fatalf("ended by %q", by)
		}
	case <-ctx.Done():
		t.Fatal("the visit never ended")
	}
	if got := agent.hungUpFor(); got != "customer hung up" {
		t.Fatalf("agent leg: hung up for %q", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.contact != "visit-1" || rec.agent != "a1" || rec.agentN == 0 || !rec.closed {
		t.Fatalf("recording %+v, want visit-1 by a1 with the agent's audio, closed", rec)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.ended) != 0 || len(a.lost) != 0 {
		t.Fatalf("a visit told the ACD: ended %v lost %v", a.ended, a.lost)
	}
}
