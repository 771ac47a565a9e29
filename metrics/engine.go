package metrics

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
	"github.com/hotline10000/hotline/ivr"
)

// IntervalLength is the length of a report interval.
const IntervalLength = 15 * time.Minute

// maxIntervals covers the longest calendar day (25 h at a DST change).
const maxIntervals = 100

// WaitBuckets are the upper bounds (seconds) of the wait histograms: every
// threshold of KPIS.md; a configured threshold not among them is added.
var WaitBuckets = []float64{5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 180, 300, 600}

// Options configure an Engine.
type Options struct {
	// Location is the center's time zone: "today" is its calendar day.
	Location *time.Location
	// VoiceThreshold and ChatThreshold are N of SL02 per channel
	// (defaults 20 s and 300 s): answered within N means wait ≤ N.
	VoiceThreshold, ChatThreshold time.Duration
	// ShortAbandon is the longest wait of a short abandon (default 5 s):
	// counted, not excluded, so that the variant without them can be shown.
	ShortAbandon time.Duration
	// Targets are the KPIs' goals (DefaultTargets when nil).
	Targets Targets
	// Queues are the configured queues: their series exist (at zero) from
	// the start, so the first contact of a queue is not lost to PromQL's
	// increase().
	Queues []Filter
}

func (o *Options) defaults() {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.VoiceThreshold <= 0 {
		o.VoiceThreshold = 20 * time.Second
	}
	if o.ChatThreshold <= 0 {
		o.ChatThreshold = 300 * time.Second
	}
	if o.ShortAbandon <= 0 {
		o.ShortAbandon = 5 * time.Second
	}
	if o.Targets == nil {
		o.Targets = DefaultTargets()
	}
}

// counters are the additive figures of one slice in one interval. Times
// are nanoseconds.
type counters struct {
	requests, answered, abandoned, lost int64
	answeredInSL, answerWait            int64
	shortAbandons, abandonWait          int64
	handled, talk, hold, acw            int64
	ivrEnded, ivrContained              int64
	surveys, satisfied                  int64
	answeredContacts, offeredContacts   int64
	offersPresented, offersAccepted     int64
	sales                               int64 // inbound offers accepted + outbound successes
	outbound, rightParty, outboundSales int64
}

func (c *counters) add(o *counters) {
	c.requests += o.requests
	c.answered += o.answered
	c.abandoned += o.abandoned
	c.lost += o.lost
	c.answeredInSL += o.answeredInSL
	c.answerWait += o.answerWait
	c.shortAbandons += o.shortAbandons
	c.abandonWait += o.abandonWait
	c.handled += o.handled
	c.talk += o.talk
	c.hold += o.hold
	c.acw += o.acw
	c.ivrEnded += o.ivrEnded
	c.ivrContained += o.ivrContained
	c.surveys += o.surveys
	c.satisfied += o.satisfied
	c.answeredContacts += o.answeredContacts
	c.offeredContacts += o.offeredContacts
	c.offersPresented += o.offersPresented
	c.offersAccepted += o.offersAccepted
	c.sales += o.sales
	c.outbound += o.outbound
	c.rightParty += o.rightParty
	c.outboundSales += o.outboundSales
}

// agentTime is the center's agent time in one interval (nanoseconds):
// staffed is any logged-in state, occupied is busy or wrap-up, ready is
// ready and idle.
type agentTime struct {
	staffed, occupied, ready int64
}

// sliceKey names a slice: one queue (its channel), or a channel's
// contacts outside any queue (IVR runs, surveys of unknown contacts,
// outbound attempts) with an empty queue.
type sliceKey struct {
	queue string
	ch    acd.Channel
}

// slice holds one queue's (or one channel's queue-less) figures.
type slice struct {
	key     sliceKey
	b       [maxIntervals]counters
	waiting map[string]int64 // contact → wait start (ns), contacts waiting now
	// Raw totals since the process started, for Prometheus (live
	// events only: a rebuild does not count twice).
	total       counters
	answerHist  []int64 // per WaitBuckets bound, cumulative
	abandonHist []int64
	offers      map[string]int64 // raw: outbound attempts by result
	// dirty marks today's intervals changed since they were last taken
	// for the store (takeRows), one bit per interval.
	dirty [(maxIntervals + 63) / 64]uint64
}

// span is [from, to) in nanoseconds.
type span struct{ from, to int64 }

type agentState struct {
	state  acd.AgentState
	since  int64
	logins []span // logged-in time today, merged
	shifts []span // scheduled shifts overlapping today
	day    agentDay
}

// agentDay is one agent's figures today (per-agent reports; never in
// Prometheus). Times are nanoseconds.
type agentDay struct {
	handled                  int64
	talk, hold, acw          int64
	staffed, occupied, ready int64
}

// agent returns the agent's record, creating a logged-out one.
func (e *Engine) agent(id string) *agentState {
	a := e.agents[id]
	if a == nil {
		a = &agentState{state: acd.LoggedOut, since: e.dayStart}
		e.agents[id] = a
	}
	return a
}

// segment is one agent's handling of a contact, from connection to the
// end of its after-contact work.
type segment struct {
	agent  string
	start  int64 // talk start, 0 when not connected
	hold   int64 // hold time so far
	holdAt int64 // hold start when on hold
	// After the talk ended: the interval the handling was counted in,
	// where its after-contact work is added.
	done   bool
	bucket int
	day    int64
	sl     *slice
}

type offerRec struct {
	name     string
	bucket   int
	day      int64
	sl       *slice
	accepted bool
}

type contact struct {
	id        string
	ch        acd.Channel
	req       *slice // the queue of the agent request
	cur       *slice // the queue it is in (or was last in)
	waitStart int64
	newWait   bool // the next queued starts a new wait (after a transfer from an agent)
	settled   bool
	connected bool // answered and not ended
	answered  bool
	finished  bool
	lastSeen  int64
	segs      []segment
	consultTo string
	consultAt int64
	// MK01: where the contact was counted when it ended.
	mkCounted bool
	mkOffered bool
	mkBucket  int
	mkDay     int64
	mkSlice   *slice
	offers    []offerRec
}

// Engine computes the KPIs from events. It is not safe for concurrent use:
// Runner owns it in one goroutine. It reads no clock: events carry their
// time and reads name their instant.
type Engine struct {
	o         Options
	bounds    []float64
	voiceN    int64
	chatN     int64
	shortN    int64
	dayStart  int64 // today's local midnight (ns)
	dayEnd    int64
	slices    map[sliceKey]*slice
	order     []*slice
	agents    map[string]*agentState
	contacts  map[string]*contact
	center    [maxIntervals]agentTime
	stateTime [6]int64 // raw: agent time per state since start (live)
	live      bool
	liveFrom  int64
	lastDay   DayResult // the latest batch KPIs
	applied   uint64
	late      uint64
	// Interval rows for the store (takeRows), when keepRows: the last
	// interval of today already taken, and the rows of a day that ended
	// before they were taken.
	keepRows  bool
	taken     int
	closedDay []IntervalRow
}

// NewEngine returns an engine with nothing counted, replaying: call
// StartLive after a rebuild.
func NewEngine(o Options) *Engine {
	o.defaults()
	e := &Engine{o: o, taken: -1, slices: map[sliceKey]*slice{}, agents: map[string]*agentState{},
		contacts: map[string]*contact{}, voiceN: int64(o.VoiceThreshold), chatN: int64(o.ChatThreshold),
		shortN: int64(o.ShortAbandon)}
	e.bounds = slices.Clone(WaitBuckets)
	for _, d := range []time.Duration{o.VoiceThreshold, o.ChatThreshold, o.ShortAbandon} {
		if s := d.Seconds(); !slices.Contains(e.bounds, s) {
			e.bounds = append(e.bounds, s)
		}
	}
	slices.Sort(e.bounds)
	e.slice("", acd.Voice)
	e.slice("", acd.Chat)
	e.AddQueues(o.Queues)
	return e
}

// AddQueues makes the queues' series exist (at zero) before their first
// contact.
func (e *Engine) AddQueues(qs []Filter) {
	for _, q := range qs {
		if q.Queue != "" {
			e.slice(q.Queue, channelOf(q.Channel))
		}
	}
}

// StartLive says that the events applied from now on are live, no longer
// replayed from the log: from at, they count in the raw totals (Prometheus
// counters) too, which a rebuild must not inflate.
func (e *Engine) StartLive(at time.Time) { e.live, e.liveFrom = true, at.UnixNano() }

// Applied counts the events applied.
func (e *Engine) Applied() uint64 { return e.applied }

// Options returns the engine's options with defaults filled in.
func (e *Engine) Options() Options { return e.o }

// Advance moves "today" to the day of t when t is on a later day: the
// day's figures start again from zero. Reads call it with their instant.
func (e *Engine) Advance(t time.Time) { e.roll(t.UnixNano()) }

func (e *Engine) roll(t int64) {
	if e.dayEnd != 0 && t < e.dayEnd {
		return
	}
	lt := time.Unix(0, t).In(e.o.Location)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, e.o.Location)
	end := start.AddDate(0, 0, 1)
	old := e.dayStart
	if e.keepRows && e.dayEnd != 0 {
		// The day that ends: its rows not yet taken, before they go.
		e.closedDay = append(e.closedDay, e.dirtyRows(intervalsOf(e.dayStart, e.dayEnd)-1)...)
	}
	e.dayStart, e.dayEnd = start.UnixNano(), end.UnixNano()
	e.taken = -1
	for _, s := range e.order {
		s.b = [maxIntervals]counters{}
		s.dirty = [len(s.dirty)]uint64{}
	}
	e.center = [maxIntervals]agentTime{}
	for id, a := range e.agents {
		a.logins = a.logins[:0]
		a.day = agentDay{}
		a.shifts = clipSpans(a.shifts, e.dayStart, math.MaxInt64)
		if a.state == acd.LoggedOut && len(a.shifts) == 0 {
			delete(e.agents, id)
		}
	}
	for id, c := range e.contacts {
		if (c.finished && !c.wrapping()) || c.lastSeen < old {
			delete(e.contacts, id)
		}
	}
}

func (c *contact) wrapping() bool {
	for i := range c.segs {
		if c.segs[i].done || c.segs[i].start > 0 {
			return true
		}
	}
	return false
}

// bucket returns the interval of t today, or -1 when t is not today.
func (e *Engine) bucket(t int64) int {
	if t < e.dayStart || t >= e.dayEnd {
		return -1
	}
	return int((t - e.dayStart) / int64(IntervalLength))
}

func (e *Engine) slice(queue string, ch acd.Channel) *slice {
	k := sliceKey{queue, ch}
	if s := e.slices[k]; s != nil {
		return s
	}
	s := &slice{key: k, waiting: map[string]int64{}, answerHist: make([]int64, len(e.bounds)),
		abandonHist: make([]int64, len(e.bounds)), offers: map[string]int64{}}
	e.slices[k] = s
	e.order = append(e.order, s)
	return s
}

// Apply counts one event. Events are expected in order of publication;
// an event of an earlier day changes state (a waiting contact, an
// agent's state) but no figure of today.
func (e *Engine) Apply(ev *event.Event) {
	e.applied++
	switch d := ev.Data.(type) {
	case acd.Event:
		e.applyACD(&d)
	case *acd.Event:
		e.applyACD(d)
	case ivr.Ended:
		e.ivrEnded(&d)
	case ivr.SurveyResult:
		e.survey(&d)
	case Marketing:
		e.marketing(ev, d)
	case Shift:
		e.shift(d)
	case OutboundAttempt:
		e.outbound(d)
	case DayResult:
		if d.Day >= e.lastDay.Day {
			e.lastDay = d
		}
	}
}

func (e *Engine) now(t time.Time) (int64, int) {
	n := t.UnixNano()
	e.roll(n)
	b := e.bucket(n)
	if b < 0 {
		e.late++
	}
	return n, b
}

func (e *Engine) contact(id string, ch acd.Channel, t int64) *contact {
	c := e.contacts[id]
	if c == nil {
		c = &contact{id: id, ch: ch, waitStart: t}
		e.contacts[id] = c
	}
	if c.ch == 0 {
		c.ch = ch
	}
	c.lastSeen = t
	return c
}

func (e *Engine) threshold(ch acd.Channel) int64 {
	if ch == acd.Chat {
		return e.chatN
	}
	return e.voiceN
}

func (e *Engine) observe(hist []int64, wait int64) {
	s := float64(wait) / 1e9
	for i, b := range e.bounds {
		if s <= b {
			hist[i]++
		}
	}
}

func (e *Engine) applyACD(d *acd.Event) {
	t, b := e.now(d.At)
	switch d.Kind {
	case acd.EventAgentStateChanged:
		e.agentState(d.Agent, d.State, d.PrevState, t)
		return
	case acd.EventWrapUpEnded:
		e.wrapUpEnded(d, b)
		return
	case acd.EventAgentSkillsChanged, acd.EventWrapUpStarted:
		return
	}
	if d.Contact == "" {
		return
	}
	c := e.contact(d.Contact, d.Channel, t)
	switch d.Kind {
	case acd.EventQueued:
		if c.req == nil || d.FirstEntry {
			rq := d.RequestQueue
			if rq == "" {
				rq = d.Queue
			}
			c.req = e.slice(rq, d.Channel)
		}
		if d.FirstEntry || c.newWait {
			c.waitStart, c.newWait = t, false
		}
		e.leaveQueue(c)
		c.cur = e.slice(d.Queue, d.Channel)
		if !d.Callback {
			c.cur.waiting[c.id] = c.waitStart
		}
	case acd.EventCallbackRequested, acd.EventAccepted:
		e.leaveQueue(c)
	case acd.EventRejected, acd.EventOfferTimeout:
		// A contact transferred to one agent who declines waits in its
		// last queue again (no queued event), its wait counted from the
		// transfer.
		if !c.connected && c.cur != nil && c.newWait {
			c.cur.waiting[c.id] = c.waitStart
		}
	case acd.EventAnswered:
		e.leaveQueue(c)
		c.connected, c.answered = true, true
		c.segs = append(c.segs, segment{agent: d.Agent, start: t})
		if d.Outcome == acd.Answered {
			e.settle(c, d, b)
		}
	case acd.EventAbandoned, acd.EventLost:
		e.leaveQueue(c)
		if c.connected {
			e.endTalk(c, d.Agent, t, b)
		}
		e.finish(c, b)
		if d.Outcome != acd.NoOutcome {
			e.settle(c, d, b)
		}
	case acd.EventEnded:
		e.endTalk(c, d.Agent, t, b)
		e.finish(c, b)
	case acd.EventTransferred:
		e.leaveQueue(c)
		switch {
		case d.Agent != "" && c.talking(d.Agent):
			// Left a talking agent: the next wait is a new one (to a
			// queue, or offered to one agent), not a new request.
			e.endTalk(c, d.Agent, t, b)
			c.newWait, c.waitStart = true, t
			if d.Reason == "consult" && c.consultTo == d.Target {
				c.segs = append(c.segs, segment{agent: d.Target, start: c.consultAt})
				c.connected = true
			}
		case d.Agent != "" && c.cur != nil && d.Target == c.cur.key.queue:
			// An accepted contact whose agent leg never connected goes
			// back to its place, keeping its wait.
			c.cur.waiting[c.id] = c.waitStart
		}
	case acd.EventHoldEnded:
		// Hold is handle time, not talk (EF01): each hold's length is
		// taken off the agent's talk.
		for i := range c.segs {
			if g := &c.segs[i]; !g.done && g.start > 0 && g.agent == d.Agent {
				g.hold += int64(d.Wait)
			}
		}
	case acd.EventConsultStarted:
		c.consultTo, c.consultAt = d.Target, t
	case acd.EventConsultEnded:
		c.consultTo = ""
	}
}

// leaveQueue takes c off its queue's waiting list (SL05, SL06).
func (e *Engine) leaveQueue(c *contact) {
	if c.cur != nil {
		delete(c.cur.waiting, c.id)
	}
}

// settle counts the outcome of an agent request in the interval of the
// outcome (counting rules 2 and 3), in the queue it first entered.
func (e *Engine) settle(c *contact, d *acd.Event, b int) {
	if c.settled {
		return
	}
	c.settled = true
	s := c.req
	if s == nil {
		q := d.RequestQueue
		if q == "" {
			q = d.Queue
		}
		s = e.slice(q, d.Channel)
		c.req = s
	}
	wait := int64(d.Wait)
	var k counters
	k.requests = 1
	switch d.Outcome {
	case acd.Answered:
		k.answered, k.answerWait = 1, wait
		if wait <= e.threshold(d.Channel) {
			k.answeredInSL = 1
		}
		if e.live {
			e.observe(s.answerHist, wait)
		}
	case acd.Abandoned:
		k.abandoned, k.abandonWait = 1, wait
		if wait <= e.shortN {
			k.shortAbandons = 1
		}
		if e.live {
			e.observe(s.abandonHist, wait)
		}
	default:
		k.lost = 1
	}
	e.count(s, b, &k)
}

// count adds k to slice s in interval b (when today) and, live, to the
// raw totals.
func (e *Engine) count(s *slice, b int, k *counters) {
	if b >= 0 {
		s.b[b].add(k)
		s.dirty[b/64] |= 1 << (b % 64)
	}
	if e.live {
		s.total.add(k)
	}
}

// talking says whether agent is connected with c.
func (c *contact) talking(agent string) bool {
	for i := range c.segs {
		if g := &c.segs[i]; !g.done && g.start > 0 && g.agent == agent {
			return true
		}
	}
	return false
}

// endTalk closes agent's talk on c: the handled contact is counted with
// its talk and hold in this interval, where its after-contact work will be
// added.
func (e *Engine) endTalk(c *contact, agent string, t int64, b int) {
	for i := range c.segs {
		g := &c.segs[i]
		if g.done || g.start == 0 || (agent != "" && g.agent != agent) {
			continue
		}
		if g.holdAt > 0 {
			g.hold += t - g.holdAt
			g.holdAt = 0
		}
		s := c.cur
		if s == nil {
			s = e.slice("", c.ch)
		}
		k := counters{handled: 1, talk: max(t-g.start-g.hold, 0), hold: g.hold}
		e.count(s, b, &k)
		if b >= 0 {
			a := e.agent(g.agent)
			a.day.handled++
			a.day.talk += k.talk
			a.day.hold += k.hold
		}
		g.done, g.bucket, g.day, g.sl = true, b, e.dayStart, s
		break
	}
	c.connected = false
}

// finish ends a contact; an answered one counts in MK01's denominator in
// this interval (and as offered when an offer was logged).
func (e *Engine) finish(c *contact, b int) {
	c.finished = true
	if c.answered && !c.mkCounted {
		s := c.req
		if s == nil {
			s = e.slice("", c.ch)
		}
		c.mkCounted, c.mkBucket, c.mkDay, c.mkSlice = true, b, e.dayStart, s
		k := counters{answeredContacts: 1}
		if len(c.offers) > 0 {
			k.offeredContacts, c.mkOffered = 1, true
		}
		e.count(s, b, &k)
	}
}

func (e *Engine) wrapUpEnded(d *acd.Event, b int) {
	c := e.contacts[d.Contact]
	if c == nil {
		return
	}
	for i := range c.segs {
		g := &c.segs[i]
		if !g.done || g.agent != d.Agent {
			continue
		}
		k := counters{acw: int64(d.Wait)}
		if g.day == e.dayStart {
			e.count(g.sl, g.bucket, &k)
			if g.bucket >= 0 {
				e.agent(g.agent).day.acw += k.acw
			}
		} else if e.live {
			g.sl.total.add(&k)
		}
		c.segs = append(c.segs[:i], c.segs[i+1:]...)
		return
	}
}

// agentState closes the agent's time in its previous state.
func (e *Engine) agentState(id string, st, prev acd.AgentState, t int64) {
	a := e.agents[id]
	if a == nil {
		// First seen (the log's window starts after their login): in
		// prev since the start of the day at the latest.
		a = &agentState{state: prev, since: min(e.dayStart, t)}
		e.agents[id] = a
	}
	e.agentSpan(a, a.since, t)
	a.state, a.since = st, t
}

// agentSpan adds the agent's time in its current state over [from, to) to
// today's intervals.
func (e *Engine) agentSpan(a *agentState, from, to int64) {
	if lf := max(from, e.liveFrom); e.live && to > lf {
		e.stateTime[a.state] += to - lf
	}
	if a.state == acd.LoggedOut {
		return
	}
	from, to = max(from, e.dayStart), min(to, e.dayEnd)
	if to <= from {
		return
	}
	if n := len(a.logins); n > 0 && a.logins[n-1].to == from {
		a.logins[n-1].to = to
	} else {
		a.logins = append(a.logins, span{from, to})
	}
	addTime(&e.center, e.dayStart, from, to, a.state)
	a.day.add(a.state, to-from)
}

func (d *agentDay) add(st acd.AgentState, ns int64) {
	d.staffed += ns
	switch st {
	case acd.Ready:
		d.ready += ns
	case acd.Busy, acd.WrapUp:
		d.occupied += ns
	}
}

// addTime spreads [from, to) over the intervals of the day starting at day.
func addTime(c *[maxIntervals]agentTime, day, from, to int64, st acd.AgentState) {
	iv := int64(IntervalLength)
	for from < to {
		i := (from - day) / iv
		end := min(day+(i+1)*iv, to)
		d := end - from
		if i >= 0 && i < maxIntervals {
			at := &c[i]
			at.staffed += d
			switch st {
			case acd.Ready:
				at.ready += d
			case acd.Busy, acd.WrapUp:
				at.occupied += d
			}
		}
		from = end
	}
}

func (e *Engine) ivrEnded(d *ivr.Ended) {
	_, b := e.now(d.Time)
	ch := channelOf(string(d.Channel))
	k := counters{ivrEnded: 1}
	if !d.AgentRequested && (d.Outcome == ivr.OutcomeSelfService || d.Outcome == ivr.OutcomeAbandoned) {
		k.ivrContained = 1
	}
	e.count(e.slice("", ch), b, &k)
}

func (e *Engine) survey(d *ivr.SurveyResult) {
	_, b := e.now(d.Time)
	if d.Score < 1 || d.Score > 3 {
		return
	}
	s := e.contactSlice(d.ContactID, channelOf(string(d.Channel)))
	k := counters{surveys: 1}
	if d.Score == 1 {
		k.satisfied = 1
	}
	e.count(s, b, &k)
}

// contactSlice is the queue of a contact's agent request, or its channel's
// queue-less slice.
func (e *Engine) contactSlice(id string, ch acd.Channel) *slice {
	if c := e.contacts[id]; c != nil && c.req != nil {
		return c.req
	}
	return e.slice("", ch)
}

func channelOf(s string) acd.Channel {
	if strings.EqualFold(s, "chat") {
		return acd.Chat
	}
	return acd.Voice
}
