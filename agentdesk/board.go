package agentdesk

import (
	"context"
	"sort"
	"time"

	"github.com/hotline10000/hotline/acd"
	"github.com/hotline10000/hotline/internal/auth"
	"github.com/hotline10000/hotline/internal/bridge"
)

// boardData is the supervisor board: queues with today's counts and
// agents with their state, pushed (as a volatile "board" frame) at most
// once a second while something changed.
type boardData struct {
	At     time.Time    `json:"at"`
	Queues []boardQueue `json:"queues"`
	Agents []boardAgent `json:"agents"`
	// KPIs are the KPI tiles (Options.KPIs), when the server has them.
	KPIs any `json:"kpis,omitempty"`
}

type boardQueue struct {
	acd.QueueStats // Staffed counts only agents whose desk is connected
	queueDay
	// StaffedOffline counts the queue's logged-in agents whose desk is
	// gone: they take nothing, so they are not staffing it.
	StaffedOffline int `json:"staffed_offline"`
	// OldestAt is when the longest-waiting contact entered the queue: the
	// page shows the longest wait (SL06) as now − OldestAt, exact at any
	// moment between two pushes.
	OldestAt *time.Time `json:"oldest_at,omitempty"`
	// Contacts are the first waiting contacts in service order, for the
	// supervisor to see and move.
	Contacts []boardWaiter `json:"contacts"`
}

// boardWaiter is a waiting contact on the board.
type boardWaiter struct {
	Contact   string    `json:"contact_id"`
	Channel   string    `json:"channel"`
	Position  int       `json:"position"`
	EnteredAt time.Time `json:"entered_at"`
	Priority  int       `json:"priority"`
	Callback  bool      `json:"callback,omitempty"`
	Name      string    `json:"name,omitempty"` // the chat's pre-chat name
}

// boardWaiting is how many waiting contacts per queue the board lists.
const boardWaiting = 50

type boardAgent struct {
	ID       string    `json:"agent_id"`
	Name     string    `json:"name,omitempty"`
	State    string    `json:"state"`
	Reason   string    `json:"reason,omitempty"`
	Since    time.Time `json:"since"`
	Contacts []string  `json:"contacts"`
	// Calls are the contacts that are calls (not chats): the board offers
	// listen, whisper and barge on them.
	Calls   []string `json:"calls,omitempty"`
	Offer   string   `json:"offer,omitempty"`
	Offline bool     `json:"offline,omitempty"`
}

const boardEvery = time.Second

// kpiEvery is the longest a board's KPI tiles go without a push.
const kpiEvery = 15 * time.Second

// refreshBoards asks the ACD for queue statistics while someone watches
// and something changed, and pushes the board.
//
// The next round's timer is asked for before this round's work: a board a
// client reads was pushed by a refresher already waiting for the next
// second, so a test on a virtual clock that advances after reading a push
// never advances past a refresher that has not yet asked for its timer.
func (g *Gateway) refreshBoards(ctx context.Context) {
	next := g.o.Clock.After(boardEvery)
	for {
		select {
		case <-ctx.Done():
			return
		case <-next:
		}
		next = g.o.Clock.After(boardEvery)
		// While someone waits, the board is pushed every second even with
		// no event: waits grow without one.
		// The KPI tiles change with time alone (agent time, the
		// interval): they are pushed at least every kpiEvery.
		var want bool
		if err := g.do(func(h *hub) {
			stale := g.o.KPIs != nil && g.o.Clock.Now().Sub(h.lastAt) >= kpiEvery
			want = len(h.boards) > 0 && (h.dirty || h.anyWaiting() || stale)
		}); err != nil {
			return
		}
		if !want {
			continue
		}
		qs, err := g.o.ACD.Board(ctx, boardWaiting)
		if err != nil {
			continue
		}
		var kpis any
		if g.o.KPIs != nil {
			kpis, _ = g.o.KPIs(ctx) // a board without tiles beats no board
		}
		var days map[string]bridge.DayCount
		if g.o.QueueDays != nil {
			days, _ = g.o.QueueDays(ctx) // on an error the last counts stay
		}
		if err := g.do(func(h *hub) {
			h.lastKPIs = kpis
			if days != nil {
				h.lastDays = days
			}
			h.pushBoard(qs)
		}); err != nil {
			return
		}
	}
}

func (h *hub) anyWaiting() bool {
	for _, q := range h.lastQueues {
		if q.Waiting > 0 {
			return true
		}
	}
	return false
}

// present reports whether an agent's desk is connected now.
func (h *hub) present(agentID string) bool {
	a := h.agents[agentID]
	s := h.agentDesk(agentID)
	return a != nil && !a.offline && s != nil && s.conn != nil
}

func (h *hub) pushBoard(qs []acd.BoardQueue) {
	h.lastQueues, h.lastAt = qs, h.g.o.Clock.Now()
	h.dirty = false
	b := encode(Frame{Type: "board", At: h.g.o.Clock.Now().UTC(), Data: raw(h.board())})
	for s := range h.boards {
		if s.conn != nil && !s.conn.enqueue(b) {
			h.detach(s, s.conn)
		}
	}
}

func (h *hub) board() boardData {
	today := h.lastDays // the KPI engine's, when the server has one
	if h.g.o.QueueDays == nil {
		today = h.g.bridge.Today(h.g.o.Clock.Now()) // a new day shows zeros even before its first event
	}
	b := boardData{At: h.g.o.Clock.Now().UTC(), Queues: []boardQueue{}, Agents: []boardAgent{}, KPIs: h.lastKPIs}
	for _, q := range h.lastQueues {
		bq := boardQueue{QueueStats: q.QueueStats, Contacts: []boardWaiter{}}
		if d, ok := today[q.Queue]; ok {
			bq.queueDay = queueDay(d)
		}
		bq.Staffed = 0
		for _, id := range q.Agents {
			if h.present(id) {
				bq.Staffed++
			} else {
				bq.StaffedOffline++
			}
		}
		if q.Waiting > 0 {
			oldest := h.lastAt.Add(-q.LongestWait).UTC()
			bq.OldestAt = &oldest
		}
		for i, c := range q.Contacts {
			w := boardWaiter{Contact: c.Contact, Channel: q.Channel.String(), Position: i + 1,
				EnteredAt: h.lastAt.Add(-c.Wait).UTC(), Priority: c.Priority, Callback: c.Callback}
			if ch := h.chats[c.Contact]; ch != nil {
				w.Name = ch.info.Name
			}
			bq.Contacts = append(bq.Contacts, w)
		}
		b.Queues = append(b.Queues, bq)
	}
	for _, a := range h.agents {
		if a.since.IsZero() {
			continue
		}
		ba := boardAgent{ID: a.id, Name: a.name, State: a.state.String(), Reason: a.reason, Since: a.since,
			Contacts: []string{}, Offline: a.offline}
		for c := range a.chats {
			ba.Contacts = append(ba.Contacts, c)
			if h.chats[c] == nil {
				ba.Calls = append(ba.Calls, c)
			}
		}
		sort.Strings(ba.Contacts)
		sort.Strings(ba.Calls)
		if a.offer != nil {
			ba.Offer = a.offer.Contact
		}
		b.Agents = append(b.Agents, ba)
	}
	sort.Slice(b.Agents, func(i, j int) bool { return b.Agents[i].ID < b.Agents[j].ID })
	return b
}

func (d *deskClient) handleBoard(f Frame) (any, *Error) {
	switch f.Type {
	case "ping":
		return nil, nil
	case "board.get":
		ctx, cancel := context.WithTimeout(d.g.ctx, 10*time.Second)
		defer cancel()
		qs, err := d.g.o.ACD.Board(ctx, boardWaiting)
		if err != nil {
			return nil, acdError(err)
		}
		var b boardData
		if err := d.g.do(func(h *hub) {
			h.lastQueues, h.lastAt = qs, h.g.o.Clock.Now()
			b = h.board()
		}); err != nil {
			return nil, failf(CodeUnavailable, err.Error())
		}
		return b, nil
	case "sup.force_state", "sup.logout", "sup.move", "sup.skills":
		ctx, cancel := context.WithTimeout(d.g.ctx, 10*time.Second)
		defer cancel()
		return d.supervise(ctx, f)
	case "sup.monitor", "sup.monitor_mode":
		ctx, cancel := context.WithTimeout(d.g.ctx, 10*time.Second)
		defer cancel()
		return d.monitor(ctx, f)
	case "phone.answer", "phone.decline", "phone.hangup", "phone.mute", "phone.ice":
		// The supervisor's own phone on the board (sup.monitor).
		ctx, cancel := context.WithTimeout(d.g.ctx, 10*time.Second)
		defer cancel()
		return d.phoneCommand(ctx, f)
	}
	return nil, failf(CodeUnknownType, "unknown command "+f.Type)
}

// supervise runs the supervisor actions of the ACD.
func (d *deskClient) supervise(ctx context.Context, f Frame) (any, *Error) {
	if !d.p.Can(auth.PermSupervise) {
		return nil, failf(CodeForbidden, "only supervisors may do this")
	}
	e := d.g.o.ACD
	var in struct {
		Agent   string         `json:"agent_id"`
		Contact string         `json:"contact_id"`
		Queue   string         `json:"queue"`
		State   string         `json:"state"`
		Reason  string         `json:"reason"`
		Skills  map[string]int `json:"skills"`
	}
	if err := decodeData(f, &in); err != nil {
		return nil, err
	}
	me := d.p.AgentID
	if f.Type != "sup.move" {
		if e := d.mayActOn(ctx, in.Agent); e != nil {
			return nil, e
		}
	}
	switch f.Type {
	case "sup.force_state":
		var st acd.AgentState
		if err := st.UnmarshalText([]byte(in.State)); err != nil || (st != acd.Ready && st != acd.NotReady && st != acd.LoggedOut) {
			return nil, failf(CodeInvalid, "state: ready, not_ready or logged_out")
		}
		if st == acd.NotReady && in.Reason == "" {
			in.Reason = "supervisor"
		}
		return nil, wrapACD(e.ForceState(ctx, me, in.Agent, st, in.Reason))
	case "sup.logout":
		d.g.handOver(ctx, in.Agent, "agent_logged_out")
		if err := e.ForceState(ctx, me, in.Agent, acd.LoggedOut, "supervisor"); err != nil {
			return nil, acdError(err)
		}
		_ = d.g.do(func(h *hub) {
			if s := h.agentDesk(in.Agent); s != nil && s.conn != nil {
				s.conn.close(CloseLoggedOut, "logged out by a supervisor")
			}
		})
		return nil, nil
	case "sup.move":
		return nil, wrapACD(e.MoveContact(ctx, me, in.Contact, in.Queue))
	case "sup.skills":
		if len(in.Skills) == 0 {
			return nil, failf(CodeInvalid, "skills: at least one")
		}
		return nil, wrapACD(e.SetSkills(ctx, me, in.Agent, in.Skills))
	}
	return nil, failf(CodeUnknownType, f.Type)
}
