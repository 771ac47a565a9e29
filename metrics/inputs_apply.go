package metrics

import (
	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/event"
)

// TypeMarketing is the desk's offer log (agentdesk.TypeMarketing).
const TypeMarketing = "desk.marketing"

// Marketing mirrors the desk's offer record (agentdesk.Marketing): the KPI
// engine reads event payloads, not the desk package.
type Marketing struct {
	Offer   string `json:"offer,omitempty"`
	Outcome string `json:"outcome,omitempty"` // presented, accepted, declined
}

// marketing counts an offer (MK02) the first time (contact, offer) is
// logged, its acceptance in the same interval, and the contact as offered
// (MK01) where it was counted as answered.
func (e *Engine) marketing(ev *event.Event, d Marketing) {
	t, b := e.now(ev.At)
	if ev.ContactID == "" || d.Offer == "" {
		return
	}
	c := e.contacts[ev.ContactID]
	if c == nil {
		c = e.contact(ev.ContactID, 0, t)
		c.finished = true
	}
	var rec *offerRec
	for i := range c.offers {
		if c.offers[i].name == d.Offer {
			rec = &c.offers[i]
		}
	}
	if rec == nil {
		s := c.req
		if s == nil {
			s = e.slice("", c.ch)
		}
		c.offers = append(c.offers, offerRec{name: d.Offer, bucket: b, day: e.dayStart, sl: s})
		rec = &c.offers[len(c.offers)-1]
		e.count(s, b, &counters{offersPresented: 1})
		if c.mkCounted && !c.mkOffered {
			// Logged in the wrap-up after the contact ended: the contact
			// counts as offered where it counted as answered.
			c.mkOffered = true
			e.countOn(c.mkSlice, c.mkDay, c.mkBucket, &counters{offeredContacts: 1})
		}
	}
	if d.Outcome == "accepted" && !rec.accepted {
		rec.accepted = true
		e.countOn(rec.sl, rec.day, rec.bucket, &counters{offersAccepted: 1})
		e.count(rec.sl, b, &counters{sales: 1})
	}
}

// countOn adds k to an interval counted earlier, when it is today's.
func (e *Engine) countOn(s *slice, day int64, b int, k *counters) {
	if day == e.dayStart && b >= 0 {
		s.b[b].add(k)
	}
	if e.live {
		s.total.add(k)
	}
}

// shift records an agent's scheduled shift (EF04).
// Shifts of later days are kept until their day comes.
func (e *Engine) shift(d Shift) {
	from, to := d.Start.UnixNano(), d.End.UnixNano()
	a := e.agents[d.AgentID]
	if a == nil {
		a = &agentState{state: acd.LoggedOut, since: e.dayStart}
		e.agents[d.AgentID] = a
	}
	for i, s := range a.shifts {
		if s.from == from {
			a.shifts = append(a.shifts[:i], a.shifts[i+1:]...)
			break
		}
	}
	if to > from && to > e.dayStart {
		a.shifts = append(a.shifts, span{from, to})
	}
}

// outbound counts an outbound attempt (MK04, MK05) on the voice channel.
func (e *Engine) outbound(d OutboundAttempt) {
	_, b := e.now(d.At)
	s := e.slice("", acd.Voice)
	k := counters{outbound: 1}
	if d.Result == RightParty {
		k.rightParty = 1
		if d.Success {
			k.outboundSales, k.sales = 1, 1
		}
	}
	e.count(s, b, &k)
	if e.live {
		s.offers[string(d.Result)]++
	}
}

// clipSpans keeps the parts of spans inside [from, to).
func clipSpans(ss []span, from, to int64) []span {
	out := ss[:0]
	for _, s := range ss {
		s.from, s.to = max(s.from, from), min(s.to, to)
		if s.to > s.from {
			out = append(out, s)
		}
	}
	return out
}

// overlap is the time [from, to) shares with the spans.
func overlap(ss []span, from, to int64) int64 {
	var n int64
	for _, s := range ss {
		if a, b := max(s.from, from), min(s.to, to); b > a {
			n += b - a
		}
	}
	return n
}
